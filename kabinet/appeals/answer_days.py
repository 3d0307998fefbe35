"""KABINET_COMPLAINT_ANSWER_DAYS read: «20» for every region, or «66=15,59=10,20» per region
code (a bare number is the default for regions not named). Pure, so the settings check it at
start-up as the complaints read it at filing."""

from django.core.exceptions import ImproperlyConfigured


def parse_answer_days(text: str) -> tuple[int, dict[str, int]]:
    """The default and the per-region working days; ImproperlyConfigured naming the variable."""
    default, per_region = 20, {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        code, sep, days = item.partition("=")
        try:
            if sep:
                per_region[code.strip()] = int(days)
            else:
                default = int(code)
        except ValueError as error:
            raise ImproperlyConfigured(f"KABINET_COMPLAINT_ANSWER_DAYS: «{item}» is not a number of days") from error
    return default, per_region
