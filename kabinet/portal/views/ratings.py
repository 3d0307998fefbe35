"""«Оцените ответ»: the one-click links from the answer's notification (no login needed) and
the form on the appeal's page. The rules are kabinet.appeals.ratings.

A link's GET only shows a confirmation with the score chosen: mail scanners open every link
of a letter, and must not rate for the customer. Its one button records the score."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kabinet.appeals import ratings
from kabinet.core.net import client_ip
from kabinet.core.ratelimit import over_rate
from kabinet.portal.access import customer_required
from kabinet.portal.rating_forms import GrantedRatingForm, RatingForm, ScoreForm
from kabinet.portal.views.appeals import appeal_page


def _too_often(request: HttpRequest) -> HttpResponse | None:
    retry = over_rate(f"rating-link:{client_ip(request)}", settings.KABINET_RATING_LINK_RATE)
    if retry is None:
        return None
    response = _refused(request, "Слишком много запросов. Повторите через минуту.", status=429)
    response["Retry-After"] = str(retry)
    return response


def _refused(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    return render(request, "portal/ratings/refused.html", {"reason": reason}, status=status)


@never_cache  # the token is in the address: no cache may keep the page
def rate(request: HttpRequest, token: str, score: int | None = None) -> HttpResponse:
    """GET: the confirmation page (the score preselected when the link carries one).
    POST: record the score and spend the link."""
    if limited := _too_often(request):
        return limited
    checked = ratings.check_link(token)
    if checked.state is not ratings.LinkState.VALID:
        return _refused(request, checked.refusal, status=410 if checked.link else 404)
    if request.method != "POST":
        form = ScoreForm(initial={"score": score} if score in ratings.SCORES else None)
        return _confirm_page(request, checked.link, token, form)
    form = ScoreForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, checked.link, token, form, status=400)
    try:
        rating = ratings.rate_by_link(token, form.cleaned_data["score"])
    except ratings.RatingRefused as refused:
        return _refused(request, str(refused))
    follow_up = GrantedRatingForm(initial={"score": rating.score, "grant": ratings.grant(rating)})
    return _thanks_page(request, rating, follow_up)


def _confirm_page(request, link, token, form, status=200) -> HttpResponse:
    context = {"appeal": link.appeal, "token": token, "form": form}
    return render(request, "portal/ratings/confirm.html", context, status=status)


def _thanks_page(request, rating, form, *, saved=False, status=200) -> HttpResponse:
    context = {"rating": rating, "form": form, "saved": saved, "low": rating.score <= ratings.LOW}
    return render(request, "portal/ratings/thanks.html", context, status=status)


@never_cache
@require_POST
def rate_comment(request: HttpRequest) -> HttpResponse:
    """The «thank you» page's form: the comment, and the score if changed."""
    if limited := _too_often(request):
        return limited
    form = GrantedRatingForm(request.POST)
    if not form.is_valid():
        if "grant" in form.errors:
            return _refused(request, "Страница устарела. Откройте обращение в личном кабинете.")
        return render(request, "portal/ratings/thanks.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        rating = ratings.rate_by_grant(data["grant"], data["score"], data["comment"])
    except ratings.RatingRefused as refused:
        return _refused(request, str(refused))
    return _thanks_page(request, rating, form, saved=True)


@require_POST
@customer_required
def appeal_rating(request: HttpRequest, number: str) -> HttpResponse:
    """«Оцените ответ» on the appeal's page: make or change the rating while the appeal is open."""
    form = RatingForm(request.POST)
    try:
        _, offer = ratings.customer_offer(request.user, number)  # someone else's: 404 before the form
        if not form.is_valid():
            if offer.may_rate:
                # At their fields, on the page with the form as typed (the comment kept).
                return appeal_page(request, number, rating_form=form, status=400)
            raise ratings.RatingRefused(ratings.CLOSED_REFUSAL)
        data = form.cleaned_data
        rating = ratings.rate_as_customer(request.user, number, data["score"], data["comment"])
    except ratings.RatingRefused as refused:
        messages.error(request, str(refused))
        return redirect("portal:appeal", number=number)
    messages.success(request, "Спасибо! Оценка сохранена.")
    return redirect(_appeal_anchor(number, rating.score <= ratings.LOW))


def _appeal_anchor(number: str, low: bool) -> str:
    # A low score lands on the form that reopens the appeal, which the page now offers.
    return reverse("portal:appeal", kwargs={"number": number}) + ("#write-title" if low else "#rating-title")
