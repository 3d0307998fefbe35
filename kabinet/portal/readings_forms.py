"""The «Передать показания» form: one labelled field per zone of each meter, and the
confirmation checkboxes that appear with their warnings. It only collects and presents input;
the rules are in kabinet.readings.validation and kabinet.readings.services."""

from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from kabinet.readings.models import Meter
from kabinet.readings.services import Submission
from kabinet.readings.states import MeterState
from kabinet.readings.validation import UNUSUAL, WRAP, MeterCheck, wrap_key

CONFIRM_LABELS = {
    WRAP: "Да, табло перешло через ноль — показание верное",
    UNUSUAL: "Да, показания верны — расход действительно такой",
}


def value_name(meter: Meter, zone: str) -> str:
    return f"m{meter.pk}-{zone}"


def confirm_name(meter: Meter, key: str) -> str:
    return f"m{meter.pk}-confirm-{key}"


def confirm_keys(meter: Meter) -> list[str]:
    return [*(wrap_key(zone) for zone in meter.zone_fields), UNUSUAL]


@dataclass
class ZoneRow:
    value: forms.BoundField
    confirm: forms.BoundField | None = None  # the wrap confirmation, when asked


@dataclass
class MeterBlock:
    meter: Meter
    state: MeterState
    zones: list[ZoneRow] = field(default_factory=list)
    unusual: forms.BoundField | None = None


def previous_help(state: MeterState, zone: str) -> str:
    """A zone's field's help: the previous reading's value and day, when there is one."""
    previous = state.previous
    if previous is None or getattr(previous, zone) is None:
        return ""
    # The customer's day, as the history and the meter's facts show it (UTC is the day before
    # until 05:00 in Yekaterinburg).
    return f"Предыдущее показание: {getattr(previous, zone)} от {timezone.localtime(previous.taken_at):%d.%m.%Y}"


def value_field(label: str, help_text: str) -> forms.CharField:
    """A zone's field: text, so that what was typed comes back as typed; the services judge it."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "reading-input"}),
    )


class ReadingsForm(forms.Form):
    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.states = states
        for state in states:
            meter = state.meter
            for zone, label in zip(meter.zone_fields, meter.zone_labels, strict=True):
                self.fields[value_name(meter, zone)] = value_field(label, previous_help(state, zone))

    def values(self) -> dict[int, dict[str, str]]:
        """What was typed, as is: the services judge it."""
        return {
            state.meter.pk: {zone: self.data.get(value_name(state.meter, zone), "") for zone in state.meter.zone_fields}
            for state in self.states
        }

    def confirmations(self) -> dict[int, set[str]]:
        return {
            state.meter.pk: {key for key in confirm_keys(state.meter) if self.data.get(confirm_name(state.meter, key))}
            for state in self.states
        }

    def show(self, submission: Submission) -> None:
        """Put the checks' errors at their fields and add a checkbox for every warning: unchecked
        with the warning as its error until confirmed, then checked with it as the explanation."""
        for check in submission.checks:
            self._show_check(check)

    def _show_check(self, check: MeterCheck) -> None:
        meter = check.meter
        for zone, error in check.errors.items():
            self.add_error(value_name(meter, zone), error)
        for key, text in check.asks.items():
            name = confirm_name(meter, key)
            given = key in check.confirmed
            self.fields[name] = forms.BooleanField(
                label=CONFIRM_LABELS[key.split("-")[0]], required=False, help_text=text if given else ""
            )
            if not given:
                # A wrap concerns the zone's value: its warning stands at that field.
                self.add_error(name if key == UNUSUAL else value_name(meter, key.split("-", 1)[1]), text)

    def blocks(self) -> list[MeterBlock]:
        blocks = []
        for state in self.states:
            meter = state.meter
            block = MeterBlock(meter, state)
            for zone in meter.zone_fields:
                confirm = confirm_name(meter, wrap_key(zone))
                block.zones.append(
                    ZoneRow(self[value_name(meter, zone)], self[confirm] if confirm in self.fields else None)
                )
            unusual = confirm_name(meter, UNUSUAL)
            block.unusual = self[unusual] if unusual in self.fields else None
            blocks.append(block)
        return blocks
