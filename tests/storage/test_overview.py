"""The summary's reads: the plan summed in SQL agrees with the pure formula, on the
real backend (SQLite in the first run, PostgreSQL in the second)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from handlers.plans import import_plan
from plans.progress import planned_percent
from storage import overview
from storage.db import make_engine, make_session_factory
from storage.plan_models import Project
from storage.plans import list_projects, plan_steps
from tests.handlers.helpers import SAMPLE, SEED_003


@pytest.mark.parametrize("day", [date(2022, 9, 30), date(2022, 11, 15), date(2023, 3, 31), date(2023, 6, 1),
                                 date(2026, 10, 1), date(2026, 11, 21), date(2027, 2, 28), date(2027, 9, 30)])
def test_planned_in_sql_is_the_formula(database_url: str, day: date) -> None:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    import_plan(sessions, SAMPLE.read_bytes(), "sample_plan.txt", unit="ก")
    import_plan(sessions, SEED_003.read_bytes(), "seed_003.txt", unit="ข")
    with sessions() as session:
        projects = list_projects(session)
        got = overview.planned_percents(session, select(Project.id), day)
        for project in projects:
            want = planned_percent(plan_steps(project.steps), day)
            if want is None:
                assert got.get(project.id) is None, project.name
            else:
                assert abs(got[project.id] - want) < Decimal("0.000001"), (project.name, got[project.id], want)
    engine.dispose()
