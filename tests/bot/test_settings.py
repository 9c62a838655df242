"""Settings from the environment, validated at start-up."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from plans.errors import ConfigError

BASE = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}


def test_defaults_are_the_embedded_deployment() -> None:
    settings = Settings.from_env(BASE)
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(".sqlite3")
    assert settings.redis_url is None
    assert settings.line_api_base_url is None
    assert settings.timezone == "Asia/Bangkok"
    assert settings.port == 8000
    assert settings.expired_reply_policy == "push"
    assert settings.worker_mode == "thread"


def test_everything_can_be_set() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "DATABASE_URL": "postgres://u:p@db:5432/kaona",
            "REDIS_URL": "redis://cache:6379/0",
            "LINE_API_BASE_URL": "http://127.0.0.1:8030",
            "BOT_TIMEZONE": "UTC",
            "PORT": "5000",
            "KAONA_EXPIRED_REPLY_POLICY": "drop",
            "KAONA_WORKER": "external",
            "KAONA_PLAN_TOLERANCE": "2.5",
            "PUBLIC_BASE_URL": "https://kaona.example.go.th/",
            "KAONA_EXPORT_LINK_TTL": "3600",
            "KAONA_LINE_READ_TIMEOUT": "3",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/kaona"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.line_api_base_url == "http://127.0.0.1:8030"
    assert (settings.timezone, settings.port) == ("UTC", 5000)
    assert settings.expired_reply_policy == "drop" and settings.worker_mode == "external"
    assert str(settings.plan_tolerance) == "2.5"
    assert (settings.public_base_url, settings.export_link_ttl_seconds) == ("https://kaona.example.go.th", 3600)
    assert settings.line_read_timeout == 3.0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LINE_CHANNEL_ACCESS_TOKEN": "t"}, "LINE_CHANNEL_SECRET"),
        ({"LINE_CHANNEL_SECRET": "s"}, "LINE_CHANNEL_ACCESS_TOKEN"),
        ({**BASE, "LINE_CHANNEL_SECRET": "   "}, "LINE_CHANNEL_SECRET"),
        ({**BASE, "PORT": "eighty"}, "PORT"),
        ({**BASE, "PORT": "70000"}, "PORT"),
        ({**BASE, "DATABASE_URL": "kaona.db"}, "DATABASE_URL"),
        ({**BASE, "REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({**BASE, "LINE_API_BASE_URL": "127.0.0.1:8030"}, "LINE_API_BASE_URL"),
        ({**BASE, "BOT_TIMEZONE": "Mars/Olympus"}, "BOT_TIMEZONE"),
        ({**BASE, "KAONA_EXPIRED_REPLY_POLICY": "retry"}, "KAONA_EXPIRED_REPLY_POLICY"),
        ({**BASE, "KAONA_PLAN_TOLERANCE": "a little"}, "KAONA_PLAN_TOLERANCE"),
        ({**BASE, "KAONA_PLAN_TOLERANCE": "-1"}, "KAONA_PLAN_TOLERANCE"),
        ({**BASE, "PUBLIC_BASE_URL": "kaona.example.go.th"}, "PUBLIC_BASE_URL"),
        ({**BASE, "KAONA_EXPORT_LINK_TTL": "forever"}, "KAONA_EXPORT_LINK_TTL"),
        ({**BASE, "KAONA_LINE_READ_TIMEOUT": "0"}, "KAONA_LINE_READ_TIMEOUT"),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == variable
    assert variable in str(caught.value)


def test_demo_mode_needs_no_line_account() -> None:
    settings = Settings.from_env({}, demo=True)
    assert settings.demo and settings.channel_secret and settings.channel_access_token


def test_settings_are_frozen() -> None:
    settings = Settings.from_env(BASE)
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
