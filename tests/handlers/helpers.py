"""Setting up plans, groups and people for end-to-end handler tests."""

from __future__ import annotations

from pathlib import Path

from handlers.plans import import_plan
from storage import access
from storage.plan_models import Project
from storage.plans import find_unit, list_projects
from tests.conftest import RunningBot

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "bot" / "samples" / "sample_plan.txt"
SEED_003 = ROOT / "tests" / "fixtures" / "plans" / "seed_003.txt"
UNIT_A = "สำนักงานเขตตัวอย่าง"
UNIT_B = "กองงานผู้ตรวจราชการ"


def load_plans(bot: RunningBot) -> tuple[list[Project], list[Project]]:
    """Unit A: the sample plan (3 projects, FY 2570); unit B: seed 003 (8 projects, FY 2566)."""
    sessions = bot.services.sessions
    import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit=UNIT_A)
    import_plan(sessions, SEED_003.read_bytes(), "seed_003.txt", unit=UNIT_B)
    with sessions() as session:
        return list_projects(session, unit=UNIT_A), list_projects(session, unit=UNIT_B)


def make_coordinator(bot: RunningBot, user_id: str, unit: str) -> None:
    with bot.services.sessions() as session, session.begin():
        found = find_unit(session, unit)
        assert found is not None
        access.add_coordinator(session, user_id, found.id)


def bind_group(bot: RunningBot, group_id: str, project_ids: list[int], members: list[str]) -> None:
    with bot.services.sessions() as session, session.begin():
        access.bind(session, group_id, project_ids, by="test")
        access.add_members(session, group_id, members)
    bot.world.add_group(group_id, f"กลุ่ม {group_id}", members)


def ask(bot: RunningBot, source: dict, typed: str) -> str:
    """Type a message as that source; return all the bot answered in that chat."""
    chat = source.get("groupId") or source["userId"]
    before = len(bot.world.deliveries(to=chat))
    assert bot.client.send_text(source, typed).status == 200
    bot.settle()
    answers = bot.world.deliveries(to=chat)[before:]
    return "\n".join(
        m.get("text") or m.get("altText", "") for delivery in answers for m in delivery.messages
    )
