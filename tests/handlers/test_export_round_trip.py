"""Round trip: the plan of seed 000 imported, the ITA project's ten reports of seed 002
replayed through the real report conversation (signed webhook, real SDK, local LINE
server) on 002's own dates under frozen time, then `kaona export --format text`
gives back 002's section 2: every report's number, date, percent and budget."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.cli import main
from bot.localline import group_source
from handlers.plans import import_plan
from storage.db import utcnow
from storage.plans import list_projects
from tests.conftest import RunningBot
from tests.handlers.helpers import ROOT, ask, bind_group

SEED_000 = ROOT / "tests" / "fixtures" / "plans" / "seed_000.txt"
SEED_002 = Path("/work/shared/seeds/002_db18872b3323f8e5.txt")
FORM_002 = ROOT / "tests" / "fixtures" / "plans" / "seed_002.txt"
UNIT = "สำนักงานเขตบางซื่อ/ฝ่ายปกครอง"
GROUP = "Cita"
BANGKOK = ZoneInfo("Asia/Bangkok")
SECTION_2_ENTRY = re.compile(
    r"(?:รายงานครั้งที่(?P<n>\d+)\s*)?(?:<p>)?::\s*(?P<day>\d\d/\d\d/\d{4})\s*:(?P<text>.*?)"
    r"::\s*ความก้าวหน้าของงานฯ = (?P<pct>[\d.]+) % งบประมาณที่เบิกใช้ \(ครั้งที่ (?P<round>\d+)\) = (?P<baht>[\d,.]+) บาท",
    re.S,
)


def reports_of_002() -> list[dict[str, str]]:
    """Section 2 of 002: (round, date, percent, budget, narrative) of each report. The
    document's page break splits report 2 over two table cells; the round number
    printed beside each percent is what numbers a report."""
    raw = FORM_002.read_text(encoding="utf-8")
    section = raw.split("2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ", 1)[1]
    section = re.sub(r"\*{4}[^*]+\*{4}|</?p>|รายงานครั้งที่\d+\t", " ", section)
    out = []
    for found in SECTION_2_ENTRY.finditer(section):
        narrative = " ".join(found["text"].split())
        out.append({"round": found["round"], "day": found["day"], "pct": found["pct"], "baht": found["baht"],
                    "text": narrative})  # fmt: skip
    return out


def when(be_day: str) -> datetime:
    day, month, year = (int(x) for x in be_day.split("/"))
    return datetime(year - 543, month, day, 10, 0, tzinfo=BANGKOK)


def test_the_seed_reports_read_as_ten_rounds() -> None:
    rounds = reports_of_002()
    assert [r["round"] for r in rounds] == [str(n) for n in range(1, 11)]
    assert [r["pct"] for r in rounds] == ["20.00", "30.00", "40.00", "45.00", "60.00", "80.00", "90.00",
                                          "94.00", "95.00", "100.00"]  # fmt: skip
    assert rounds[1]["day"] == "21/01/2566" and rounds[9]["day"] == "07/09/2566"


@pytest.mark.skipif(not FORM_002.exists(), reason="seed 002 fixture missing")
def test_replaying_002_through_the_conversation_gives_its_form_back(
    bot: RunningBot, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import_plan(bot.services.sessions, SEED_000.read_bytes(), "seed_000.txt", unit=UNIT)
    with bot.services.sessions() as session:
        ita = next(p for p in list_projects(session) if "ITA" in p.name)
    bind_group(bot, GROUP, [ita.id], ["Uornicha"])
    bot.world.add_user("Uornicha", "อรนิชา ศาลิคุปต์")
    bot.services.clock = utcnow  # the real clock, which time-machine moves
    source = group_source(GROUP, "Uornicha")
    rounds = reports_of_002()
    for r in rounds:
        with time_machine.travel(when(r["day"]), tick=True):
            card = ask(bot, source, f"รายงาน #{ita.id} {r['pct']}% {r['text']}")
            if "แล้ว โดยคุณ" in card:  # 002 reports twice in January: a second report of the month
                ask(bot, source, "รายงานเพิ่ม")
                card = ask(bot, source, "รายงานครั้งที่สองของเดือนตามแบบรายงาน")
            assert f"ความก้าวหน้า {r['pct'].removesuffix('.00')}%" in card, card[:300]
            saved = ask(bot, source, "ยืนยัน")
            assert f"บันทึกรายงานครั้งที่ {r['round']} แล้ว" in saved, saved[:300]

    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["export", "--format", "text", "--project", f"#{ita.id}", "--date", "2023-09-30"]) == 0
    form = capsys.readouterr().out
    for r in rounds:
        assert f"รายงานครั้งที่{r['round']} :: {r['day']} : {r['text']}" in form, r["round"]
        assert f":: ความก้าวหน้าของงานฯ = {r['pct']} % งบประมาณที่เบิกใช้ (ครั้งที่ {r['round']}) = {r['baht']} บาท" in form
    # Seed 000 states no budget (blank, never "- บาท") and, as text, no months (its
    # timeline is drawn, not written): so no monthly plan, and the verdict says so.
    assert "\nงบประมาณที่ได้รับ :\n" in form and "- บาท" not in form
    assert ": ไม่มีแผนรายเดือน" in form
    assert "ไตรมาส 4 (ก.ค. 66–ก.ย. 66) : แผน - % · ผล 100.00 %" in form
    assert "ค่าเป้าหมาย : ไม่น้อยกว่า ระดับ AA (95.00 คะแนน)" in form  # read from the KPI

    # The same reports as JSON, and the dates are 002's.
    assert main(["export", "--format", "json", "--project", f"#{ita.id}", "--date", "2023-09-30"]) == 0
    data = json.loads(capsys.readouterr().out)
    [project] = data["projects"]
    assert [(x["number"], x["reported_on"], x["percent"]) for x in project["reports"]] == [
        (int(r["round"]), when(r["day"]).date().isoformat(), float(r["pct"])) for r in rounds
    ]
    assert project["budget_received"] is None and project["quarters"][3]["actual_percent"] == 100
    assert date.fromisoformat(data["as_of"]) == date(2023, 9, 30)
