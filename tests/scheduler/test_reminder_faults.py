"""Exactly once, against the local LINE server: faults, a killed clock, two clocks,
a nearly spent quota, a group the bot left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

from sqlalchemy import update

from bot.delivery import sweep
from bot.services import build_services
from plans.schedule import Schedule
from scheduler import runs
from storage import access
from storage import reminders as repo
from storage.db import utcnow
from storage.models import OutboxMessage
from storage.plans import find_unit
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_B
from tests.scheduler.reminder_setup import local, set_up

REMINDER_DAY = local(date(2022, 11, 21))


def _many_groups(bot: RunningBot, n: int, members: int = 3) -> list[str]:
    """``n`` more groups, each bound to P1 and P3 of seed 003."""
    office = set_up(bot)
    groups = [f"Cx{i:03d}" for i in range(n)]
    with bot.services.sessions() as session, session.begin():
        for gid in groups:
            access.bind(session, gid, [office.ids[1], office.ids[3]], by="test")
            access.add_members(session, gid, [f"U{gid}{m}" for m in range(members)])
    for gid in groups:
        bot.world.add_group(gid, gid, [f"U{gid}{m}" for m in range(members)])
    return ["Cg1", "Cg2", "Cg3", *groups]


def _settle_outbox(bot: RunningBot, rounds: int = 40) -> None:
    """Let the sweeper retry whatever is due, as the clock would, until nothing is left."""
    for _ in range(rounds):
        with bot.services.sessions() as session, session.begin():  # as if the sweeper's wait were over
            past = utcnow() - timedelta(minutes=5)
            session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                            .values(created_at=past, next_attempt_at=past))  # fmt: skip
        if not bot.sql("SELECT 1 FROM outbox WHERE status IN ('pending', 'sending')"):
            return
        sweep(bot.services)
        time.sleep(0.05)
    raise AssertionError(bot.sql("SELECT id, status, last_error FROM outbox WHERE status IN ('pending','sending')"))


def _pushes_per_chat(bot: RunningBot) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in bot.world.deliveries("push"):
        out[d.to] = out.get(d.to, 0) + 1
    return out


def test_a_fifth_of_pushes_failing_still_delivers_each_reminder_exactly_once(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", line_read_timeout=0.4, push_max_retries=2,
                                  push_backoff_base=0.01, outbox_stale_seconds=1)  # fmt: skip
    groups = _many_groups(bot, 30)
    bot.world.inject_random_faults("/v2/bot/message/push", rate=0.2, outcomes=(500, 429, "timeout"), latency=0.8, seed=3)
    result = runs.run(bot.services, REMINDER_DAY)
    time.sleep(1.0)  # answers that timed out arrive; rows cut off mid-send go stale
    _settle_outbox(bot)
    assert _pushes_per_chat(bot) == dict.fromkeys(groups, 1)
    failures = [r for r in bot.world.requests() if r.path == "/v2/bot/message/push" and r.status != 200]
    assert failures, "the faults happened"
    assert len(result.kept) == len(groups)
    keys = [d.retry_key for d in bot.world.deliveries("push")]
    assert len(set(keys)) == len(keys)
    # Running again (or `kaona remind --now` twice) sends nothing more.
    again = runs.run(bot.services, REMINDER_DAY + timedelta(minutes=5))
    assert again.kept == [] and _pushes_per_chat(bot) == dict.fromkeys(groups, 1)


def test_two_clocks_at_once_send_each_reminder_once(bot_factory, settings) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    groups = _many_groups(bot, 20)
    other = build_services(settings.with_(worker_mode="external"))
    results: list[runs.RunResult] = []
    try:
        clocks = [threading.Thread(target=lambda s=s: results.append(runs.run(s, REMINDER_DAY)))
                  for s in (bot.services, other)]  # fmt: skip
        for clock in clocks:
            clock.start()
        for clock in clocks:
            clock.join(timeout=60)
    finally:
        other.close()
    _settle_outbox(bot)
    assert _pushes_per_chat(bot) == dict.fromkeys(groups, 1)
    assert sum(len(r.kept) for r in results) - sum(r.taken_elsewhere for r in results) == len(groups)


def test_a_clock_killed_mid_run_and_restarted_leaves_no_gap_and_no_duplicate(bot_factory, settings) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", outbox_stale_seconds=1)
    groups = _many_groups(bot, 12)
    bot.world.inject_fault("/v2/bot/message/push", latency=0.3, times=-1)  # slow LINE: the kill lands mid-run
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LINE_API_BASE_URL": settings.line_api_base_url,
           "LINE_CHANNEL_SECRET": settings.channel_secret, "LINE_CHANNEL_ACCESS_TOKEN": settings.channel_access_token,
           "REDIS_URL": settings.redis_url or ""}  # fmt: skip
    clock = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "remind", "--now", "--at", REMINDER_DAY.isoformat()],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        bot.wait_until(lambda: len(bot.world.deliveries("push")) >= 3, timeout=60)
    finally:
        clock.send_signal(signal.SIGKILL)
        clock.wait(timeout=10)
    delivered_before = len(bot.world.deliveries("push"))
    assert delivered_before < len(groups), "killed before the end"
    bot.world.clear_faults()
    time.sleep(1.1)  # the row it was sending is stale now
    runs.run(bot.services, REMINDER_DAY + timedelta(minutes=5))  # the clock starts again: catch-up
    _settle_outbox(bot)
    assert _pushes_per_chat(bot) == dict.fromkeys(groups, 1)


def test_a_nearly_spent_quota_sends_digests_then_reminders_and_tells_the_coordinator(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    office = set_up(bot)
    with bot.services.sessions() as session, session.begin():
        unit = find_unit(session, UNIT_B)
        assert unit is not None
        # The unit: reminder 17, follow-up and digest on the 21st; Cg1's and Cg2's projects remind on the 21st.
        repo.set_schedule(session, unit_id=unit.id, schedule=Schedule(17, (21,), 21, 21), by="test")
        for position in (1, 2, 3, 4, 5, 6):
            repo.set_schedule(session, project_id=office.ids[position], schedule=Schedule(21, (24,), 25, 26), by="test")
    # Cg1 costs 3, Cg2 2, Cg3's follow-up 4, the digest 1: 7 left fits digest + Cg1 + Cg2 + one notice.
    bot.world.set_quota(7)
    result = runs.run(bot.services, REMINDER_DAY)
    pushes = bot.world.deliveries("push")
    assert [d.to for d in pushes][0] == "UC" and {d.to for d in pushes[1:3]} == {"Cg1", "Cg2"}
    assert [d.to for d in pushes][3:] == ["UC"]
    assert "สรุป" in pushes[0].messages[0]["text"]
    notice = pushes[-1].messages[0]["text"]
    assert "โควตา" in notice and "Cg3" in notice
    assert [p.send.target for p in result.skipped] == ["Cg3"]
    assert bot.world.usage() == 7


def test_a_monthly_quota_429_stops_the_run_and_nothing_is_retried_into_it(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external", push_backoff_base=0.01)
    groups = _many_groups(bot, 10)
    bot.world.inject_fault("/v2/bot/message/quota", status=500, times=-1)  # the guard cannot see the quota
    bot.world.set_quota(12)
    result = runs.run(bot.services, REMINDER_DAY, threads=1)
    assert result.stopped == "monthly quota exhausted"
    reached = len(bot.world.deliveries("push"))
    assert 0 < reached < len(groups) and bot.world.usage() <= 12
    _settle_outbox(bot)
    assert len(bot.world.deliveries("push")) == reached
    quota_429 = [r for r in bot.world.requests() if r.path == "/v2/bot/message/push" and r.status == 429]
    assert len(quota_429) == 1  # the one that found the quota full; nothing was retried into it


def test_nothing_goes_to_a_group_the_bot_left(bot_factory) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    set_up(bot)
    with bot.services.sessions() as session, session.begin():
        access.leave_group(session, "Cg2")
    bot.world.remove_group("Cg2")
    runs.run(bot.services, REMINDER_DAY)
    _settle_outbox(bot)
    assert set(_pushes_per_chat(bot)) == {"Cg1", "Cg3"}
    assert not [r for r in bot.world.requests() if "Cg2" in str(r.body)]
