"""Quality complaints (ПП № 55): encryption at rest, the number and time, the deadline per
region, forwarding, the retention wipe, the PDF; the document never in clear outside them."""

from datetime import timedelta
import logging

from django.db import connection
from django.utils import timezone
import pytest

from kabinet.appeals import complaints
from kabinet.appeals.complaints_models import QualityComplaint
from kabinet.appeals.models import AppealKind, Event, Status
from kabinet.appeals.operators import Reply, reply, take
from kabinet.core.models import AuditEvent
from tests.factories import PASSPORT_NUMBER, PASSPORT_SERIES, make_complaint, pdf_text, upload_file

pytestmark = pytest.mark.django_db


def test_the_identity_data_is_encrypted_in_the_row(customer, account):
    appeal = make_complaint(customer, account)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM appeals_qualitycomplaint WHERE appeal_id = %s", [appeal.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert PASSPORT_NUMBER not in row
    assert PASSPORT_SERIES not in row
    assert "1980" not in row and "Свердловск" not in row
    data = appeal.complaint.identity_data()
    assert (data["document_series"], data["document_number"]) == (PASSPORT_SERIES, PASSPORT_NUMBER)
    assert data["birth_date"] == "1980-03-21"


def test_no_key_opens_it_after_the_key_is_lost(settings, customer, account):
    from cryptography.fernet import Fernet
    from django.core.exceptions import ImproperlyConfigured

    appeal = make_complaint(customer, account)
    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured):
        QualityComplaint.objects.get(appeal=appeal).identity_data()


def test_keys_rotate(settings, customer, account):
    from cryptography.fernet import Fernet

    appeal = make_complaint(customer, account)
    old = settings.KABINET_PD_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.KABINET_PD_KEYS = [new, old]
    assert complaints.rotate_keys() == 1
    settings.KABINET_PD_KEYS = [new]
    assert QualityComplaint.objects.get(appeal=appeal).identity_data()["document_number"] == PASSPORT_NUMBER


def test_rotation_never_brings_back_data_wiped_meanwhile(settings, customer, account):
    """The daily wipe may run between rotation reading a row and writing it back: the stale
    value must not be re-encrypted over the wipe."""
    from cryptography.fernet import Fernet

    settings.KABINET_COMPLAINT_PD_RETENTION_DAYS = 0
    appeal = make_complaint(customer, account)
    stale = QualityComplaint.objects.get(appeal=appeal).identity
    appeal.__class__.objects.filter(pk=appeal.pk).update(
        status=Status.CLOSED, closed_at=timezone.now() - timedelta(days=1)
    )
    assert complaints.wipe_expired_personal_data() == 1
    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode(), *settings.KABINET_PD_KEYS]
    complaint = QualityComplaint.objects.get(appeal=appeal)
    assert complaints.rotate_one(complaint.pk, stale) is False
    complaint.refresh_from_db()
    assert complaint.identity == "" and complaint.identity_wiped_at is not None
    assert complaints.rotate_keys() == 0


def test_rotation_retries_a_row_changed_meanwhile(settings, customer, account):
    from cryptography.fernet import Fernet

    appeal = make_complaint(customer, account)
    complaint = QualityComplaint.objects.get(appeal=appeal)
    stale = complaint.identity
    complaint.set_identity({**complaint.identity_data(), "document_number": "999999"})
    complaint.save(update_fields=["identity"])
    old = settings.KABINET_PD_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.KABINET_PD_KEYS = [new, old]
    assert complaints.rotate_one(complaint.pk, stale) is False
    assert complaints.rotate_keys() == 1
    settings.KABINET_PD_KEYS = [new]
    assert QualityComplaint.objects.get(appeal=appeal).identity_data()["document_number"] == "999999"


def test_a_complaint_is_an_appeal_with_a_number_time_and_the_regions_deadline(settings, customer, account, outbox):
    settings.KABINET_COMPLAINT_ANSWER_DAYS = "20,66=5"
    appeal = make_complaint(customer, account)
    assert appeal.kind == AppealKind.COMPLAINT
    assert appeal.number.startswith("66-")
    assert appeal.deadline > timezone.localdate()
    settings.KABINET_COMPLAINT_ANSWER_DAYS = "20"
    later = make_complaint(customer, account)
    assert later.deadline > appeal.deadline
    sent = outbox.messages()
    assert appeal.number in sent[0]["text"]
    assert f"{timezone.localtime(appeal.created_at):%H:%M:%S}" in sent[0]["text"]


def test_the_document_is_never_logged_nor_sent(caplog, customer, account, outbox, mailbox, operator):
    caplog.set_level(logging.DEBUG)
    appeal = make_complaint(customer, account, files=1, contact_method="email")
    pdf = complaints.customer_complaint_pdf(customer, appeal.number)[0]
    take(operator, appeal.pk)
    act = [upload_file(operator.user, "акт.pdf")]
    reply(operator, appeal.pk, Reply("Проверка проведена, акт приложен.", Status.ANSWERED, act))
    assert PASSPORT_NUMBER in pdf_text(pdf)
    sent = " ".join(str(m) for m in outbox.messages()) + " ".join(m.body + m.subject for m in mailbox())
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for text in (sent, logged):
        assert PASSPORT_NUMBER not in text
        assert PASSPORT_SERIES not in text


def test_the_pdf_holds_every_field(customer, account):
    appeal = make_complaint(customer, account)
    text = " ".join(pdf_text(complaints.customer_complaint_pdf(customer, appeal.number)[0]).split())
    for expected in (
        appeal.number,
        "Иванова Анна Петровна",
        "ул. Ленина",
        "21.03.1980",
        "г. Свердловск",
        "Паспорт гражданина РФ",
        f"{PASSPORT_SERIES} {PASSPORT_NUMBER}",
        account.number,
        "продолжается",
        "+79120000001",
        "anna@example.ru",
        "Требую проверки",
        "SMS на телефон",
        "Наименование организации",
    ):
        assert expected in text, expected
    assert appeal.events.filter(kind=Event.Kind.FILE_READ).exists()


def test_another_customer_and_another_region_get_404(customer, account, perm_operator):
    from django.http import Http404

    from tests.factories import make_account, make_customer

    appeal = make_complaint(customer, account)
    stranger = make_customer("+79120000009", make_account(account.region, "660100000009"))
    with pytest.raises(Http404):
        complaints.customer_complaint_pdf(stranger, appeal.number)
    with pytest.raises(Http404):
        complaints.staff_complaint_pdf(perm_operator, appeal.pk)


def test_forwarding_to_the_network_company_keeps_it_open(customer, account, operator):
    appeal = make_complaint(customer, account)
    take(operator, appeal.pk)
    on = timezone.localdate()
    complaints.forward(operator, appeal.pk, complaints.Forwarding(on=on, company="ЕЭСК", reference="СО-17/2"))
    appeal.refresh_from_db()
    assert appeal.status == Status.FORWARDED and appeal.is_open
    assert (appeal.complaint.forwarded_on, appeal.complaint.network_reference) == (on, "СО-17/2")
    assert appeal.events.filter(kind=Event.Kind.STATUS, to_status=Status.FORWARDED).exists()
    reply(operator, appeal.pk, Reply("Акт проверки приложен.", Status.ANSWERED, [upload_file(operator.user)]))
    appeal.refresh_from_db()
    assert appeal.status == Status.ANSWERED


def test_only_complaints_are_forwarded_and_never_to_a_future_date(customer, account, operator, reason):
    from kabinet.appeals.services import AppealRefused
    from tests.factories import make_appeal

    plain = make_appeal(customer, account, reason)
    take(operator, plain.pk)
    today = timezone.localdate()
    with pytest.raises(AppealRefused):
        complaints.forward(operator, plain.pk, complaints.Forwarding(on=today, company="ЕЭСК", reference="1"))
    appeal = make_complaint(customer, account)
    take(operator, appeal.pk)
    with pytest.raises(AppealRefused):
        complaints.forward(
            operator, appeal.pk, complaints.Forwarding(on=today + timedelta(days=1), company="ЕЭСК", reference="1")
        )


def test_retention_wipes_the_identity_data_of_old_closed_complaints(settings, customer, account):
    settings.KABINET_COMPLAINT_PD_RETENTION_DAYS = 30
    old = make_complaint(customer, account)
    recent = make_complaint(customer, account)
    still_open = make_complaint(customer, account)
    now = timezone.now()
    old.__class__.objects.filter(pk=old.pk).update(status=Status.CLOSED, closed_at=now - timedelta(days=31))
    recent.__class__.objects.filter(pk=recent.pk).update(status=Status.CLOSED, closed_at=now - timedelta(days=29))
    assert complaints.wipe_expired_personal_data() == 1
    assert complaints.wipe_expired_personal_data() == 0
    wiped = QualityComplaint.objects.get(appeal=old)
    assert wiped.identity == "" and wiped.identity_wiped_at is not None
    assert wiped.full_name and wiped.appeal.text  # the complaint itself stays
    assert QualityComplaint.objects.get(appeal=recent).identity_data()
    assert QualityComplaint.objects.get(appeal=still_open).identity_data()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PD_WIPED)
    assert event.identifier == old.number
    assert "удалено по истечении срока хранения" in " ".join(
        pdf_text(complaints.customer_complaint_pdf(customer, old.number)[0]).split()
    )
    assert PASSPORT_NUMBER not in str(event.details)


def test_the_housekeeping_command_wipes_too(settings, customer, account):
    from django.core.management import call_command

    settings.KABINET_COMPLAINT_PD_RETENTION_DAYS = 0
    appeal = make_complaint(customer, account)
    appeal.__class__.objects.filter(pk=appeal.pk).update(
        status=Status.CLOSED, closed_at=timezone.now() - timedelta(days=1)
    )
    call_command("complaints_housekeeping")
    assert QualityComplaint.objects.get(appeal=appeal).identity == ""


def test_check_deploy_requires_the_keys(settings):
    from kabinet.core.checks import check_pd_keys

    settings.KABINET_PD_KEYS = []
    assert [e.id for e in check_pd_keys(None)] == ["kabinet.E001"]
    settings.KABINET_PD_KEYS = ["not-a-key"]
    assert [e.id for e in check_pd_keys(None)] == ["kabinet.E002"]


def test_exports_and_the_admin_do_not_carry_the_document(tmp_path, customer, account, admin_client):
    """Every export to billing, run after a complaint, writes nothing of the document; the
    admin's appeal list and page show none of it either."""
    from django.core.management import call_command

    appeal = make_complaint(customer, account)
    for command in ("export_readings", "export_contacts", "export_payments"):
        call_command(command, "--out", str(tmp_path), "--no-progress")
    written = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert PASSPORT_NUMBER.encode() not in written
    for url in ("/admin/appeals/appeal/", f"/admin/appeals/appeal/{appeal.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert appeal.number in page
        assert PASSPORT_NUMBER not in page and PASSPORT_SERIES not in page


def lose_the_key(settings) -> None:
    from cryptography.fernet import Fernet

    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]


def test_a_lost_key_shows_a_notice_logs_once_and_the_rest_works(settings, caplog, customer, account, operator):
    """KABINET_PD_KEYS rotated without the old key: the fields say so, one error line names
    the complaint (never the token), and forwarding, answering and rating go on."""
    from kabinet.appeals import ratings
    from kabinet.appeals.complaint_text import KEY_LOST, KEY_LOST_CUSTOMER

    appeal = make_complaint(customer, account)
    token = QualityComplaint.objects.get(appeal=appeal).identity
    lose_the_key(settings)
    caplog.set_level(logging.ERROR)
    shown = dict(complaints.staff_rows(operator, appeal))
    for label in ("Дата рождения", "Место рождения", "Документ, удостоверяющий личность", "Серия и номер документа"):
        assert shown[label] == KEY_LOST
    assert shown["Фамилия, имя, отчество"] == "Иванова Анна Петровна"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and appeal.number in errors[0].getMessage()
    assert token not in caplog.text and token[:40] not in caplog.text
    assert not appeal.events.filter(kind=Event.Kind.PD_READ).exists()  # nothing was shown
    # The customer is not sent to an administrator they cannot reach.
    customer_pdf = " ".join(pdf_text(complaints.customer_complaint_pdf(customer, appeal.number)[0]).split())
    assert KEY_LOST_CUSTOMER in customer_pdf and "администратор" not in customer_pdf
    assert dict(complaints.rows(appeal))["Дата рождения"] == KEY_LOST_CUSTOMER
    take(operator, appeal.pk)
    complaints.forward(operator, appeal.pk, complaints.Forwarding(timezone.localdate(), "ЕЭСК", "7"))
    reply(operator, appeal.pk, Reply("Акт проверки приложен.", Status.ANSWERED, [upload_file(operator.user)]))
    assert ratings.rate_as_customer(customer, appeal.number, 5, "").score == 5


def test_the_complaints_own_e_mail_gets_the_number_the_forwarding_and_the_answer(customer, account, operator, mailbox):
    """The customer typed another address into the complaint than the profile's: every
    message about the complaint goes there, by the channel chosen in it."""
    appeal = make_complaint(customer, account, email="other@example.ru", contact_method="email")
    take(operator, appeal.pk)
    on = timezone.localdate()
    complaints.forward(operator, appeal.pk, complaints.Forwarding(on=on, company="АО «ЕЭСК»", reference="СО-17/2"))
    reply(operator, appeal.pk, Reply("Акт проверки приложен.", Status.ANSWERED, [upload_file(operator.user)]))
    sent = [(m.to, m.subject, m.body) for m in mailbox()]
    assert [to for to, _, _ in sent] == [["other@example.ru"]] * 3
    registered, forwarded, answered = sent
    assert appeal.number in registered[2]
    assert "передана в сетевую организацию" in forwarded[1]
    assert "АО «ЕЭСК»" in forwarded[2] and f"{on:%d.%m.%Y}" in forwarded[2]
    assert "дан ответ" in answered[2]


def test_the_complaints_own_phone_gets_the_sms(customer, account, operator, outbox):
    appeal = make_complaint(customer, account, phone="+79120000077", contact_method="phone")
    take(operator, appeal.pk)
    complaints.forward(operator, appeal.pk, complaints.Forwarding(timezone.localdate(), "АО «ЕЭСК»", "СО-17/2"))
    sent = outbox.messages()
    assert [m["to"] for m in sent] == ["+79120000077", "+79120000077"]
    # The company's name stays on the page: the SMS keeps within two parts.
    assert "передана" in sent[1]["text"] and "сетевую организацию" in sent[1]["text"]
    # Correcting the forwarding (another reference) is no news to the customer.
    complaints.forward(operator, appeal.pk, complaints.Forwarding(timezone.localdate(), "АО «ЕЭСК»", "СО-17/3"))
    assert len(outbox.messages()) == 2


def test_an_answer_by_letter_is_due_in_the_back_office(customer, account, operator, outbox, mailbox):
    """«Письмом по почте»: the messages go by SMS to the complaint's phone, and once answered
    the back office is told a letter must go to the place of residence until it is sent."""
    appeal = make_complaint(customer, account, phone="+79120000077", contact_method=complaints.BY_LETTER)
    complaint = QualityComplaint.objects.get(appeal=appeal)
    assert complaint.answer_by_letter and appeal.contact_method == "phone"
    assert dict(complaints.rows(appeal))["Предпочтительный способ получения ответа"] == "Письмом по почте"
    assert complaints.letter_due(appeal) is False
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply("Акт проверки приложен.", Status.ANSWERED, [upload_file(operator.user)]))
    appeal.refresh_from_db()
    assert complaints.letter_due(appeal) is True
    assert appeal.events.filter(kind=Event.Kind.LETTER_DUE).exists()
    sent = outbox.messages()
    assert [m["to"] for m in sent] == ["+79120000077", "+79120000077"] and not mailbox()
    assert "письмом" in sent[1]["text"]
    complaints.letter_sent(operator, appeal.pk)
    appeal.refresh_from_db()
    assert complaints.letter_due(appeal) is False
    assert appeal.events.filter(kind=Event.Kind.LETTER_SENT).exists()


def test_retention_ends_for_complaints_never_closed(settings, customer, account):
    """A complaint left open (forwarded and forgotten, never answered) loses its document
    KABINET_COMPLAINT_PD_MAX_DAYS after submission; a younger open one keeps it."""
    settings.KABINET_COMPLAINT_PD_RETENTION_DAYS = 30
    settings.KABINET_COMPLAINT_PD_MAX_DAYS = 365
    forgotten = make_complaint(customer, account)
    young = make_complaint(customer, account)
    now = timezone.now()
    Appeal = forgotten.__class__
    Appeal.objects.filter(pk=forgotten.pk).update(status=Status.FORWARDED, created_at=now - timedelta(days=366))
    Appeal.objects.filter(pk=young.pk).update(created_at=now - timedelta(days=364))
    before = QualityComplaint.objects.get(appeal=forgotten)
    assert complaints.wipe_expired_personal_data() == 1
    wiped = QualityComplaint.objects.get(appeal=forgotten)
    assert wiped.identity == "" and wiped.identity_wiped_at is not None
    # The appeal's own record stays, every field of it as filed.
    assert own_record(wiped) == own_record(before)
    assert QualityComplaint.objects.get(appeal=young).identity_data()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PD_WIPED)
    assert event.identifier == forgotten.number and event.details["after"] == "submission"


def test_rotation_rotates_the_rest_and_names_the_complaints_no_key_opens(settings, customer, account):
    from cryptography.fernet import Fernet
    from django.core.management import CommandError, call_command

    lost = make_complaint(customer, account)
    token = QualityComplaint.objects.get(appeal=lost).identity
    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]  # the old key dropped too early
    readable = make_complaint(customer, account)
    new = Fernet.generate_key().decode()
    settings.KABINET_PD_KEYS = [new, *settings.KABINET_PD_KEYS]
    with pytest.raises(CommandError) as refused:
        call_command("rotate_pd_keys")
    assert lost.number in str(refused.value) and readable.number not in str(refused.value)
    assert token not in str(refused.value)
    settings.KABINET_PD_KEYS = [new]
    assert QualityComplaint.objects.get(appeal=readable).identity_data()["document_number"] == PASSPORT_NUMBER


OWN_RECORD = (
    "full_name", "residence", "organization", "premises_address", "violation_start", "violation_end", "phone", "email",
)  # fmt: skip


def own_record(complaint: QualityComplaint) -> dict:
    return {name: getattr(complaint, name) for name in OWN_RECORD}


def test_rotation_names_rows_that_kept_changing_with_those_no_key_opens(settings, monkeypatch, customer, account):
    """A row rewritten at every attempt is reported with the unreadable ones, after the rest
    is rotated: neither stops the run nor hides the other."""
    from cryptography.fernet import Fernet

    lost = make_complaint(customer, account)
    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]
    busy = make_complaint(customer, account)
    readable = make_complaint(customer, account)
    new = Fernet.generate_key().decode()
    settings.KABINET_PD_KEYS = [new, *settings.KABINET_PD_KEYS]
    real = complaints.rotate_one
    busy_row = QualityComplaint.objects.get(appeal=busy)

    def another_writer_first(pk, token):
        if pk == busy_row.pk:  # someone rewrites the row between each read and write
            busy_row.set_identity(busy_row.identity_data())
            busy_row.save(update_fields=["identity"])
        return real(pk, token)

    monkeypatch.setattr(complaints, "rotate_one", another_writer_first)
    with pytest.raises(complaints.RotationIncomplete) as incomplete:
        complaints.rotate_keys()
    assert incomplete.value.numbers == [lost.number] and incomplete.value.busy == [busy.number]
    assert incomplete.value.rotated == 1
    assert lost.number in str(incomplete.value) and busy.number in str(incomplete.value)
    settings.KABINET_PD_KEYS = [new]
    assert QualityComplaint.objects.get(appeal=readable).identity_data()["document_number"] == PASSPORT_NUMBER


@pytest.mark.parametrize(
    ("retention", "cap", "ids"),
    [(1095, 1825, []), (0, 1825, ["kabinet.E003"]), (1095, -1, ["kabinet.E003"]), (1095, 365, ["kabinet.W003"])],
)
def test_check_deploy_refuses_periods_that_would_wipe_everything(settings, retention, cap, ids):
    from kabinet.core.checks import check_pd_retention

    settings.KABINET_COMPLAINT_PD_RETENTION_DAYS = retention
    settings.KABINET_COMPLAINT_PD_MAX_DAYS = cap
    assert [e.id for e in check_pd_retention(None)] == ids
