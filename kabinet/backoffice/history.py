"""The appeal's history as the page shows it.

Every read of a complaint's personal data stays an Event of its own (the audit is
complete); the page folds a run of one employee's reads close together into one line, so
reloading the page does not bury the actions."""

from dataclasses import dataclass
from datetime import timedelta

from kabinet.appeals.models import Event

FOLD_WITHIN = timedelta(minutes=30)


@dataclass
class Line:
    event: Event
    times: int = 1

    @property
    def times_text(self) -> str:
        n = self.times
        word = "раза" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "раз"
        return f"{n} {word}"


def _folds(line: Line, event: Event) -> bool:
    last = line.event
    return (
        event.kind == Event.Kind.PD_READ
        and last.kind == Event.Kind.PD_READ
        and event.actor_id == last.actor_id
        and abs(event.at - last.at) <= FOLD_WITHIN
    )


def history_lines(events) -> list[Line]:
    """The events in order, consecutive reads by one employee within FOLD_WITHIN of the
    line's latest read folded into that line (shown at the latest)."""
    lines: list[Line] = []
    for event in events:
        if lines and _folds(lines[-1], event):
            lines[-1] = Line(event, lines[-1].times + 1)
        else:
            lines.append(Line(event))
    return lines
