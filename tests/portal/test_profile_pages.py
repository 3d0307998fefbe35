"""«Профиль», «Токены доступа» and «Добавить лицевой счёт» after docs/performance.md steps 18 and
22: the same bytes as before, one customer's data only, and the statements each page runs.

Every page below is compared with the page the old path draws from the same response's context:
the old template (tests/portal/old_templates/profile.html, tokens.html, add_account.html), the old
reads (the ORM querysets and `second_factor.is_on`, written out here as they were), the forms the
old views built on every request (step 22 builds them only when refused), and, on the tokens page,
each radio and checkbox drawn by Django's templates. The CSRF token is the response's own (one
lazy value in the context), so the whole response must be equal, byte for byte."""

from copy import copy
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.core.forms import KabinetFormRenderer
from kabinet.identity import email_confirmation, profile, second_factor
from kabinet.identity.models import AccountLink, EmailConfirmation, PersonalAccessToken, User
from kabinet.portal import profile_forms
from kabinet.portal.forms import AddAccountForm, EmailForm, NamesForm
from kabinet.portal.token_forms import PersonalTokenForm
from tests.factories import (
    api_token,
    customer_login,
    give_second_factor,
    make_account,
    make_customer,
    orm_compilations,
    verify_session,
)

OLD = Path(__file__).parent / "old_templates"
HOSTILE = "<b>\"&'</b>"
PROFILE = reverse("portal:profile")
TOKENS = reverse("portal:tokens")


def old_reads(user: User) -> dict:
    """The profile's context as the view read it before step 18 (its forms: `old_forms`)."""
    return {
        "email_pending": email_confirmation._open(user).order_by("-created_at").first(),
        "links": list(AccountLink.objects.filter(user=user).select_related("account__premises", "account__region")),
        "token_count": PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count(),
        "second_factor_on": second_factor.is_on(user),
    }


def drawn_by_the_old_path(response, template: str, old: str, reads: dict) -> str:
    """The response's page as the old template draws it from the response's context with the old
    reads in place of the new; the response must be exactly that."""
    assert response.templates[0].name == template
    context = {**response.context[0].flatten(), **reads}
    old_template = engines["django"].from_string((OLD / old).read_text(encoding="utf-8"))
    before = old_template.render(context, response.wsgi_request)
    assert response.content.decode() == before
    return before


def old_forms(context, user: User) -> dict:
    """The two forms as the view built them before step 22: the refused one, else a new one, the
    names' with the customer's names."""
    names = context["names_form"] or NamesForm(initial={"first_name": user.first_name, "last_name": user.last_name})
    return {"names_form": names, "email_form": context["email_form"] or EmailForm()}


def profile_alike(response) -> str:
    user = response.wsgi_request.user
    reads = {**old_reads(user), **old_forms(response.context, user)}
    return drawn_by_the_old_path(response, "portal/profile.html", "profile.html", reads)


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def several_accounts(customer: User, region: Region) -> None:
    """A closed account and markup in an address and in the region's name."""
    closed = make_account(region, "660100000077", house="7б", status=PersonalAccount.Status.CLOSED)
    marked = make_account(region, "660100000078", house="8")
    Premises.objects.filter(pk=marked.premises_id).update(street=HOSTILE)
    Region.objects.filter(pk=region.pk).update(name=HOSTILE)
    AccountLink.objects.bulk_create(
        [AccountLink(user=customer, account=closed), AccountLink(user=customer, account=marked)]
    )


def tokens_of_every_kind(customer: User, account) -> None:
    """Read-only and with readings, expired, never expiring, used, and one revoked."""
    api_token(customer, write=False, lifetime="30")
    api_token(customer, account, write=True, lifetime="none")
    api_token(customer, write=False, lifetime="90")
    expired, used, revoked = PersonalAccessToken.objects.order_by("pk")
    now = timezone.now()
    PersonalAccessToken.objects.filter(pk=expired.pk).update(name=HOSTILE, expires_at=now - timedelta(days=1))
    PersonalAccessToken.objects.filter(pk=used.pk).update(last_used_at=now - timedelta(hours=3))
    PersonalAccessToken.objects.filter(pk=revoked.pk).update(revoked_at=now)


def second_factor_on(client, customer: User) -> None:
    give_second_factor(customer)
    verify_session(client, customer)


def pending_email(client) -> None:
    assert client.post(reverse("portal:email"), {"email": "new@example.ru"}).status_code == 302


STATES = {
    "one account": lambda client, customer, region, account: None,
    "several accounts": lambda client, customer, region, account: several_accounts(customer, region),
    "no accounts": lambda client, customer, region, account: AccountLink.objects.all().delete(),
    "no e-mail": lambda client, customer, region, account: User.objects.filter(pk=customer.pk).update(email=None),
    "e-mail pending": lambda client, customer, region, account: pending_email(client),
    "no phone": lambda client, customer, region, account: User.objects.filter(pk=customer.pk).update(phone=None),
    "second factor on": lambda client, customer, region, account: second_factor_on(client, customer),
    "tokens": lambda client, customer, region, account: tokens_of_every_kind(customer, account),
    "markup in the names": lambda client, customer, region, account: User.objects.filter(pk=customer.pk).update(
        first_name=HOSTILE, last_name=HOSTILE, email="a&b@example.ru"
    ),
    "no names": lambda client, customer, region, account: User.objects.filter(pk=customer.pk).update(
        first_name="", last_name=""
    ),
    "a first name only": lambda client, customer, region, account: User.objects.filter(pk=customer.pk).update(
        first_name='Анна "А"', last_name=""
    ),
}


@pytest.mark.parametrize("state", STATES)
def test_the_profile_as_before(signed_in, customer, sverdlovsk, account, state):
    STATES[state](signed_in, customer, sverdlovsk, account)
    page = profile_alike(signed_in.get(PROFILE))
    assert ("Ожидает подтверждения" in page) is (state == "e-mail pending")


def test_the_profile_with_everything_at_once(signed_in, customer, sverdlovsk, account):
    for state, change in STATES.items():
        if state not in ("no accounts", "no names", "a first name only"):
            change(signed_in, customer, sverdlovsk, account)
    page = profile_alike(signed_in.get(PROFILE))
    assert "Токенов: 2." in page and "закрыт" in page and "Настроить второй шаг входа" in page


@pytest.mark.parametrize(
    ("url", "data", "error"),
    [
        ("portal:names", {"first_name": "x" * 101, "last_name": "<Петрова>"}, "Не длиннее 100 символов."),
        ("portal:email", {"email": "не адрес <b>"}, "e-mail"),
        ("portal:email", {"email": "anna@example.ru"}, "Это ваш текущий e-mail."),
    ],
)
def test_a_refused_post_as_before(signed_in, customer, sverdlovsk, url, data, error):
    """The errors next to their fields and the values typed kept, as the old page showed them."""
    several_accounts(customer, sverdlovsk)
    response = signed_in.post(reverse(url), data)
    assert response.status_code == 400
    page = profile_alike(response)
    assert error in page and 'class="error-summary"' in page


def test_the_other_second_factor_state_is_drawn_for_the_next_customer(client, customer, sverdlovsk):
    """The kept pieces ({% once second_factor_on %}) follow each customer's own answer."""
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"), first_name="Борис")
    give_second_factor(other)
    turns = ((customer, "Включить", "Анна"), (other, "Настроить", "Борис"), (customer, "Включить", "Анна"))
    for user, wording, name in turns:
        customer_login(client, user)
        if user == other:
            verify_session(client, other)
        page = profile_alike(client.get(PROFILE))
        assert f"{wording} второй шаг входа" in page and f'value="{name}"' in page


def test_the_profile_shows_only_its_customers_facts(client, customer, sverdlovsk, account):
    """Another customer's pending e-mail, tokens and accounts count for them only."""
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"), email="b@example.ru")
    api_token(other)
    api_token(other)
    theirs = Client()
    customer_login(theirs, other)
    theirs.post(reverse("portal:email"), {"email": "boris-new@example.ru"})
    customer_login(client, customer)
    page = profile_alike(client.get(PROFILE))
    assert "Токенов:" not in page and "boris-new" not in page and "660100000002" not in page
    assert profile.profile_facts(other) == profile.ProfileFacts("boris-new@example.ru", 2)
    assert profile.profile_facts(customer) == profile.ProfileFacts(None, 0)


def test_the_pending_email_and_the_token_count_follow_the_old_rules(customer, account):
    """profile_facts against `pending_email` and the tokens' count for links used, voided,
    expired, two open, and tokens revoked, expired and in force."""
    now = timezone.now()

    def link(address, **fields):
        fields = {"created_at": now, "expires_at": now + timedelta(days=1), **fields}
        return EmailConfirmation.objects.create(user=customer, address=address, token_hash=address, **fields)

    def agrees():
        facts = profile.profile_facts(customer)
        pending = profile.pending_email(customer)
        assert facts.pending_email == (pending.address if pending else None)
        assert facts.token_count == PersonalAccessToken.objects.filter(user=customer, revoked_at__isnull=True).count()
        return facts

    assert agrees() == profile.ProfileFacts(None, 0)
    link("used@example.ru", used_at=now)
    link("voided@example.ru", voided_at=now)
    link("expired@example.ru", expires_at=now - timedelta(seconds=1))
    assert agrees().pending_email is None
    link("older@example.ru", created_at=now - timedelta(hours=1))
    link("newer@example.ru")
    assert agrees().pending_email == "newer@example.ru"
    tokens_of_every_kind(customer, account)
    assert agrees().token_count == 2


def test_a_deleted_user_has_no_facts(customer):
    ghost = User(pk=customer.pk + 1000)
    assert profile.profile_facts(ghost) == profile.ProfileFacts(None, 0)


def test_user_accounts_are_the_querysets(customer, sverdlovsk):
    several_accounts(customer, sverdlovsk)

    def shown(links):
        return [
            (link.pk, link.account.number, link.account.premises.address, link.account.region.name) for link in links
        ]

    assert shown(profile.user_accounts(customer)) == shown(old_reads(customer)["links"])
    assert len(profile.user_accounts(customer)) == 3


# --- «Токены доступа» -----------------------------------------------------------------------


class OptionsByTemplates(KabinetFormRenderer):
    """Kabinet's renderer as it was before step 18: a radio's or a checkbox's own tag drawn by
    Django's templates."""

    def render(self, template_name: str, context: dict, request=None) -> str:
        if template_name.endswith("_option.html"):
            return DjangoTemplates.render(self, template_name, context, request)
        return super().render(template_name, context, request)


def tokens_alike(response) -> str:
    """Drawn by the old path: the old reads, and the form the old view built (step 25 builds it
    only for a POST: a GET's fields are drawn once but the accounts)."""
    user = response.wsgi_request.user
    links = list(AccountLink.objects.filter(user=user).select_related("account__premises", "account__region"))
    form = copy(response.context["form"] or PersonalTokenForm(links=links))
    form.renderer, form._bound_fields_cache = OptionsByTemplates(), {}
    reads = {
        "tokens": list(
            PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).prefetch_related("accounts")
        ),
        "links": links,
        "form": form,
    }
    return drawn_by_the_old_path(response, "portal/tokens.html", "tokens.html", reads)


@pytest.mark.parametrize("state", ["one account", "several accounts", "no accounts", "tokens"])
def test_the_tokens_page_as_before(signed_in, customer, sverdlovsk, account, state):
    STATES[state](signed_in, customer, sverdlovsk, account)
    page = tokens_alike(signed_in.get(TOKENS))
    assert ("Токенов пока нет." in page) is (state != "tokens")


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "rights": "read", "lifetime": "90"},
        {"name": HOSTILE, "rights": "nonsense", "lifetime": "90"},
        {"name": "Дача", "rights": "readings", "lifetime": "forever"},
    ],
)
def test_a_refused_token_as_before(signed_in, customer, sverdlovsk, account, data):
    several_accounts(customer, sverdlovsk)
    tokens_of_every_kind(customer, account)
    response = signed_in.post(TOKENS, {**data, "accounts": [account.pk]})
    assert response.status_code == 400
    page = tokens_alike(response)
    assert 'class="error-summary"' in page and f'value="{account.pk}" id="id_accounts_0" checked' in page


def test_an_empty_post_is_the_unbound_page(signed_in, customer, sverdlovsk):
    several_accounts(customer, sverdlovsk)
    response = signed_in.post(TOKENS, {})
    assert response.status_code == 200 and response.context["form"] is None
    tokens_alike(response)


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_the_token_fields_are_the_forms_own(customer, sverdlovsk, count):
    """The fields drawn once with the accounts written in, against the unbound form drawn by its
    include for none, one (ticked) and several accounts, markup in an address and a second
    customer's accounts after the first's."""
    from django.template.loader import render_to_string

    AccountLink.objects.all().delete()
    for n in range(count):
        account = make_account(sverdlovsk, f"66010000009{n}", house=f"{n}{HOSTILE}")
        AccountLink.objects.create(user=customer, account=account)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"))
    for user in (customer, other):
        links = profile.user_accounts(user)
        own = render_to_string("portal/_token_fields.html", {"form": PersonalTokenForm(links=links)})
        assert profile_forms.token_fields(links) == own
        assert "token-form-account" not in own


def test_tokens_page_reads_are_the_old_reads(customer, sverdlovsk, account):
    """The accounts and the tokens in force, with and without tokens or accounts; another
    customer's tokens do not count."""

    def shown(user):
        links, tokens = profile.tokens_page_reads(user)
        return [link.pk for link in links], [(token.pk, [a.pk for a in token.accounts.all()]) for token in tokens]

    def old(user):
        links = AccountLink.objects.filter(user=user)
        tokens = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).prefetch_related("accounts")
        return [link.pk for link in links.order_by("pk")], [
            (token.pk, [a.pk for a in token.accounts.all()]) for token in tokens.order_by("-created_at", "-pk")
        ]

    assert shown(customer) == old(customer) and shown(customer)[1] == []
    tokens_of_every_kind(customer, account)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"))
    api_token(other)
    assert shown(customer) == old(customer) and len(shown(customer)[1]) == 2
    AccountLink.objects.filter(user=customer).delete()
    assert shown(customer) == old(customer) and len(shown(customer)[1]) == 2
    PersonalAccessToken.objects.filter(user=customer).update(revoked_at=timezone.now())
    assert shown(customer) == old(customer) == ([], [])
    assert len(shown(other)[1]) == 1


def test_a_new_token_is_shown_once_and_only_to_its_customer(client, customer, sverdlovsk, account):
    """The secret on the page after the redirect only: not again, nor to another customer (no part
    of the page is kept between requests)."""
    customer_login(client, customer)
    client.post(TOKENS, {"name": "Дом", "accounts": [account.pk], "rights": "read", "lifetime": "30"})
    shown = client.get(TOKENS)
    secret = shown.context["created"]["secret"]
    assert secret in tokens_alike(shown)
    assert secret not in tokens_alike(client.get(TOKENS))
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"))
    customer_login(client, other)
    page = tokens_alike(client.get(TOKENS))
    assert secret not in page and "Дом" not in page and account.number not in page


# --- statements -------------------------------------------------------------------------------


def own_statements(client, url: str) -> list[str]:
    """The page's statements, the session's read left out (as tests/portal/test_page_queries.py)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]


def test_the_profile_compiles_no_sql_after_its_first_view(client, customer, sverdlovsk, account):
    """Its reads run compiled (core.compiled) for any customer: the user, the facts, the accounts."""
    customer_login(client, customer)
    client.get(PROFILE)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"))
    api_token(other)
    customer_login(client, other)
    pending_email(client)
    with orm_compilations() as compiled:
        statements = own_statements(client, PROFILE)
    assert [sql for sql in compiled if '"django_session"' not in sql] == []
    assert len(statements) == 2  # the user, then the accounts with the facts (step 22)
    AccountLink.objects.filter(user=other).delete()
    with orm_compilations() as compiled:
        statements = own_statements(client, PROFILE)
    assert [sql for sql in compiled if '"django_session"' not in sql] == []
    assert len(statements) == 3  # no account: the facts on their own


def test_the_tokens_page_compiles_no_sql_without_tokens(signed_in, customer, sverdlovsk):
    signed_in.get(TOKENS)
    several_accounts(customer, sverdlovsk)
    with orm_compilations() as compiled:
        statements = own_statements(signed_in, TOKENS)
    assert [sql for sql in compiled if '"django_session"' not in sql] == []
    assert len(statements) == 2  # the user, then the accounts with the count of tokens (step 25)
    AccountLink.objects.filter(user=customer).delete()
    assert len(own_statements(signed_in, TOKENS)) == 3  # no account: the tokens on their own


def test_the_tokens_page_reads_the_tokens_when_there_are_some(signed_in, customer, account):
    signed_in.get(TOKENS)  # the footer's region, read once a process
    tokens_of_every_kind(customer, account)
    # The user, the accounts with the count, the tokens and their accounts' prefetch.
    assert len(own_statements(signed_in, TOKENS)) == 4


# --- «Добавить лицевой счёт» ------------------------------------------------------------------


def test_the_regions_offered_are_the_fields_queryset(sverdlovsk, perm):
    """Every region, read compiled (billing.registry.all_regions); a field narrowed later lists
    its own queryset."""
    form = AddAccountForm()
    assert form["region"].field.listed() == list(Region.objects.all())
    assert form.fields["region"].initial == sverdlovsk
    narrowed = AddAccountForm()
    narrowed.fields["region"].queryset = Region.objects.filter(pk=perm.pk)
    assert f'value="{sverdlovsk.pk}"' not in str(narrowed["region"])
    assert narrowed.fields["region"].listed() == [perm]
    reversed_ = AddAccountForm()
    reversed_.fields["region"].queryset = Region.objects.all().reverse()
    assert reversed_.fields["region"].listed() == list(Region.objects.all().reverse()) != list(Region.objects.all())


def add_account_alike(response) -> str:
    """The old view built the form on every request: the refused one, else a new one."""
    form = response.context["form"] or AddAccountForm()
    return drawn_by_the_old_path(response, "portal/add_account.html", "add_account.html", {"form": form})


def test_the_add_account_page_as_before(signed_in, sverdlovsk, perm):
    page = add_account_alike(signed_in.get(reverse("portal:add_account")))
    assert "Пермский" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"account_number": "", "house": "", "region": ""}, "Обязательное поле."),
        ({"account_number": "660100000078", "house": "9 <b>"}, "Номер дома не совпадает"),
        ({"account_number": "660100000001", "house": "12а"}, "уже есть в вашем профиле"),
    ],
)
def test_a_refused_account_as_before(signed_in, sverdlovsk, data, error):
    make_account(sverdlovsk, "660100000078", house="8")
    response = signed_in.post(reverse("portal:add_account"), {"region": sverdlovsk.pk, **data})
    assert response.status_code == 400
    page = add_account_alike(response)
    assert error in page and 'class="error-summary"' in page


def test_the_add_account_page_compiles_no_sql_after_its_first_view(signed_in, perm):
    signed_in.get(reverse("portal:add_account"))
    with orm_compilations() as compiled:
        own_statements(signed_in, reverse("portal:add_account"))
    assert [sql for sql in compiled if '"django_session"' not in sql] == []


# --- step 22: the fields drawn once, the accounts with the facts ------------------------------

ADD_ACCOUNT = reverse("portal:add_account")


def test_the_add_account_fields_are_kept_for_the_regions_read(signed_in, sverdlovsk, perm, monkeypatch):
    """A second view draws no form; any change of the regions, whichever way it is made (no signal
    with `.update()`), is on the very next view, as the old page drew it."""
    add_account_alike(signed_in.get(ADD_ACCOUNT))
    drawn = []
    monkeypatch.setattr(
        profile_forms, "AddAccountForm", lambda **kwargs: drawn.append(kwargs) or AddAccountForm(**kwargs)
    )
    add_account_alike(signed_in.get(ADD_ACCOUNT))
    assert drawn == []
    changes = [
        lambda: Region.objects.filter(pk=perm.pk).update(name=HOSTILE),
        lambda: Region.objects.filter(pk=perm.pk).update(ordering=1),
        lambda: (Region.objects.update(is_default=False), Region.objects.filter(pk=perm.pk).update(is_default=True)),
        lambda: make_region_like(perm, code="59x", name="Новый регион", is_default=False),
    ]
    for change in changes:
        change()
        page = add_account_alike(signed_in.get(ADD_ACCOUNT))
        assert len(drawn) == 1
        drawn.clear()
    assert HOSTILE not in page and "&lt;b&gt;" in page and "Новый регион" in page
    assert f'<option value="{perm.pk}" selected>' in page  # the default moved to Perm
    # The regions as they were a change ago: that drawing, kept under those rows.
    Region.objects.filter(code="59x").delete()
    page = add_account_alike(signed_in.get(ADD_ACCOUNT))
    assert drawn == [] and "Новый регион" not in page


def make_region_like(region: Region, **fields) -> Region:
    copy_of = Region.objects.get(pk=region.pk)
    copy_of.pk = None
    for name, value in fields.items():
        setattr(copy_of, name, value)
    copy_of.save()
    return copy_of


def test_a_kept_drawing_is_two_statements_drawn_or_not(signed_in, sverdlovsk):
    """The user and the regions, whether the fields are drawn from the regions' rows or kept:
    the form never reads the regions again."""
    own_statements(signed_in, ADD_ACCOUNT)
    assert len(own_statements(signed_in, ADD_ACCOUNT)) == 2
    Region.objects.filter(pk=sverdlovsk.pk).update(name="Свердловский филиал")
    assert len(own_statements(signed_in, ADD_ACCOUNT)) == 2


def test_an_empty_post_is_the_page_unrefused(signed_in, sverdlovsk):
    """As `AddAccountForm(request.POST or None)` had it: nothing posted is an unbound form, 200."""
    response = signed_in.post(ADD_ACCOUNT, {})
    assert response.status_code == 200 and response.context["form"] is None
    page = add_account_alike(response)
    assert 'class="error-summary"' not in page and f'<option value="{sverdlovsk.pk}" selected>' in page


def test_an_unavailable_registry_keeps_the_values_typed(signed_in, sverdlovsk):
    """«Объект не найден» above the form, the values typed kept in it (a valid, bound form)."""
    Region.objects.filter(pk=sverdlovsk.pk).update(registry_available=False)
    data = {"account_number": "660100000078", "house": "8 <b>", "region": sverdlovsk.pk}
    response = signed_in.post(ADD_ACCOUNT, data)
    assert response.status_code == 200
    page = add_account_alike(response)
    assert "Объект не найден" in page and 'value="660100000078"' in page and 'value="8 &lt;b&gt;"' in page
    assert 'class="error-summary"' not in page


@pytest.mark.parametrize(
    ("first", "last"), [("", ""), ("Анна", ""), ("", "Петрова"), (HOSTILE, '"&amp;'), ("\x1f", 'value="x"')]
)
def test_the_names_fields_are_the_forms(first, last):
    """Written into the groups drawn once, the names give what the form drew with them."""
    form = NamesForm(initial={"first_name": first, "last_name": last})
    expected = f"{form['first_name'].as_field_group()}\n      {form['last_name'].as_field_group()}"
    assert profile_forms.names_fields(None, first, last) == expected
    refused = NamesForm({"first_name": "x" * 101, "last_name": last})
    assert not refused.is_valid()
    drawn = profile_forms.names_fields(refused, first, last)
    assert drawn == f"{refused['first_name'].as_field_group()}\n      {refused['last_name'].as_field_group()}"
    assert "field-invalid" in drawn


def test_the_email_field_is_the_forms():
    assert profile_forms.email_field(None) == EmailForm()["email"].as_field_group()
    refused = EmailForm({"email": "не адрес"})
    assert not refused.is_valid()
    assert profile_forms.email_field(refused) == refused["email"].as_field_group()


@pytest.mark.parametrize("state", ["one account", "several accounts", "no accounts", "tokens", "e-mail pending"])
def test_profile_reads_are_the_accounts_and_the_facts(signed_in, customer, sverdlovsk, account, state):
    """One statement's accounts and facts are `user_accounts`' and `profile_facts`', for this
    customer only."""
    STATES[state](signed_in, customer, sverdlovsk, account)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="2"))
    api_token(other)
    theirs = Client()
    customer_login(theirs, other)
    pending_email(theirs)
    links, facts = profile.profile_reads(customer)
    assert facts == profile.profile_facts(customer)

    def shown(links):
        return [
            (
                link.pk,
                link.account.number,
                link.account.is_active,
                link.account.premises.address,
                link.account.region.name,
            )
            for link in links
        ]

    assert shown(links) == shown(profile.user_accounts(customer)) == shown(old_reads(customer)["links"])
    assert ("660100000002", True) not in [(row[1], row[2]) for row in shown(links)]
