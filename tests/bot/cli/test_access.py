"""`kaona invite`, `bind`, `unbind`, `coordinators`, `groups` as an admin runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.access_models import GroupProject
from storage.db import make_engine, make_session_factory

SAMPLE = Path(__file__).parents[3] / "bot" / "samples" / "sample_plan.txt"


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง/ฝ่ายปกครอง"]) == 0
    capsys.readouterr()
    return database_url


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def bindings(url: str, group: str) -> set[int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        found = set(session.scalars(select(GroupProject.project_id).where(GroupProject.group_id == group)))
    engine.dispose()
    return found


def test_invite_prints_a_six_digit_code_and_how_to_use_it(capsys) -> None:
    code, out = run(capsys, "invite", "--project", "50310000-3105", "--expires", "2d")
    assert code == 0
    assert re.search(r"code: \d{6}", out) and "ผูกโครงการ " in out
    assert "ภายใน 2 วัน / single use, expires in 2 days" in out and "0:00:00" not in out
    code, out = run(capsys, "invite", "--coordinator", "--unit", "ฝ่ายปกครอง", "--expires", "1h")
    assert code == 0 and "ลงทะเบียน " in out and "ภายใน 1 ชั่วโมง" in out and "in 1 hour\n" in out
    code, out = run(capsys, "invite", "--unit", "สำนักงานเขตตัวอย่าง")
    assert code == 0 and "ทุกโครงการของ สำนักงานเขตตัวอย่าง" in out


def test_invite_refuses_what_it_cannot_find(capsys) -> None:
    code, out = run(capsys, "invite", "--project", "ไม่มีโครงการนี้แน่นอน")
    assert code == 1 and "no project matches" in out
    code, out = run(capsys, "invite", "--coordinator", "--unit", "ไม่มีหน่วยงานนี้")
    assert code == 1 and "no unit named" in out
    with pytest.raises(SystemExit):
        main(["invite", "--project", "x", "--expires", "forever"])


def test_bind_and_unbind_directly(capsys, database: str) -> None:
    code, out = run(capsys, "bind", "--group", "Cg1", "--project", "#2", "--project", "50310000-3105")
    assert code == 0
    assert len(bindings(database, "Cg1")) == 2
    code, out = run(capsys, "groups")
    assert "Cg1" in out and "#2" in out
    assert run(capsys, "unbind", "--group", "Cg1", "--project", "#2")[0] == 0
    assert len(bindings(database, "Cg1")) == 1
    assert run(capsys, "unbind", "--group", "Cg1")[0] == 0
    assert bindings(database, "Cg1") == set()


def test_groups_shows_the_names_line_gives_and_keeps_them(capsys, line, monkeypatch) -> None:
    line.world.add_group("Cnamed", "ฝ่ายปกครอง เขตตัวอย่าง", ["Ua", "Ub"])
    run(capsys, "bind", "--group", "Cnamed", "--project", "#1")
    run(capsys, "bind", "--group", "Cgone", "--project", "#2")  # a group LINE does not know
    code, out = run(capsys, "groups")  # no LINE settings: names cannot be asked for
    assert code == 0 and "Cnamed\t-\t" in out and "not fetched" in out
    monkeypatch.setenv("LINE_API_BASE_URL", line.url)
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "local-token")
    code, out = run(capsys, "groups")
    assert code == 0 and "Cnamed\tฝ่ายปกครอง เขตตัวอย่าง\t" in out and "#1 " in out
    assert "Cgone\t-\t" in out  # LINE answered 404 for it: said, not a crash
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    code, out = run(capsys, "groups")
    assert "Cnamed\tฝ่ายปกครอง เขตตัวอย่าง\t" in out  # kept from last time


def test_groups_into_a_closed_pipe_stops_quietly(capsys, database: str) -> None:
    import os
    import subprocess
    import sys

    run(capsys, "bind", "--group", "Cpipe", "--project", "#1")
    read, write = os.pipe()
    os.close(read)  # like `kaona groups | head -0`: the reader is gone
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "groups"], stdout=write, stderr=subprocess.PIPE,
                          env=env, cwd=Path(__file__).parents[3], timeout=60, text=True)  # fmt: skip
    os.close(write)
    assert done.returncode == 141 and "Traceback" not in done.stderr, done.stderr


def test_coordinators_list_and_remove(capsys, database: str) -> None:
    from storage import access
    from storage.plans import find_unit

    engine = make_engine(database)
    with make_session_factory(engine)() as session, session.begin():
        access.add_coordinator(session, "Uboss", find_unit(session, "ฝ่ายปกครอง").id)
    engine.dispose()
    code, out = run(capsys, "coordinators")
    assert "สำนักงานเขตตัวอย่าง/ฝ่ายปกครอง" in out and "Uboss" in out
    code, out = run(capsys, "coordinators", "remove", "--user", "Uboss")
    assert "removed 1" in out
    assert "no coordinators yet" in run(capsys, "coordinators")[1]


def test_richmenu_install_sets_the_default_menu(capsys, line, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_API_BASE_URL", line.url)
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "s")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "local-token")
    code, out = run(capsys, "richmenu", "install")
    assert code == 0
    menu = line.world.default_rich_menu()
    assert menu is not None and menu.image is not None
    assert menu.rich_menu_id in out
    assert [a["action"]["text"] for a in menu.definition["areas"]] == ["รายงาน", "สถานะ", "สรุป", "ช่วยเหลือ"]
