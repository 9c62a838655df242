"""Delivering replies and pushes: expired tokens, retries with one key, quota."""

from __future__ import annotations

import time

from bot.delivery import FINAL, deliver, sweep
from bot.localline import follow_event, user_source
from storage import outbox
from tests.conftest import RunningBot


def test_expired_reply_token_falls_back_to_a_counted_push(bot_factory) -> None:
    bot: RunningBot = bot_factory()
    token = bot.world.issue_reply_token(user_source("U1"))
    bot.world.expire_reply_tokens()
    bot.client.post([follow_event("U1", token)])
    bot.settle()
    [delivery] = bot.world.deliveries()
    assert delivery.kind == "push" and delivery.to == "U1" and delivery.cost == 1
    assert delivery.retry_key
    assert bot.sql("SELECT kind, status, fallback_push, cost FROM outbox") == [("push", "sent", True, 1)]
    rejected = [r for r in bot.world.requests() if r.path == "/v2/bot/message/reply"]
    assert [r.status for r in rejected] == [400]


def test_a_late_worker_does_not_even_try_a_stale_token(bot_factory) -> None:
    bot: RunningBot = bot_factory()
    token = bot.world.issue_reply_token(user_source("U1"))
    event = follow_event("U1", token)
    event["timestamp"] = int((time.time() - 120) * 1000)  # received two minutes ago
    bot.client.post([event])
    bot.settle()
    assert [d.kind for d in bot.world.deliveries()] == ["push"]
    assert not [r for r in bot.world.requests() if r.path == "/v2/bot/message/reply"]


def test_expired_reply_token_with_drop_policy_sends_nothing(bot_factory) -> None:
    bot: RunningBot = bot_factory(expired_reply_policy="drop")
    token = bot.world.issue_reply_token(user_source("U1"))
    bot.world.expire_reply_tokens()
    bot.client.post([follow_event("U1", token)])
    bot.settle()
    assert bot.world.deliveries() == []
    assert bot.sql("SELECT kind, status FROM outbox") == [("reply", "dropped")]


def reply_statuses(bot: RunningBot) -> list[int]:
    return [r.status for r in bot.world.requests() if r.path == "/v2/bot/message/reply"]


def test_a_reply_line_refused_with_500_or_429_is_tried_again_within_its_minute(bot_factory) -> None:
    """Issue 14, defect 3: a reply LINE refused used to be marked failed and the person
    got nothing. A 5xx or 429 answer means LINE did not take it: the token is unused."""
    bot: RunningBot = bot_factory()
    bot.world.inject_fault("/v2/bot/message/reply", status=500, times=1)
    bot.world.inject_fault("/v2/bot/message/reply", status=429, times=1)
    bot.client.follow("U1")
    bot.settle()
    assert reply_statuses(bot) == [500, 429, 200]
    [delivery] = bot.world.deliveries()
    assert delivery.kind == "reply" and delivery.to == "U1"
    assert bot.sql("SELECT kind, status, fallback_push, attempts FROM outbox") == [("reply", "sent", False, 3)]


def test_a_reply_line_keeps_refusing_becomes_one_counted_push(bot_factory) -> None:
    bot: RunningBot = bot_factory()
    bot.world.inject_fault("/v2/bot/message/reply", status=503, times=-1)
    token = bot.world.issue_reply_token(user_source("U1"))
    event = follow_event("U1", token)
    event["timestamp"] = int((time.time() - 56) * 1000)  # four seconds of the token's minute left
    bot.client.post([event])
    bot.settle(timeout=20)
    assert reply_statuses(bot) and set(reply_statuses(bot)) == {503}
    assert [(d.kind, d.to) for d in bot.world.deliveries()] == [("push", "U1")]
    assert bot.sql("SELECT kind, status, fallback_push FROM outbox") == [("push", "sent", True)]


def test_a_reply_whose_outcome_is_unknown_is_not_resent_and_is_counted(bot_factory) -> None:
    """A timeout after the request went out: LINE may have delivered it (here it did),
    so sending it again, as a reply or a push, could say it twice."""
    bot: RunningBot = bot_factory(line_read_timeout=0.5)
    bot.world.inject_fault("/v2/bot/message/reply", latency=1.5, times=1)
    bot.client.follow("U1")
    bot.settle()
    time.sleep(1.5)  # the slow call completes at LINE after the bot stopped waiting
    assert [d.kind for d in bot.world.deliveries()] == ["reply"]
    assert bot.sql("SELECT kind, status FROM outbox") == [("reply", "unknown")]


def queue_push(bot: RunningBot, to: str, body: str, dedupe_key: str | None = None) -> int | None:
    with bot.services.sessions() as session, session.begin():
        row = outbox.enqueue_push(
            session,
            chat_id=to,
            messages=[{"type": "text", "text": body}],
            purpose="test",
            dedupe_key=dedupe_key,
        )
        return None if row is None else row.id


def push_requests(bot: RunningBot) -> list:
    return [r for r in bot.world.requests() if r.path == "/v2/bot/message/push"]


def status_of(bot: RunningBot, row_id: int) -> str:
    return str(bot.sql("SELECT status FROM outbox WHERE id = :i", i=row_id)[0][0])


def sweep_until_final(bot: RunningBot, row_id: int, timeout: float = 10.0) -> str:
    """What the worker's sweeper does every second: send the rows whose retry is due."""
    deadline = time.monotonic() + timeout
    while status_of(bot, row_id) not in FINAL and time.monotonic() < deadline:
        sweep(bot.services)
        time.sleep(0.02)
    return status_of(bot, row_id)


def test_push_500_and_429_are_retried_with_the_same_key_and_delivered_once(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.add_user("U1", "สมศรี")
    bot.world.inject_fault("/v2/bot/message/push", status=500, times=1)
    bot.world.inject_fault("/v2/bot/message/push", status=429, times=1)
    row_id = queue_push(bot, "U1", "แจ้งเตือน")
    assert deliver(bot.services, row_id) == "pending"  # scheduled, not slept on
    assert sweep_until_final(bot, row_id) == "sent"
    attempts = push_requests(bot)
    assert [r.status for r in attempts] == [500, 429, 200]
    assert len({r.retry_key for r in attempts}) == 1
    assert len(bot.world.deliveries(kind="push")) == 1


def test_a_push_that_keeps_failing_waits_and_is_swept_later_with_its_key(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", push_max_retries=2, push_backoff_base=30)
    bot.world.add_user("U1", "สมศรี")
    bot.world.inject_fault("/v2/bot/message/push", status=503, times=2)
    row_id = queue_push(bot, "U1", "แจ้งเตือน")
    assert deliver(bot.services, row_id) == "pending"
    assert sweep(bot.services) == 0  # not due for 30 s: the row waits, no thread does
    assert deliver(bot.services, row_id) == "taken"
    for _ in range(2):
        with bot.services.engine.begin() as conn:  # make it due now instead of in 30 s, 60 s
            conn.exec_driver_sql("UPDATE outbox SET next_attempt_at = created_at")
        assert sweep(bot.services) == 1
    keys = {r.retry_key for r in push_requests(bot)}
    assert [r.status for r in push_requests(bot)] == [503, 503, 200]
    assert len(keys) == 1
    assert len(bot.world.deliveries(kind="push")) == 1


def test_a_push_gives_up_after_its_retries_with_one_key(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", push_max_retries=3, push_backoff_base=0.01)
    bot.world.add_user("U1", "สมศรี")
    bot.world.inject_fault("/v2/bot/message/push", status=502, times=-1)
    row_id = queue_push(bot, "U1", "แจ้งเตือน")
    deliver(bot.services, row_id)
    assert sweep_until_final(bot, row_id) == "failed"
    assert len(push_requests(bot)) == 1 + 3  # the first try and push_max_retries
    assert len({r.retry_key for r in push_requests(bot)}) == 1


def test_retry_after_from_line_sets_when_the_push_is_tried_again(bot_factory) -> None:
    from bot.delivery import retry_delay
    from plans.errors import LineRateLimited

    bot: RunningBot = bot_factory(worker_mode="external", push_backoff_base=0.5)
    told = LineRateLimited("LINE API 429", status=429, headers={"Retry-After": "7"})
    assert retry_delay(bot.services, 1, told).total_seconds() == 7
    plain = LineRateLimited("LINE API 429", status=429)
    assert [retry_delay(bot.services, n, plain).total_seconds() for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


def test_a_push_line_already_accepted_is_not_delivered_twice(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.add_user("U1", "สมศรี")
    row_id = queue_push(bot, "U1", "แจ้งเตือน")
    assert deliver(bot.services, row_id) == "sent"
    # A worker that died after LINE took the push but before it was marked sent:
    with bot.services.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE outbox SET status = 'pending'")
    assert deliver(bot.services, row_id) == "sent"
    assert [r.status for r in push_requests(bot)] == [200, 409]
    assert len(bot.world.deliveries(kind="push")) == 1


def test_a_scheduled_message_has_one_ledger_entry(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    assert queue_push(bot, "U1", "เตือน", dedupe_key="reminder:2026-11:U1") is not None
    assert queue_push(bot, "U1", "เตือน", dedupe_key="reminder:2026-11:U1") is None
    assert bot.sql("SELECT count(*) FROM outbox")[0][0] == 1


def test_push_into_a_group_costs_its_member_count_and_quota_429_is_final(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.add_group("Cg1", "ฝ่ายปกครอง", ["U1", "U2", "U3"])
    bot.world.set_quota(5)
    first = queue_push(bot, "Cg1", "สรุปประจำเดือน")
    assert deliver(bot.services, first) == "sent"
    assert bot.sql("SELECT cost FROM outbox") == [(3,)]
    second = queue_push(bot, "Cg1", "อีกครั้ง")
    assert deliver(bot.services, second) == "failed"
    [(status, error)] = bot.sql("SELECT status, last_error FROM outbox WHERE id = :i", i=second)
    assert "quota" in error
    assert len(push_requests(bot)) == 2  # the quota 429 was not retried


def test_the_sweeper_leaves_a_fresh_reply_to_its_own_worker(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    token = bot.world.issue_reply_token({"type": "user", "userId": "U1"})
    with bot.services.sessions() as session, session.begin():
        from datetime import UTC, datetime

        row = outbox.enqueue_reply(session, chat_id="U1", reply_token=token,
                                   messages=[{"type": "text", "text": "ตอบ"}], event_time=datetime.now(UTC))  # fmt: skip
        row_id = row.id
    assert sweep(bot.services) == 0  # a row just written is its worker's, not the sweeper's
    with bot.services.sessions() as session, session.begin():
        outbox.begin_sending(session, row_id)  # its worker is sending it now
    assert sweep(bot.services) == 0
    assert bot.sql("SELECT status FROM outbox") == [("sending",)]


def test_a_row_whose_worker_died_before_sending_is_delivered_by_the_sweeper(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    bot.world.add_user("U1", "สมศรี")
    queue_push(bot, "U1", "แจ้งเตือน")
    with bot.services.engine.begin() as conn:  # written a minute ago, never sent
        conn.exec_driver_sql("UPDATE outbox SET created_at = created_at - INTERVAL '1 minute'"
                             if bot.services.engine.dialect.name == "postgresql"
                             else "UPDATE outbox SET created_at = datetime(created_at, '-1 minute')")  # fmt: skip
    assert sweep(bot.services) == 1
    assert len(bot.world.deliveries(kind="push")) == 1


def _reply_cut_off_mid_send(bot: RunningBot, token: str) -> int:
    """A reply row as a process leaves it that was killed during the call to LINE."""
    from datetime import timedelta

    from sqlalchemy import update

    from storage.db import utcnow
    from storage.models import OutboxMessage

    with bot.services.sessions() as session, session.begin():
        row = outbox.enqueue_reply(session, chat_id="U1", reply_token=token,
                                   messages=[{"type": "text", "text": "รับทราบ"}], event_time=utcnow())
        row_id = row.id
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
            status="sending", attempts=1, next_attempt_at=utcnow() - timedelta(seconds=20)))
    return row_id


def test_a_reply_cut_off_before_it_reached_line_is_sent_again_within_its_minute(bot_factory) -> None:
    """Issue 14's kill -9 run: a process killed after taking a reply and before LINE got
    the call left it "sending"; it used to be marked unknown and the person got nothing."""
    bot: RunningBot = bot_factory(outbox_stale_seconds=120, worker_mode="external")  # no sweeper of its own racing
    token = bot.world.issue_reply_token(user_source("U1"))
    row_id = _reply_cut_off_mid_send(bot, token)
    sweep(bot.services)
    assert status_of(bot, row_id) == "sent"
    assert [(d.kind, d.to) for d in bot.world.deliveries()] == [("reply", "U1")]


def test_a_reply_cut_off_after_line_took_it_is_not_said_twice(bot_factory) -> None:
    bot: RunningBot = bot_factory(outbox_stale_seconds=120, worker_mode="external")  # no sweeper of its own racing
    token = bot.world.issue_reply_token(user_source("U1"))
    row_id = _reply_cut_off_mid_send(bot, token)
    bot.services.gateway.reply(token, [{"type": "text", "text": "รับทราบ"}])  # the cut-off call did arrive
    sweep(bot.services)
    assert status_of(bot, row_id) == "unknown"
    assert [d.kind for d in bot.world.deliveries()] == ["reply"]  # once, and no push
