"""The back office's queue with nothing in it says why and what to do next, with a link."""

from django.urls import reverse

from tests.empty_state import empty_state

QUEUE = reverse("backoffice:queue")


def test_empty_queue(staff_client):
    state = empty_state(staff_client.get(QUEUE))
    assert "Открытых обращений нет" in state.text
    assert "появятся здесь сразу после отправки" in state.text
    assert state.links == ["?status=closed"]


def test_queue_filtered_to_nothing(staff_client):
    state = empty_state(staff_client.get(QUEUE, {"status": "answered"}))
    assert "По этому отбору обращений нет" in state.text
    assert state.links == [QUEUE]
