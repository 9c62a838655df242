"""Drafts as JSON: the codec is the dataclasses' own, and drafts saved by the previous
version of the bot (fixtures taken at commit b1c269f) still load and carry on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from flows import report as flow
from flows.draft import RENAMED_STATES, Attachment, Draft, MonthReport, ProjectView, StepView
from flows.report_input import Input

FIXTURES = Path(__file__).parent / "fixtures"
OLD = sorted(FIXTURES.glob("draft_b1c269f_*.json"))


def test_there_are_drafts_of_the_previous_version() -> None:
    assert len(OLD) >= 8


@pytest.mark.parametrize("path", OLD, ids=[p.stem for p in OLD])
def test_a_draft_of_the_previous_version_loads_and_answers(path: Path) -> None:
    draft = Draft.from_json(path.read_text(encoding="utf-8"))
    assert draft.state in flow.STATES
    assert draft.project is None or isinstance(draft.project.steps[0].weight, Decimal)
    outcome = flow.step(draft, Input(text="ช่วยเหลือ"))
    assert outcome.draft == draft and outcome.replies
    assert Draft.from_json(draft.to_json()) == draft  # and it saves in today's shape


def test_the_old_flags_become_the_mode() -> None:
    def load(name: str) -> Draft:
        return Draft.from_json((FIXTURES / f"draft_b1c269f_{name}.json").read_text(encoding="utf-8"))

    assert load("in_progress").mode == "new"
    assert load("shortcut_confirm").mode == "shortcut"
    assert (load("edit_choose").mode, load("edit_choose").edit_number) == ("edit", None)
    assert (load("edit_confirm").mode, load("edit_confirm").edit_number) == ("edit", 2)


def test_an_old_draft_mid_report_finishes_as_before() -> None:
    draft = Draft.from_json((FIXTURES / "draft_b1c269f_in_progress.json").read_text(encoding="utf-8"))
    for typed in ("50", "อบรมรุ่นแรก", "5,000", "ไม่มี", "ข้าม"):
        draft = flow.step(draft, Input(text=typed)).draft
    assert draft is not None and draft.state == "confirm" and draft.percent == Decimal("82.5")


def test_every_field_survives_the_codec() -> None:
    project = ProjectView(id=1, name="ก", code=None, steps=(StepView("1.1", "ข", Decimal("12.5"), ("2026-10",)),),
                          planned_now=None, last_number=0, last_percent=Decimal("3.25"),
                          month_report=MonthReport(1, None, "2026-11-01"))  # fmt: skip
    draft = Draft(nonce="n", state="evidence", started_at="s", updated_at="u", mode="nothing", owner="U1",
                  project=project, in_progress=("1.1", Decimal("0.5")), budget=Decimal("1.10"),
                  attachments=(Attachment("p1/1.jpg", "รูป.jpg", "image/jpeg", 10, "1"),), history=("steps",))  # fmt: skip
    assert Draft.from_json(draft.to_json()) == draft


@pytest.mark.parametrize(
    "broken",
    ['{"nonce": "x", "state": "steps", "gone": 1}', '{"nonce": "x", "state": "nowhere", "started_at": "", '
     '"updated_at": ""}', '{"nonce": "x", "state": "steps", "started_at": "", "updated_at": "", "percent": []}'],
)  # fmt: skip
def test_what_is_no_draft_is_refused(broken: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        Draft.from_json(broken)


def test_a_renamed_state_is_listed_and_drafts_in_flight_follow_it(monkeypatch: pytest.MonkeyPatch) -> None:
    old = (FIXTURES / "draft_b1c269f_in_progress.json").read_text(encoding="utf-8")
    renamed = old.replace('"state": "in_progress"', '"state": "doing"').replace('"history": ["steps"]', '"history": ["ticks"]')
    with pytest.raises(ValueError):
        Draft.from_json(renamed)  # an unlisted rename is refused, not guessed
    monkeypatch.setitem(RENAMED_STATES, "doing", "in_progress")
    monkeypatch.setitem(RENAMED_STATES, "ticks", "steps")
    draft = Draft.from_json(renamed)
    assert (draft.state, draft.history) == ("in_progress", ("steps",))
