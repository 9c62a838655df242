"""The app factory and the health check."""

from __future__ import annotations

import json
import urllib.request

from tests.conftest import RunningBot


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
    assert body == {"status": "unavailable", "database": "ok", "redis": "down"}


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
