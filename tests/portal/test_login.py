"""Login by account number, phone and e-mail (G3), the G9/G10 messages, lockout."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from kabinet.billing.models import Region
from kabinet.core.models import AuditEvent
from kabinet.identity.models import User
from tests.factories import INVALID_LOGIN as INVALID
from tests.factories import PASSWORD, login_url, make_account, make_customer, post_login, redirected_to

LOGIN = reverse("portal:login")
HOME = reverse("portal:home")


@pytest.mark.parametrize(
    "identifier", ["660100000001", "+7 (912) 000-00-01", "89120000001", "79120000001", "ANNA@example.ru"]
)
def test_login_with_each_kind_of_identifier(client, customer, sverdlovsk, identifier):
    response = post_login(client, identifier, region=sverdlovsk)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).context["user"] == customer
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, user=customer).exists()


def test_session_key_rotates_at_login(client, customer, sverdlovsk):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    post_login(client, "+79120000001", region=sverdlovsk)
    assert client.session.session_key != before


@pytest.mark.parametrize("identifier", ["+79120000001", "nobody@example.ru", "+79120009999"])
def test_wrong_password_or_unknown_user_gives_one_message(client, customer, sverdlovsk, identifier):
    response = post_login(client, identifier, password="wrong-password", region=sverdlovsk)
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_account_number_in_another_region_is_object_not_found(client, customer, perm):
    response = post_login(client, "6601000000", region=perm)
    assert "Объект не найден" in response.content.decode()


def test_closed_account_shows_not_served_only_after_password(client, sverdlovsk):
    new = make_account(sverdlovsk, "660100000002")
    old = make_account(sverdlovsk, "660100000003", status="closed", replaced_by=new)
    make_customer("+79120000002", old)
    wrong = post_login(client, "660100000003", password="nope-nope-nope", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается" not in wrong and INVALID in wrong
    right = post_login(client, "660100000003", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается/Учетная запись заблокирована" in right
    assert "номер телефона или e-mail" in right
    assert "_auth_user_id" not in client.session


def test_blocked_user_shows_not_served(client, sverdlovsk, account):
    make_customer("+79120000005", account, is_active=False)
    page = post_login(client, "+79120000005", region=sverdlovsk).content.decode()
    assert "Абонент не обслуживается/Учетная запись заблокирована" in page


def test_registry_unavailable_shows_object_not_found_with_contacts(client, customer, sverdlovsk, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    page = post_login(client, "660100000001", region=sverdlovsk).content.decode()
    assert "Объект не найден" in page
    assert "8-800-700-10-32" in page and sverdlovsk.feedback_url in page
    # Phone and e-mail logins do not need the registry.
    assert redirected_to(post_login(client, "+79120000001", region=sverdlovsk)) == HOME


def test_lockout_after_ten_failures_says_until_when(client, customer, sverdlovsk):
    for _ in range(9):
        assert post_login(client, "+79120000001", "bad-password-1", sverdlovsk).status_code == 200
    locked = post_login(client, "+79120000001", "bad-password-1", sverdlovsk)
    assert locked.status_code == 429
    assert "Повторите после" in locked.content.decode()
    # Even the right password is refused while locked.
    assert post_login(client, "+79120000001", region=sverdlovsk).status_code == 429
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCKED).count() == 1


def test_form_keeps_identifier_and_region_after_error(client, customer, perm):
    page = post_login(client, "+79120000001", "bad-password-1", perm).content.decode()
    assert 'value="+79120000001"' in page
    assert f'<option value="{perm.pk}" selected>' in page


def test_logout_requires_post_and_ends_session(client, customer, sverdlovsk):
    post_login(client, "+79120000001", region=sverdlovsk)
    assert client.get(reverse("portal:logout")).status_code == 405
    client.post(reverse("portal:logout"))
    assert redirected_to(client.get(HOME)) == login_url(HOME)  # signed out: home asks to log in again


def test_next_parameter_is_followed_only_on_this_host(client, customer, sverdlovsk):
    data = {"identifier": "+79120000001", "password": PASSWORD, "region": sverdlovsk.pk}
    assert client.post(LOGIN + "?next=/profile/", data)["Location"] == "/profile/"
    client.post(reverse("portal:logout"))
    assert client.post(LOGIN + "?next=https://evil.example/", data)["Location"] == reverse("portal:home")


def test_admin_login_is_rate_limited(client, db):
    User.objects.create_superuser("+79990000000", "Admin-pass-2026")
    for _ in range(10):
        client.post("/admin/login/", {"username": "+79990000000", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "+79990000000", "password": "Admin-pass-2026"})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED, identifier="+79990000000").count() == 10


# --- Identifiers normalised before counting; one person, one count (issue 11, points 2–3) --------
@pytest.mark.parametrize("variant", [" +79990000000", "+79990000000 ", "\t+79990000000", "8 999 000-00-00"])
def test_admin_lock_holds_for_every_spelling_of_the_name(client, db, variant):
    User.objects.create_superuser("+79990000000", "Admin-pass-2026")
    for _ in range(10):
        client.post("/admin/login/", {"username": "+79990000000", "password": "wrong"})
    response = client.post("/admin/login/", {"username": variant, "password": "Admin-pass-2026"})
    assert response.status_code == 429
    assert "Слишком много неудачных попыток. Повторите после" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_failures_in_other_spellings_add_up(client, db):
    User.objects.create_superuser("+79990000000", "Admin-pass-2026")
    for variant in [" +79990000000", "+79990000000 ", "\t+79990000000", "+7 999 000 00 00", "89990000000"] * 2:
        client.post("/admin/login/", {"username": variant, "password": "wrong"})
    assert client.post("/admin/login/", {"username": "+79990000000", "password": "Admin-pass-2026"}).status_code == 429


def test_admin_login_still_signs_in_and_is_recorded(client, db):
    admin = User.objects.create_superuser("+79990000000", "Admin-pass-2026")
    response = client.post("/admin/login/?next=/admin/", {"username": " +79990000000 ", "password": "Admin-pass-2026"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, user=admin, details__site="admin").exists()


def test_admin_refuses_a_customer_like_a_wrong_password(client, customer):
    page = client.post("/admin/login/", {"username": "+79120000001", "password": PASSWORD}).content.decode()
    assert "_auth_user_id" not in client.session
    assert "errornote" in page


@pytest.fixture
def anna(sverdlovsk, customer):
    """Анна: a phone, an e-mail and two personal accounts — four identifiers, one person."""
    second = make_account(sverdlovsk, "660100000009")
    customer.account_links.create(account=second)
    return customer


ANNA = ["+79120000001", "anna@example.ru", "660100000001", "660100000009"]


def test_ten_guesses_spread_over_annas_identifiers_lock_her(client, anna, sverdlovsk):
    statuses = [post_login(client, ANNA[i % 4], "bad-password-1", sverdlovsk).status_code for i in range(10)]
    assert statuses == [200] * 9 + [429]
    for identifier in ANNA:  # the right password, whichever identifier
        response = post_login(client, identifier, region=sverdlovsk)
        assert response.status_code == 429, identifier
        assert "Повторите после" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_tries_refused_by_the_person_s_lock_do_not_fill_the_address_s_count(anna, sverdlovsk, settings):
    """A refused try checks nothing: like a try at a locked identifier, it does not count against
    the address, where many customers of one mobile carrier may share it."""
    settings.KABINET_FAILURES_PER_IP = 3
    for i in range(10):  # the person locked, each guess from its own address
        post_login(Client(REMOTE_ADDR=f"10.0.1.{i}"), ANNA[i % 4], "bad-password-1", sverdlovsk)
    shared = Client(REMOTE_ADDR="10.0.2.1")
    for identifier in ANNA:
        assert post_login(shared, identifier, region=sverdlovsk).status_code == 429
    make_customer("+79120000005", make_account(sverdlovsk, "660100000005"), first_name="Борис")
    assert redirected_to(post_login(shared, "+79120000005", region=sverdlovsk)) == HOME


def test_the_person_count_is_shared_with_the_staff_doors(client, anna, sverdlovsk):
    """Guesses at the back office and the admin site count against the same person."""
    for _ in range(4):
        post_login(client, "anna@example.ru", "bad-password-1", sverdlovsk)
    for _ in range(3):
        client.post(reverse("backoffice:login"), {"identifier": "+79120000001", "password": "bad-password-1"})
    for _ in range(3):
        client.post("/admin/login/", {"username": "+79120000001", "password": "bad-password-1"})
    assert post_login(client, "660100000009", region=sverdlovsk).status_code == 429


def test_a_success_forgets_the_person_s_failures(client, anna, sverdlovsk):
    for _ in range(9):
        post_login(client, "660100000009", "bad-password-1", sverdlovsk)
    assert redirected_to(post_login(client, "anna@example.ru", region=sverdlovsk)) == HOME
    client.post(reverse("portal:logout"))
    for _ in range(9):
        assert post_login(client, "+79120000001", "bad-password-1", sverdlovsk).status_code == 200


def test_a_password_reset_lifts_the_person_s_lock(client, anna, sverdlovsk):
    from kabinet.identity.recovery import set_new_password

    for i in range(10):
        post_login(client, ANNA[i % 4], "bad-password-1", sverdlovsk)
    assert post_login(client, "anna@example.ru", region=sverdlovsk).status_code == 429
    set_new_password(anna, "New-Ural-energy-2027", "10.0.0.9", channel="sms")
    assert redirected_to(post_login(client, "660100000009", "New-Ural-energy-2027", sverdlovsk)) == HOME


def test_unknown_account_numbers_count_only_against_the_address(client, customer, sverdlovsk, settings):
    settings.KABINET_FAILURES_PER_IP = 3
    for _ in range(2):
        assert "Объект не найден" in post_login(client, "660199999999", region=sverdlovsk).content.decode()
    assert post_login(client, "660199999999", region=sverdlovsk).status_code == 429
    client.defaults["REMOTE_ADDR"] = "10.0.0.2"  # another address: the number itself is not locked
    assert "Объект не найден" in post_login(client, "660199999999", region=sverdlovsk).content.decode()


def test_successful_logins_do_not_fill_the_address_s_count(client, db, sverdlovsk, settings):
    """Many customers share a mobile carrier's address: only failures count against it."""
    settings.KABINET_FAILURES_PER_IP = 3
    for i in range(5):
        make_customer(f"+7912000010{i}")
        assert redirected_to(post_login(client, f"+7912000010{i}", region=sverdlovsk)) == HOME
        client.post(reverse("portal:logout"))


class TestDoorsAfterReview:
    """Issue 11, point 8, as reviewed: sessions from before the doors, the employee's notice,
    and where a POST-only action from an expired session leads after the login."""

    def test_a_session_from_before_the_doors_is_still_a_customers(self, client, customer):
        client.force_login(customer)  # no door noted: opened before doors existed
        assert client.get(HOME).status_code == 200
        assert redirected_to(client.get(LOGIN)) == HOME
        assert "Вы вошли как сотрудник" not in client.get(reverse("portal:profile")).content.decode()

    def test_a_door_less_session_of_an_employee_opens_nothing(self, client, sverdlovsk):
        from kabinet.appeals.models import StaffRole
        from tests.factories import make_staff

        operator = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)
        client.force_login(operator.user)
        assert redirected_to(client.get(HOME)) == login_url(HOME)
        assert "Вы вошли как сотрудник" in client.get(LOGIN).content.decode()
        assert redirected_to(client.get(reverse("backoffice:queue"))).startswith(reverse("backoffice:login"))

    def test_the_employee_is_told_to_log_out_and_can(self, client, sverdlovsk):
        from kabinet.appeals.models import StaffRole
        from tests.factories import make_staff, staff_login

        staff_login(client, make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user)
        page = client.get(LOGIN).content.decode()
        notice = "Вы вошли как сотрудник. Личный кабинет открыт только клиентам: выйдите и войдите как клиент."
        assert notice in page
        assert f'action="{reverse("portal:logout")}"' in page and ">Выйти</button>" in page
        assert redirected_to(client.post(reverse("portal:logout"))) == LOGIN
        assert "Вы вошли как сотрудник" not in client.get(LOGIN).content.decode()

    @pytest.mark.parametrize("name", ["tour_done", "names", "email", "email_resend", "phone_resend"])
    def test_a_post_only_action_returns_to_the_page_it_was_sent_from(self, client, customer, sverdlovsk, name):
        profile = reverse("portal:profile")
        response = client.post(reverse(name.join(["portal:", ""])), HTTP_REFERER=f"http://testserver{profile}")
        assert redirected_to(response) == login_url(profile)
        data = {"identifier": "+79120000001", "password": PASSWORD, "region": sverdlovsk.pk, "next": profile}
        assert redirected_to(client.post(LOGIN, data)) == profile
        assert client.get(profile).status_code == 200

    @pytest.mark.parametrize("referer", [None, "https://evil.example/profile/", "http://testserver"])
    def test_without_a_referer_of_this_site_the_action_returns_home(self, client, db, referer):
        headers = {"HTTP_REFERER": referer} if referer else {}
        assert redirected_to(client.post(reverse("portal:names"), **headers)) == login_url(HOME)

    def test_a_get_still_returns_to_itself(self, client, db):
        path = reverse("portal:profile")
        assert redirected_to(client.get(path, HTTP_REFERER="http://testserver/home/")) == login_url(path)


def test_the_form_reads_the_regions_once_and_selects_the_default(client, sverdlovsk, perm):
    """Django's select would read a ModelChoiceField's regions twice, and the initial region a
    third time: the form reads them once (the footer's contact centre reads its own)."""
    Region.objects.update(is_default=False)
    Region.objects.filter(pk=perm.pk).update(is_default=True)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("portal:login")).content.decode()
    assert sum("billing_region" in q["sql"] for q in queries.captured_queries) == 2
    assert f'<option value="{perm.pk}" selected>' in page
