"""`kaona demo`: one command, no LINE account, a conversation in the terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_a_conversation_from_piped_input(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--port", "0", "--line-port", "0", "--data", str(database)],
        input="ช่วยเหลือ\nสถานะ อบรม\n/group Cdemo0001\nโครงการ\n/quit\n",
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LOG_LEVEL": "WARNING"},
    )
    assert done.returncode == 0, done.stderr
    assert "sample plan loaded" in done.stdout
    assert "คำสั่งที่ใช้กับ “ก้าวหน้า” ได้" in done.stdout
    assert "โครงการอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน" in done.stdout  # the status answer
    assert "เทียบกับแผน ณ" in done.stdout and "ผลงานจริง" in done.stdout  # the status card
    assert "โครงการที่ติดตามในแชตนี้ (3 โครงการ)" in done.stdout  # in the demo group
    assert database.exists()
