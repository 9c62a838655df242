"""The schema revision the processes check at start, known without loading Alembic."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.db import make_engine
from storage.migrate import MIGRATIONS, alembic_config, upgrade
from storage.schema import HEAD_REVISION, SchemaNotCurrent, ensure_schema, schema_revision


def test_the_head_revision_constant_is_alembics_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [HEAD_REVISION], (
        f"storage/schema.py HEAD_REVISION is {HEAD_REVISION!r} but {MIGRATIONS} has head(s) {heads}: "
        "a new migration must update HEAD_REVISION"
    )


def test_the_revision_of_an_empty_and_of_a_migrated_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    assert schema_revision(engine) is None
    upgrade(engine)
    assert schema_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_an_embedded_database_is_migrated_at_start_by_a_child_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert ensure_schema(engine) == HEAD_REVISION
    assert schema_revision(engine) == HEAD_REVISION
    engine.dispose()


def test_an_embedded_database_behind_is_brought_up_to_date(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0004")
    assert ensure_schema(engine) == HEAD_REVISION
    engine.dispose()


def test_a_database_ahead_of_the_code_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ahead.sqlite3'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaNotCurrent, match="kaona migrate"):
        ensure_schema(engine)
    engine.dispose()


def test_a_database_that_cannot_be_reached_is_not_called_unmigrated() -> None:
    """A process started while PostgreSQL restarts waited for nothing and said the
    database was never migrated (the fault scripts' outages run lost its clock)."""
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/none", connect_args={"connect_timeout": 1})
    with pytest.raises(SchemaNotCurrent, match="cannot be reached"):
        ensure_schema(engine, wait=1.5)
