"""Who enters the back office, and what each employee sees: only their regions' appeals."""

from urllib.parse import urlencode

from django.urls import reverse
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.core.models import AuditEvent
from kabinet.identity.models import User
from tests.factories import (
    PASSWORD,
    customer_login,
    id_patterns,
    login_url,
    make_account,
    make_appeal,
    make_customer,
    make_online_payment,
    make_staff,
    redirected_to,
    staff_login,
    verify_session,
)

LOGIN = reverse("backoffice:login")
QUEUE = reverse("backoffice:queue")


def sent_to_login(path: str) -> str:
    """Where the back office sends anyone without a staff session: its own sign-in, then back."""
    return f"{LOGIN}?{urlencode({'next': path})}"


def test_staff_sign_in_by_email(client, operator):
    response = client.post(LOGIN, {"identifier": "Operator@Example.ru", "password": PASSWORD})
    assert response["Location"] == reverse("backoffice:queue")
    verify_session(client, operator.user)
    assert client.get(reverse("backoffice:queue")).status_code == 200


def test_customer_credentials_do_not_open_the_back_office(client, customer):
    response = client.post(LOGIN, {"identifier": "+79120000001", "password": PASSWORD})
    assert response.status_code == 400
    assert "Бэк-офис открыт только сотрудникам" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_customer_is_sent_to_the_staff_login(client, customer):
    customer_login(client, customer)
    response = client.get(QUEUE)
    assert redirected_to(response) == sent_to_login(QUEUE)
    assert "Вы вошли как клиент" in client.get(response["Location"]).content.decode()


def test_staff_login_is_rate_limited(client, operator, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    for _ in range(3):
        client.post(LOGIN, {"identifier": "operator@example.ru", "password": "wrong"})
    response = client.post(LOGIN, {"identifier": "operator@example.ru", "password": PASSWORD})
    assert response.status_code == 429 and "Повторите после" in response.content.decode()


def test_next_stays_inside_the_back_office(client, operator):
    target = reverse("backoffice:queue") + "?status=new"
    response = client.post(LOGIN + "?next=" + target, {"identifier": "operator@example.ru", "password": PASSWORD})
    assert response["Location"] == target
    client.logout()
    response = client.post(
        LOGIN + "?next=https://evil.example/", {"identifier": "operator@example.ru", "password": PASSWORD}
    )
    assert response["Location"] == reverse("backoffice:queue")


@pytest.fixture
def perm_appeal(perm, reason):
    account = make_account(perm, "5900012345")
    return make_appeal(make_customer("+79120000005", account), account, reason)


@pytest.fixture
def perm_payment(perm_appeal):
    return make_online_payment(perm_appeal.account, "1500.00")


BACKOFFICE_IDS = id_patterns("backoffice")


def test_every_id_url_is_in_the_isolation_test():
    assert {kwargs for _, kwargs in [(n, frozenset(k)) for n, k in BACKOFFICE_IDS]} <= {
        frozenset({"pk"}),
        frozenset({"pk", "attachment_id"}),
        frozenset({"public_id"}),
    }
    assert len(BACKOFFICE_IDS) >= 9


@pytest.mark.parametrize(("name", "kwargs"), BACKOFFICE_IDS, ids=[n for n, _ in BACKOFFICE_IDS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_regions_appeal_is_404(staff_client, perm_appeal, perm_payment, name, kwargs, method):
    values = {
        "pk": perm_appeal.pk,
        "attachment_id": perm_appeal.attachments.get().pk,
        "public_id": perm_payment.public_id,
    }
    url = reverse(name, kwargs={k: values[k] for k in kwargs})
    status = getattr(staff_client, method)(url, {"text": "x", "status": "closed", "assignee": 1}).status_code
    assert status in (404, 405)
    if status == 405:  # the method is not offered at all; a permitted employee gets the same
        supervisor = make_staff("sup@example.ru", StaffRole.Role.SUPERVISOR, perm_appeal.region)
        staff_login(staff_client, supervisor.user)
        assert getattr(staff_client, method)(url).status_code == 405
    assert not perm_appeal.events.exclude(kind="created").exists()
    assert not perm_payment.refunds.exists()


def test_customer_cannot_reach_any_back_office_url(client, customer, perm_appeal, perm_payment):
    customer_login(client, customer)
    values = {"pk": perm_appeal.pk, "attachment_id": 1, "public_id": perm_payment.public_id}
    for name, kwargs in BACKOFFICE_IDS:
        url = reverse(name, kwargs={k: values[k] for k in kwargs})
        # A POST cannot be repeated after the login: it leads back to the queue (no Referer).
        for response, back in ((client.get(url), url), (client.post(url), QUEUE)):
            assert response.status_code == 405 or redirected_to(response) == sent_to_login(back), name


def test_queue_lists_only_the_employees_regions(staff_client, customer, account, reason, perm_appeal):
    own = make_appeal(customer, account, reason)
    page = staff_client.get(reverse("backoffice:queue")).content.decode()
    assert own.number in page and perm_appeal.number not in page


# --- Staff use their own doors (issue 11, point 8) ------------------------------------------
CUSTOMER_LOGIN = reverse("portal:login")


def post_customer_login(client, identifier, password=PASSWORD, region=None):
    return client.post(CUSTOMER_LOGIN, {"identifier": identifier, "password": password, "region": region.pk})


def test_an_operator_is_refused_at_the_customer_login_like_a_wrong_password(client, operator, sverdlovsk):
    response = post_customer_login(client, "operator@example.ru", region=sverdlovsk)
    assert response.status_code == 200
    assert "Неверный логин или пароль" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert redirected_to(client.get(QUEUE)) == sent_to_login(QUEUE)
    failed = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert failed.identifier == "operator@example.ru" and failed.details["reason"] == "not_allowed"


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_admins_are_refused_at_the_customer_login(client, customer, sverdlovsk, flag):
    User.objects.filter(pk=customer.pk).update(**{flag: True})
    response = post_customer_login(client, "+79120000001", region=sverdlovsk)
    assert "Неверный логин или пароль" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_operators_tries_at_the_customer_login_count_against_them(client, operator, sverdlovsk, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    post_customer_login(client, "operator@example.ru", region=sverdlovsk)  # right password, wrong door
    post_customer_login(client, "operator@example.ru", "wrong", region=sverdlovsk)
    client.post(LOGIN, {"identifier": "operator@example.ru", "password": "wrong"})
    response = client.post(LOGIN, {"identifier": "operator@example.ru", "password": PASSWORD})
    assert response.status_code == 429 and "Повторите после" in response.content.decode()


def test_a_session_from_the_customer_login_does_not_open_the_back_office(client, customer, sverdlovsk):
    """A customer signed in at /login/ is made an employee: their session still came through
    the customers' door, so the back office asks them to sign in at its own."""
    assert redirected_to(post_customer_login(client, "+79120000001", region=sverdlovsk)) == reverse("portal:home")
    StaffRole.objects.create(user=customer, role=StaffRole.Role.OPERATOR).regions.add(sverdlovsk)
    assert redirected_to(client.get(QUEUE)) == sent_to_login(QUEUE)
    response = client.post(LOGIN, {"identifier": "+79120000001", "password": PASSWORD})
    assert response["Location"] == reverse("backoffice:queue")
    verify_session(client, customer)
    assert client.get(reverse("backoffice:queue")).status_code == 200


def test_a_session_without_the_back_office_door_is_sent_to_its_login(client, operator):
    customer_login(client, operator.user)
    assert redirected_to(client.get(QUEUE)) == sent_to_login(QUEUE)


def test_a_back_office_session_does_not_open_the_customer_pages(client, operator, customer, sverdlovsk):
    """The other direction: staff use their own doors only, so an operator signed in at the back
    office (who is also a customer here) reaches no customer page with that session."""
    operator.user.account_links.create(account=make_account(sverdlovsk, "660100000055"))
    staff_login(client, operator.user)
    for name in ("portal:home", "portal:profile", "portal:appeals", "portal:password"):
        path = reverse(name)
        assert redirected_to(client.get(path)) == login_url(path)
    page = client.get(login_url(reverse("portal:home"))).content.decode()
    assert "Вы вошли как сотрудник" in page
    assert "Разделы кабинета" not in page  # no customer's menu or sections in the header
    assert client.get(QUEUE).status_code == 200  # the back office itself still works


def test_an_admin_site_session_does_not_open_the_customer_pages(client, customer):
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    client.post(reverse("admin:login"), {"username": "+79120000001", "password": PASSWORD})
    verify_session(client, customer)
    assert client.get(reverse("admin:index")).status_code == 200
    assert redirected_to(client.get(reverse("portal:home"))) == login_url(reverse("portal:home"))


@pytest.mark.parametrize("action", ["take", "reply", "note", "status", "reassign"])
def test_a_post_only_action_from_an_expired_session_returns_to_the_appeal(client, operator, action):
    appeal_page = reverse("backoffice:appeal", args=[7])
    response = client.post(reverse(f"backoffice:{action}", args=[7]), HTTP_REFERER=f"http://testserver{appeal_page}")
    assert redirected_to(response) == sent_to_login(appeal_page)
    data = {"identifier": "operator@example.ru", "password": PASSWORD, "next": appeal_page}
    assert redirected_to(client.post(LOGIN, data)) == appeal_page


@pytest.mark.parametrize("referer", [None, "https://evil.example/backoffice/appeals/7/"])
def test_without_a_referer_of_this_site_the_action_returns_to_the_queue(client, db, referer):
    headers = {"HTTP_REFERER": referer} if referer else {}
    assert redirected_to(client.post(reverse("backoffice:take", args=[7]), **headers)) == sent_to_login(QUEUE)


def test_a_session_from_before_the_doors_does_not_open_the_back_office(client, operator):
    client.force_login(operator.user)  # no door noted
    assert redirected_to(client.get(QUEUE)) == sent_to_login(QUEUE)


ADMIN = reverse("admin:index")


@pytest.mark.parametrize("door", ["back office", "customers", "none"])
def test_the_admin_site_wants_its_own_sign_in(client, customer, door):
    """An is_staff user signed in at another door (or before doors) is asked to sign in at the
    admin's; signing in there opens it."""
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    user = User.objects.get(pk=customer.pk)
    if door == "back office":
        staff_login(client, user)
    elif door == "customers":
        customer_login(client, user)
    else:
        client.force_login(user)
    assert redirected_to(client.get(ADMIN)).startswith(reverse("admin:login"))
    client.post(reverse("admin:login"), {"username": "+79120000001", "password": PASSWORD})
    verify_session(client, user)
    assert client.get(ADMIN).status_code == 200
