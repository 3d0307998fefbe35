"""core.compiled: a queryset compiled once runs with other arguments and finds what the
queryset finds, on every backend (SQLite holds datetimes and dates as text), per thread."""

from datetime import date, datetime, timedelta
from decimal import Decimal
import threading

from django.db import connection, connections
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
import pytest

from kabinet.billing.models import Accrual, Payment, PersonalAccount, Service
from kabinet.core.compiled import Compiled, RowsDigest, sentinel
from kabinet.identity.models import User
from kabinet.readings.models import Reading
from tests.factories import accrue, add_reading, make_account, make_customer, make_meter

pytestmark = pytest.mark.django_db


def joined_after(moment: datetime):
    return User.objects.filter(date_joined__gt=moment).order_by("pk")


def paid_between(first: date, last: date):
    return Payment.objects.filter(paid_on__gte=first, paid_on__lte=last).order_by("paid_on")


def test_a_datetime_argument_is_adapted_as_the_backend_holds_it():
    compiled = Compiled(joined_after, sentinel.moment(0))
    anna = make_customer("+79120000001")
    User.objects.filter(pk=anna.pk).update(date_joined=timezone.now() - timedelta(days=2))
    for moment in (timezone.now() - timedelta(days=3), timezone.now() - timedelta(days=1)):
        assert compiled.instances(moment) == list(joined_after(moment)), connection.vendor
    assert compiled.instances(timezone.now() - timedelta(days=3)) == [anna]


def test_dates_as_arguments(account):
    for day in (date(2026, 10, 5), date(2026, 11, 20), date(2026, 12, 1)):
        Payment.objects.create(account=account, paid_on=day, amount=Decimal("10.00"), channel="bank")
    compiled = Compiled(paid_between, sentinel.day(0), sentinel.day(1))
    for first, last in ((date(2026, 10, 1), date(2026, 11, 30)), (date(2026, 11, 20), date(2026, 11, 20))):
        got = [p.paid_on for p in compiled.instances(first, last)]
        assert got == [p.paid_on for p in paid_between(first, last)] != []


def test_an_integer_compared_with_an_integer_column(account):
    """Not a key: PostgreSQL's backend sends it in its column's width (Int4 here), which the
    sentinel must be found as, and each argument adapted to (a window's ROW_NUMBER() too)."""
    meter = make_meter(account)
    for month, value in ((1, 100), (2, 200), (3, 300)):
        add_reading(meter, date(2026, month, 1), value)

    def from_value(least: int):
        return Reading.objects.filter(t1__gte=least).order_by("t1")

    compiled = Compiled(from_value, sentinel.integer(0))
    for least in (0, 150, 300, 301):
        assert compiled.instances(least) == list(from_value(least)), least
    assert [reading.t1 for reading in compiled.instances(150)] == [200, 300]


@pytest.mark.parametrize(
    "argument",
    [None, ["a"], ("a",), {"a"}, frozenset("a"), User.objects.none(), 7, b"bytes"],
    ids=repr,
)
def test_arguments_that_would_change_the_sql_are_refused(argument):
    compiled = Compiled(lambda name: User.objects.filter(first_name=name), sentinel.text(0))
    with pytest.raises(TypeError):
        compiled.instances(argument)


def test_a_date_for_a_datetime_or_a_naive_datetime_is_refused():
    compiled = Compiled(joined_after, sentinel.moment(0))
    with pytest.raises(TypeError):
        compiled.instances(date(2026, 1, 1))
    with pytest.raises(TypeError):
        compiled.instances(datetime(2026, 1, 1))
    by_day = Compiled(paid_between, sentinel.day(0), sentinel.day(1))
    with pytest.raises(TypeError):
        by_day.instances(timezone.now(), date(2026, 1, 1))
    with pytest.raises(TypeError):
        Compiled(lambda pk: User.objects.filter(pk=pk), sentinel.integer(0)).instances(True)


def test_each_thread_compiles_on_its_own_connection():
    """A compiler holds its thread's connection: another thread must not run on it."""
    builds = []

    def build(name):
        builds.append(threading.get_ident())
        return User.objects.filter(first_name=name)

    compiled = Compiled(build, sentinel.text(0))
    assert compiled.instances("Анна") == []
    seen = {}

    def other():
        try:
            seen["rows"] = compiled.instances("Анна")
            seen["prepared"] = compiled._local.prepared
            seen["connection"] = connections["default"]
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["rows"] == [] and len(set(builds)) == 2
    assert next(iter(seen["prepared"].values())).connection is seen["connection"]


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, 10**20], ids=str)
def test_an_integer_past_64_bits_matches_nothing_as_with_the_orm(customer, pk):
    """An id from a URL may be any length: SQLite raised OverflowError (a 500 for a 404)."""
    compiled = Compiled(lambda pk: User.objects.filter(pk=pk), sentinel.integer(0))
    assert compiled.instances(pk) == list(User.objects.filter(pk=pk)) == []
    assert compiled.instances(2**63 - 1) == []
    assert compiled.instances(customer.pk) == [customer]


def test_on_postgresql_the_statement_is_kept_prepared(settings):
    """PostgreSQL parses and plans a compiled statement once a connection (docs/performance.md
    «5.»), with the same results; while queries are logged it runs as before, shown in the log."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    compiled = Compiled(joined_after, sentinel.moment(0))
    anna = make_customer("+79120000002")
    User.objects.filter(pk=anna.pk).update(date_joined=timezone.now() - timedelta(days=2))
    for days in (3, 1, 3):
        moment = timezone.now() - timedelta(days=days)
        assert compiled.instances(moment) == list(joined_after(moment))
    assert compiled.instances(timezone.now() - timedelta(days=3)) == [anna]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"identity_user"."date_joined" >' in statement for statement in prepared), prepared
    with CaptureQueriesContext(connection) as queries:
        assert compiled.instances(timezone.now() - timedelta(days=3)) == [anna]
    assert len(queries) == 1 and '"identity_user"."date_joined" >' in queries[0]["sql"]


def accruals_with_service(account: int):
    return (
        Accrual.objects.filter(account=account)
        .select_related("service")
        .annotate(twice=F("amount") * 2)
        .order_by("period", "pk")
    )


def test_rows_made_into_instances_later_are_what_instances_gives(account, django_assert_num_queries):
    """`rows` stops before the instances (select_related's and annotations' columns kept);
    `instances()` on them makes, without a query, what `Compiled.instances` makes."""
    for period in (date(2026, 9, 1), date(2026, 10, 1)):
        accrue(account, period)
    compiled = Compiled(accruals_with_service, sentinel.integer(0))
    expected = list(accruals_with_service(account.pk))
    rows = compiled.rows(account.pk)
    with django_assert_num_queries(0):
        got = rows.instances()
        first = rows[:1].instances()
    assert got == compiled.instances(account.pk) == expected != []
    assert first == expected[:1]
    seen = [(a.pk, a.amount, a.twice, a.service.name, a.service.unit, a.period) for a in got]
    assert seen == [(a.pk, a.amount, a.twice, a.service.name, a.service.unit, a.period) for a in expected]
    own = len(Accrual._meta.concrete_fields)
    # The values from_db is given, as the ORM's converters leave them: the accrual's, then the rest.
    assert [row[:own] for row in rows.values] == [
        tuple(getattr(a, f.attname) for f in Accrual._meta.concrete_fields) for a in expected
    ]
    assert {len(row) for row in rows.values} == {own + 1 + len(Service._meta.concrete_fields)}
    assert len(compiled.rows(10**20)) == 0 and compiled.rows(10**20).instances() == []


def digest(reads) -> str | None:
    """The reads' `RowsDigest` as a column of any statement with a row."""
    return Service.objects.annotate(digest=RowsDigest(reads)).values_list("digest", flat=True).first()


def test_a_rows_digest_is_postgresqls_over_every_column_of_every_row(account):
    """`RowsDigest`: over the reads given, in the statement it annotates, changing with any column
    of any row, a select_related one included, and with values swapped between rows
    (docs/performance.md «6e.», step 11); NULL elsewhere, where the caller digests the rows itself."""
    accrued = Compiled(lambda pk: Accrual.objects.filter(account=pk).select_related("service"), sentinel.integer(0))
    paid = Compiled(lambda pk: Payment.objects.filter(account=pk), sentinel.integer(0))
    reads = [(accrued, (account.pk,)), (paid, (account.pk,))]
    accrue(account, date(2026, 9, 1))
    Payment.objects.create(account=account, paid_on=date(2026, 9, 5), amount=Decimal("10.00"), channel="bank")
    later = Payment.objects.create(account=account, paid_on=date(2026, 9, 25), amount=Decimal("20.00"), channel="bank")
    if connection.vendor != "postgresql":
        assert digest(reads) is None
        pytest.skip("the rows digested by the database are PostgreSQL's")
    with CaptureQueriesContext(connection) as captured:
        before = digest(reads)
    assert len(captured.captured_queries) == 1
    assert digest(reads) == before
    assert digest([(paid, (account.pk,)), (accrued, (account.pk,))]) != before  # in its order
    assert digest([(accrued, (account.pk,)), (paid, (2**63,))]) != before  # no row matched
    Service.objects.filter(pk=Accrual.objects.filter(account=account).first().service_id).update(unit="МВт·ч")
    after = digest(reads)
    assert after != before
    Payment.objects.exclude(pk=later.pk).filter(account=account).update(paid_on=date(2026, 9, 25))
    Payment.objects.filter(pk=later.pk).update(paid_on=date(2026, 9, 5))  # the two dates swapped
    swapped = digest(reads)
    assert swapped != after
    Payment.objects.filter(account=account).update(amount=Decimal("10.01"))
    assert digest(reads) != swapped


def test_a_rows_digest_column_takes_the_compiled_statements_own_arguments(account, sverdlovsk):
    """`RowsDigest` in a compiled statement, its reads given that statement's sentinel: each run's
    digest is that of the reads with that run's argument (NULL off PostgreSQL)."""
    accrued = Compiled(lambda pk: Accrual.objects.filter(account=pk).select_related("service"), sentinel.integer(0))
    paid = Compiled(lambda pk: Payment.objects.filter(account=pk), sentinel.integer(0))
    with_digest = Compiled(
        lambda pk: PersonalAccount.objects.filter(pk=pk).annotate(digest=RowsDigest([(accrued, (pk,)), (paid, (pk,))])),
        sentinel.integer(0),
    )
    other = make_account(sverdlovsk, "660100000077", house="7")
    accrue(account, date(2026, 9, 1))
    Payment.objects.create(account=account, paid_on=date(2026, 9, 5), amount=Decimal("10.00"), channel="bank")
    digests = {a.pk: with_digest.instances(a.pk)[0].digest for a in (account, other)}
    assert digests == {a.pk: digest([(accrued, (a.pk,)), (paid, (a.pk,))]) for a in (account, other)}
    if connection.vendor == "postgresql":
        assert digests[account.pk] != digests[other.pk]
    else:
        assert set(digests.values()) == {None}


def test_a_values_list_gives_the_querysets_tuples_and_no_instances(account):
    for period in (date(2026, 9, 1), date(2026, 10, 1)):
        accrue(account, period)

    def periods(account_id: int, first: date):
        return (
            Accrual.objects.filter(account_id=account_id, period__gte=first)
            .annotate(twice=F("amount") * 2)
            .values_list("period", "twice")
            .order_by("-period", "-twice")
        )

    compiled = Compiled(periods, sentinel.integer(0), sentinel.day(0))
    rows = compiled.rows(account.pk, date(2026, 10, 1))
    assert list(rows.values) == list(periods(account.pk, date(2026, 10, 1))) and len(rows) == 3
    with pytest.raises(TypeError, match="no instances"):
        rows.instances()
    none = compiled.rows(account.pk, date(2027, 1, 1))
    assert len(none) == 0
    with pytest.raises(TypeError, match="no instances"):  # without rows as with them
        none.instances()


def test_a_values_list_whose_columns_the_queryset_would_reorder_is_refused(account):
    reordered = Compiled(
        lambda account_id: (
            Accrual.objects.filter(account_id=account_id).annotate(twice=F("amount") * 2).values_list("twice", "period")
        ),
        sentinel.integer(0),
    )
    with pytest.raises(TypeError, match="reorder"):
        reordered.rows(account.pk)
