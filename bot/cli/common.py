"""What the command groups share: the database of DATABASE_URL, and a project named on the command line."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from plans.errors import KaonaError
from plans.matching import Candidate, matches
from plans.thai import parse_whole
from storage.plan_models import Project


def open_database() -> tuple[Engine, sessionmaker[Session]]:
    """The database of DATABASE_URL; an embedded SQLite one is migrated on first use."""
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    engine = make_engine(Settings.from_env(demo=True).database_url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    return engine, make_session_factory(engine)


def resolve_project(session: Session, key: str) -> Project:
    """A project by code, #id (or a bare id), or a name fragment that fits only one."""
    key = key.strip()
    project_id = parse_whole(key.lstrip("#"))
    if project_id is not None:
        found = session.get(Project, project_id)
        if found is not None:
            return found
    by_code = list(session.scalars(select(Project).where(Project.code == key)))
    if len(by_code) == 1:
        return by_code[0]
    projects = list(session.scalars(select(Project)))
    hits = matches(key, [Candidate(p.id, p.name, p.code) for p in projects])
    if len(hits) == 1:
        return next(p for p in projects if p.id == hits[0].id)
    if not hits:
        raise KaonaError(f"ไม่พบโครงการ / no project matches {key!r} (see `kaona projects`)")
    listing = "\n".join(f"  #{c.id} {c.name}" for c in hits[:10])
    raise KaonaError(f"{key!r} ตรงกับหลายโครงการ / matches several projects; use #id:\n{listing}")
