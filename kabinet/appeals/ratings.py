"""«Оцените ответ» (issue 16): the customer scores each answer from 1 to 5, with an optional
comment, from the appeal's page or from links in the answer's notification.

- Every answer («Дан ответ») issues one RatingLink; its token (only the SHA-256 is stored)
  goes out in the notification: the e-mail carries five links (token + score), the SMS one.
  Opening a link only shows a confirmation page: mail scanners fetch every link in a
  letter, so a GET must never record anything. The page's one button records the score; the
  token is then spent. The «thank you» page that follows carries a signed grant for that
  rating alone, with which the comment can be added and the score changed for
  KABINET_RATING_COMMENT_MINUTES.
- A link works once and for KABINET_RATING_LINK_DAYS; a token only ever reaches the answer it
  was issued for. A signed-in customer rates their own appeals on its page (anyone else's: 404).
- A rating is made or changed while the appeal is not closed.
- A score of 1 or 2 tells the supervisors of the appeal's region, once per rating, and the
  customer is offered to reopen the appeal (by writing to it, the existing rule).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
import enum
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from kabinet.appeals.models import Appeal, Message, StaffRole, Status
from kabinet.appeals.ratings_models import AnswerRating, RatingLink
from kabinet.billing.periods import month_name
from kabinet.core.compiled import Compiled, sentinel
from kabinet.notifications.services import send_email

__all__ = ["AnswerRating", "RatingLink"]

SCORES = {5: "Отлично", 4: "Хорошо", 3: "Удовлетворительно", 2: "Плохо", 1: "Очень плохо"}
LOW = 2  # 1 and 2 alert the supervisor and offer to reopen
GOOD = 4  # 4 and 5 are «хорошие» in the back office's share
GRANT_SALT = "kabinet.appeals.ratings.comment"


class RatingRefused(Exception):
    """The rating cannot be made or changed now; the message says why, in Russian."""


class LinkState(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    CLOSED = "closed"


CLOSED_REFUSAL = "Обращение закрыто, оценить ответ уже нельзя."


def link_refusal(state: LinkState) -> str:
    """Why a link does not rate, or "" for a valid one. Built when asked: the expiry names
    KABINET_RATING_LINK_DAYS as the settings hold it now, not as at import."""
    return {
        LinkState.UNKNOWN: "Ссылка недействительна. Оценить ответ можно на странице обращения в личном кабинете.",
        LinkState.USED: (
            "По этой ссылке оценка уже поставлена. Изменить её можно на странице обращения в личном кабинете, "
            "пока обращение не закрыто."
        ),
        LinkState.EXPIRED: (
            f"Срок действия ссылки истёк: она действует {settings.KABINET_RATING_LINK_DAYS} дней. "
            "Оценить ответ можно на странице обращения в личном кабинете, пока обращение не закрыто."
        ),
        LinkState.CLOSED: CLOSED_REFUSAL,
    }.get(state, "")


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    link: RatingLink | None = None

    @property
    def refusal(self) -> str:
        return link_refusal(self.state)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_rate(appeal: Appeal) -> bool:
    """The one rule for making or changing a rating: the appeal is not closed."""
    return appeal.status != Status.CLOSED


def issue_link(appeal: Appeal, answer: Message) -> str:
    """Called in the transaction that stores an answer: the token to put in its notification."""
    token = secrets.token_urlsafe(32)
    RatingLink.objects.create(appeal=appeal, answer=answer, token_hash=_hash(token), created_at=timezone.now())
    return token


def link_urls(token: str) -> dict[int, str]:
    """The one-click links of the e-mail, best score first; 0 is the SMS's link with no score."""
    base = settings.KABINET_PUBLIC_URL
    urls = {score: base + reverse("portal:rate_score", kwargs={"token": token, "score": score}) for score in SCORES}
    urls[0] = base + reverse("portal:rate", kwargs={"token": token})
    return urls


def check_link(token: str, *, for_update: bool = False) -> LinkCheck:
    """What a token is worth now. Looked up by its hash (the token never reaches the database)
    and compared again in constant time. `for_update` locks the link and its appeal's row: the
    appeal's orders a click against closing it (operators lock it the same way, as _change does),
    and a close in progress is waited for and then seen."""
    links = RatingLink.objects.select_related("appeal", "answer")
    if for_update:
        links = links.select_for_update(of=("self", "appeal"))
    link = links.filter(token_hash=_hash(token)).first()
    if link is None or not hmac.compare_digest(link.token_hash, _hash(token)):
        return LinkCheck(LinkState.UNKNOWN)
    if link.used_at is not None:
        return LinkCheck(LinkState.USED, link)
    if timezone.now() - link.created_at > timedelta(days=settings.KABINET_RATING_LINK_DAYS):
        return LinkCheck(LinkState.EXPIRED, link)
    if not may_rate(link.appeal):
        return LinkCheck(LinkState.CLOSED, link)
    return LinkCheck(LinkState.VALID, link)


def rate_by_link(token: str, score: int) -> AnswerRating:
    """The confirmation page's button: record the score and spend the token, in one transaction
    under the link's and the appeal's row locks, so two clicks at once record one use and a
    click racing a close is refused."""
    _check_score(score)
    with transaction.atomic():
        checked = check_link(token, for_update=True)
        if checked.state is not LinkState.VALID:
            raise RatingRefused(checked.refusal)
        link = checked.link
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        return _save(link.appeal, link.answer, score)


def grant(rating: AnswerRating) -> str:
    """The signed value the «thank you» page carries: it changes this rating only, for a while."""
    return signing.dumps(rating.pk, salt=GRANT_SALT)


def rate_by_grant(value: str, score: int, comment: str) -> AnswerRating:
    """The «thank you» page's form: the comment, and the score again (it may be changed)."""
    max_age = settings.KABINET_RATING_COMMENT_MINUTES * 60
    try:
        pk = signing.loads(value, salt=GRANT_SALT, max_age=max_age)
    except signing.BadSignature as bad:
        raise RatingRefused(
            "Страница устарела. Изменить оценку и написать комментарий можно на странице обращения в личном кабинете."
        ) from bad
    rating = AnswerRating.objects.select_related("appeal", "answer").get(pk=pk)
    return _change(rating.appeal, rating.answer, score, comment)


@dataclass(frozen=True)
class RatingOffer:
    """The appeal's latest answer to rate, with its rating: what the page's form rates (the page
    shows it from its own statement: `OfferShown`)."""

    answer: Message
    rating: AnswerRating | None
    may_rate: bool


# Which of an appeal's links is its latest: the answer rated is that link's.
_LATEST_FIRST = ("-created_at", "-pk")
# The appeal's latest link with its answer and the answer's rating (a one-to-one: none or one),
# in one statement compiled once a process (core.compiled).
_LATEST_LINK = Compiled(
    lambda appeal_id: (
        RatingLink.objects.filter(appeal_id=appeal_id)
        .select_related("answer", "answer__rating")
        .order_by(*_LATEST_FIRST)[:1]
    ),
    sentinel.integer(0),
)


def offer(appeal: Appeal) -> RatingOffer | None:
    """The latest answer that can be rated (one that issued a link), or None."""
    links = _LATEST_LINK.instances(appeal.pk)
    if not links:
        return None
    return _offer_of(appeal, links[0].answer)


@dataclass(frozen=True)
class OfferShown:
    """What the appeal's page shows of the offer to rate its latest answer: the answer's rating
    (its score and comment; None while not rated) and whether it may be rated now. Read as
    columns of the page's own statement (`latest_rating_columns`), not as `offer`'s rows."""

    score: int | None
    comment: str
    may_rate: bool

    @property
    def low(self) -> bool:
        return self.score is not None and self.score <= LOW


def latest_rating_columns() -> dict[str, Subquery]:
    """`offer`'s choice as columns of an appeal's read (the outer query's): the latest link's id
    (NULL: nothing to rate), and its answer's rating's score and comment (NULL while not rated),
    for `offer_shown`."""
    latest = RatingLink.objects.filter(appeal=OuterRef("pk")).order_by(*_LATEST_FIRST)
    return {
        "latest_link": Subquery(latest.values("pk")[:1]),
        "latest_score": Subquery(latest.values("answer__rating__score")[:1]),
        "latest_comment": Subquery(latest.values("answer__rating__comment")[:1]),
    }


def offer_shown(appeal: Appeal) -> OfferShown | None:
    """`offer(appeal)` as the page shows it, from an appeal read with `latest_rating_columns()`."""
    if appeal.latest_link is None:
        return None
    return OfferShown(score=appeal.latest_score, comment=appeal.latest_comment or "", may_rate=may_rate(appeal))


def _offer_of(appeal: Appeal, answer: Message) -> RatingOffer:
    """`answer` read with its rating (select_related's "rating": the joined row, or none)."""
    return RatingOffer(answer=answer, rating=getattr(answer, "rating", None), may_rate=may_rate(appeal))


def customer_offer(customer, number: str) -> tuple[Appeal, RatingOffer]:
    """The customer's own appeal with an answer to rate; anyone else's is not found (404),
    whether it has an answer or not."""
    # Not services.customer_appeal: services notify through notify, which imports this module.
    appeal = Appeal.objects.filter(customer=customer, number=number).first()
    if appeal is None:
        raise Http404
    current = offer(appeal)
    if current is None:
        raise RatingRefused("На обращение ещё нет ответа: оценить пока нечего.")
    return appeal, current


def rate_as_customer(customer, number: str, score: int, comment: str) -> AnswerRating:
    """The appeal page's form: make or change the rating of the latest answer."""
    appeal, current = customer_offer(customer, number)
    return _change(appeal, current.answer, score, comment)


def _check_score(score: int) -> None:
    if score not in SCORES:
        raise RatingRefused("Выберите оценку от 1 до 5.")


def _change(appeal: Appeal, answer: Message, score: int, comment: str) -> AnswerRating:
    _check_score(score)
    with transaction.atomic():
        # The appeal's row orders this against closing it (operators lock it the same way).
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if not may_rate(appeal):
            raise RatingRefused(CLOSED_REFUSAL)
        return _save(appeal, answer, score, comment)


def _save(appeal: Appeal, answer: Message, score: int, comment: str | None = None) -> AnswerRating:
    defaults = {"appeal": appeal, "operator_id": answer.author_id, "score": score}
    if comment is not None:
        defaults["comment"] = comment.strip()
    rating, _ = AnswerRating.objects.select_for_update().update_or_create(answer=answer, defaults=defaults)
    if rating.score <= LOW and rating.alerted_at is None:
        rating.alerted_at = timezone.now()
        rating.save(update_fields=["alerted_at"])
        _alert_supervisors(appeal, rating)
    return rating


def region_supervisors(appeal: Appeal) -> QuerySet[StaffRole]:
    return StaffRole.objects.filter(
        role=StaffRole.Role.SUPERVISOR, regions=appeal.region_id, user__is_active=True
    ).select_related("user")


def _alert_supervisors(appeal: Appeal, rating: AnswerRating) -> None:
    url = settings.KABINET_PUBLIC_URL + reverse("backoffice:appeal", kwargs={"pk": appeal.pk})
    operator = rating.answer.author
    body = (
        f"Клиент оценил ответ по обращению № {appeal.number} на {rating.score} из 5 "
        f"(«{SCORES[rating.score]}»).\nОтветил: {operator.get_full_name() or operator.email}.\n\n"
        f"Обращение в бэк-офисе: {url}"
    )
    for role in region_supervisors(appeal):
        if role.user.email:
            send_email(role.user.email, f"Низкая оценка ответа по обращению № {appeal.number}", body)


# --- The back office's summary ----------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    label: str
    count: int
    average: float
    good: int

    @property
    def good_share(self) -> int:
        """Percent of 4 and 5, rounded to a whole percent."""
        return round(100 * self.good / self.count) if self.count else 0


@dataclass(frozen=True)
class Summary:
    total: SummaryRow
    by_operator: list[SummaryRow]
    by_topic: list[SummaryRow]
    by_month: list[SummaryRow]


def visible_ratings(role: StaffRole) -> QuerySet[AnswerRating]:
    return AnswerRating.objects.filter(appeal__region__in=role.regions.all())


def summary(role: StaffRole) -> Summary:
    """Ratings of the employee's regions by operator, topic and the answer's month: count,
    average and the number of good ones (4–5), each computed by the database."""
    ratings = visible_ratings(role).order_by()
    figures = {"count": Count("pk"), "average": Avg("score"), "good": Count("pk", filter=Q(score__gte=GOOD))}

    def rows(group: dict, label, key) -> list[SummaryRow]:
        grouped = sorted(ratings.annotate(**group).values(*group).annotate(**figures), key=key)
        return [SummaryRow(label(row), row["count"], float(row["average"]), row["good"]) for row in grouped]

    operator = {"first": F("operator__first_name"), "last": F("operator__last_name"), "email": F("operator__email")}
    total = ratings.aggregate(**figures)
    return Summary(
        total=SummaryRow("Всего", total["count"], float(total["average"] or 0), total["good"]),
        by_operator=rows(operator, _person, _person),
        by_topic=rows({"topic": F("appeal__topic__name")}, lambda row: row["topic"], lambda row: row["topic"]),
        # Newest month first: the one a supervisor looks at.
        by_month=rows(
            {"month": TruncMonth("answer__created_at")},
            lambda row: _month_label(row["month"]),
            lambda row: -row["month"].toordinal(),
        ),
    )


def _person(row: dict) -> str:
    return f"{row['first']} {row['last']}".strip() or row["email"]


def _month_label(moment) -> str:
    return month_name(moment.date() if isinstance(moment, datetime) else moment)
