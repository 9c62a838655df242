"""What the benchmark scripts share: a fresh backend, and percentiles."""

from __future__ import annotations

import os

from sqlalchemy import text

from storage.db import make_engine

PG = os.environ.get("KAONA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("KAONA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def fresh_backend(
    services: bool, folder: str, *, pg: str = PG, redis: str = REDIS
) -> tuple[str, str | None, str]:
    """(database URL, Redis URL, a name for the printout): an empty PostgreSQL schema
    and Redis database with ``services``, else a new SQLite file in ``folder``."""
    if not services:
        return f"sqlite:///{folder}/bench.sqlite3", None, "SQLite, no Redis"
    engine = make_engine(pg)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    import redis as redis_lib

    redis_lib.Redis.from_url(redis).flushdb()
    return pg, redis, "PostgreSQL + Redis"


def ms(sorted_values: list[float], q: float) -> str:
    """The q-quantile of sorted seconds, in milliseconds."""
    return f"{sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000:.1f}"
