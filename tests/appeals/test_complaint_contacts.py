"""A complaint's own phone and e-mail may be anyone's: each one not the profile's confirmed
address is counted against the contact limits before filing, and its messages carry neither
the customer's name nor the no-login «Оцените ответ» links."""

from django.utils import timezone
import pytest

from kabinet.appeals import complaints, notify
from kabinet.appeals.models import Status
from kabinet.appeals.operators import Reply, reply, take
from kabinet.identity.accounts import TooManyRequests
from tests.factories import complaint_draft, make_complaint, upload_file

pytestmark = pytest.mark.django_db

STRANGER_EMAIL = "stranger@example.ru"
STRANGER_PHONE = "+79120000077"


def test_the_profiles_own_contacts_are_not_counted(settings, customer, account):
    settings.KABINET_CONTACT_USES_PER_USER = 1
    for _ in range(3):
        complaints.check_contacts(customer, complaint_draft(customer, account, email="Anna@Example.ru"), "10.0.0.1")


@pytest.mark.parametrize(("field", "value"), [("phone", STRANGER_PHONE), ("email", STRANGER_EMAIL)])
def test_another_address_is_counted_until_the_limit(settings, customer, account, field, value):
    settings.KABINET_CONTACT_USES_PER_ADDRESS = 2
    draft = complaint_draft(customer, account, **{field: value})
    complaints.check_contacts(customer, draft, "10.0.0.1")
    complaints.check_contacts(customer, draft, "10.0.0.2")
    with pytest.raises(TooManyRequests) as refused:
        complaints.check_contacts(customer, draft, "10.0.0.3")
    assert refused.value.field == field and "Слишком много запросов" in refused.value.message


def test_an_address_not_in_the_profile_gets_no_name_and_no_rating_link(customer, account, operator, mailbox):
    appeal = make_complaint(customer, account, email=STRANGER_EMAIL, contact_method="email")
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply("Акт проверки приложен.", Status.ANSWERED, [upload_file(operator.user)]))
    registered, answered = mailbox()
    for message in (registered, answered):
        assert message.to == [STRANGER_EMAIL]
        assert message.body.startswith("Здравствуйте!\n") and customer.first_name not in message.body
    assert "/rate/" not in answered.body and "Оцените ответ" not in answered.body
    # The answer is still rated on its signed-in page.
    from kabinet.appeals import ratings

    assert ratings.offer(appeal) is not None


def test_the_profiles_own_e_mail_gets_the_name_and_the_rating_links(customer, account, operator, mailbox):
    appeal = make_complaint(customer, account, email="ANNA@example.ru", contact_method="email")
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply("Ответ.", Status.ANSWERED, []))
    answered = mailbox()[-1]
    assert answered.body.startswith(f"Здравствуйте, {customer.first_name}!") and "/rate/" in answered.body


def test_another_phone_gets_no_rating_link(customer, account, operator, outbox):
    appeal = make_complaint(customer, account, phone=STRANGER_PHONE)
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply("Ответ.", Status.ANSWERED, []))
    answered = outbox.messages()[-1]
    assert answered["to"] == STRANGER_PHONE and "дан ответ" in answered["text"]
    assert "/rate/" not in answered["text"] and "Оцените" not in answered["text"]


def test_the_forwarding_sms_stays_within_two_parts_whatever_the_company(customer, account, operator, outbox, mailbox):
    company = "Акционерное общество «" + "Екатеринбургская электросетевая компания " * 5 + "»"
    assert len(company) > 200 - 10
    company = company[:200]
    on = timezone.localdate()
    sms = make_complaint(customer, account)
    take(operator, sms.pk)
    complaints.forward(operator, sms.pk, complaints.Forwarding(on, company, "СО-17/2"))
    text = outbox.messages()[-1]["text"]
    assert notify.sms_parts(text) <= notify.SMS_MAX_PARTS == 2, (len(text), text)
    assert "Мы ответим вам с результатами проверки до" in text and sms.number in text
    by_mail = make_complaint(customer, account, contact_method="email")
    take(operator, by_mail.pk)
    complaints.forward(operator, by_mail.pk, complaints.Forwarding(on, company, "СО-17/3"))
    body = mailbox()[-1].body
    assert company in body and "Мы ответим вам с результатами проверки до" in body and "Подробнее:" in body


def test_sms_parts_are_counted_as_the_operators_do():
    parts = notify.sms_parts
    assert parts("а" * 70) == 1 and parts("а" * 71) == 2 and parts("а" * 134) == 2
    assert parts("а" * 135) == 3 and parts("a" * 160) == 1 and parts("a" * 161) == 2
