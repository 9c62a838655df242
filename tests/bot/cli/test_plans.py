"""`kaona import`, `kaona template`, `kaona projects` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

FIXTURES = Path(__file__).parents[2] / "fixtures" / "plans"
SAMPLE = Path(__file__).parents[3] / "bot" / "samples" / "sample_plan.txt"


@pytest.fixture(autouse=True)
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_json_has_the_documented_shape(capsys) -> None:
    code, out, _ = run(capsys, "import", str(FIXTURES / "seed_000.txt"), "--unit", "เขตบางซื่อ", "--json")
    assert code == 1  # one project was rejected
    projects = json.loads(out)["projects"]
    assert [p["status"] for p in projects] == ["imported", "imported", "imported", "rejected"]
    first = projects[0]
    assert set(first) >= {"name", "code", "unit", "fiscal_year", "status", "problems", "steps"}
    assert first["fiscal_year"] == 2566 and first["unit"] == "เขตบางซื่อ"
    assert [s["cumulative"] for s in first["steps"]] == [5, 10, 50, 90, 95, 100]
    assert set(first["steps"][0]) == {"no", "title", "weight", "cumulative", "months"}
    assert projects[3]["problems"][0]["level"] == "error"


def test_import_summary_is_thai_and_english_and_exit_zero_when_all_import(capsys) -> None:
    code, out, _ = run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง")
    assert code == 0
    assert "สรุป: นำเข้าใหม่ 3 ปรับปรุง 0 ไม่มีการเปลี่ยนแปลง 0 ไม่นำเข้า 0 โครงการ" in out
    assert "Summary: 3 imported, 0 updated, 0 unchanged, 0 rejected" in out
    assert "→ สำนักงานเขตตัวอย่าง" in out
    code, out, _ = run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง")
    assert "Summary: 0 imported, 0 updated, 3 unchanged, 0 rejected" in out
    assert "= ไม่มีการเปลี่ยนแปลง / unchanged" in out


def test_dry_run_says_what_it_would_do_not_what_it_did(capsys) -> None:
    code, out, _ = run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง", "--dry-run")
    assert code == 0
    assert "✓ จะนำเข้าใหม่ / would import" in out
    assert "imported" not in out and "✓ นำเข้าใหม่" not in out
    assert "Summary: 3 would import, 0 would update, 0 unchanged, 0 would reject" in out


def test_dry_run_then_projects_lists_nothing(capsys) -> None:
    code, out, _ = run(capsys, "import", str(SAMPLE), "--unit", "ก", "--dry-run")
    assert code == 0 and "dry run" in out
    code, out, _ = run(capsys, "projects", "--json")
    assert json.loads(out)["projects"] == []


def test_a_bad_file_names_the_problem_and_exits_non_zero(capsys, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "import", str(empty), "--unit", "ก")
    assert code == 2 and "ว่างเปล่า" in err and "empty" in err
    broken = tmp_path / "plan.csv"
    broken.write_text("ชื่อโครงการ,ขั้นตอน\nก,ข\n", encoding="utf-8")
    code, out, err = run(capsys, "import", str(broken), "--unit", "ก")
    assert code == 2 and "column" in err
    code, _, err = run(capsys, "import", str(tmp_path / "missing.txt"))
    assert code == 2 and "missing.txt" in err


def test_the_template_imports_back(capsys, tmp_path: Path) -> None:
    template = tmp_path / "plan.xlsx"
    code, out, _ = run(capsys, "template", str(template))
    assert code == 0 and template.exists()
    code, out, _ = run(capsys, "import", str(template), "--json")
    [project] = json.loads(out)["projects"]
    assert project["status"] == "imported", project["problems"]
    assert sum(s["weight"] for s in project["steps"]) == 100


def test_projects_shows_planned_percent_as_of_a_date(capsys) -> None:
    run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง")
    code, out, _ = run(capsys, "projects", "--json", "--date", "2026-11-30", "--fy", "๒๕๗๐")
    assert code == 0
    rows = {p["code"]: p for p in json.loads(out)["projects"]}
    training = rows["50310000-3105"]
    assert training["planned_percent"] == 10  # step 1 (10%) runs Oct-Nov 2026
    assert training["actual_percent"] is None and training["status"] == "ล่าช้ากว่าแผน"
    code, out, _ = run(capsys, "projects", "--unit", "ไม่มีหน่วยงานนี้")
    assert "ไม่พบโครงการที่ตรงกับ --unit ไม่มีหน่วยงานนี้" in out and "no project matches" in out
    assert "kaona import" not in out
    code, out, _ = run(capsys, "projects", "--fy", "2580")
    assert "no project matches --fy 2580" in out


def test_projects_shows_a_key_to_refer_to_each_project_and_be_dates(capsys) -> None:
    run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตตัวอย่าง")
    code, out, _ = run(capsys, "projects", "--json")
    rows = json.loads(out)["projects"]
    assert [r["key"] for r in rows] == [f"#{r['id']}" for r in rows]
    code, out, _ = run(capsys, "projects", "--date", "30/11/2569")
    assert "ณ วันที่ 30 พ.ย. 2569" in out and "2026-11-30" in out  # BE for people, ISO in English
    first = rows[0]
    assert f"{first['key']} 2570 สำนักงานเขตตัวอย่าง: [{first['code']}]" in out
    code, out, _ = run(capsys, "export", "--project", first["key"])
    assert code == 0 and first["name"][:20] in out
    code, out, _ = run(capsys, "projects", "--date", "๓๐/๑๑/๒๕๖๙", "--json")
    assert json.loads(out)["date"] == "2026-11-30"


def test_import_takes_the_unit_the_document_names_unless_told_otherwise(capsys) -> None:
    code, out, _ = run(capsys, "import", str(SAMPLE), "--json")
    assert code == 0
    assert {p["unit"] for p in json.loads(out)["projects"]} == {"สำนักงานเขตตัวอย่าง"}
    code, out, _ = run(capsys, "import", str(SAMPLE), "--unit", "สำนักงานเขตบางซื่อ", "--json")
    assert {p["unit"] for p in json.loads(out)["projects"]} == {"สำนักงานเขตบางซื่อ"}
    code, out, _ = run(capsys, "import", str(FIXTURES / "seed_000.txt"))
    assert code == 1 and "เอกสารไม่ได้ระบุหน่วยงานเจ้าของแผน" in out and "--unit" in out


def test_template_from_unit_round_trip_adds_months_and_keeps_reports(capsys, database: str, tmp_path: Path) -> None:
    from datetime import date
    from decimal import Decimal

    from openpyxl import load_workbook
    from sqlalchemy import select

    from storage.db import make_engine, make_session_factory
    from storage.plan_models import ProgressReport, Project

    assert run(capsys, "import", str(FIXTURES / "seed_000.txt"), "--unit", "สำนักงานเขตบางซื่อ")[0] == 1
    engine = make_engine(database)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        ita = session.scalars(select(Project).where(Project.name.like("%ITA%"))).one()
        assert all(s.first_month is None for s in ita.steps)  # copied text lost the month marks
        session.add(ProgressReport(project_id=ita.id, number=1, reported_on=date(2022, 11, 30),
                                   plan_version=ita.plan_version, percent=Decimal(5), work_done="ประชุมแล้ว",
                                   created_at=ita.created_at, updated_at=ita.created_at))  # fmt: skip
        ita_id, steps_before = ita.id, [(s.no, s.title, s.weight) for s in ita.steps]

    book_path = tmp_path / "plan.xlsx"
    code, out, _ = run(capsys, "template", str(book_path), "--from-unit", "สำนักงานเขตบางซื่อ", "--fy", "2566")
    assert code == 0 and "3 โครงการ" in out
    book = load_workbook(book_path)
    sheet = book["แผนปฏิบัติงาน"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    ita_rows = [r for r in rows if "ITA" in (r["ชื่อโครงการ"] or "")]
    assert [str(r["ขั้นตอนที่"]) for r in ita_rows] == [no for no, _, _ in steps_before]
    assert ita_rows[0]["หน่วยงาน"] == "สำนักงานเขตบางซื่อ" and ita_rows[0]["ปีงบประมาณ"] == 2566
    month_col = header.index("ระยะเวลา") + 1
    for offset, row in enumerate(sheet.iter_rows(min_row=2), start=0):  # a coordinator fills in the months
        row[month_col - 1].value = "ต.ค. 65 - ธ.ค. 65" if offset % 2 == 0 else "ม.ค. 66 - มี.ค. 66"
    book.save(book_path)

    code, out, _ = run(capsys, "import", str(book_path))
    assert code == 0, out
    assert "Summary: 0 imported, 3 updated, 0 unchanged, 0 rejected" in out
    with sessions() as session:
        ita = session.get(Project, ita_id)
        assert ita.plan_version == 2  # a new plan version; the old steps stay in history
        assert [(s.no, s.title, s.weight) for s in ita.steps] == steps_before
        assert all(s.first_month for s in ita.steps)
        assert [r.number for r in session.scalars(select(ProgressReport).where(ProgressReport.project_id == ita_id))] == [1]
    engine.dispose()
    code, out, _ = run(capsys, "projects", "--json", "--date", "2022-12-31")
    planned = {p["name"]: p["planned_percent"] for p in json.loads(out)["projects"]}
    assert all(value is not None for value in planned.values())  # every project has a monthly plan now
