"""«Передать показания» of a personal account and the history of its readings."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from kabinet.portal import fragments
from kabinet.portal.access import customer_required
from kabinet.portal.readings_forms import MeterBlock, ReadingsForm
from kabinet.readings import services
from kabinet.readings.history import customer_history_account
from kabinet.readings.states import customer_meter_states


@customer_required
def readings(request: HttpRequest, account_id: int) -> HttpResponse:
    found = customer_meter_states(request.user, account_id)
    account, window, states = found.account, found.window, found.states
    refusal = services.refusal(account, window) or ("" if states else "По этому лицевому счёту нет счётчиков.")
    if refusal:  # the meters' facts without a form: most of a month, and a POST all the same
        blocks = [MeterBlock(state.meter, state) for state in states]
        return _page(request, account, window, None, blocks, refusal, status=400 if request.method == "POST" else 200)
    if request.method != "POST":  # the form unbound: its fields written from the states (readings_fieldsets)
        return _page(request, account, window, None, None, "", states=states)
    form = ReadingsForm(request.POST, states=states)
    if not form.is_valid():
        return _page(request, account, window, form, form.blocks(), "", status=400)
    try:
        submission = services.submit_readings(
            request.user, account, form.values(), form.confirmations(), today=window.today
        )
    except (services.ReadingsRefused, services.ReadingsNotSaved) as problem:
        form.add_error(None, str(problem))
        return _page(request, account, window, form, form.blocks(), "", status=400)
    if not submission.ok:
        form.show(submission)
        return _page(request, account, window, form, form.blocks(), "", status=400)
    messages.success(
        request,
        f"Показания переданы. Спасибо! Если вы ошиблись, передайте их ещё раз до {submission.window.ends:%d.%m.%Y} "
        "— новые показания заменят прежние.",
    )
    return redirect("portal:readings", account_id=account.pk)


def _page(request, account, window, form, blocks, refusal, status=200, states=()) -> HttpResponse:
    context = {
        "account": account, "window": window, "form": form, "blocks": blocks, "refusal": refusal, "states": states,
    }  # fmt: skip
    return render(request, "portal/readings/submit.html", context, status=status)


@require_GET
@customer_required
def readings_history(request: HttpRequest, account_id: int) -> HttpResponse:
    account = customer_history_account(request.user, account_id)
    context = {"account": account, "history_html": fragments.readings_history_html(account)}
    return render(request, "portal/readings/history.html", context)
