"""The queue: filters by status, region, topic, assignee and overdue; sort by deadline;
counts per status; overdue appeals stand out."""

from datetime import timedelta
from pathlib import Path
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals import operators
from kabinet.appeals.models import Appeal, Reason, StaffRole, Status, Topic
from tests.factories import make_account, make_appeal, make_customer, make_staff, staff_login

QUEUE = reverse("backoffice:queue")


@pytest.fixture
def appeals(customer, account, reason, operator, perm):
    """Four Свердловский appeals: new; taken by the operator; overdue; answered. One in Perm."""
    payment = Reason.objects.create(topic=Topic.objects.get(name="Оплата"), name="Платёж не учтён", answer_days=5)
    made = {
        "new": make_appeal(customer, account, reason, files=0),
        "mine": make_appeal(customer, account, payment, files=0),
        "late": make_appeal(customer, account, reason, files=0),
        "answered": make_appeal(customer, account, reason, files=0),
    }
    operators.take(operator, made["mine"].pk)
    Appeal.objects.filter(pk=made["late"].pk).update(deadline=timezone.localdate() - timedelta(days=1))
    Appeal.objects.filter(pk=made["answered"].pk).update(status=Status.ANSWERED)
    perm_account = make_account(perm, "5900012345")
    made["perm"] = make_appeal(make_customer("+79120000005", perm_account), perm_account, reason, files=0)
    return made


def listed(client, query="") -> list[str]:
    page = client.get(QUEUE + query).content.decode()
    return [number for number in (a.number for a in Appeal.objects.all()) if number in page]


def test_default_shows_open_appeals_by_deadline(staff_client, appeals):
    numbers = listed(staff_client)
    assert set(numbers) == {appeals[k].number for k in ("new", "mine", "late")}
    page = staff_client.get(QUEUE).content.decode()
    assert page.index(appeals["late"].number) < page.index(appeals["mine"].number) < page.index(appeals["new"].number)


def test_filters(staff_client, appeals, operator):
    assert listed(staff_client, "?status=answered") == [appeals["answered"].number]
    assert listed(staff_client, "?assignee=me") == [appeals["mine"].number]
    assert set(listed(staff_client, "?assignee=none")) == {appeals["new"].number, appeals["late"].number}
    assert listed(staff_client, "?overdue=on") == [appeals["late"].number]
    payment = Topic.objects.get(name="Оплата")
    assert listed(staff_client, f"?topic={payment.pk}") == [appeals["mine"].number]
    region = appeals["new"].region
    assert len(listed(staff_client, f"?region={region.pk}")) == 3
    # A region the employee does not serve is not a valid choice: the filter is ignored, never widened.
    assert appeals["perm"].number not in listed(staff_client, f"?region={appeals['perm'].region_id}")


def test_counts_per_status_and_overdue(staff_client, appeals):
    context = staff_client.get(QUEUE).context
    counts = {status.value: n for status, n in context["counts"]}
    assert counts == {"new": 2, "in_progress": 1, "waiting": 0, "answered": 1, "closed": 0, "forwarded": 0}
    assert context["overdue_count"] == 1


def test_overdue_rows_stand_out(staff_client, appeals):
    page = staff_client.get(QUEUE).content.decode()
    row = page[page.index(appeals["late"].number) - 300 : page.index(appeals["late"].number)]
    assert 'class="row-overdue"' in row
    assert page.count("просрочено") == 1


def test_appeal_page_says_overdue_by_the_same_rule(staff_client, appeals):
    late = staff_client.get(reverse("backoffice:appeal", args=[appeals["late"].pk])).content.decode()
    assert '<span class="overdue">просрочено</span>' in late
    Appeal.objects.filter(pk=appeals["late"].pk).update(deadline=timezone.localdate())
    due_today = staff_client.get(reverse("backoffice:appeal", args=[appeals["late"].pk])).content.decode()
    assert "просрочено" not in due_today


def test_templates_only_read_overdue_from_the_appeal():
    """«Просрочено» is decided in appeals (Appeal.is_overdue); no template compares deadlines."""
    templates = Path(__file__).parents[2] / "kabinet" / "backoffice" / "templates"
    for template in templates.rglob("*.html"):
        assert not re.search(r"deadline\s*[<>]", template.read_text()), template.name


def test_supervisor_of_two_regions_sees_both(client, appeals, sverdlovsk, perm):
    supervisor = make_staff("sup@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, perm)
    staff_login(client, supervisor.user)
    assert appeals["perm"].number in listed(client)


def test_queue_query_count_does_not_grow_with_the_page(staff_client, appeals, customer, account, reason):
    def queue_page() -> int:
        """The queue as rendered (not a redirect to the login), and its query count."""
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get(QUEUE)
        queries = len(captured.captured_queries)  # now: the next request clears Django's query log
        assert response.status_code == 200
        assert "backoffice/queue.html" in [t.name for t in response.templates]
        still_open = Appeal.objects.filter(region=account.region).exclude(status__in=(Status.ANSWERED, Status.CLOSED))
        assert set(listed(staff_client)) == {appeal.number for appeal in still_open}, "every open appeal is listed"
        return queries

    queue_page()  # the footer's contacts: read once per process, not per page
    short = queue_page()
    assert 0 < short <= 15
    for _ in range(10):
        make_appeal(customer, account, reason, files=0)
    assert queue_page() == short


def test_a_customer_without_a_name_is_listed_by_the_phone_as_people_write_it(staff_client, account, reason):
    nameless = make_customer("+79120000007", account, first_name="", last_name="")
    make_appeal(nameless, account, reason, files=0)
    page = staff_client.get(QUEUE).content.decode()
    assert '<td data-label="Клиент">+7\u00a0912\u00a0000-00-07<br>' in page
    assert "+79120000007" not in page
