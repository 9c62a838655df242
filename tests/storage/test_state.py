"""The state store: Redis in the service run, the SQL database otherwise."""

from __future__ import annotations

import time

import pytest

from bot.services import build_services
from bot.settings import Settings
from storage.state import RedisStateStore, SqlStateStore


@pytest.fixture
def store(settings: Settings):
    services = build_services(settings)
    yield services.state
    services.close()


def test_the_backend_follows_the_settings(store, settings: Settings) -> None:
    expected = RedisStateStore if settings.redis_url else SqlStateStore
    assert isinstance(store, expected)
    assert store.ping()


def test_set_get_delete(store) -> None:
    assert store.get("draft:C1:U1") is None
    store.set("draft:C1:U1", '{"step": "ผลการดำเนินงาน"}')
    assert store.get("draft:C1:U1") == '{"step": "ผลการดำเนินงาน"}'
    store.set("draft:C1:U1", "v2")
    assert store.get("draft:C1:U1") == "v2"
    store.delete("draft:C1:U1")
    assert store.get("draft:C1:U1") is None


def test_values_expire(store) -> None:
    store.set("short", "x", ttl=1)
    assert store.get("short") == "x"
    time.sleep(1.2)
    assert store.get("short") is None


def test_add_once_is_true_only_the_first_time_while_the_key_lives(store) -> None:
    assert store.add_once("idem:evt1", ttl=1)
    assert not store.add_once("idem:evt1", ttl=1)
    time.sleep(1.2)
    assert store.add_once("idem:evt1", ttl=1)


def test_incr_counts_within_its_window(store) -> None:
    assert [store.incr("tries:C1", ttl=1) for _ in range(3)] == [1, 2, 3]
    assert store.incr("tries:C2", ttl=1) == 1
    time.sleep(1.2)
    assert store.incr("tries:C1", ttl=1) == 1
