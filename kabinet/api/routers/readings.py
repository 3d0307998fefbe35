"""Meters and readings: the meters of an account with the window and the reading new values are
checked against, a meter's history, and submitting readings. The rules are kabinet.readings'
(window, validation, atomic replacement); this router only carries what the customer typed in
and the checks' answers out, as the «Передать показания» page does."""

from datetime import date, datetime
import json

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from kabinet.api import problems
from kabinet.api.access import account_or_404, accounts_of, require_write
from kabinet.api.caching import etag
from kabinet.api.ids import ObjectId
from kabinet.api.pagination import Pagination, paginate
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import Problem, problem_responses
from kabinet.readings import services
from kabinet.readings.history import HistoryRow, meter_histories
from kabinet.readings.models import Meter, Reading
from kabinet.readings.states import MeterState, meter_states
from kabinet.readings.validation import UNUSUAL, MeterCheck, wrap_key
from kabinet.readings.window import Window, reading_window

router = Router(tags=["Счётчики и показания"])

METER_NOT_FOUND = "Счётчик не найден."


class ZoneValues(Schema):
    """A reading's values by tariff zone: t1 always, t2 and t3 for multi-zone meters."""

    t1: int | None = None
    t2: int | None = None
    t3: int | None = None


class WindowOut(Schema):
    is_open: bool
    period: str = Field(description="Месяц, за который принимаются показания, ГГГГ-ММ")
    starts: date
    ends: date
    rule: str = Field(examples=["Показания принимаются с 15 по 25 число"])
    refusal: str = Field(description="Почему показания сейчас не принимаются; пусто, если принимаются")


class LastReadingOut(Schema):
    period: str
    values: ZoneValues
    taken_at: datetime
    source: str
    source_name: str


class MeterOut(Schema):
    id: int
    account_id: int
    serial: str
    service: str
    unit: str
    zones: int
    zone_labels: list[str]
    digits: int = Field(description="Цифр до запятой на табло")
    installed_on: date
    verification_due: date
    verification_notice: str = Field(description="Что делать, если срок поверки истёк; пусто, если не истёк")
    previous_reading: LastReadingOut | None = Field(description="Показание, с которым сверяются новые")
    sent_in_window: LastReadingOut | None = Field(description="Уже переданное в этом окне (новое заменит его)")
    last_reading: LastReadingOut | None = Field(description="Последнее действующее показание")


class MetersOut(Schema):
    window: WindowOut
    meters: list[MeterOut]


def zone_values(reading: Reading) -> ZoneValues:
    return ZoneValues(t1=reading.t1, t2=reading.t2, t3=reading.t3)


def reading_brief(reading: Reading | None) -> LastReadingOut | None:
    if reading is None:
        return None
    return LastReadingOut(
        period=f"{reading.period:%Y-%m}",
        values=zone_values(reading),
        taken_at=reading.taken_at,
        source=reading.source,
        source_name=reading.get_source_display(),
    )


def window_out(window: Window, refusal: str) -> WindowOut:
    return WindowOut(
        is_open=window.is_open,
        period=f"{window.period:%Y-%m}",
        starts=window.starts,
        ends=window.ends,
        rule=window.rule,
        refusal=refusal,
    )


def meter_out(state: MeterState) -> MeterOut:
    meter = state.meter
    return MeterOut(
        id=meter.pk,
        account_id=meter.account_id,
        serial=meter.serial,
        service=meter.service.name,
        unit=meter.service.unit,
        zones=meter.zones,
        zone_labels=list(meter.zone_labels),
        digits=meter.digits,
        installed_on=meter.installed_on,
        verification_due=meter.verification_due,
        verification_notice=state.notice,
        previous_reading=reading_brief(state.previous),
        sent_in_window=reading_brief(state.current),
        # Sent in this window, else the one before: the latest current reading (what a home
        # automation sensor shows).
        last_reading=reading_brief(state.current or state.previous),
    )


@router.get(
    "/accounts/{int:account_id}/meters",
    response={200: MetersOut, **problem_responses(401, 404, 429)},
    summary="Счётчики лицевого счёта",
    description="Действующие счётчики, окно приёма показаний и последнее показание каждого.",
)
@etag
def list_meters(request: HttpRequest, account_id: ObjectId):
    account = account_or_404(request.auth, account_id)
    window = reading_window(account.region)
    states = meter_states(account, window=window)
    refusal = services.refusal(account, window)
    return MetersOut(window=window_out(window, refusal), meters=[meter_out(state) for state in states])


def own_meter(request: HttpRequest, meter_id: ObjectId) -> Meter:
    """A meter of an account this token may see (removed meters too: their history stays)."""
    meter = Meter.objects.filter(pk=meter_id, account__in=accounts_of(request.auth)).select_related("account").first()
    if meter is None:
        raise ApiProblem(404, METER_NOT_FOUND)
    return meter


# --- History ------------------------------------------------------------------------------


class HistoryReadingOut(Schema):
    id: int
    period: str = Field(description="Месяц, за который показание, ГГГГ-ММ")
    values: ZoneValues
    consumption: ZoneValues = Field(description="Расход по зонам с предыдущего показания; null у заменённых")
    months: int = Field(description="Сколько месяцев охватывает расход")
    source: str
    source_name: str
    taken_at: datetime
    replaced: bool = Field(description="Заменено более поздним показанием того же окна и ни на что не влияет")
    replaced_at: datetime | None
    wrapped: bool = Field(description="Переход табло через ноль подтверждён")
    unusual_confirmed: bool


def history_out(row: HistoryRow) -> HistoryReadingOut:
    reading = row.reading
    zones = reading.meter.zone_fields
    return HistoryReadingOut(
        id=reading.pk,
        period=f"{reading.period:%Y-%m}",
        values=zone_values(reading),
        consumption=ZoneValues(**dict(zip(zones, row.used, strict=True))),
        months=row.months,
        source=reading.source,
        source_name=reading.get_source_display(),
        taken_at=reading.taken_at,
        replaced=row.replaced,
        replaced_at=reading.replaced_by.taken_at if reading.replaced_by_id else None,
        wrapped=reading.wrapped,
        unusual_confirmed=reading.unusual_confirmed,
    )


@router.get(
    "/meters/{int:meter_id}/readings",
    response={200: list[HistoryReadingOut], **problem_responses(401, 404, 422, 429)},
    summary="История показаний счётчика",
    description="Все показания от новых к старым, заменённые тоже, с расходом по зонам.",
)
@etag
@paginate(Pagination)
def list_readings(request: HttpRequest, meter_id: ObjectId):
    meter = own_meter(request, meter_id)
    history = next(h for h in meter_histories(meter.account) if h.meter.pk == meter.pk)
    return [history_out(row) for row in history.rows]


# --- Submitting ---------------------------------------------------------------------------


class ReadingIn(Schema):
    # Strict: `"confirm": 0` or `"meter_id": "7"` is a client's mistake to hear about, not to guess.
    model_config = ConfigDict(strict=True)

    values: dict[str, str | int] = Field(
        description="Показания по зонам: t1 (и t2, t3 у многотарифных), целые числа",
        examples=[{"t1": "12345"}],
    )
    confirm: bool = Field(False, description="true — подтвердить предупреждения (переход через ноль, необычный расход)")


class MeterReadingsIn(ReadingIn):
    meter_id: ObjectId


class AccountReadingsIn(Schema):
    model_config = ConfigDict(strict=True)

    meters: list[MeterReadingsIn] = Field(description="Показания всех действующих счётчиков счёта")


class WarningOut(Schema):
    meter_id: int
    code: str = Field(description="wrap-t1, wrap-t2, wrap-t3 (переход табло через ноль) или unusual (необычный расход)")
    zone: str | None
    message: str


class ReadingsProblem(Problem):
    """A problem with the checks' warnings: send again with "confirm": true to accept them."""

    warnings: list[WarningOut] = Field(default_factory=list, description="Предупреждения, которые нужно подтвердить")


class SavedOut(Schema):
    window: WindowOut
    readings: list[LastReadingOut]
    message: str


SUBMIT_RESPONSES = {
    201: SavedOut,
    409: ReadingsProblem,
    422: ReadingsProblem,
    **problem_responses(401, 403, 404, 429, 503),
}
SUBMIT_DESCRIPTION = (
    "Те же проверки, что на странице «Передать показания». Ошибки в значениях — 422 с `errors` по полям; "
    "предупреждения (переход табло через ноль, расход выше обычного) — 409 с `warnings`: отправьте снова с "
    '`"confirm": true`. Вне окна приёма или по закрытому счёту — 409 с причиной. Нужен токен, которому '
    "разрешено передавать показания."
)


def confirmations(meter: Meter, confirm: bool) -> set[str]:
    """Everything the checks may ask of this meter: they keep only what they did ask."""
    return {*(wrap_key(zone) for zone in meter.zone_fields), UNUSUAL} if confirm else set()


def typed(values: dict[str, str | int]) -> dict[str, str]:
    """What was sent, as text: the checks parse it as they parse the page's fields."""
    return {zone: str(value) for zone, value in values.items()}


def submit(request: HttpRequest, account, entries: list[MeterReadingsIn], prefix) -> HttpResponse | tuple:
    by_meter = {entry.meter_id: entry for entry in entries}
    meters = {m.pk: m for m in Meter.objects.filter(pk__in=by_meter, account=account)}
    if unknown := sorted(set(by_meter) - set(meters)):
        names = ", ".join(map(str, unknown))
        raise ApiProblem(422, errors={"meters": [f"У этого лицевого счёта нет счётчика {names}."]})
    values = {pk: typed(by_meter[pk].values) for pk in meters}
    confirmed = {pk: confirmations(meter, by_meter[pk].confirm) for pk, meter in meters.items()}
    try:
        submission = services.submit_readings(request.auth.user, account, values, confirmed)
    except services.ReadingsRefused as refused:
        raise ApiProblem(409, str(refused)) from None
    except services.ReadingsNotSaved as failed:
        raise ApiProblem(503, str(failed)) from None
    if not submission.ok:
        return checks_problem(submission.checks, prefix)
    message = (
        "Показания переданы. Спасибо! Если вы ошиблись, передайте их ещё раз до "
        f"{submission.window.ends:%d.%m.%Y} — новые показания заменят прежние."
    )
    saved = [reading_brief(reading) for reading in submission.saved]
    return Status(201, SavedOut(window=window_out(submission.window, ""), readings=saved, message=message))


def checks_problem(checks: list[MeterCheck], prefix) -> HttpResponse:
    """422 when a value is wrong (with any warnings too), else 409 with the warnings to confirm."""
    errors: dict[str, list[str]] = {}
    warnings = []
    for check in checks:
        for zone, error in check.errors.items():
            errors.setdefault(prefix(check.meter, zone), []).append(error)
        for code, text in check.missing.items():
            zone = code.split("-", 1)[1] if code != UNUSUAL else None
            warnings.append({"meter_id": check.meter.pk, "code": code, "zone": zone, "message": text})
    status = 422 if errors else 409
    detail = (
        "Проверьте показания: ничего не передано."
        if errors
        else "Показания необычные: проверьте их и подтвердите, отправив снова с «confirm»: true."
    )
    body = problems.body(status, detail, errors) | {"warnings": warnings}
    content = json.dumps(body, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=problems.CONTENT_TYPE)


@router.post(
    "/accounts/{int:account_id}/readings",
    response=SUBMIT_RESPONSES,
    summary="Передать показания всех счётчиков",
    description=SUBMIT_DESCRIPTION + " Показания передаются по всем действующим счётчикам счёта сразу.",
)
def submit_account_readings(request: HttpRequest, account_id: ObjectId, payload: AccountReadingsIn):
    require_write(request.auth)
    account = account_or_404(request.auth, account_id)
    return submit(request, account, payload.meters, lambda meter, zone: f"meters.{meter.pk}.{zone}")


@router.post(
    "/meters/{int:meter_id}/readings",
    response=SUBMIT_RESPONSES,
    summary="Передать показания счётчика",
    description=SUBMIT_DESCRIPTION
    + " Если у счёта несколько действующих счётчиков, показания принимаются только по всем сразу: "
    "используйте POST /accounts/{account_id}/readings.",
)
def submit_meter_readings(request: HttpRequest, meter_id: ObjectId, payload: ReadingIn):
    require_write(request.auth)
    meter = own_meter(request, meter_id)
    entry = MeterReadingsIn(meter_id=meter.pk, values=payload.values, confirm=payload.confirm)

    def field(other: Meter, zone: str) -> str:
        return zone if other.pk == meter.pk else f"meters.{other.pk}.{zone}"

    return submit(request, meter.account, [entry], field)
