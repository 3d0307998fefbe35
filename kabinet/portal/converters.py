"""URL converters of the portal."""

from datetime import date


class PeriodConverter:
    """A month in a URL: «2026-10» ↔ date(2026, 10, 1). Anything else is not found."""

    regex = r"\d{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> date:
        return date(int(value[:4]), int(value[5:7]), 1)

    def to_url(self, value: date | str) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"
