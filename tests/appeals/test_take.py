"""Taking an appeal into work, who sees which appeals, and reassignment by a supervisor."""

from django.http import Http404
import pytest

from kabinet.appeals import operators
from kabinet.appeals.models import Appeal, Event, StaffRole, Status
from kabinet.appeals.operators import AlreadyTaken
from kabinet.appeals.services import AppealRefused
from tests.factories import in_threads, make_account, make_appeal, make_customer, make_staff


@pytest.fixture
def appeal(customer, account, reason) -> Appeal:
    return make_appeal(customer, account, reason)


@pytest.mark.django_db(transaction=True)
def test_two_operators_take_at_once_exactly_one_wins(sverdlovsk, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    staff = [
        make_staff("first@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Первый"),
        make_staff("second@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Второй"),
    ]

    results = in_threads(2, lambda i: operators.take(staff[i], appeal.pk))

    winners = [r for r in results if isinstance(r, Appeal)]
    losers = [r for r in results if isinstance(r, AlreadyTaken)]
    assert len(winners) == 1 and len(losers) == 1, results
    winner = staff[results.index(winners[0])].user
    appeal.refresh_from_db()
    assert appeal.assignee == winner
    assert appeal.status == Status.IN_PROGRESS
    assert losers[0].assignee == winner
    assert str(winner) in str(losers[0])
    assigned = appeal.events.filter(kind=Event.Kind.ASSIGNED)
    assert [(e.actor, e.details["assignee"]) for e in assigned] == [(winner, winner.pk)]
    status = appeal.events.get(kind=Event.Kind.STATUS)
    assert (status.actor, status.from_status, status.to_status) == (winner, Status.NEW, Status.IN_PROGRESS)


@pytest.mark.django_db(transaction=True)
def test_many_operators_take_at_once_one_winner(sverdlovsk, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    staff = [make_staff(f"op{i}@example.ru", StaffRole.Role.OPERATOR, sverdlovsk) for i in range(6)]

    results = in_threads(6, lambda i: operators.take(staff[i], appeal.pk))

    assert sum(isinstance(r, Appeal) for r in results) == 1, results
    assert sum(isinstance(r, AlreadyTaken) for r in results) == 5, results
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED).count() == 1
    assert appeal.events.filter(kind=Event.Kind.STATUS).count() == 1


def test_take_moves_new_to_in_progress_and_records_it(appeal, operator):
    taken = operators.take(operator, appeal.pk)
    assert taken.assignee == operator.user
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (Status.IN_PROGRESS, operator.user)
    kinds = list(appeal.events.values_list("kind", "actor", "from_status", "to_status"))
    assert kinds == [
        (Event.Kind.CREATED, appeal.customer_id, "", ""),
        (Event.Kind.ASSIGNED, operator.user_id, "", ""),
        (Event.Kind.STATUS, operator.user_id, Status.NEW, Status.IN_PROGRESS),
    ]


def test_taking_a_taken_appeal_names_who_has_it(appeal, operator, colleague):
    operators.take(operator, appeal.pk)
    with pytest.raises(AlreadyTaken, match="Ольга") as refused:
        operators.take(colleague, appeal.pk)
    assert refused.value.assignee == operator.user
    appeal.refresh_from_db()
    assert appeal.assignee == operator.user
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED).count() == 1


def test_taking_an_appeal_that_is_not_new_keeps_its_status(appeal, operator, supervisor):
    Appeal.objects.filter(pk=appeal.pk).update(status=Status.WAITING)
    operators.take(supervisor, appeal.pk)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (Status.WAITING, supervisor.user)
    assert not appeal.events.filter(kind=Event.Kind.STATUS).exists()


def test_operator_of_another_region_neither_sees_nor_takes(appeal, perm_operator, perm):
    perm_appeal = make_appeal(
        make_customer("+79120000059", perm_account := make_account(perm, "5901000001")), perm_account, appeal.reason
    )
    assert list(operators.visible_appeals(perm_operator)) == [perm_appeal]
    with pytest.raises(Http404):
        operators.staff_appeal(perm_operator, appeal.pk)
    with pytest.raises(Http404):
        operators.take(perm_operator, appeal.pk)
    with pytest.raises(Http404):
        operators.change_status(perm_operator, appeal.pk, Status.CLOSED)
    with pytest.raises(Http404):
        operators.reply(perm_operator, appeal.pk, operators.Reply("Ответ", Status.ANSWERED, []))
    with pytest.raises(Http404):
        operators.add_note(perm_operator, appeal.pk, "Заметка", [])
    with pytest.raises(Http404):
        operators.staff_attachment(perm_operator, appeal.pk, appeal.attachments.get().pk)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.assignee) == (Status.NEW, None)
    assert list(appeal.events.values_list("kind", flat=True)) == [Event.Kind.CREATED]
    assert not appeal.messages.exists()


def test_staff_of_two_regions_sees_both(appeal, perm, sverdlovsk):
    perm_account = make_account(perm, "5901000001")
    perm_appeal = make_appeal(make_customer("+79120000059", perm_account), perm_account, appeal.reason)
    both = make_staff("both@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, perm)
    assert set(operators.visible_appeals(both)) == {appeal, perm_appeal}


def test_customers_and_inactive_users_have_no_staff_role(customer, operator):
    assert operators.staff_role(customer) is None
    assert operators.staff_role(operator.user) == operator
    operator.user.is_active = False
    operator.user.save()
    assert operators.staff_role(operator.user) is None


def test_supervisor_reassigns_to_staff_of_the_region(appeal, operator, colleague, supervisor):
    operators.take(operator, appeal.pk)
    operators.reassign(supervisor, appeal.pk, colleague.user_id)
    appeal.refresh_from_db()
    assert appeal.assignee == colleague.user
    event = appeal.events.filter(kind=Event.Kind.ASSIGNED).last()
    assert (event.actor, event.details) == (supervisor.user, {"assignee": colleague.user_id})
    assert {s.user for s in operators.colleagues(supervisor, appeal)} == {
        operator.user,
        colleague.user,
        supervisor.user,
    }


def test_supervisor_cannot_reassign_outside_the_region(appeal, operator, supervisor, perm_operator, customer):
    operators.take(operator, appeal.pk)
    inactive = make_staff("gone@example.ru", StaffRole.Role.OPERATOR, appeal.region)
    inactive.user.is_active = False
    inactive.user.save()
    for outsider in (perm_operator.user_id, inactive.user_id, customer.pk):
        with pytest.raises(AppealRefused, match="не работает с обращениями этого региона"):
            operators.reassign(supervisor, appeal.pk, outsider)
    appeal.refresh_from_db()
    assert appeal.assignee == operator.user
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED).count() == 1
    assert perm_operator.user not in {s.user for s in operators.colleagues(supervisor, appeal)}


def test_operator_cannot_reassign(appeal, operator, colleague):
    operators.take(operator, appeal.pk)
    with pytest.raises(AppealRefused, match="только руководитель"):
        operators.reassign(operator, appeal.pk, colleague.user_id)
    appeal.refresh_from_db()
    assert appeal.assignee == operator.user
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED).count() == 1


def test_supervisor_of_another_region_cannot_reassign(appeal, operator, colleague, perm):
    other = make_staff("perm-boss@example.ru", StaffRole.Role.SUPERVISOR, perm)
    operators.take(operator, appeal.pk)
    with pytest.raises(Http404):
        operators.reassign(other, appeal.pk, colleague.user_id)
    appeal.refresh_from_db()
    assert appeal.assignee == operator.user


def test_only_the_assignee_or_a_supervisor_acts_on_an_appeal(appeal, operator, colleague, supervisor):
    operators.take(operator, appeal.pk)
    with pytest.raises(AppealRefused, match="возьмите обращение в работу"):
        operators.change_status(colleague, appeal.pk, Status.CLOSED)
    with pytest.raises(AppealRefused, match="возьмите обращение в работу"):
        operators.reply(colleague, appeal.pk, operators.Reply("Ответ", Status.ANSWERED, []))
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS
    assert not appeal.messages.exists()
    operators.change_status(supervisor, appeal.pk, Status.CLOSED, without_answer=True)
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
