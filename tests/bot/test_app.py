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
