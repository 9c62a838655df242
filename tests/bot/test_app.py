"""The app factory and the health check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from storage.db import make_engine, utcnow
from storage.schema import HEAD_REVISION, schema_revision
from tests.conftest import SECRET, TOKEN, RunningBot

ROOT = Path(__file__).resolve().parents[2]


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_healthz_reports_database_and_redis(bot: RunningBot) -> None:
    status, body = get(bot.url + "/healthz")
    assert status == 200
    assert body["database"] == "ok"
    expected_redis = "ok" if bot.services.settings.redis_url else "not configured"
    assert body["redis"] == expected_redis


def test_healthz_is_503_when_the_database_is_down(bot_factory) -> None:
    down = "postgresql+psycopg://postgres@127.0.0.1:9/test"  # nothing listens on port 9
    bot: RunningBot = bot_factory(database_url=down, worker_mode="external")
    status, body = get(bot.url + "/healthz")
    assert status == 503 and body["database"] == "down" and body["status"] == "unavailable"


def test_healthz_is_503_when_redis_is_down(bot_factory) -> None:
    bot: RunningBot = bot_factory(redis_url="redis://127.0.0.1:9/0", worker_mode="external")
    status, body = get(bot.url + "/healthz")
    assert status == 503
    assert body["status"] == "unavailable" and body["database"] == "ok" and body["redis"] == "down"
    assert body["problems"] == ["redis down"]


def test_unknown_paths_are_404_not_500(bot: RunningBot) -> None:
    assert get(bot.url + "/nope")[0] == 404


def test_create_app_starts_no_thread_the_entry_point_starts_the_worker(settings) -> None:
    import threading

    from bot.app import create_app, shutdown, start_worker
    from bot.kaona import kaona_of

    before = {t.ident for t in threading.enumerate()}
    app = create_app(settings.with_(worker_mode="thread"))
    try:
        assert {t.ident for t in threading.enumerate()} == before
        worker = kaona_of(app).worker
        assert worker is not None and not worker.started
        start_worker(app)
        names = {t.name for t in threading.enumerate() if t.ident not in before}
        assert {"kaona-claimer", "kaona-worker-0"} <= names
    finally:
        shutdown(app)


def test_the_wsgi_web_process_loads_no_migration_machinery(settings, tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = settings.database_url if not settings.database_url.startswith("sqlite") else (
        f"sqlite:///{tmp_path / 'fresh.sqlite3'}"  # a new file: the child process migrates it
    )
    env = {**os.environ, "DATABASE_URL": url, "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
           "LINE_API_BASE_URL": settings.line_api_base_url or "", "LOG_LEVEL": "WARNING"}  # fmt: skip
    code = (
        "import sys, bot.wsgi as w\n"
        "c = w.app.test_client()\n"
        "print(c.get('/healthz').status_code, sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
        "from bot.app import shutdown; shutdown(w.app)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "200 []"


@contextmanager
def schema_at(database_url: str, revision: str) -> Iterator[None]:
    """The database's recorded revision set to ``revision`` for the block (then the head again)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": HEAD_REVISION})
        engine.dispose()


def test_healthz_reports_the_schema_revision_and_the_oldest_pending_event(bot: RunningBot) -> None:
    status, body = get(bot.url + "/healthz")
    assert status == 200, body
    assert body["schema"] == {"revision": HEAD_REVISION, "expected": HEAD_REVISION}
    assert body["oldest_pending_seconds"] is None and body["problems"] == []


def test_healthz_is_503_when_the_schema_is_not_the_codes(bot_factory, database_url: str) -> None:
    bot: RunningBot = bot_factory(worker_mode="external")
    with schema_at(database_url, "0004"):
        status, body = get(bot.url + "/healthz")
    assert status == 503
    assert body["schema"] == {"revision": "0004", "expected": HEAD_REVISION}
    assert "kaona migrate" in body["problems"][0]


def test_healthz_is_503_when_the_queue_is_stuck(bot_factory) -> None:
    from storage.inbox import store_events

    bot: RunningBot = bot_factory(worker_mode="external", health_max_pending_seconds=60)
    event = {"type": "message", "webhookEventId": "01STUCK", "timestamp": 1_700_000_000_000, "mode": "active",
             "source": {"type": "user", "userId": "U" + "1" * 32}, "replyToken": "r",
             "deliveryContext": {"isRedelivery": False},
             "message": {"type": "text", "id": "1", "text": "สวัสดี", "quoteToken": "q"}}  # fmt: skip
    with bot.services.sessions() as session, session.begin():
        store_events(session, [event])
    status, body = get(bot.url + "/healthz")
    assert status == 200 and body["oldest_pending_seconds"] < 60
    with bot.services.engine.begin() as conn:
        conn.execute(text("UPDATE inbox_events SET received_at = :t"), {"t": (utcnow() - timedelta(minutes=5)).replace(tzinfo=None)})
    status, body = get(bot.url + "/healthz")
    assert status == 503
    assert 290 < body["oldest_pending_seconds"] < 400
    assert "oldest pending event" in body["problems"][0]


def _process_env(database_url: str, line_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": line_url, "LOG_LEVEL": "INFO",
            "KAONA_FILES_DIR": str(tmp_path / "files")}  # fmt: skip


def test_the_worker_on_a_fresh_embedded_database_migrates_it_and_runs(tmp_path: Path, line) -> None:
    url = f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"
    env = _process_env(url, line.url, tmp_path)
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + 120  # a child process runs `kaona migrate` first
        while schema_revision(engine) != HEAD_REVISION and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
        time.sleep(2)
        assert worker.poll() is None, worker.communicate()[0]
        assert schema_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "Traceback" not in output, output


def test_processes_refuse_to_start_on_a_server_database_whose_schema_is_behind(
    settings, tmp_path: Path, line
) -> None:
    import pytest

    if settings.database_url.startswith("sqlite"):
        pytest.skip("an embedded database is migrated at start instead (the test above)")
    env = _process_env(settings.database_url, line.url, tmp_path)
    with schema_at(settings.database_url, "0004"):
        for command in (["-m", "bot.cli", "worker"], ["-m", "bot.cli", "clock"], ["-c", "import bot.wsgi"]):
            out = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=60)  # fmt: skip
            assert out.returncode != 0, command
            assert "kaona migrate" in out.stderr and "0004" in out.stderr, out.stderr[-2000:]


def test_the_app_factory_sets_up_logging_from_log_level_once(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from bot.app import create_app, shutdown\n"
        "from bot.settings import Settings\n"
        "apps = [create_app(Settings.from_env()) for _ in range(2)]\n"
        "logging.getLogger('bot.webhook').info('an info line')\n"
        "logging.getLogger('bot.webhook').debug('a debug line')\n"
        "print(len(logging.getLogger().handlers))\n"
        "[shutdown(a) for a in apps]\n"
    )
    base = {**os.environ, "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "KAONA_WORKER": "external",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}", "KAONA_FILES_DIR": str(tmp_path / "files")}  # fmt: skip
    info = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, "LOG_LEVEL": "info"},
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert info.returncode == 0, info.stderr
    assert info.stdout.strip() == "1"  # one handler, however many apps
    assert info.stderr.count("INFO bot.webhook: an info line") == 1 and "a debug line" not in info.stderr
    warning = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, "LOG_LEVEL": "WARNING"},
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "an info line" not in warning.stderr
