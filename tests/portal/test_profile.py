"""The profile (G12): names, e-mail confirmed by link, phone confirmed by SMS, password,
personal accounts; and that one customer cannot reach another's."""

from datetime import timedelta
import hashlib
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity.models import AccountLink, EmailConfirmation, User
from tests.factories import PASSWORD, customer_login, login_url, make_account, make_customer, redirected_to

PROFILE = reverse("portal:profile")


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def link_path(body: str) -> str:
    return "/" + re.search(r"https?://[^/\s]+/(\S+)", body).group(1)


def test_header_shows_name_and_links_to_profile(signed_in):
    page = signed_in.get(reverse("portal:home")).content.decode()
    assert "Анна Иванова" in page and reverse("portal:profile") in page


def test_names_are_saved(signed_in, customer):
    signed_in.post(reverse("portal:names"), {"first_name": "Мария", "last_name": "Петрова"})
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Мария", "Петрова")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PROFILE_CHANGED, user=customer).exists()


def test_email_counts_only_after_the_link(signed_in, customer, mailbox):
    response = signed_in.post(reverse("portal:email"), {"email": "New@Example.ru"})
    assert redirected_to(response) == PROFILE
    customer.refresh_from_db()
    assert customer.email == "anna@example.ru"
    assert mailbox()[0].to == ["new@example.ru"]
    signed_in.get(link_path(mailbox()[0].body))
    customer.refresh_from_db()
    assert customer.email == "new@example.ru"


def test_email_of_another_user_is_refused_at_the_field(signed_in, sverdlovsk, mailbox):
    make_customer("+79120000002", make_account(sverdlovsk, "660100000002"), email="boris@example.ru")
    response = signed_in.post(reverse("portal:email"), {"email": "BORIS@example.ru"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Повторная регистрация на этот e-mail невозможна" in page and 'value="BORIS@example.ru"' in page
    assert mailbox() == []


def test_tampered_email_link_is_refused(signed_in, customer, mailbox):
    signed_in.post(reverse("portal:email"), {"email": "new@example.ru"})
    path = link_path(mailbox()[0].body)
    assert signed_in.get(path[:-3] + "xyz/").status_code == 400
    customer.refresh_from_db()
    assert customer.email == "anna@example.ru"


def test_phone_change_needs_the_code_from_the_new_number(signed_in, customer, outbox):
    response = signed_in.post(reverse("portal:phone"), {"phone": "+7 912 777-77-77"})
    assert response["Location"] == reverse("portal:phone_confirm")
    customer.refresh_from_db()
    assert customer.phone == "+79120000001"
    signed_in.post(reverse("portal:phone_confirm"), {"code": outbox.last_code("+79127777777")})
    customer.refresh_from_db()
    assert customer.phone == "+79127777777"


def test_phone_of_another_user_is_refused(signed_in, sverdlovsk):
    make_customer("+79120000002")
    response = signed_in.post(reverse("portal:phone"), {"phone": "+79120000002"})
    assert "Этот телефон уже указан" in response.content.decode()


def test_password_change_keeps_this_session_and_ends_others(signed_in, customer):
    other = Client()
    customer_login(other, customer)
    data = {"old_password": PASSWORD, "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
    assert redirected_to(signed_in.post(reverse("portal:password"), data)) == PROFILE
    assert signed_in.get(reverse("portal:home")).status_code == 200
    assert redirected_to(other.get(reverse("portal:home"))) == login_url(reverse("portal:home"))


def test_wrong_current_password_is_said_at_the_field(signed_in):
    data = {"old_password": "wrong-one", "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
    page = signed_in.post(reverse("portal:password"), data).content.decode()
    assert "Текущий пароль указан неверно" in page


def test_add_and_remove_account(signed_in, customer, sverdlovsk):
    make_account(sverdlovsk, "660100000077", house="7б")
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000077", "house": "7 Б", "region": sverdlovsk.pk}
    )
    assert redirected_to(response) == PROFILE
    link = AccountLink.objects.get(account__number="660100000077")
    assert link.user == customer
    assert "660100000077" in signed_in.get(reverse("portal:home")).content.decode()
    signed_in.post(reverse("portal:remove_account", args=[link.pk]))
    assert not AccountLink.objects.filter(pk=link.pk).exists()


def test_add_account_errors_keep_input(signed_in, sverdlovsk, account):
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000001", "house": "12а", "region": sverdlovsk.pk}
    )
    assert "уже есть в вашем профиле" in response.content.decode()
    make_account(sverdlovsk, "660100000078", house="8")
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000078", "house": "9", "region": sverdlovsk.pk}
    )
    page = response.content.decode()
    assert "Номер дома не совпадает" in page and 'value="660100000078"' in page


class TestIsolation:
    """One customer can neither see nor change another customer's profile or accounts."""

    @pytest.fixture
    def boris(self, sverdlovsk):
        return make_customer(
            "+79120000002",
            make_account(sverdlovsk, "660100000002", house="2"),
            email="boris@example.ru",
            first_name="Борис",
            last_name="Смирнов",
        )

    def test_pages_show_only_own_data(self, signed_in, boris):
        for name in ["portal:home", "portal:profile"]:
            page = signed_in.get(reverse(name)).content.decode()
            assert "660100000001" in page
            assert "660100000002" not in page and "Смирнов" not in page and "boris@example.ru" not in page

    def test_cannot_remove_another_users_account(self, signed_in, boris):
        link = boris.account_links.get()
        assert signed_in.post(reverse("portal:remove_account", args=[link.pk])).status_code == 404
        assert AccountLink.objects.filter(pk=link.pk).exists()

    def test_cannot_claim_another_users_account(self, signed_in, boris, sverdlovsk):
        data = {"account_number": "660100000002", "house": "2", "region": sverdlovsk.pk}
        assert "уже зарегистрирован" in signed_in.post(reverse("portal:add_account"), data).content.decode()
        assert boris.account_links.count() == 1

    def test_email_link_works_only_in_the_session_of_its_user(self, signed_in, customer, boris, mailbox):
        boris_client = Client()
        customer_login(boris_client, boris)
        boris_client.post(reverse("portal:email"), {"email": "boris.new@example.ru"})
        path = link_path(mailbox()[0].body)
        response = signed_in.get(path)
        assert response.status_code == 400 and "для другой учётной записи" in response.content.decode()
        customer.refresh_from_db()
        boris.refresh_from_db()
        assert customer.email == "anna@example.ru" and boris.email == "boris@example.ru"
        # Anna's attempt did not spend Boris's link.
        boris_client.get(path)
        boris.refresh_from_db()
        assert boris.email == "boris.new@example.ru"

    def test_phone_code_of_another_user_is_useless(self, signed_in, customer, boris, outbox):
        boris_client = Client()
        customer_login(boris_client, boris)
        boris_client.post(reverse("portal:phone"), {"phone": "+79125555555"})
        # The session of Anna holds no pending change, so the confirm page sends her back.
        assert signed_in.post(reverse("portal:phone_confirm"), {"code": outbox.last_code("+79125555555")})[
            "Location"
        ] == reverse("portal:phone")
        assert User.objects.get(pk=boris.pk).phone == "+79120000002"

    def test_anonymous_is_sent_to_login(self, client, db):
        for name in ["portal:home", "portal:profile", "portal:phone", "portal:password", "portal:add_account"]:
            assert redirected_to(client.get(reverse(name))) == login_url(reverse(name))


class TestEmailLinks:
    """Issue 11, point 1: a confirmation link is single use, for its user and address only,
    short-lived, and voided by a newer request and by a password change."""

    def ask(self, client, address: str, mailbox) -> str:
        assert redirected_to(client.post(reverse("portal:email"), {"email": address})) == PROFILE
        return link_path(mailbox()[-1].body)

    def test_the_takeover_through_an_old_link_is_closed(self, signed_in, customer, sverdlovsk, mailbox):
        stranger_link = self.ask(signed_in, "stranger@example.org", mailbox)
        own_link = self.ask(signed_in, "petr.real@example.ru", mailbox)
        assert redirected_to(signed_in.get(own_link)) == PROFILE
        # Later the stranger opens the first link: without the customer's session, only the login page…
        stranger = Client()
        response = stranger.get(stranger_link)
        assert redirected_to(response) == login_url(stranger_link)
        # …and even in the customer's own session the link is dead (a newer request voided it).
        assert signed_in.get(stranger_link).status_code == 400
        customer.refresh_from_db()
        assert customer.email == "petr.real@example.ru"
        # «Забыли пароль?» with the stranger's address hands over nothing.
        mailbox().clear()
        stranger.post(reverse("portal:recover"), {"contact": "stranger@example.org"})
        assert mailbox() == []

    def test_an_older_link_dies_when_a_newer_is_asked_for(self, signed_in, customer, mailbox):
        first = self.ask(signed_in, "first@example.ru", mailbox)
        self.ask(signed_in, "second@example.ru", mailbox)
        response = signed_in.get(first)
        assert response.status_code == 400 and "больше не действует" in response.content.decode()
        customer.refresh_from_db()
        assert customer.email == "anna@example.ru"

    def test_a_link_works_once(self, signed_in, customer, mailbox):
        link = self.ask(signed_in, "new@example.ru", mailbox)
        assert redirected_to(signed_in.get(link)) == PROFILE
        signed_in.post(reverse("portal:email"), {"email": "other@example.ru"})  # nothing to do with it
        customer.refresh_from_db()
        customer.email = "anna@example.ru"
        customer.save(update_fields=["email"])
        assert signed_in.get(link).status_code == 400
        customer.refresh_from_db()
        assert customer.email == "anna@example.ru"

    def test_a_password_change_voids_the_link(self, signed_in, customer, mailbox):
        link = self.ask(signed_in, "new@example.ru", mailbox)
        data = {"old_password": PASSWORD, "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
        assert redirected_to(signed_in.post(reverse("portal:password"), data)) == PROFILE
        assert signed_in.get(link).status_code == 400
        customer.refresh_from_db()
        assert customer.email == "anna@example.ru"
        assert "Ожидает подтверждения" not in signed_in.get(reverse("portal:profile")).content.decode()

    def test_a_password_reset_voids_the_link(self, signed_in, customer, mailbox, outbox):
        link = self.ask(signed_in, "new@example.ru", mailbox)
        other = Client()
        other.post(reverse("portal:recover"), {"contact": "+79120000001"})
        other.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
        new = {"password": "Novyi-parol-2026", "password2": "Novyi-parol-2026"}
        assert redirected_to(other.post(reverse("portal:set_password"), new)) == reverse("portal:login")
        customer_login(signed_in, User.objects.get(pk=customer.pk))
        assert signed_in.get(link).status_code == 400
        customer.refresh_from_db()
        assert customer.email == "anna@example.ru"

    def test_a_hash_upgraded_at_login_is_no_password_change(self, signed_in, customer, sverdlovsk, mailbox):
        """Logging in with an old portal's hash rewrites the hash, not the password: the link lives."""
        link = self.ask(signed_in, "new@example.ru", mailbox)
        legacy = "legacy_md5$" + hashlib.md5(PASSWORD.encode()).hexdigest()
        User.objects.filter(pk=customer.pk).update(password=legacy)
        fresh = Client()
        login = {"identifier": "+79120000001", "password": PASSWORD, "region": sverdlovsk.pk}
        assert redirected_to(fresh.post(reverse("portal:login"), login)) == reverse("portal:home")
        assert User.objects.get(pk=customer.pk).password.startswith("argon2")
        assert redirected_to(fresh.get(link)) == PROFILE
        customer.refresh_from_db()
        assert customer.email == "new@example.ru"

    def test_any_new_password_voids_the_links_the_admin_site_too(self, customer, mailbox):
        from kabinet.identity import email_confirmation

        email_confirmation.send_link(customer, "new@example.ru", "10.0.0.1")
        customer.set_password("Admin-set-2026")  # as the admin's «Изменить пароль» does
        customer.save()
        assert email_confirmation.pending(customer) is None

    def test_a_link_expires(self, signed_in, customer, mailbox, settings):
        link = self.ask(signed_in, "new@example.ru", mailbox)
        assert "действует 24 часа" in mailbox()[-1].body
        row = EmailConfirmation.objects.get(user=customer)
        assert row.expires_at - row.created_at == settings.KABINET_EMAIL_CONFIRM_MAX_AGE == timedelta(hours=24)
        EmailConfirmation.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        response = signed_in.get(link)
        assert response.status_code == 400 and "Срок действия ссылки истёк" in response.content.decode()
        customer.refresh_from_db()
        assert customer.email == "anna@example.ru"

    def test_only_a_hash_of_the_token_is_stored(self, signed_in, customer, mailbox):
        link = self.ask(signed_in, "new@example.ru", mailbox)
        token = link.rstrip("/").rsplit("/", 1)[1]
        row = EmailConfirmation.objects.get(user=customer)
        assert row.address == "new@example.ru" and token not in row.token_hash

    def test_pending_address_is_shown_and_its_link_sent_again(self, signed_in, customer, mailbox):
        first = self.ask(signed_in, "new@example.ru", mailbox)
        page = signed_in.get(reverse("portal:profile")).content.decode()
        assert "Ожидает подтверждения: <strong>new@<wbr>example<wbr>.ru</strong>" in page
        assert "Текущий e-mail: <strong>anna@<wbr>example<wbr>.ru</strong>" in page
        assert redirected_to(signed_in.post(reverse("portal:email_resend"))) == PROFILE
        assert [m.to for m in mailbox()] == [["new@example.ru"], ["new@example.ru"]]
        assert signed_in.get(first).status_code == 400  # the resend voided the first link
        assert redirected_to(signed_in.get(link_path(mailbox()[-1].body))) == PROFILE
        customer.refresh_from_db()
        assert customer.email == "new@example.ru"
        assert "Ожидает подтверждения" not in signed_in.get(reverse("portal:profile")).content.decode()

    def test_a_refused_link_has_its_own_page_back_to_the_profile(self, signed_in, customer, mailbox):
        first = self.ask(signed_in, "first@example.ru", mailbox)
        self.ask(signed_in, "second@example.ru", mailbox)
        response = signed_in.get(first)
        page = response.content.decode()
        assert response.status_code == 400 and "больше не действует" in page
        assert f'<a href="{PROFILE}">Вернуться в профиль</a>' in page
        assert "Восстановить пароль" not in page  # the password recovery's page said so
        assert ">Выйти</button>" not in page.split("</header>")[1]  # only the header's menu has it

    def test_another_users_link_offers_to_log_out_and_comes_back_as_its_user(self, signed_in, sverdlovsk, mailbox):
        boris = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"), email="boris@example.ru")
        boris_client = Client()
        customer_login(boris_client, boris)
        link = self.ask(boris_client, "boris.new@example.ru", mailbox)
        page = signed_in.get(link).content.decode().split("</header>")[1]
        assert "Выйдите и войдите в неё: ссылка откроется после входа." in page
        assert f'<input type="hidden" name="next" value="{link}">' in page and ">Выйти</button>" in page
        response = signed_in.post(reverse("portal:logout"), {"next": link})
        assert redirected_to(response) == login_url(link)
        login = {"identifier": "+79120000002", "password": PASSWORD, "region": sverdlovsk.pk, "next": link}
        assert redirected_to(signed_in.post(reverse("portal:login"), login)) == link
        assert redirected_to(signed_in.get(link)) == PROFILE
        boris.refresh_from_db()
        assert boris.email == "boris.new@example.ru"

    def test_logging_out_never_leads_off_the_site(self, signed_in):
        response = signed_in.post(reverse("portal:logout"), {"next": "https://evil.example/"})
        assert redirected_to(response) == reverse("portal:login")


class TestSecurityNotices:
    """Issue 11, point 1: a change of e-mail, phone or password is told to the old contacts."""

    def test_email_change_is_told_to_the_old_email_and_the_phone(self, signed_in, customer, mailbox, outbox):
        signed_in.post(reverse("portal:email"), {"email": "new@example.ru"})
        # The link goes to an address not yet confirmed, maybe a stranger's: no name in it.
        assert mailbox()[0].body.startswith("Здравствуйте!\n\n") and "Анна" not in mailbox()[0].body
        signed_in.get(link_path(mailbox()[0].body))
        notice = mailbox()[-1]
        assert notice.to == ["anna@example.ru"] and "В личном кабинете изменён e-mail" in notice.subject
        assert notice.body.startswith("Здравствуйте, Анна!\n\n"), "the address of record: by name"
        assert "8-800-700-10-32" in notice.body
        [sms] = [m for m in outbox.messages() if m["to"] == "+79120000001"]
        assert sms["text"].startswith("В личном кабинете изменён e-mail. Если это были не вы, позвоните")

    def test_phone_change_is_told_to_the_old_phone(self, signed_in, customer, outbox, mailbox):
        signed_in.post(reverse("portal:phone"), {"phone": "+7 912 777-77-77"})
        signed_in.post(reverse("portal:phone_confirm"), {"code": outbox.last_code("+79127777777")})
        [sms] = [m for m in outbox.messages() if m["to"] == "+79120000001"]
        assert "изменён телефон" in sms["text"] and "8-800-700-10-32" in sms["text"]
        assert [m.to for m in mailbox()] == [["anna@example.ru"]]

    def test_password_reset_is_told_to_phone_and_email(self, client, customer, outbox, mailbox):
        client.post(reverse("portal:recover"), {"contact": "+79120000001"})
        client.post(reverse("portal:recover_code"), {"code": outbox.last_code("+79120000001")})
        client.post(reverse("portal:set_password"), {"password": "Novyi-parol-2026", "password2": "Novyi-parol-2026"})
        assert "изменён пароль" in outbox.messages()[-1]["text"]
        assert "изменён пароль" in mailbox()[-1].subject


class TestContactLimits:
    """Issue 11, point 5: forms that say whether a contact is taken or mail an address are
    bounded per address, per user and per client address, with 429 and when to retry."""

    def test_probing_emails_gets_429(self, signed_in, sverdlovsk, settings):
        make_customer("+79120000002", email="boris@example.ru")
        statuses = [
            signed_in.post(reverse("portal:email"), {"email": "boris@example.ru"}).status_code
            for _ in range(settings.KABINET_CONTACT_USES_PER_ADDRESS + 1)
        ]
        assert statuses == [400] * settings.KABINET_CONTACT_USES_PER_ADDRESS + [429]
        page = signed_in.post(reverse("portal:email"), {"email": "boris@example.ru"}).content.decode()
        assert "Слишком много запросов. Повторите после" in page and 'value="boris@example.ru"' in page

    def test_probing_many_emails_is_bounded_per_user(self, signed_in, settings):
        statuses = [
            signed_in.post(reverse("portal:email"), {"email": f"probe{i}@example.ru"}).status_code
            for i in range(settings.KABINET_CONTACT_USES_PER_USER + 1)
        ]
        assert statuses[-1] == 429 and 429 not in statuses[:-1]

    def test_mail_to_one_address_is_bounded(self, signed_in, mailbox, settings):
        for _ in range(20):
            signed_in.post(reverse("portal:email"), {"email": "stranger@example.org"})
        sent = [m for m in mailbox() if m.to == ["stranger@example.org"]]
        assert len(sent) == settings.KABINET_CONTACT_USES_PER_ADDRESS

    def test_probing_phones_gets_429(self, signed_in, sverdlovsk, settings):
        make_customer("+79120000002")
        statuses = [
            signed_in.post(reverse("portal:phone"), {"phone": "+79120000002"}).status_code
            for _ in range(settings.KABINET_CONTACT_USES_PER_ADDRESS + 1)
        ]
        assert statuses[-1] == 429 and 429 not in statuses[:-1]

    def test_resend_is_bounded_too(self, signed_in, mailbox, settings):
        signed_in.post(reverse("portal:email"), {"email": "new@example.ru"})
        statuses = [
            signed_in.post(reverse("portal:email_resend")).status_code
            for _ in range(settings.KABINET_CONTACT_USES_PER_ADDRESS)
        ]
        assert statuses[-1] == 429 and len(mailbox()) == settings.KABINET_CONTACT_USES_PER_ADDRESS


class TestNames:
    """Issue 11, point 11: names hold letters of any alphabet, spaces, hyphens, apostrophes, dots."""

    @pytest.mark.parametrize(
        "last_name",
        ["Иванова\r\nhttp://evil.example/", "Иванова <script>", "Иванова1", "x" * 101, "-Иванова", "Ива\tнова"],
    )
    def test_bad_surname_is_refused_at_the_field_and_kept(self, signed_in, customer, last_name):
        response = signed_in.post(reverse("portal:names"), {"first_name": "Анна", "last_name": last_name})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Допустимы буквы" in page or "Не длиннее 100 символов" in page
        customer.refresh_from_db()
        assert customer.last_name == "Иванова"

    @pytest.mark.parametrize(
        "first, last", [("Анна-Мария", "Д'Артаньян"), ("Seán", "O’Brien Jr."), ("Ань", "Нгуен Ван")]
    )
    def test_names_of_any_alphabet_are_saved(self, signed_in, customer, first, last):
        response = signed_in.post(reverse("portal:names"), {"first_name": first, "last_name": last})
        assert redirected_to(response) == PROFILE
        customer.refresh_from_db()
        assert (customer.first_name, customer.last_name) == (first, last)


def test_password_change_is_told_to_phone_and_email(signed_in, customer, outbox, mailbox):
    """Issue 11, point 1."""
    data = {"old_password": PASSWORD, "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
    signed_in.post(reverse("portal:password"), data)
    assert [m["to"] for m in outbox.messages() if "изменён пароль" in m["text"]] == ["+79120000001"]
    assert [m.to for m in mailbox() if "изменён пароль" in m.subject] == [["anna@example.ru"]]
