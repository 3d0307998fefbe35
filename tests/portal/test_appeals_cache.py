"""«Мои обращения» keeps its rows, pages and empty state rendered in the cache
(portal.fragments), keyed by every value they show: the list shows new data right after
whatever changed it, and each customer only their own."""

from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals import operators, services
from kabinet.appeals.models import Appeal, Event, Reason, StaffRole, Status, Topic
from kabinet.portal import fragments
from tests.factories import customer_login, make_account, make_appeal, make_customer, make_staff

LIST = "portal/appeals/_list.html"
APPEALS = reverse("portal:appeals")


@pytest.fixture
def view(client, customer):
    customer_login(client, customer)

    def view(query: str = ""):
        response = client.get(APPEALS + query)
        assert response.status_code == 200
        return response

    return view


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


def drawn(response) -> bool:
    return LIST in [t.name for t in response.templates]


def part(response) -> str:
    """The kept part: everything below the status filter's form."""
    text = response.content.decode()
    start = text.index("</form>", text.index('aria-label="Отбор обращений"')) + len("</form>")
    return text[start : text.index("</main>")]


def test_the_list_is_drawn_once_and_then_served_from_the_cache(view, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    first, second = view(), view()
    assert drawn(first) and not drawn(second)
    assert part(first) == part(second) and appeal.number in part(second)
    assert first.content != second.content  # the rest is drawn per request: CSP nonce, CSRF token
    for response in (first, second):  # nothing of a request is kept: it would show on the next
        token = response.cookies["csrftoken"].value if "csrftoken" in response.cookies else None
        assert "csrfmiddlewaretoken" not in part(response) and "nonce" not in part(response)
        assert token is None or token not in part(response)


def test_the_status_filter_form_is_drawn_per_request(view, customer, account, reason):
    make_appeal(customer, account, reason, files=0)
    view()
    assert '<option value="answered" selected>' in view("?status=answered").content.decode()
    assert '<option value="" selected>' in view().content.decode()


class Leak:
    """Stands in for a loaded value: a drawing that showed it would change."""

    def __str__(self) -> str:
        return "LEAK"

    def __getattr__(self, name: str) -> "Leak":
        return self


# What fragments.appeal_row keys a row by: the appeal's own fields, its topic's and reason's name.
SHOWN = {"id", "number", "created_at", "status", "deadline"}


def test_a_row_shows_nothing_its_key_leaves_out(customer, account, reason, operator):
    """The key holds the values a row shows, not every value loaded (cheaper than drawing it):
    every other value, the appeal's text and account included, changes nothing drawn."""
    appeal = make_appeal(customer, account, reason, files=0)
    operators.take(operator, appeal.pk)
    operators.reply(operator, appeal.pk, operators.Reply("Перерасчёт выполнен.", Status.ANSWERED, []))
    page = services.customer_appeal_page(customer, "", 1, 20)
    [row] = page.object_list

    def drawing() -> str:
        return render_to_string(fragments.APPEALS_TEMPLATE, {"page": page, "status": "", "query": ""})

    before, key = drawing(), fragments.appeal_row(row)
    assert set(row._state.fields_cache) == {"topic", "reason", "account"}
    for instance, shown in ((row, SHOWN), (row.topic, {"name"}), (row.reason, {"name"})):
        for name in [name for name in vars(instance) if not name.startswith("_") and name not in shown]:
            vars(instance)[name] = Leak()  # past the descriptors: a foreign key's id would drop its instance
    row._state.fields_cache["account"] = Leak()
    assert drawing() == before and fragments.appeal_row(row) == key
    vars(row)["deadline"] += timedelta(days=1)  # and a value it shows does change the drawing
    assert drawing() != before


def test_a_new_appeal_shows_at_once(view, customer, account, reason):
    first = make_appeal(customer, account, reason, files=0)
    view()
    second = make_appeal(customer, account, reason, files=0)
    response = view()
    assert drawn(response)
    assert second.number in part(response) and first.number in part(response)


def test_the_first_appeal_replaces_the_empty_state_at_once(view, customer, account, reason):
    assert "У вас пока нет обращений." in part(view())
    appeal = make_appeal(customer, account, reason, files=0)
    response = view()
    assert drawn(response) and appeal.number in part(response) and "У вас пока нет" not in part(response)


def test_a_status_change_in_the_back_office_shows_at_once(view, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason, files=0)
    assert "Новое" in part(view())
    operators.take(operator, appeal.pk)
    response = view()
    assert drawn(response) and "status-in_progress" in part(response) and "В работе" in part(response)
    operators.change_status(operator, appeal.pk, Status.CLOSED, without_answer=True)
    response = view()
    assert drawn(response) and "status-closed" in part(response) and "Закрыто" in part(response)


def test_an_answer_shows_at_once(view, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason, files=0)
    operators.take(operator, appeal.pk)
    view()
    operators.reply(operator, appeal.pk, operators.Reply("Перерасчёт выполнен.", Status.ANSWERED, []))
    response = view()
    assert drawn(response) and "status-answered" in part(response) and "Дан ответ" in part(response)


def test_the_daily_closing_of_answered_appeals_shows_at_once(view, customer, account, reason):
    """appeals_housekeeping closes with a queryset's update(): no instance is saved."""
    appeal = make_appeal(customer, account, reason, files=0)
    long_ago = timezone.now() - timedelta(days=31)
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.ANSWERED, answered_at=long_ago)
    assert "Дан ответ" in part(view())
    call_command("appeals_housekeeping")
    response = view()
    assert drawn(response) and "Закрыто" in part(response)


def test_a_topic_or_reason_renamed_in_the_admin_shows_at_once(view, customer, account, reason):
    make_appeal(customer, account, reason, files=0)
    assert "Лицевой счёт → Перерасчёт" in part(view())
    Reason.objects.filter(pk=reason.pk).update(name="Перерасчёт платы")
    response = view()
    assert drawn(response) and "Лицевой счёт → Перерасчёт платы" in part(response)
    Topic.objects.filter(pk=reason.topic_id).update(name="Лицевой счёт и договор")
    response = view()
    assert drawn(response) and "Лицевой счёт и договор → Перерасчёт платы" in part(response)


def test_a_deadline_moved_shows_at_once(view, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    view()
    Appeal.objects.filter(pk=appeal.pk).update(deadline=datetime(2031, 1, 15).date())
    response = view()
    assert drawn(response) and "15.01.2031" in part(response)


def test_an_appeal_gone_from_the_database_leaves_at_once(view, customer, account, reason):
    """No service deletes appeals (they are kept); a row removed by hand still leaves the list."""
    kept, gone = (make_appeal(customer, account, reason, files=0) for _ in range(2))
    assert gone.number in part(view())
    Event.objects.filter(appeal=gone).delete()
    Appeal.objects.filter(pk=gone.pk).delete()
    response = view()
    assert drawn(response) and gone.number not in part(response) and kept.number in part(response)


def test_pages_and_filters_are_kept_apart(view, customer, account, reason, settings):
    settings.KABINET_APPEALS_PER_PAGE = 2
    oldest, _, newest = (make_appeal(customer, account, reason, files=0) for _ in range(3))
    Appeal.objects.filter(pk=oldest.pk).update(status=Status.ANSWERED)
    first = part(view())
    assert newest.number in first and oldest.number not in first and "Страница 1 из 2" in first
    assert 'href="?page=2" rel="next"' in first
    second = view("?page=2")
    assert drawn(second) and oldest.number in part(second) and newest.number not in part(second)
    assert "Страница 2 из 2" in part(second) and 'href="?page=1" rel="prev"' in part(second)
    answered = view("?status=answered")
    assert drawn(answered) and oldest.number in part(answered) and newest.number not in part(answered)
    assert "Страница" not in part(answered)
    waiting = view("?status=waiting")
    assert drawn(waiting) and "Обращений в состоянии «Ожидает ответа клиента» нет." in part(waiting)
    closed = view("?status=closed")
    assert drawn(closed) and "Обращений в состоянии «Закрыто» нет." in part(closed)
    assert part(view()) == first  # and back, from the cache


def test_the_filters_links_keep_the_filter(view, customer, account, reason, settings):
    settings.KABINET_APPEALS_PER_PAGE = 1
    for _ in range(2):
        make_appeal(customer, account, reason, files=0)
    assert 'href="?page=2"' in part(view())
    filtered = part(view("?status=new"))
    assert 'href="?status=new&amp;page=2"' in filtered and 'href="?page=2"' not in filtered


def test_a_page_more_shows_at_once_on_the_first(view, customer, account, reason, settings):
    """An older appeal added leaves page 1's row as it was, but «из 2» becomes «из 3»."""
    settings.KABINET_APPEALS_PER_PAGE = 1
    newest = [make_appeal(customer, account, reason, files=0) for _ in range(2)][-1]
    assert "Страница 1 из 2" in part(view()) and newest.number in part(view())
    older = make_appeal(customer, account, reason, files=0)
    Appeal.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    response = view()
    assert drawn(response) and "Страница 1 из 3" in part(response) and newest.number in part(response)


def test_the_dates_follow_the_time_zone(view, customer, account, reason, settings):
    appeal = make_appeal(customer, account, reason, files=0)
    Appeal.objects.filter(pk=appeal.pk).update(created_at=datetime(2026, 11, 29, 20, 30, tzinfo=UTC))
    assert "30.11.2026" in part(view())  # Yekaterinburg, UTC+5
    settings.TIME_ZONE = "Europe/Kaliningrad"  # UTC+2
    response = view()
    assert drawn(response) and "29.11.2026" in part(response) and "30.11.2026" not in part(response)


def test_customers_never_see_each_others_list(client, customer, account, reason, sverdlovsk):
    other_account = make_account(sverdlovsk, "660100000002", house="7")
    other = make_customer("+79120000002", other_account)
    mine = make_appeal(customer, account, reason, files=0)
    theirs = make_appeal(other, other_account, reason, files=0)
    for kept in (False, True):  # drawn, then each from the cache
        for who, own, not_own in ((customer, mine, theirs), (other, theirs, mine)):
            customer_login(client, who)
            response = client.get(APPEALS)
            assert drawn(response) is not kept
            assert own.number in part(response) and not_own.number not in part(response)


def test_customers_without_appeals_each_get_their_empty_state(client, customer, account, reason, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="7"))
    third_account = make_account(sverdlovsk, "660100000003", house="9")
    third = make_customer("+79120000003", third_account)
    theirs = make_appeal(third, third_account, reason, files=0)
    for kept in (False, True):
        for who in (third, customer, other):
            customer_login(client, who)
            for query, empty in (("", "У вас пока нет обращений."), ("?status=new", "в состоянии «Новое» нет.")):
                response = client.get(APPEALS + query)
                assert drawn(response) is not kept
                if who == third:
                    assert theirs.number in part(response) and "empty-state" not in part(response)
                else:
                    assert empty in part(response) and theirs.number not in part(response)
