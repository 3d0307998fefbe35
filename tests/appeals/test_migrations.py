"""appeals 0003 adds the kind: the appeals filed before it stay plain appeals."""

from django.db.migrations.executor import MigrationExecutor
import pytest

from kabinet.appeals.models import Appeal, AppealKind
from tests.factories import make_appeal, migrate_to_latest

BEFORE = ("appeals", "0002_answer_rating")


@pytest.mark.django_db(transaction=True)
def test_appeals_filed_before_the_kind_are_plain_appeals(customer, account, reason):
    from django.db import connection

    appeal = make_appeal(customer, account, reason, files=0)
    try:
        MigrationExecutor(connection).migrate([BEFORE])
    finally:
        migrate_to_latest()
    assert Appeal.objects.get(pk=appeal.pk).kind == AppealKind.APPEAL
    assert not hasattr(Appeal.objects.get(pk=appeal.pk), "complaint")
