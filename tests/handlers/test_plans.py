"""Importing plans into the real database: what is stored, updated, refused."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.plans import import_plan
from plans.model import PlanFileError
from storage.db import make_engine, make_session_factory
from storage.plan_models import PlanImport, ProgressReport, Project, Step, Unit
from storage.plans import list_projects, plan_steps

FIXTURES = Path(__file__).parents[1] / "fixtures" / "plans"
SAMPLE = Path(__file__).parents[2] / "bot" / "samples" / "sample_plan.txt"
UNIT = "สำนักงานเขตบางซื่อ/ฝ่ายปกครอง"


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def seed(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_seed_000_imports_three_projects_and_rejects_the_one_adding_to_75(sessions) -> None:
    result = import_plan(sessions, seed("seed_000.txt"), "seed_000.txt", unit=UNIT)
    assert [p.status for p in result.projects] == ["imported", "imported", "imported", "rejected"]
    assert result.rejected == 1
    rejected = result.projects[3]
    assert {p.code for p in rejected.problems if p.level == "error"} >= {"weights_not_100"}
    with sessions() as session:
        projects = list_projects(session, unit="สำนักงานเขตบางซื่อ")
        assert len(projects) == 3
        first = projects[0]
        assert first.fiscal_year == 2566
        assert (first.starts_on, first.ends_on) == (date(2022, 10, 1), date(2023, 9, 30))  # no months: the year
        assert [s.no for s in first.steps] == ["1.1", "1.2", "2.1", "2.2", "3", "4"]
        assert [Decimal(s.weight) for s in first.steps] == [5, 5, 40, 40, 5, 5]
        assert first.unit.name == "ฝ่ายปกครอง" and first.unit.parent.name == "สำนักงานเขตบางซื่อ"
        assert "no_monthly_plan" in first.warnings
        record = session.scalars(select(PlanImport)).one()
        summary = json.loads(record.summary)
        assert [s["status"] for s in summary] == ["imported", "imported", "imported", "rejected"]


def test_seed_003_imports_with_monthly_plans(sessions) -> None:
    result = import_plan(sessions, seed("seed_003.txt"), "seed_003.txt", unit="กองงานผู้ตรวจราชการ")
    assert result.projects and all(p.status == "imported" for p in result.projects)
    with sessions() as session:
        for project in list_projects(session):
            steps = plan_steps(project.steps)
            assert sum(s.weight for s in steps) == 100
            assert any(s.months for s in steps)


def test_reimporting_updates_instead_of_duplicating(sessions) -> None:
    import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    with sessions() as session:
        training = session.scalars(select(Project).where(Project.code == "50310000-3105")).one()
        assert (training.starts_on, training.ends_on) == (date(2026, 10, 1), date(2027, 7, 31))
    projects, steps = count(sessions, Project), count(sessions, Step)
    again = import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    assert {p.status for p in again.projects} == {"unchanged"}
    assert (count(sessions, Project), count(sessions, Step)) == (projects, steps)
    assert count(sessions, PlanImport) == 2


def changed_sample() -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    changed = text.replace("3. ดำเนินการฝึกอบรม\t50\t75", "3. ดำเนินการฝึกอบรมภาคปฏิบัติ\t50\t75", 1)
    assert changed != text
    return changed.encode()


def add_report(sessions, project_id: int) -> None:
    with sessions() as session, session.begin():
        project = session.get(Project, project_id)
        session.add(
            ProgressReport(
                project_id=project_id,
                number=1,
                reported_on=date(2026, 11, 20),
                plan_version=project.plan_version,
                percent=Decimal(10),
                work_done="ขออนุมัติโครงการแล้ว",
                created_at=project.created_at,
                updated_at=project.created_at,
            )
        )


def test_changing_steps_of_a_reported_project_needs_force_and_keeps_history(sessions) -> None:
    import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    with sessions() as session:
        project = session.scalars(select(Project).where(Project.code == "50310000-3105")).one()
        project_id, old_steps = project.id, [s.title for s in project.steps]
    add_report(sessions, project_id)

    refused = import_plan(sessions, changed_sample(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    by_code = {p.project.code: p for p in refused.projects}
    assert by_code["50310000-3105"].status == "rejected"
    assert "steps_locked_by_reports" in {p.code for p in by_code["50310000-3105"].problems}

    forced = import_plan(sessions, changed_sample(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง", force=True)
    assert {p.project.code: p.status for p in forced.projects}["50310000-3105"] == "updated"
    with sessions() as session:
        project = session.get(Project, project_id)
        assert project.plan_version == 2
        assert "ดำเนินการฝึกอบรมภาคปฏิบัติ" in [s.title for s in project.steps]
        old = session.scalars(select(Step).where(Step.project_id == project_id, Step.version == 1)).all()
        assert [s.title for s in sorted(old, key=lambda s: s.position)] == old_steps


def test_unreported_projects_take_new_steps_without_force(sessions) -> None:
    import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    result = import_plan(sessions, changed_sample(), "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    statuses = {p.project.code: p.status for p in result.projects}
    assert statuses.pop("50310000-3105") == "updated"
    assert set(statuses.values()) == {"unchanged"}


def test_dry_run_stores_nothing(sessions) -> None:
    result = import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="ก", dry_run=True)
    assert result.projects and {p.status for p in result.projects} == {"imported"}
    assert count(sessions, Project) == count(sessions, PlanImport) == count(sessions, Unit) == 0


def test_a_project_without_a_unit_is_rejected_with_a_hint(sessions) -> None:
    # Seed 000 names only the responsible section of each project, not the unit of the plan.
    result = import_plan(sessions, (FIXTURES / "seed_000.txt").read_bytes(), "seed_000.txt")
    assert {p.status for p in result.projects} == {"rejected"}
    assert all("--unit" in p.problems[-1].message_th for p in result.projects)
    assert count(sessions, Project) == 0


def test_the_unit_the_document_names_is_used(sessions) -> None:
    result = import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt")
    assert {(p.status, p.unit) for p in result.projects} == {("imported", "สำนักงานเขตตัวอย่าง")}


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "plan.txt", "ว่างเปล่า"),
        (b"   \n\t\n", "plan.txt", "ว่างเปล่า"),
        (b"\x00\x01\x02binary\x00" * 20, "plan.bin", "ไม่ใช่ข้อความ"),
        ("Résumé du projet\n1. étape\t50\n".encode("latin-1"), "plan.txt", "UTF-8"),
        (b"just some words\nno table here\n", "plan.txt", "ไม่พบตาราง"),
        ("หน่วยงาน,ชื่อโครงการ\nก,ข\n".encode(), "plan.csv", ""),
    ],
)
def test_bad_files_store_nothing(sessions, data: bytes, name: str, words: str) -> None:
    with pytest.raises(PlanFileError) as caught:
        import_plan(sessions, data, name, unit="ก")
    assert words in caught.value.message_th
    assert count(sessions, PlanImport) == count(sessions, Project) == 0


@pytest.mark.parametrize("encoding", ["cp874", "utf-16", "utf-8-sig"])
def test_thai_windows_and_unicode_text_encodings_are_accepted(sessions, encoding: str) -> None:
    data = SAMPLE.read_text(encoding="utf-8").encode(encoding, errors="replace")
    result = import_plan(sessions, data, "sample_plan.txt", unit="สำนักงานเขตตัวอย่าง")
    assert len(result.projects) == 3 and result.rejected == 0


def test_a_word_document_imports_with_its_months(sessions) -> None:
    from tests.plans.readers.docx_fixtures import Step, plan_document

    data = plan_document(
        [Step("1", "เตรียมการ", "40", (0, 1)), Step("2", "ดำเนินการ", "60", (2, 3, 4))], marking="shape"
    )
    result = import_plan(sessions, data, "แผน 2566.docx")
    [project] = result.projects
    assert (project.status, project.unit) == ("imported", "สำนักงานเขตทดสอบ"), project.problems
    with sessions() as session:
        [stored] = list_projects(session)
        assert [(s.first_month, s.last_month) for s in stored.steps] == [
            ("2022-10", "2022-11"),
            ("2022-12", "2023-02"),
        ]


def test_an_old_word_file_asks_for_docx(sessions) -> None:
    with pytest.raises(PlanFileError) as caught:
        import_plan(sessions, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "plan.doc")
    assert ".docx" in caught.value.message_th
