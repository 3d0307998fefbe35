"""«Создать обращение» and the complaint form drawn from rows read once (docs/performance.md
step 17): the same HTML, the same refusals and the same accepted values as before.

The forms before step 17 are kept below (`OldAppealForm`, `OldComplaintForm`: their fields over
querysets, the reasons, hints and first account read by their own queries, the old `clean`), and
the pages' old templates in tests/portal/old_templates (appeal_new.html, complaint_new.html).
Each page served is drawn again from its own context (its CSRF token and nonce) with the old
form built from the same request and the old template: the same bytes, for one account,
several, a closed one, none, every kind of topic and reason, and posts refused at their fields
with files kept.

The old forms read `appeal_accounts`, which now orders the accounts as they were linked: it had
no order, and PostgreSQL's plan chose one (a server-side cursor on small tables listed them by
region first), so there was no old order to compare with."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.template import engines
from django.test import Client
from django.urls import reverse
import pytest

from kabinet.appeals import services
from kabinet.appeals.files import limits
from kabinet.appeals.form_fields import files_help, limit_text_and_files, valid_with_files
from kabinet.appeals.models import Appeal, ContactMethod, Reason, Topic
from kabinet.appeals.taxonomy import appeal_taxonomy
from kabinet.identity.models import AccountLink
from kabinet.portal import appeal_forms
from kabinet.portal.appeal_forms import NO_EMAIL, AppealForm
from kabinet.portal.complaint_forms import ComplaintForm
from tests.factories import PDF, complaint_data, customer_login, make_account, make_customer

NEW = reverse("portal:appeal_new")
COMPLAINT = reverse("portal:complaint_new")
OLD = Path(__file__).parent / "old_templates"
HOSTILE = "<b>\"&'</b>"


# --- the forms before step 17 -------------------------------------------------------------------
def old_reason_choices() -> list:
    groups: dict[str, list] = {}
    for reason in Reason.objects.filter(is_active=True, topic__is_active=True).select_related("topic"):
        groups.setdefault(reason.topic.name, []).append((reason.pk, reason.name))
    return [("", "— выберите причину —"), *groups.items()]


def old_hints() -> dict[int, str]:
    return dict(Reason.objects.filter(is_active=True).exclude(documents_hint="").values_list("pk", "documents_hint"))


class OldAppealForm(AppealForm):
    account = forms.ModelChoiceField(queryset=None, label="Лицевой счёт", empty_label=None)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.filter(is_active=True), label="Тема обращения", empty_label="— выберите тему —"
    )

    def __init__(self, *args, user, **kwargs):
        forms.Form.__init__(self, *args, **kwargs)
        self.user = user
        self.fields["account"].queryset = services.appeal_accounts(user)
        self.fields["account"].label_from_instance = lambda a: f"{a.number} — {a.premises.address}"
        self.fields["reason"].choices = old_reason_choices()
        limit_text_and_files(self)
        self.fields["contact_method"].initial = ContactMethod.PHONE
        if user.email:
            del self.fields["email"]

    def clean(self):
        data = forms.Form.clean(self)
        reason_id, topic = data.get("reason"), data.get("topic")
        if reason_id and topic:
            reason = Reason.objects.filter(pk=reason_id, topic=topic, is_active=True).first()
            if reason is None:
                self.add_error("reason", "Выберите причину из списка для выбранной темы.")
            data["reason"] = reason
        if data.get("contact_method") == ContactMethod.EMAIL and "email" in self.fields and not data.get("email"):
            self.add_error("email", NO_EMAIL)
        return data


def old_prefill(user, accounts) -> dict:
    account = accounts.order_by("pk").first()  # what first() did of the then unordered queryset
    initial = {
        "full_name": f"{user.last_name} {user.first_name}".strip(),
        "phone": user.phone or "",
        "email": user.email or "",
        "contact_method": ContactMethod.EMAIL if user.email else ContactMethod.PHONE,
    }
    if account is not None:
        initial.update(account=account.pk, premises_address=account.premises.address)
        initial.setdefault("residence", account.premises.address)
    return initial


class OldComplaintForm(ComplaintForm):
    account = forms.ModelChoiceField(
        queryset=None,
        label="Номер договора (лицевой счёт)",
        empty_label=None,
        help_text="Лицевой счёт помещения, где было нарушение.",
    )

    def __init__(self, *args, user, **kwargs):
        forms.Form.__init__(self, *args, **kwargs)
        accounts = services.appeal_accounts(user)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: f"{a.number} — {a.premises.address}"
        for name in self.fields:
            self.fields[name].error_messages.setdefault("required", "Заполните это поле.")
            self.fields[name].error_messages["required"] = "Заполните это поле."
        self.fields["account"].error_messages["invalid_choice"] = "Выберите лицевой счёт из списка."
        self.fields["document_type"].error_messages["invalid_choice"] = "Выберите документ из списка."
        self.fields["contact_method"].error_messages["invalid_choice"] = "Выберите способ из списка."
        limit = settings.KABINET_APPEAL_TEXT_MAX
        demands = self.fields["demands"]
        demands.max_length = limit
        demands.validators.append(MaxLengthValidator(limit, f"Не больше {limit} символов."))
        demands.widget.attrs.update({"maxlength": limit, "data-counter": limit})
        files = self.fields["files"]
        files.help_text = "Необязательно: фото, акты, справки. " + files_help()
        files.widget.attrs.update({"data-max-files": limits().files, "data-max-file-mb": limits().file_mb})
        if not self.is_bound:
            self.initial.update(old_prefill(user, accounts))


# --- drawing a served page again the old way ----------------------------------------------------
def old_form(response, kind: type[forms.Form]) -> forms.Form:
    """The old form for the response's request: built from the same POST and files, refused at
    the same files (the view's file checks, unchanged: the files field has no rule of its own)."""
    request = response.wsgi_request
    if request.method != "POST":
        return kind(user=request.user)
    form = kind(request.POST, request.FILES, user=request.user)
    valid_with_files(form, page_context(response)["form"].errors.get("files", []))
    return form


def drawn_alike(response, template: str, old_source: str, old_context: dict) -> str:
    """The page served, the page drawn from its context with the current template, and the page
    drawn with the old form's context by the old template: all the same. Returns it."""
    served = response.content.decode()
    request = response.wsgi_request
    flat = page_context(response).flatten()  # the page's own (its CSRF token), over the processors'
    engine = engines["django"]
    assert engine.get_template(template).render(flat, request) == served
    assert engine.from_string(old_source).render({**flat, **old_context}, request) == served
    return served


def page_context(response):
    """The page's own context (its template's, the first of the response's: drawing the fields
    may render other templates before it)."""
    names = [template.name for template in response.templates]
    page = next(name for name in names if name in ("portal/appeals/new.html", "portal/appeals/complaint_new.html"))
    return response.context[names.index(page)]


def refusals(response) -> dict:
    """The refused form's errors: a GET builds no form (docs/performance.md step 21)."""
    form = page_context(response)["form"]
    assert (form is None) == (response.wsgi_request.method != "POST")
    return {} if form is None else form.errors


def appeal_alike(response) -> str:
    old = old_form(response, OldAppealForm)
    assert old.errors == refusals(response)
    context = {"form": old, "hints": old_hints(), "has_accounts": old.fields["account"].queryset.exists()}
    source = (OLD / "appeal_new.html").read_text(encoding="utf-8")
    return drawn_alike(response, "portal/appeals/new.html", source, context)


def complaint_alike(response) -> str:
    old = old_form(response, OldComplaintForm)
    assert old.errors == refusals(response)
    context = {"form": old, "has_accounts": old.fields["account"].queryset.exists()}
    source = (OLD / "complaint_new.html").read_text(encoding="utf-8")
    return drawn_alike(response, "portal/appeals/complaint_new.html", source, context)


# --- the states the pages have -------------------------------------------------------------------
@pytest.fixture
def taxonomy(db) -> dict[str, Reason]:
    """Every kind of topic and reason: with and without hints, inactive reasons, a topic without
    reasons, an inactive topic whose active reason has a hint, equal orderings and names across
    topics, and markup in names and hints."""
    account_topic = Topic.objects.create(name="Лицевой счёт", ordering=1)
    hostile_topic = Topic.objects.create(name=HOSTILE, ordering=2)
    Topic.objects.create(name="Оплата", ordering=3)  # no reasons
    archive = Topic.objects.create(name="Архив", ordering=2, is_active=False)

    def reason(topic, name, hint="", **fields) -> Reason:
        return Reason.objects.create(topic=topic, name=name, documents_hint=hint, **fields)

    return {
        "recalc": reason(account_topic, "Перерасчёт", "Справка о временном отсутствии.", ordering=1),
        "owner": reason(account_topic, "Смена владельца", ordering=2),
        "gone": reason(account_topic, "Устаревшая", "Не показывать.", is_active=False),
        "hostile": reason(hostile_topic, HOSTILE, f"Документ {HOSTILE}", ordering=1),
        "same_name": reason(hostile_topic, "Смена владельца", ordering=2),
        "archived": reason(archive, "Старое", "Подсказка архивной темы.", ordering=1),
    }


def several_accounts(customer, sverdlovsk, perm) -> list:
    """The customer's accounts linked out of id order, in two regions, one closed, one with markup
    in its address; and someone else's."""
    later = make_account(perm, "5900000002", house=HOSTILE, flat="7")
    AccountLink.objects.create(user=customer, account=later)
    closed = make_account(sverdlovsk, "660100000002", status="closed")
    AccountLink.objects.create(user=customer, account=closed)
    earlier = make_account(sverdlovsk, "660100000000", house="3")  # its id is after `account`'s
    AccountLink.objects.create(user=customer, account=earlier)
    others = make_account(sverdlovsk, "660100000099")
    make_customer("+79120000099", others)
    return [later, closed, earlier, others]


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def test_a_new_appeal_with_one_account(signed_in, account, taxonomy):
    page = appeal_alike(signed_in.get(NEW))
    assert "Справка о временном отсутствии." in page and "Подсказка архивной темы." in page
    assert "Не показывать." not in page and HOSTILE not in page  # escaped


def test_a_new_appeal_with_several_accounts(signed_in, customer, account, sverdlovsk, perm, taxonomy):
    later, closed, earlier, others = several_accounts(customer, sverdlovsk, perm)
    page = appeal_alike(signed_in.get(NEW))
    assert later.number in page and earlier.number in page
    assert closed.number not in page and others.number not in page


def test_a_new_appeal_without_an_active_account_or_an_email(client, sverdlovsk, taxonomy):
    closed = make_account(sverdlovsk, "660100000002", status="closed")
    customer_login(client, make_customer("+79120000002", closed, first_name="", last_name=""))
    page = appeal_alike(client.get(NEW))
    assert "добавьте действующий лицевой счёт" in page


def test_a_new_appeal_with_the_email_field(client, account, taxonomy):
    customer_login(client, make_customer("+79120000003", account))
    assert 'name="email"' in appeal_alike(client.get(NEW))


def test_a_new_appeal_without_topics(signed_in, account):
    appeal_alike(signed_in.get(NEW))


def _appeal_post(account, reason, **overrides) -> dict:
    data = {
        "account": account.pk,
        "topic": reason.topic_id,
        "reason": reason.pk,
        "text": "С 1 ноября проживают 3 человека.",
        "contact_method": "phone",
    }
    return {**data, **overrides}


ACCOUNT_VALUES = ["abc", "", "1.0", "99999999999999999999", "-1", "\x00", "[1]"]


@pytest.mark.parametrize(
    "change",
    [
        {"text": ""},
        {"topic": "", "reason": ""},
        {"reason": "owner"},  # another topic's reason
        {"reason": "gone"},
        {"reason": "archived"},
        {"topic": "archived"},
        {"topic": "abc"},
        {"account": "closed"},
        {"account": "others"},
        {"account": "spaced"},
        *({"account": value} for value in ACCOUNT_VALUES),
        {"contact_method": "pigeon", "text": "ы" * 4001},
    ],
)
def test_a_refused_appeal_keeps_everything_at_its_field(
    signed_in, customer, account, sverdlovsk, perm, taxonomy, change
):
    _later, closed, earlier, others = several_accounts(customer, sverdlovsk, perm)
    known = {"closed": closed.pk, "others": others.pk, "spaced": f" {account.pk}"}
    data = _appeal_post(earlier, taxonomy["hostile"], text=HOSTILE)
    for field, value in change.items():
        if value in taxonomy:
            reason = taxonomy[value]
            value = reason.pk if field == "reason" else reason.topic_id
        data[field] = known.get(value, value)
    response = signed_in.post(NEW, data)
    if change == {"account": "spaced"}:  # the old queryset's lookup took it: so does the new field
        assert response.status_code == 302
        assert Appeal.objects.get().account == account  # the account meant, not the form's first
        return
    assert response.status_code == 400
    appeal_alike(response)
    assert not Appeal.objects.exists()


def test_a_refused_file_keeps_the_good_ones_and_the_text(signed_in, account, taxonomy):
    files = [
        SimpleUploadedFile("справка <1>.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("скан.pdf", b"not a PDF", content_type="application/pdf"),
    ]
    response = signed_in.post(NEW, {**_appeal_post(account, taxonomy["recalc"]), "files": files})
    assert response.status_code == 400
    page = appeal_alike(response)
    assert "Уже приложены" in page and "справка" in page and "скан.pdf» не подходит" in page


def test_an_email_answer_without_an_email_is_refused_at_the_email(client, account, taxonomy):
    customer_login(client, make_customer("+79120000004", account))
    response = client.post(NEW, _appeal_post(account, taxonomy["recalc"], contact_method="email"))
    assert response.status_code == 400
    assert NO_EMAIL in appeal_alike(response)


@pytest.mark.parametrize("value", ["own", "spaced", "closed", "others", *ACCOUNT_VALUES])
def test_the_forms_take_the_same_accounts(customer, account, sverdlovsk, perm, taxonomy, value):
    """Only the customer's own active accounts are taken, the same values as the old queryset's
    lookup took; the topic and reason as before."""
    later, closed, _earlier, others = several_accounts(customer, sverdlovsk, perm)
    value = {"own": later.pk, "spaced": f" {later.pk} ", "closed": closed.pk, "others": others.pk}.get(value, value)
    data = {**_appeal_post(later, taxonomy["recalc"]), "account": value}
    offered = {"accounts": services.appeal_account_list(customer), "taxonomy": appeal_taxonomy()}
    new, old = AppealForm(data, email_known=bool(customer.email), **offered), OldAppealForm(data, user=customer)
    assert new.is_valid() == old.is_valid()
    assert new.errors == old.errors
    if new.is_valid():
        assert new.cleaned_data["account"] == old.cleaned_data["account"] == later
        assert new.cleaned_data["reason"] == old.cleaned_data["reason"] == taxonomy["recalc"]
    complaint = {**complaint_data(later), "account": value}
    new = ComplaintForm(complaint, user=customer, accounts=offered["accounts"])
    assert new.errors == OldComplaintForm(complaint, user=customer).errors
    assert new.is_valid() == (value in (later.pk, f" {later.pk} "))


# --- the complaint ------------------------------------------------------------------------------
def test_a_complaint_with_one_account(signed_in, account):
    page = complaint_alike(signed_in.get(COMPLAINT))
    assert "anna@example.ru" in page


def test_a_complaint_with_several_accounts_prefilled_with_the_first(signed_in, customer, account, sverdlovsk, perm):
    later, closed, _earlier, others = several_accounts(customer, sverdlovsk, perm)
    page = complaint_alike(signed_in.get(COMPLAINT))
    assert later.number in page and closed.number not in page and others.number not in page


def test_a_complaint_is_prefilled_with_the_lowest_id_not_the_first_linked(client, sverdlovsk, perm):
    lowest = make_account(sverdlovsk, "660100000007", house="1")
    linked_first = make_account(perm, "5900000007", house="2")
    customer = make_customer("+79120000007", linked_first)
    AccountLink.objects.create(user=customer, account=lowest)
    customer_login(client, customer)
    page = complaint_alike(client.get(COMPLAINT))
    assert f'<option value="{lowest.pk}" selected>' in page
    assert page.index(linked_first.number) < page.index(lowest.number)  # listed in the order linked


def test_a_complaint_without_an_active_account_a_name_or_an_email(client, sverdlovsk):
    closed = make_account(sverdlovsk, "660100000002", status="closed")
    customer_login(client, make_customer("+79120000002", closed, first_name="", last_name=""))
    assert "добавьте действующий лицевой счёт" in complaint_alike(client.get(COMPLAINT))


def test_a_complaint_of_a_customer_without_an_email(client, sverdlovsk, perm):
    account = make_account(perm, "5900000005", house=HOSTILE)
    customer_login(client, make_customer("+79120000005", account, last_name=HOSTILE))
    complaint_alike(client.get(COMPLAINT))


@pytest.mark.parametrize(
    "change",
    [
        {"full_name": "", "birth_date": "вчера", "phone": "1"},
        {"account": "closed", "premises_address": ""},
        {"account": "others"},
        *({"account": value} for value in ACCOUNT_VALUES),
        {"document_type": "pigeon", "violation_end": "", "demands": HOSTILE},
        {"ongoing": "on", "contact_method": "email", "email": ""},
    ],
)
def test_a_refused_complaint_keeps_everything_at_its_field(signed_in, customer, account, sverdlovsk, perm, change):
    later, closed, _earlier, others = several_accounts(customer, sverdlovsk, perm)
    known = {"closed": closed.pk, "others": others.pk}
    data = complaint_data(later, organization=HOSTILE)
    data.update({field: known.get(value, value) for field, value in change.items()})
    files = [SimpleUploadedFile("акт.pdf", PDF, content_type="application/pdf")]
    response = signed_in.post(COMPLAINT, {**data, "files": files})
    assert response.status_code == 400
    page = complaint_alike(response)
    assert "акт.pdf" in page and "Уже приложены" in page
    assert not Appeal.objects.exists()


# --- fields kept drawn (docs/performance.md step 21) ---------------------------------------------
def _rename_topic(taxonomy):
    Topic.objects.filter(pk=taxonomy["recalc"].topic_id).update(name="Лицевой счёт и оплата")


def _hint_changed(taxonomy):
    Reason.objects.filter(pk=taxonomy["recalc"].pk).update(documents_hint="Паспорт и справка.")


def _reason_off(taxonomy):
    Reason.objects.filter(pk=taxonomy["owner"].pk).update(is_active=False)


def _topic_off(taxonomy):
    Topic.objects.filter(pk=taxonomy["hostile"].topic_id).update(is_active=False)


def _archive_on(taxonomy):
    Topic.objects.filter(pk=taxonomy["archived"].topic_id).update(is_active=True)


def _new_reason(taxonomy):
    Reason.objects.create(topic_id=taxonomy["recalc"].topic_id, name="Новая причина", documents_hint="Акт.")


def _reason_moved(taxonomy):
    Reason.objects.filter(pk=taxonomy["owner"].pk).update(topic_id=taxonomy["archived"].topic_id)


def _inactive_topic_first(taxonomy):
    # Only the order of the hints changes: an inactive topic's reasons are listed by its ordering.
    Topic.objects.filter(pk=taxonomy["archived"].topic_id).update(ordering=0)


def _reasons_reordered(taxonomy):
    Reason.objects.filter(pk=taxonomy["recalc"].pk).update(ordering=3)


def _topic_deleted(taxonomy):
    topic = Topic.objects.create(name="Пустая", ordering=9)
    return topic.delete


@pytest.mark.parametrize(
    "change",
    [
        _rename_topic,
        _hint_changed,
        _reason_off,
        _topic_off,
        _archive_on,
        _new_reason,
        _reason_moved,
        _inactive_topic_first,
        _reasons_reordered,
        _topic_deleted,
    ],
)
def test_a_change_of_the_taxonomy_shows_on_the_next_page(signed_in, account, taxonomy, change):
    """The fields below the account's are kept drawn under the taxonomy's digest: any change of a
    topic or a reason, even one that sends no signal (`.update()`), draws afresh on the next view."""
    first = appeal_alike(signed_in.get(NEW))
    then = change(taxonomy)
    changed = appeal_alike(signed_in.get(NEW))
    assert changed != first
    if then is not None:  # and back: the drawing of the first taxonomy again
        then()
        appeal_alike(signed_in.get(NEW))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the digest read with the accounts is PostgreSQL's")
def test_an_edit_between_the_digest_and_the_rows_is_not_kept(signed_in, account, taxonomy, monkeypatch):
    """A miss reads the taxonomy after the digest: an edit committed in between is drawn for that
    page but not kept under the digest it does not match, so undoing the edit shows the first
    taxonomy again rather than the edited one for ever."""
    monkeypatch.setattr(appeal_forms, "_DRAWN_FOR_TAXONOMY", {})
    reason = taxonomy["recalc"]
    read = appeal_forms.taxonomy_rows

    def edited_meanwhile():
        Reason.objects.filter(pk=reason.pk).update(name="Правка на миг")
        return read()

    monkeypatch.setattr(appeal_forms, "taxonomy_rows", edited_meanwhile)
    assert "Правка на миг" in appeal_alike(signed_in.get(NEW))
    monkeypatch.setattr(appeal_forms, "taxonomy_rows", read)
    Reason.objects.filter(pk=reason.pk).update(name="Перерасчёт")
    page = appeal_alike(signed_in.get(NEW))
    assert "Перерасчёт" in page and "Правка на миг" not in page


def test_an_admin_edit_of_a_reason_shows_on_the_next_page(admin_client, customer, account, taxonomy):
    customer_page = Client()
    customer_login(customer_page, customer)
    assert "Справка о временном отсутствии." in appeal_alike(customer_page.get(NEW))
    reason = taxonomy["recalc"]
    data = {
        "topic": reason.topic_id,
        "name": "Перерасчёт платы",
        "answer_days": reason.answer_days,
        "documents_hint": "Справка из ЖЭКа.",
        "ordering": reason.ordering,
        "is_active": "on",
    }
    response = admin_client.post(reverse("admin:appeals_reason_change", args=[reason.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("admin:appeals_reason_changelist")
    page = appeal_alike(customer_page.get(NEW))
    assert "Перерасчёт платы" in page and "Справка из ЖЭКа." in page
    assert "Справка о временном отсутствии." not in page


def test_customers_with_and_without_an_email_each_see_their_own_fields(client, customer, account, perm, taxonomy):
    """The kept fields are keyed by whether the profile has an e-mail: the e-mail's field on «Создать
    обращение», the way of answer prefilled on the complaint; the customer's values are their own."""
    other = make_account(perm, "5900000008", house=HOSTILE)
    without = make_customer("+79120000008", other, first_name="Пётр", last_name=HOSTILE)
    for user, email in [(customer, True), (without, False), (customer, True), (without, False)]:
        customer_login(client, user)
        new = appeal_alike(client.get(NEW))
        assert ('name="email"' in new) is not email
        complaint = complaint_alike(client.get(COMPLAINT))
        assert ('value="email" required id="id_contact_method_1" checked' in complaint) is email
        assert ("anna@example.ru" in complaint) is email
        assert (other.number in complaint) is not email and (account.number in complaint) is email
