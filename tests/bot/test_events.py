"""Reading a stored event: look-alike digits never raise (issue 14, defect 5)."""

from __future__ import annotations

import pytest

from bot.cli.common import resolve_project
from bot.events import from_payload
from bot.localline import user_source
from plans.errors import KaonaError


def _file_event(size: object) -> dict:
    return {"type": "message", "webhookEventId": "E1", "timestamp": 1, "source": user_source("U1"),
            "message": {"type": "file", "id": "1", "fileName": "แผน.docx", "fileSize": size}}


@pytest.mark.parametrize(("size", "read"), [(1024, 1024), ("2048", 2048), ("²", None), ("①", None), ("", None)])
def test_a_file_size_is_read_strictly(size: object, read: int | None) -> None:
    assert from_payload(1, _file_event(size)).file_size == read


def test_a_project_key_of_look_alike_digits_is_not_found_rather_than_a_crash(settings) -> None:
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session, pytest.raises(KaonaError):
        resolve_project(session, "#²")
    engine.dispose()
