"""The webhook over real HTTP: signed bodies in, rows in the inbox, replies at LINE."""

from __future__ import annotations

import json
import time
import urllib.request

from sqlalchemy import event as sa_event

from bot.localline import (
    follow_event,
    group_source,
    sign,
    text_event,
    user_source,
    webhook_body,
)
from tests.conftest import SECRET, RunningBot


def post_raw(bot: RunningBot, body: bytes, signature: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    request = urllib.request.Request(bot.callback, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def inbox_count(bot: RunningBot) -> int:
    return bot.sql("SELECT count(*) FROM inbox_events")[0][0]


def test_valid_signature_is_accepted_stored_and_answered(bot: RunningBot) -> None:
    result = bot.client.follow("U1000")
    assert result.status == 200
    bot.settle()
    [delivery] = bot.world.deliveries(kind="reply")
    assert delivery.to == "U1000"
    assert "ยินดีต้อนรับ" in delivery.messages[0]["text"]
    assert bot.sql("SELECT event_type, status FROM inbox_events") == [("follow", "done")]
    assert bot.sql("SELECT kind, status FROM outbox") == [("reply", "sent")]


def test_wrong_or_missing_signature_is_400_and_nothing_is_stored(bot: RunningBot) -> None:
    body = webhook_body([follow_event("U1", "token")])
    assert post_raw(bot, body, sign(body, "another-secret"))[0] == 400
    assert post_raw(bot, body, None)[0] == 400
    assert post_raw(bot, body, "")[0] == 400
    tampered = body.replace(b"U1", b"U2")
    assert post_raw(bot, tampered, sign(body, SECRET))[0] == 400
    assert inbox_count(bot) == 0
    assert bot.world.deliveries() == []


def test_verify_button_empty_events_is_200(bot: RunningBot) -> None:
    body = b'{"destination":"Ubot","events":[]}'
    assert post_raw(bot, body, sign(body, SECRET)) == (200, "{}\n")
    assert inbox_count(bot) == 0


def test_body_over_one_mebibyte_is_413(bot: RunningBot) -> None:
    event = text_event(user_source("U1"), "x" * (1024 * 1024), reply_token="t")
    body = webhook_body([event])
    status, _ = post_raw(bot, body, sign(body, SECRET))
    assert status == 413
    assert inbox_count(bot) == 0


def test_malformed_bodies_are_400_never_500(bot: RunningBot) -> None:
    good = follow_event("U1", "t")
    no_id = {k: v for k, v in good.items() if k != "webhookEventId"}
    bad_ts = {**good, "timestamp": "yesterday"}
    bodies = [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"events": {}}',
        b'{"events": [1]}',
        b"\xff\xfe\x00binary",
        json.dumps({"events": [no_id]}).encode(),
        json.dumps({"events": [bad_ts]}).encode(),
    ]
    for body in bodies:
        status, answer = post_raw(bot, body, sign(body, SECRET))
        assert status == 400, (body, status, answer)
    assert inbox_count(bot) == 0


def test_redelivered_event_is_processed_once(bot: RunningBot) -> None:
    token = bot.world.issue_reply_token(user_source("U7"))
    event = text_event(user_source("U7"), "ช่วยเหลือ", reply_token=token)
    assert bot.client.post([event]).status == 200
    bot.settle()
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    assert bot.client.post([redelivered]).status == 200
    assert bot.client.post([event, redelivered]).status == 200
    bot.settle()
    assert inbox_count(bot) == 1
    assert len(bot.world.deliveries()) == 1


def test_standby_events_are_stored_but_send_nothing(bot: RunningBot) -> None:
    result = bot.client.send_text(user_source("U5"), "ช่วยเหลือ", mode="standby")
    assert result.status == 200
    assert bot.sql("SELECT status FROM inbox_events") == [("standby",)]
    bot.client.follow("U6")  # a later active event is handled; the standby one never is
    bot.wait_until(lambda: bot.world.deliveries())
    assert [d.to for d in bot.world.deliveries()] == ["U6"]


def test_unknown_event_types_are_ignored(bot: RunningBot) -> None:
    event = {**follow_event("U1", None), "type": "somethingNew", "unexpected": {"x": 1}}
    event.pop("replyToken", None)
    assert bot.client.post([event]).status == 200
    assert bot.sql("SELECT event_type, status FROM inbox_events") == [("somethingNew", "ignored")]


def test_twenty_events_in_one_request_are_processed_in_per_chat_order(bot: RunningBot) -> None:
    events = []
    for n in range(20):
        user = f"U{n % 4}"
        source = group_source("Cgroup1", user) if n % 2 else user_source(user)
        token = bot.world.issue_reply_token(source)
        events.append(text_event(source, f"ช่วยเหลือ {n}", reply_token=token))
    assert bot.client.post(events).status == 200
    bot.settle()
    rows = bot.sql("SELECT order_key, event_ts, processed_at FROM inbox_events ORDER BY id")
    assert len(rows) == 20
    by_key: dict[str, list[tuple[int, object]]] = {}
    for key, ts, processed in rows:
        by_key.setdefault(key, []).append((ts, processed))
    for key, items in by_key.items():
        processed_order = [ts for ts, _ in sorted(items, key=lambda item: item[1])]
        assert processed_order == sorted(processed_order), key
    assert len(bot.world.deliveries(kind="reply")) == 20


def test_events_the_worker_has_room_for_are_handed_over_without_a_claim(bot: RunningBot) -> None:
    """The webhook claims what its worker has room for as it stores it: the events are
    answered with no claim of their own (no UPDATE that takes an event), each once."""
    claims: list[str] = []

    def seen(conn, cursor, statement: str, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE inbox_events") and "attempts=(inbox_events.attempts +" in statement:
            claims.append(statement)

    sa_event.listen(bot.services.engine, "before_cursor_execute", seen)
    try:
        for n in range(3):
            assert bot.client.send_text(user_source(f"U{n}"), "ช่วยเหลือ").status == 200
        bot.settle()
    finally:
        sa_event.remove(bot.services.engine, "before_cursor_execute", seen)
    assert bot.sql("SELECT status, attempts FROM inbox_events") == [("done", 1)] * 3
    assert sorted(d.to for d in bot.world.deliveries(kind="reply")) == ["U0", "U1", "U2"]
    assert claims == []


def test_a_persons_quick_messages_wait_behind_each_other_but_not_for_the_poll(bot: RunningBot) -> None:
    """Ten messages of one person at once: the first is handed over as stored, the rest
    wait in the inbox behind it, and each is claimed as the one before it is done (a
    wake-up, not the once-a-second look: that would take ten seconds)."""
    source = user_source("Uquick")
    events = [text_event(source, f"ช่วยเหลือ {n}", reply_token=bot.world.issue_reply_token(source)) for n in range(10)]
    started = time.monotonic()
    assert bot.client.post(events).status == 200
    bot.settle()
    assert time.monotonic() - started < 5.0
    rows = bot.sql("SELECT event_ts, status FROM inbox_events ORDER BY processed_at, id")
    assert [status for _, status in rows] == ["done"] * 10
    assert [ts for ts, _ in rows] == sorted(ts for ts, _ in rows)


def test_events_of_the_wrong_shape_are_400_and_nothing_is_stored(bot: RunningBot) -> None:
    """Issue 14, defect 4: a signed event with a field of the wrong shape used to be
    stored, then fail in ``from_payload`` and block the person's later events."""
    good = text_event(group_source("C1", "U1"), "สถานะ", reply_token="t")
    shapes = [
        {**good, "postback": True, "type": "postback"},
        {**good, "type": "postback"},  # a postback event without its postback
        {**good, "message": "สถานะ"},
        {**good, "message": {"type": "text", "id": "1"}},  # a text message without text
        {**good, "message": {"type": "text", "id": 1, "text": "x"}},
        {**good, "message": {**good["message"], "mention": {"mentionees": [{"index": "0", "length": 1}]}}},
        {**good, "source": {"type": "group", "userId": "U1"}},  # a group without its id
        {**good, "source": {"type": "channel", "userId": "U1"}},
        {**good, "source": {"type": "user", "userId": ["U1"]}},
        {**good, "replyToken": 12},
        {**good, "mode": "passive"},
        {**good, "deliveryContext": "yes"},
        {**good, "type": "postback", "postback": {"data": "kaona=report", "params": {"date": 5}}},
        {**good, "type": "memberJoined", "joined": {"members": "U2"}},
    ]
    for event in shapes:
        body = webhook_body([event])
        status, answer = post_raw(bot, body, sign(body, SECRET))
        assert status == 400, (event, status, answer)
    assert inbox_count(bot) == 0


def test_values_the_database_cannot_hold_are_400_never_500(bot: RunningBot) -> None:
    """Issue 14, defect 7: a timestamp of 2^63 or more, an id longer than its column and
    a NUL character in an id (PostgreSQL text refuses it) answered 500, so LINE would redeliver a
    batch that can never be stored."""
    good = text_event(user_source("U1"), "ช่วยเหลือ", reply_token="t")
    values = [
        {**good, "timestamp": 2**63},
        {**good, "timestamp": -1},
        {**good, "webhookEventId": "E" * 65},
        {**good, "source": {"type": "user", "userId": "U" * 65}},
        {**good, "source": {"type": "user", "userId": "U1\x00"}},
        {**good, "webhookEventId": "E\x00"},
    ]
    for event in values:
        body = webhook_body([event])
        status, answer = post_raw(bot, body, sign(body, SECRET))
        assert status == 400, (event, status, answer)
    assert inbox_count(bot) == 0
    body = webhook_body([good])  # and the same event, well formed, is taken
    assert post_raw(bot, body, sign(body, SECRET))[0] == 200
    bot.settle()
    assert bot.sql("SELECT status FROM inbox_events") == [("done",)]


def test_events_handed_over_one_after_another_run_together_the_first_at_once(bot_factory, monkeypatch) -> None:
    """Issue 9: under load the events the webhook hands over go to the processing
    threads together, at most every ``GATHER`` seconds (a unit of work of one event
    costs several times one of many); the first after a quiet spell waits for nothing."""
    monkeypatch.setattr("bot.worker.GATHER", 1.0)
    from bot import worker

    units: list[int] = []
    run = worker.process_batch
    monkeypatch.setattr(worker, "process_batch", lambda services, batch, *a, **k: (units.append(len(batch)),
                                                                                   run(services, batch, *a, **k))[1])  # fmt: skip
    bot: RunningBot = bot_factory()
    started = time.monotonic()
    assert bot.client.send_text(user_source("U0"), "ช่วยเหลือ").status == 200
    bot.wait_until(lambda: bot.world.deliveries(kind="reply"), timeout=5)
    first = time.monotonic() - started
    for n in range(1, 6):
        assert bot.client.send_text(user_source(f"U{n}"), "ช่วยเหลือ").status == 200
    bot.settle()
    assert first < 0.7, first  # not held for the gathering
    assert sorted(d.to for d in bot.world.deliveries(kind="reply")) == [f"U{n}" for n in range(6)]
    assert units[0] == 1 and sum(units) == 6 and len(units) <= 3, units


def test_events_gathered_when_the_worker_stops_are_run_before_it_ends(bot_factory, monkeypatch) -> None:
    """An event handed over and still gathering when the worker stops is run by the
    threads before they end: done and answered, not left claimed for the lease."""
    monkeypatch.setattr("bot.worker.GATHER", 30.0)
    from bot.worker import Worker

    bot: RunningBot = bot_factory()
    assert bot.client.send_text(user_source("U0"), "ช่วยเหลือ").status == 200  # at once: the first
    bot.wait_until(lambda: bot.world.deliveries(kind="reply"), timeout=5)
    assert bot.client.send_text(user_source("U1"), "ช่วยเหลือ").status == 200  # gathering, for 30 s
    time.sleep(0.2)
    assert bot.sql("SELECT user_id, status FROM inbox_events WHERE user_id = 'U1'") == [("U1", "processing")]
    running = bot.services.inbox_writer.hand_off
    assert isinstance(running, Worker)
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 10
    assert bot.sql("SELECT status FROM inbox_events ORDER BY id") == [("done",), ("done",)]
    bot.wait_until(lambda: len(bot.world.deliveries(kind="reply")) == 2, timeout=5)
