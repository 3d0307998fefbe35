"""A complaint's page after each step, as a newcomer read it: what is offered after
forwarding, who is named after an answer, each field once, phones written one way, and a
history not buried under its own page views."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals.models import Event, Status
from kabinet.appeals.operators import take
from tests.factories import make_complaint, staff_login


@pytest.fixture
def complaint(customer, account):
    return make_complaint(customer, account)


def page_of(client, appeal) -> str:
    return client.get(reverse("backoffice:appeal", args=[appeal.pk])).content.decode()


def forward(client, appeal, reference="СО-17/2"):
    today = timezone.localdate().isoformat()
    return client.post(
        reverse("backoffice:forward", args=[appeal.pk]), {"on": today, "company": "ЕЭСК", "reference": reference}
    )


def test_after_forwarding_the_page_shows_it_with_a_correction_not_the_empty_form(client, supervisor, complaint):
    staff_login(client, supervisor.user)
    assert "Передать в сетевую организацию" in page_of(client, complaint)
    forward(client, complaint)
    page = page_of(client, complaint)
    assert "Передать в сетевую организацию" not in page
    assert "Взять в работу" not in page  # the supervisor who forwarded it has it now
    assert "Исправить" in page and 'value="СО-17/2"' in page
    forward(client, complaint, reference="СО-17/3")
    complaint.complaint.refresh_from_db()
    assert complaint.complaint.network_reference == "СО-17/3"


def test_take_is_offered_only_for_an_open_unassigned_appeal(client, supervisor, complaint):
    staff_login(client, supervisor.user)
    assert "Взять в работу" in page_of(client, complaint)
    complaint.status = Status.CLOSED
    complaint.save(update_fields=["status"])
    assert "Взять в работу" not in page_of(client, complaint)
    refused = client.post(reverse("backoffice:take", args=[complaint.pk]), follow=True).content.decode()
    assert "сначала верните его в работу" in refused
    complaint.refresh_from_db()
    assert complaint.assignee is None


def test_who_answers_an_unassigned_appeal_becomes_its_assignee(client, supervisor, complaint):
    staff_login(client, supervisor.user)
    client.post(reverse("backoffice:reply", args=[complaint.pk]), {"text": "Проверено.", "status": Status.ANSWERED})
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED and complaint.assignee == supervisor.user
    assert complaint.events.filter(kind=Event.Kind.ASSIGNED, actor=supervisor.user).exists()
    assert "не назначен" not in page_of(client, complaint)


def test_the_demands_show_once_and_phones_one_way(client, operator, complaint):
    staff_login(client, operator.user)
    page = page_of(client, complaint)
    assert page.count("Требования потребителя") == 1
    assert "+79120000" not in page
    assert page.count("+7\u00a0912\u00a0000-00-01") == 2  # the profile's and the complaint's


def test_repeated_views_fold_into_one_history_line_yet_each_is_recorded(client, operator, supervisor, complaint):
    staff_login(client, operator.user)
    for _ in range(3):
        page_of(client, complaint)
    take(operator, complaint.pk)
    early = complaint.events.filter(kind=Event.Kind.PD_READ).first()
    early.at -= timedelta(hours=2)  # an old read stays a line of its own
    early.save(update_fields=["at"])
    page = page_of(client, complaint)
    assert complaint.events.filter(kind=Event.Kind.PD_READ).count() == 4
    assert page.count("Просмотрены данные жалобы") == 3  # the old one, two folded, the last
    assert "Просмотрены данные жалобы (2 раза)" in page
