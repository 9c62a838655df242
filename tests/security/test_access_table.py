"""The access table (issue 14), extended past tests/handlers/test_access.py to every
command, forged buttons, report files, export links and plan files sent to the bot.

The world is test_access's (project P of unit A bound to group G1, the same seven
personas), plus one report on P filed in G1. The property: whoever may not see P (a
stranger, a member of another group, unit B's coordinator) never gets P's name, its
report, a button for it or any of unit A's projects, whatever they type, press or open;
and nobody but unit A's coordinator can delete P's report."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from itsdangerous import URLSafeSerializer

from bot.localline import group_source
from tests.conftest import RunningBot
from tests.handlers.helpers import ask
from tests.handlers.test_access import PERSONAS, SEES_P, everything_seen, make_world

WORK = "จัดทำคำสั่งแต่งตั้งคณะทำงานแล้ว"
FRAGMENT = "อบรมอาสาสมัคร"
COMMANDS = [
    "ประวัติ {p}", "history {p}", "ประวัติ", "ลบรายงาน {p} {n}", "deletereport {p} {n}", "แนบ", "ลงทะเบียน 000000",
    "register 123456", "แจ้งรายงานใหม่ เปิด", "แจ้งรายงานใหม่ ปิด", "ตั้งเวลาแจ้งเตือน", "ยกเลิก", "สถานะ #{id}",
    "ส่งออก #{id}", "ประวัติ #{id}", "รายงาน #{id}",
]  # fmt: skip


def file_report(bot: RunningBot) -> None:
    member = group_source("Cg1", "Umember")
    for line in ("รายงาน " + FRAGMENT, "1", "50", WORK, "12,500", "ไม่มี", "ข้าม", "ยืนยัน"):
        ask(bot, member, line)


@pytest.fixture
def reported(bot: RunningBot):
    bot_, target, unit_a = make_world(bot)
    file_report(bot)
    assert _reports(bot, target.id) == 1
    return bot, target, unit_a


def _reports(bot: RunningBot, project_id: int) -> int:
    return int(bot.sql("SELECT count(*) FROM progress_reports WHERE project_id = :p", p=project_id)[0][0])


def _leaks(answer: str, target, unit_a) -> bool:  # type: ignore[no-untyped-def]
    return (target.name in answer or WORK in answer or f"#{target.id}\"" in answer or f"p={target.id}\"" in answer
            or any(p.name in answer for p in unit_a))  # fmt: skip


def test_every_other_command_for_every_persona(reported) -> None:
    bot, target, unit_a = reported
    leaks = []
    # Unit A's coordinator last: the one who may delete P's report (it is filed again after).
    order = [p for p in PERSONAS if p != "coordinator_a"] + ["coordinator_a"]
    deleted_by_coordinator = 0
    for typed in COMMANDS:
        for persona in order:
            source = PERSONAS[persona]
            before = len(bot.world.deliveries(to=source.get("groupId") or source["userId"]))
            number = bot.sql("SELECT max(number) FROM progress_reports WHERE project_id = :p", p=target.id)[0][0]
            ask(bot, source, typed.format(p=FRAGMENT, id=target.id, n=number))
            ask(bot, source, "ยืนยัน")  # a confirmation asked for (deleting) is given
            ask(bot, source, "ยกเลิก")
            answer = everything_seen(bot, source, before)
            if persona not in SEES_P and persona != "coordinator_a" and _leaks(answer, target, unit_a):
                leaks.append((typed, persona, answer[:300]))
            if persona != "coordinator_a":
                assert _reports(bot, target.id) == 1, (typed, persona, answer[:300])
            elif _reports(bot, target.id) == 0:
                assert typed.startswith(("ลบรายงาน", "deletereport")), typed
                deleted_by_coordinator += 1
                file_report(bot)
    assert leaks == []
    assert deleted_by_coordinator == 2  # unit A's coordinator may delete, with both spellings
    assert set(_statuses(bot)) <= {"done", "ignored"}


def _statuses(bot: RunningBot) -> dict[str, int]:
    return {row[0]: row[1] for row in bot.sql("SELECT status, count(*) FROM inbox_events GROUP BY status")}


def test_forged_buttons_for_a_project_one_may_not_see(reported) -> None:
    bot, target, unit_a = reported
    forged = [f"kaona=report&a=start&p={target.id}", f"kaona=status&p={target.id}", f"kaona=history&p={target.id}",
              f"kaona=export&p={target.id}", f"kaona=delete&p={target.id}&n=1", "kaona=report&a=confirm",
              f"kaona=report&a=start&p={target.id}' OR '1'='1", "kaona=report&a=start&p=-1", "kaona=%00&p=1"]  # fmt: skip
    for persona in ("stranger", "other_group", "coordinator_b"):
        source = PERSONAS[persona]
        chat = source.get("groupId") or source["userId"]
        for data in forged:
            before = len(bot.world.deliveries(to=chat))
            assert bot.client.send_postback(source, data).status == 200
            bot.settle()
            ask(bot, source, "ยืนยัน")
            ask(bot, source, "ยกเลิก")
            answer = everything_seen(bot, source, before)
            assert not _leaks(answer, target, unit_a), (persona, data, answer[:300])
    assert _reports(bot, target.id) == 1
    assert set(_statuses(bot)) <= {"done", "ignored"}


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_report_file_links_open_only_with_the_bots_own_signature(bot: RunningBot) -> None:
    from bot.files import SALT

    secret = bot.services.settings.channel_secret
    bot.sql("SELECT 1")
    cases = {
        "garbage": "not-a-token",
        "empty-ish": ".",
        "another secret": URLSafeSerializer("not-the-secret", salt=SALT).dumps("reports/1/photo.jpg"),
        "another salt": URLSafeSerializer(secret, salt="kaona-export").dumps("reports/1/photo.jpg"),
        "a key that is no file": URLSafeSerializer(secret, salt=SALT).dumps("reports/999/none.jpg"),
        "path traversal": URLSafeSerializer(secret, salt=SALT).dumps("../../../etc/passwd"),
        "sql-like": URLSafeSerializer(secret, salt=SALT).dumps("x' OR '1'='1"),
        "very long": "A" * 5000,
    }
    for case, token in cases.items():
        assert _get(f"{bot.url}/files/{token}") == 404, case


def test_export_links_refuse_forgeries_with_403(bot: RunningBot) -> None:
    for token in ("x", "A" * 5000, "eyJ2IjoiVTEifQ.forged.sig", "{{7*191}}", "%00"):
        assert _get(f"{bot.url}/exports/{token}") == 403, token


def test_only_a_coordinator_one_to_one_loads_a_plan_by_sending_a_file(reported) -> None:
    bot, _, _ = reported
    plan = "\n".join(["หน่วยงาน: สำนักงานเขตแปลกปลอม", "ปีงบประมาณ 2570", "โครงการ: โครงการแปลกปลอม",
                      "รหัส: 99999999-0001"]).encode()  # fmt: skip
    before = int(bot.sql("SELECT count(*) FROM projects")[0][0])
    for persona in ("stranger", "member", "member_dm", "other_group"):
        source = PERSONAS[persona]
        assert bot.client.send_content(source, plan, file_name="plan.txt", content_type="text/plain").status == 200
        bot.settle()
        for pressed in ("ยืนยัน",):
            ask(bot, source, pressed)
    assert int(bot.sql("SELECT count(*) FROM projects")[0][0]) == before
    assert not bot.sql("SELECT 1 FROM units WHERE name = :n", n="สำนักงานเขตแปลกปลอม")
    assert set(_statuses(bot)) <= {"done", "ignored"}
