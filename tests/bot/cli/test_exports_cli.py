"""`kaona project` sets the form's particulars; `kaona export` for a unit, in every format."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, load_plans

CODE = "50310000-3105"


def test_responsible_and_phone_reach_the_form(bot: RunningBot, database_url: str, monkeypatch, capsys) -> None:
    load_plans(bot)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["project", CODE, "--responsible", "นายสมชาย  ใจดี (ฝ่ายปกครอง)", "--phone", "02-587-0001",
                 "--kpi-value", "ร้อยละ 100"]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "ผู้รับผิดชอบ / responsible: นายสมชาย ใจดี (ฝ่ายปกครอง)" in shown
    assert main(["export", "--project", CODE]) == 0
    form = capsys.readouterr().out.split("\n")
    assert "ชื่อผู้รับผิดชอบ : นายสมชาย ใจดี (ฝ่ายปกครอง) โทร. 02-587-0001" in form
    assert "ผลการดำเนินงานตามตัวชี้วัด : ร้อยละ 100" in form


def test_a_unit_in_each_format(bot: RunningBot, database_url: str, monkeypatch, capsys, tmp_path: Path) -> None:
    unit_a, _ = load_plans(bot)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["export", "--format", "json", "--unit", UNIT_A, "--date", "2026-11-21"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "kaona-progress-report/1" and data["summary"]["fiscal_year"] == 2570
    assert {p["name"] for p in data["projects"]} == {p.name for p in unit_a}
    assert main(["export", "--format", "text", "--unit", UNIT_A]) == 0
    assert capsys.readouterr().out.count("**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****") == len(unit_a)
    assert main(["export", "--format", "xlsx", "--unit", UNIT_A]) == 2  # a workbook needs a file
    assert main(["export", "--unit", "หน่วยงานที่ไม่มี"]) == 1
    assert main(["export", "--unit", UNIT_A, "--fy", "2560"]) == 1  # no project of that year
