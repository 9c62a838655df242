"""Short-lived shared state: conversation drafts, and the guards (counters and
idempotency keys) that must count every try.

Drafts live in the SQL database, written in the transaction of the event that
changed them: they commit or roll back with it, and survive a Redis restart (Redis
here keeps nothing on disk). With REDIS_URL set (``DurableStateStore``) the guards
live in Redis, shared by every process; without it (``SqlStateStore``) everything
is in the SQL database, so one process with SQLite is a complete deployment. Values
are strings (callers store JSON); every key may carry a time to live.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol
from typing import cast as cast_type

from sqlalchemy import BindParameter, Integer, Select, Table, Text, bindparam, cast, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from plans.errors import StorageError
from storage.db import dialect_insert, utcnow
from storage.models import StateEntry

if TYPE_CHECKING:
    import redis


class StateStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def prefetch(self, keys: Sequence[str]) -> None:
        """A hint that ``keys`` are about to be read: a store bound to a transaction
        may read them in one query and answer their ``get`` from it."""
        ...

    def set(self, key: str, value: str, *, ttl: int | None = None) -> None: ...

    def delete(self, key: str) -> None: ...

    def add_once(self, key: str, *, ttl: int) -> bool:
        """Record an idempotency key; True the first time, False while it lives."""
        ...

    def incr(self, key: str, *, ttl: int) -> int:
        """Count up; the count starts at 1 and lives ``ttl`` seconds from its first use."""
        ...

    def ping(self) -> bool: ...

    def for_session(self, session: Session) -> StateStore:
        """This store for one handler's transaction: its writes take effect with the
        transaction's commit (``flush`` after commit), never before."""
        ...

    def flush(self) -> None:
        """After the handler's transaction committed: apply the writes held back."""
        ...


class RedisStateStore:
    def __init__(self, client: redis.Redis, *, prefix: str = "kaona:") -> None:
        self._redis = client
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        value = self._call(self._redis.get, self._prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    def prefetch(self, keys: Sequence[str]) -> None:
        return None

    def set(self, key: str, value: str, *, ttl: int | None = None) -> None:
        self._call(self._redis.set, self._prefix + key, value, ex=ttl)

    def delete(self, key: str) -> None:
        self._call(self._redis.delete, self._prefix + key)

    def add_once(self, key: str, *, ttl: int) -> bool:
        return bool(self._call(self._redis.set, self._prefix + key, "1", nx=True, ex=ttl))

    def incr(self, key: str, *, ttl: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl, nx=True)
        count, _ = self._call(pipe.execute)
        return int(count)

    def for_session(self, session: Session) -> StateStore:
        return _HeldRedisWrites(self)

    def flush(self) -> None:
        return None

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:  # noqa: BLE001 - health check: any failure means "down"
            return False

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import redis as redis_lib

        try:
            return fn(*args, **kwargs)
        except redis_lib.RedisError as exc:
            raise StorageError(f"Redis: {exc}") from exc


class _HeldRedisWrites:
    """Redis for one handler: reads see its own writes, which reach Redis only when
    ``flush`` is called after the database committed. A handler that fails and is
    retried therefore finds the state as it was. Counters and idempotency keys
    (``incr``, ``add_once``) act at once: they guard, and must count every try."""

    def __init__(self, store: RedisStateStore) -> None:
        self._store = store
        self._held: dict[str, tuple[str | None, int | None]] = {}

    def get(self, key: str) -> str | None:
        if key in self._held:
            return self._held[key][0]
        return self._store.get(key)

    def prefetch(self, keys: Sequence[str]) -> None:
        return None

    def set(self, key: str, value: str, *, ttl: int | None = None) -> None:
        self._held[key] = (value, ttl)

    def delete(self, key: str) -> None:
        self._held[key] = (None, None)

    def add_once(self, key: str, *, ttl: int) -> bool:
        return self._store.add_once(key, ttl=ttl)

    def incr(self, key: str, *, ttl: int) -> int:
        return self._store.incr(key, ttl=ttl)

    def ping(self) -> bool:
        return self._store.ping()

    def for_session(self, session: Session) -> StateStore:
        return self

    def flush(self) -> None:
        held, self._held = self._held, {}
        for key, (value, ttl) in held.items():
            if value is None:
                self._store.delete(key)
            else:
                self._store.set(key, value, ttl=ttl)


# Keys read and counted as guards (``incr``, ``add_once``): kept in Redis when it is
# configured. Every other key is a draft, kept in the SQL database.
GUARD_PREFIXES = ("codetries:",)


def is_guard(key: str) -> bool:
    return key.startswith(GUARD_PREFIXES)


class DurableStateStore:
    """Drafts in the SQL database (``sql``), guards in Redis (``guards``)."""

    def __init__(self, sql: SqlStateStore, guards: RedisStateStore, *, session: Session | None = None) -> None:
        self._sql = sql
        self._guards = guards
        self._held: _HeldRedisWrites | None = _HeldRedisWrites(guards) if session is not None else None
        self._session = session

    def _for(self, key: str) -> StateStore:
        if is_guard(key):
            return self._held or self._guards
        return self._sql

    def get(self, key: str) -> str | None:
        return self._for(key).get(key)

    def prefetch(self, keys: Sequence[str]) -> None:
        self._sql.prefetch([key for key in keys if not is_guard(key)])

    def set(self, key: str, value: str, *, ttl: int | None = None) -> None:
        self._for(key).set(key, value, ttl=ttl)

    def delete(self, key: str) -> None:
        self._for(key).delete(key)

    def add_once(self, key: str, *, ttl: int) -> bool:
        return self._guards.add_once(key, ttl=ttl)

    def incr(self, key: str, *, ttl: int) -> int:
        return self._guards.incr(key, ttl=ttl)

    def ping(self) -> bool:
        return self._guards.ping() and self._sql.ping()

    def for_session(self, session: Session) -> DurableStateStore:
        return DurableStateStore(self._sql.for_session(session), self._guards, session=session)

    def flush(self) -> None:
        if self._held is not None:
            self._held.flush()

    def purge_expired(self) -> int:
        return self._sql.purge_expired()


_ENTRIES = cast_type(Table, StateEntry.__table__)
_READ = "kaona.state.read"  # in a session's ``info``: (its transaction, the keys read in it)


def _read_in(session: Session) -> dict[str, str | None]:
    """The keys read in the session's transaction under way (a new transaction, a new
    dict; none under way yet, a dict of the store's own)."""
    transaction = session.get_transaction()
    if transaction is None:
        return {}
    held = session.info.get(_READ)
    if held is None or held[0] is not transaction:
        held = session.info[_READ] = (transaction, {})
    return cast_type(dict[str, str | None], held[1])


_GET = select(_ENTRIES.c.value, _ENTRIES.c.expires_at).where(_ENTRIES.c.key == bindparam("key"))


@functools.cache
def _get_many(count: int) -> Select[Any]:
    """The read of ``count`` keys (k0, k1, ...), built and compiled once per count: an
    "expanding" IN is rewritten on every execution."""
    keys: list[BindParameter[str]] = [bindparam(f"k{n}") for n in range(count)]
    return select(_ENTRIES.c.key, _ENTRIES.c.value, _ENTRIES.c.expires_at).where(_ENTRIES.c.key.in_(keys))


class SqlStateStore:
    """State in the SQL database. Bound to a handler's session (``for_session``), it
    works inside that transaction: on SQLite a second writer would wait for the
    first, and state then commits or rolls back with the handler's own changes; keys
    it was told to ``prefetch`` are read in one query, and their ``get`` answered from
    that read (kept up to date by its own writes: nothing else writes a chat's keys
    while its event runs). What was read belongs to the transaction, shared by every
    store bound to it: a unit of work reads the keys of all its events at once."""

    def __init__(self, sessions: sessionmaker[Session], *, bound: Session | None = None) -> None:
        self._sessions = sessions
        self._bound = bound
        self._read: dict[str, str | None] = _read_in(bound) if bound is not None else {}

    def for_session(self, session: Session) -> SqlStateStore:
        return SqlStateStore(self._sessions, bound=session)

    def flush(self) -> None:
        """Bound to a session, the writes were part of its transaction already."""
        return None

    def get(self, key: str) -> str | None:
        if key in self._read:
            return self._read[key]
        with self._tx() as session:
            row = session.execute(_GET, {"key": key}).first()  # Core: read on every event
            return _live(row.value, row.expires_at) if row is not None else None

    def prefetch(self, keys: Sequence[str]) -> None:
        if self._bound is None:  # each read is a transaction of its own: nothing to keep
            return
        wanted = [key for key in keys if key not in self._read]
        if not wanted:
            return
        rows = self._bound.execute(_get_many(len(wanted)), {f"k{n}": key for n, key in enumerate(wanted)}).all()
        self._read.update(dict.fromkeys(wanted))
        self._read.update((row.key, _live(row.value, row.expires_at)) for row in rows)

    def set(self, key: str, value: str, *, ttl: int | None = None) -> None:
        self._read.pop(key, None)
        expires = utcnow() + timedelta(seconds=ttl) if ttl else None
        with self._tx() as session:
            insert = dialect_insert(session)
            stmt = insert(StateEntry).values(key=key, value=value, expires_at=expires)
            stmt = stmt.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "expires_at": expires}
            )
            session.execute(stmt)

    def delete(self, key: str) -> None:
        self._read.pop(key, None)
        with self._tx() as session:
            session.execute(delete(StateEntry).where(StateEntry.key == key))

    def add_once(self, key: str, *, ttl: int) -> bool:
        self._read.pop(key, None)
        now = utcnow()
        with self._tx() as session:
            session.execute(
                delete(StateEntry).where(StateEntry.key == key, StateEntry.expires_at <= now)
            )
            insert = dialect_insert(session)
            stmt = (
                insert(StateEntry)
                .values(key=key, value="1", expires_at=now + timedelta(seconds=ttl))
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(StateEntry.key)
            )
            return session.execute(stmt).first() is not None

    def incr(self, key: str, *, ttl: int) -> int:
        self._read.pop(key, None)
        now = utcnow()
        with self._tx() as session:
            session.execute(
                delete(StateEntry).where(StateEntry.key == key, StateEntry.expires_at <= now)
            )
            insert = dialect_insert(session)
            stmt = insert(StateEntry).values(key=key, value="1", expires_at=now + timedelta(seconds=ttl))
            stmt = stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={"value": cast(cast(StateEntry.value, Integer) + 1, Text)},
            ).returning(StateEntry.value)
            return int(session.execute(stmt).scalar_one())

    def purge_expired(self) -> int:
        with self._tx() as session:
            result = session.execute(delete(StateEntry).where(StateEntry.expires_at <= utcnow()))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def ping(self) -> bool:
        try:
            with self._sessions() as session:
                session.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        if self._bound is not None:
            yield self._bound
            return
        with self._sessions() as session, session.begin():
            yield session


def _live(value: str, expires_at: Any) -> str | None:
    """A stored value, or None once its time to live is over."""
    if expires_at is not None and expires_at <= utcnow():
        return None
    return str(value)
