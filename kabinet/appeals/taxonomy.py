"""The taxonomy an appeal is filed under (G14): its topics and each topic's reasons, with the
documents hint a reason may carry; what «Создать обращение» and the API offer a customer.

«Создать обращение» keeps its taxonomy's fields drawn per process (portal.appeal_forms) under a
digest of every row the two reads below return, which PostgreSQL computes in the statement that
reads the customer's accounts (`digest_column`, appeals.services.new_appeal_facts): an admin's
edit of a topic or a reason changes the digest, so the next page draws afresh, and a page whose
fields are kept reads no topic or reason (docs/performance.md step 21). Elsewhere (SQLite) the
digest is NULL and the rows themselves are the key (`taxonomy_rows`)."""

from collections.abc import Hashable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from kabinet.appeals.models import Reason, Topic
from kabinet.core.compiled import Compiled, Rows, RowsDigest


@dataclass(frozen=True)
class Taxonomy:
    """What «Создать обращение» offers: the active topics, the active reasons of active topics,
    and the documents hint of every active reason that has one."""

    topics: list[Topic]
    reasons: list[Reason]
    hints: dict[int, str]


# Both in the models' order (the reasons by their topic's, then their own). The reasons of inactive
# topics too: their hints were always listed, hidden, with the others'.
_TOPICS = Compiled(lambda: Topic.objects.filter(is_active=True))
_REASONS = Compiled(lambda: Reason.objects.filter(is_active=True))
# Every topic, for the digest alone: the reasons are listed by their topic's `ordering`, an inactive
# topic's too (the hints), and PostgreSQL's digest keeps no order of rows, only their columns.
_EVERY_TOPIC = Compiled(lambda: Topic.objects.all())


@dataclass(frozen=True, eq=False)
class TaxonomyRows:
    """The two reads' rows, before any instance is made: `key` stands for everything the page
    draws of them (every column of every row, in their order)."""

    topics: Rows
    reasons: Rows

    @property
    def key(self) -> Hashable:
        return (self.topics.values, self.reasons.values)

    def taxonomy(self) -> Taxonomy:
        """A reason is offered when its topic is one of the active topics read (then its `topic`,
        not read again)."""
        topics = self.topics.instances()
        active = {topic.pk: topic for topic in topics}
        reasons = self.reasons.instances()
        offered = []
        for reason in reasons:
            if reason.topic_id in active:
                reason.topic = active[reason.topic_id]
                offered.append(reason)
        hints = {reason.pk: reason.documents_hint for reason in reasons if reason.documents_hint}
        return Taxonomy(topics=topics, reasons=offered, hints=hints)


def taxonomy_rows() -> TaxonomyRows:
    """The active topics and reasons, two compiled reads."""
    return TaxonomyRows(topics=_TOPICS.rows(), reasons=_REASONS.rows())


def appeal_taxonomy() -> Taxonomy:
    """The topics and reasons a new appeal may give, in two compiled reads."""
    return taxonomy_rows().taxonomy()


def digest_column() -> RowsDigest:
    """PostgreSQL's digest of every column of every row `taxonomy_rows` reads and of every topic
    (whose order lists the reasons), as a column of another statement (NULL on other databases)."""
    return RowsDigest([(_EVERY_TOPIC, ()), (_REASONS, ())])


def digest_now() -> str | None:
    """`digest_column`'s digest in a statement of its own (None on other databases)."""
    return digest_column().read()


def active_topics() -> QuerySet[Topic]:
    """The taxonomy a customer chooses from: active topics, each with its active reasons."""
    reasons = Prefetch("reasons", queryset=Reason.objects.filter(is_active=True), to_attr="active_reasons")
    return Topic.objects.filter(is_active=True).prefetch_related(reasons)


def active_reason(reason_id: int) -> Reason | None:
    """A reason a new appeal may give: active, in an active topic."""
    return Reason.objects.filter(pk=reason_id, is_active=True, topic__is_active=True).select_related("topic").first()
