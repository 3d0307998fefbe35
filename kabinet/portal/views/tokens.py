"""«Токены доступа» in the profile: personal access tokens for home automation (docs/api.md).
The rules are identity.api_tokens'; the page lists, makes (the secret shown once) and revokes."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet.identity import api_tokens, profile
from kabinet.identity.accounts import FieldRejected
from kabinet.portal.access import customer_required
from kabinet.portal.token_forms import PersonalTokenForm

SESSION_NEW_TOKEN = "kabinet.new_token"


@customer_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    if not request.POST:  # a GET, or an empty POST (the unbound form, as before)
        links, tokens = profile.tokens_page_reads(request.user)
        created = request.session.pop(SESSION_NEW_TOKEN, None) if request.method == "GET" else None
        # No form: its fields are drawn once but the accounts (`{% token_fields %}`, step 25).
        return _page(request, None, links, tokens, created)
    links = profile.user_accounts(request.user)
    form = PersonalTokenForm(request.POST, links=links)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = api_tokens.create_personal_token(
                request.user, data["name"], data["accounts"], data["rights"] == "readings", data["lifetime"]
            )
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
        else:
            # Kept in the session only until the page after the redirect shows it once, so that
            # reloading that page neither shows it again nor makes a second token.
            request.session[SESSION_NEW_TOKEN] = {"name": created.token.name, "secret": created.secret}
            return redirect("portal:tokens")
    return _page(request, form, links, api_tokens.personal_token_list(request.user), None)


def _page(request: HttpRequest, form, links: list, tokens: list, created: dict | None) -> HttpResponse:
    context = {"form": form, "links": links, "created": created, "tokens": tokens, "now": timezone.now()}
    return render(request, "portal/tokens.html", context, status=400 if form is not None and form.errors else 200)


@require_POST
@customer_required
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if not api_tokens.revoke_personal_token(request.user, token_id):
        raise Http404
    messages.success(request, "Токен отозван: с ним больше нельзя получить данные.")
    return redirect("portal:tokens")
