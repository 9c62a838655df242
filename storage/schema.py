"""Every table of the project on one metadata (for Alembic and for resetting test
databases), and the schema revision this code needs, known without loading Alembic.

The web process must not import the migration machinery (alembic, mako: ~30 MB), so
the head revision is a constant here, kept equal to storage/migrations' head by
tests/storage/test_schema_revision.py, and the database's revision is read with plain
SQL from ``alembic_version``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from plans.errors import KaonaError
from storage import access_models, models, plan_models, reminder_models, report_models
from storage.db import Base

log = logging.getLogger(__name__)
metadata = Base.metadata
MODEL_MODULES = (models, plan_models, access_models, report_models, reminder_models)

# The Alembic head of storage/migrations/versions. A new migration changes this too
# (the test above fails until it does).
HEAD_REVISION = "0007"


class SchemaNotCurrent(KaonaError):
    """The database's schema is not the one this code needs (a process refuses to start)."""


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision; None for a database never migrated. A database
    that cannot be reached raises (``SQLAlchemyError``): that is not "never migrated"."""
    with engine.connect() as connection:
        try:
            rows = list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except SQLAlchemyError:
            return None  # no alembic_version table: an empty database
    return ",".join(sorted(rows)) if rows else None


def _revision_when_reachable(engine: Engine, wait: float) -> str | None:
    """The revision, waiting up to ``wait`` seconds for a database that is down (a
    process may start while it restarts), then refusing with the reason."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return schema_revision(engine)
        except SQLAlchemyError as exc:
            if time.monotonic() >= deadline:
                where = engine.url.render_as_string(hide_password=True)
                raise SchemaNotCurrent(f"the database {where} cannot be reached: {exc.__class__.__name__}") from exc
            if not told:
                log.warning("database not reachable at start; waiting up to %.0f s", wait)
                told = True
            time.sleep(1.0)


def ensure_schema(engine: Engine, *, wait: float = 60.0) -> str:
    """At a process's start (web, worker, clock): the schema this code needs, or a refusal.

    On SQLite, the embedded default, a database that is behind is brought up to date
    by ``kaona migrate`` in a child process: the web process never loads Alembic, and
    this happens only on the first start or after an upgrade. Concurrent starts (two
    gunicorn workers) are safe: a migration runs in one BEGIN IMMEDIATE transaction, so
    the second waits for the first and then finds nothing to do. On any other database
    the release step owns the schema, and a process started without it refuses with
    :class:`SchemaNotCurrent` naming ``kaona migrate``.
    """
    current = _revision_when_reachable(engine, wait)
    if current == HEAD_REVISION:
        return current
    if engine.dialect.name == "sqlite":
        url = engine.url.render_as_string(hide_password=False)
        log.info("database at revision %s, code needs %s: running kaona migrate", current, HEAD_REVISION)
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "migrate"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SchemaNotCurrent(f"`kaona migrate` failed on {url} (exit {result.returncode}): "
                                   f"{result.stderr.strip()[-2000:]}")  # fmt: skip
        current = schema_revision(engine)
        if current == HEAD_REVISION:
            return current
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        problem = "has no schema (it was never migrated)"
    else:
        problem = f"is at schema revision {current}, this code needs {HEAD_REVISION}"
    raise SchemaNotCurrent(
        f"the database {where} {problem}: run `kaona migrate` first (the Procfile's release step), then start again"
    )
