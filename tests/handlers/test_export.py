"""The report form in chat and from the command line, after a real report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.localline import group_source
from tests.conftest import RunningBot
from tests.handlers.helpers import ask, bind_group, load_plans

CODE = "50310000-3105"


@pytest.fixture
def reported(bot: RunningBot):
    unit_a, _ = load_plans(bot)
    project = next(p for p in unit_a if p.code == CODE)
    bind_group(bot, "Cwork", [project.id], ["Usomchai"])
    source = group_source("Cwork", "Usomchai")
    ask(bot, source, f"รายงาน {CODE} 20% ขออนุมัติโครงการแล้ว")
    ask(bot, source, "ยืนยัน")
    return bot, project, source


def test_export_in_chat_gives_the_form_with_the_report(reported) -> None:
    bot, project, source = reported
    form = ask(bot, source, "ส่งออก อบรม")
    assert form.startswith("**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****")
    assert "รายงานครั้งที่1 :: 21/11/2569 : ขออนุมัติโครงการแล้ว" in form  # the tests' pinned day
    assert ":: ความก้าวหน้าของงานฯ = 20.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 1) = 0 บาท" in form
    assert "งบประมาณที่ได้รับ : 120,000 บาท" in form


def test_export_from_the_command_line(reported, database_url: str, monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["export", "--project", CODE, "--output", str(tmp_path / "form.txt")]) == 0
    text = (tmp_path / "form.txt").read_text(encoding="utf-8")
    assert "รายงานครั้งที่1 :: 21/11/2569 : ขออนุมัติโครงการแล้ว" in text
