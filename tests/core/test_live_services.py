"""Tests that need the machine's Redis or RabbitMQ ask for `live_redis` / `live_rabbitmq`: a
developer without them gets a loud skip, CI (the CI variable set) a failure, never a hang."""

import pytest

from tests.factories import amqp_answers, closed_port, need_service, redis_answers


@pytest.mark.parametrize("answers", [redis_answers, amqp_answers])
def test_a_dead_service_is_a_loud_skip_on_a_developer_s_machine(monkeypatch, answers):
    monkeypatch.delenv("CI", raising=False)
    with pytest.warns(UserWarning, match="!!!"), pytest.raises(pytest.skip.Exception, match="SKIPPED"):
        need_service("Service", ("127.0.0.1", closed_port()), answers)


@pytest.mark.parametrize("answers", [redis_answers, amqp_answers])
def test_a_dead_service_fails_under_ci(monkeypatch, answers):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        need_service("Service", ("127.0.0.1", closed_port()), answers)


def test_the_services_of_this_machine_answer(live_redis, live_rabbitmq):
    assert live_redis.startswith("redis://") and live_rabbitmq.startswith("amqp://")


def test_a_server_speaking_another_protocol_is_not_taken_for_redis(monkeypatch, live_rabbitmq):
    monkeypatch.setenv("CI", "1")
    # RabbitMQ waits for the rest of its 8-byte header, or answers with its own: never +PONG.
    with pytest.raises(pytest.fail.Exception, match=r"Redis at 127\.0\.0\.1:5672"):
        need_service("Redis", ("127.0.0.1", 5672), redis_answers)
