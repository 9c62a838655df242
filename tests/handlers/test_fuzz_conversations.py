"""The conversation fuzzer's short run, end to end (bench/fuzz_conversations.py holds the
driver and the long run): random chat through the signed webhook, the worker and the
local LINE server, on the test database. Every event gets exactly one reply or a
documented silence (a typed message in a group that does not mention the bot), nothing
is parked, and ยกเลิก then รายงาน starts a fresh report."""

from __future__ import annotations

from bench.fuzz_conversations import Actor, Fuzz, set_up
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A


def fuzz_bot(bot_factory, groups: int, solo: int) -> tuple[RunningBot, list[Actor]]:
    bot: RunningBot = bot_factory(max_attempts=1, worker_threads=4)
    return bot, set_up(bot.services, bot.world, groups, solo, unit=UNIT_A)


def test_random_conversations_are_each_answered_once_and_nothing_is_parked(bot_factory) -> None:
    bot, actors = fuzz_bot(bot_factory, groups=3, solo=1)
    fuzz = Fuzz(world=bot.world, post=bot.client.post, engine=bot.services.engine, actors=actors, seed=11,
                settle=bot.settle)  # fmt: skip
    counts = fuzz.run(100)
    assert counts.problems == [] and counts.failures == 0 and counts.parked == 0, counts.line()
    assert counts.events >= 100 and counts.answers > counts.events // 2
    assert counts.kinds["button"] and counts.kinds["forged"] and counts.kinds["restart"] >= len(actors)
