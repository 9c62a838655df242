"""Who may see what, in one place, and the records it rests on.

A project is visible in a chat when:
- the chat is a group (or room) bound to the project, or
- it is a one-to-one chat with a coordinator of the project's unit (or of a unit
  it belongs to), or
- it is a one-to-one chat with a member of an active group bound to the project.
Everything else answers as if the project did not exist.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, and_, bindparam, delete, exists, false, select, union
from sqlalchemy.orm import Session, selectinload

from storage.access_models import (
    ChatGroup,
    Coordinator,
    GroupMember,
    GroupProject,
    InviteCode,
    Person,
)
from storage.db import dialect_insert, utcnow
from storage.plan_models import Project, Unit
from storage.plans import unit_tree_ids

CODE_DIGITS = 6


@dataclass(frozen=True)
class Viewer:
    """Who asks, and in which chat."""

    chat_type: str  # user | group | room
    chat_id: str
    user_id: str | None

    @property
    def in_group(self) -> bool:
        return self.chat_type in ("group", "room")


def visible_ids_query(session: Session, viewer: Viewer) -> Select[Any]:
    """The ids of the projects visible to ``viewer``, as a query to use inside another
    (``Project.id.in_(...)``): one round trip whatever the number of projects."""
    if viewer.in_group:
        return (
            select(GroupProject.project_id)
            .join(ChatGroup, ChatGroup.group_id == GroupProject.group_id)
            .where(GroupProject.group_id == viewer.chat_id, ChatGroup.active.is_(True))
        )
    if not viewer.user_id:
        return select(Project.id).where(false())
    through_groups = (
        select(GroupProject.project_id)
        .join(GroupMember, GroupMember.group_id == GroupProject.group_id)
        .join(ChatGroup, ChatGroup.group_id == GroupProject.group_id)
        .where(GroupMember.user_id == viewer.user_id, ChatGroup.active.is_(True))
    )
    unit_ids = coordinated_unit_ids(session, viewer.user_id)
    if not unit_ids:
        return through_groups
    return union(through_groups, select(Project.id).where(Project.unit_id.in_(unit_ids)))  # type: ignore[return-value]


def visible_project_ids(session: Session, viewer: Viewer) -> set[int]:
    return set(session.scalars(visible_ids_query(session, viewer)))


def coordinated_unit_ids(session: Session, user_id: str) -> set[int]:
    """The units a person coordinates, with the units inside them."""
    unit_ids: set[int] = set()
    for unit_id in session.scalars(select(Coordinator.unit_id).where(Coordinator.user_id == user_id)):
        unit_ids.update(unit_tree_ids(session, unit_id))
    return unit_ids


def coordinated_project_ids(session: Session, user_id: str) -> set[int]:
    """The projects of the units a person coordinates (and of the units inside them).
    Only these may be handed out with a binding code: seeing a project through a
    group is not the right to bind it to another group."""
    unit_ids = coordinated_unit_ids(session, user_id)
    if not unit_ids:
        return set()
    return set(session.scalars(select(Project.id).where(Project.unit_id.in_(unit_ids))))


def visible_projects(session: Session, viewer: Viewer, *, fiscal_year: int | None = None) -> list[Project]:
    query = (
        select(Project)
        .where(Project.id.in_(visible_ids_query(session, viewer)))
        .options(selectinload(Project.steps), selectinload(Project.unit))
    )
    if fiscal_year is not None:
        query = query.where(Project.fiscal_year == fiscal_year)
    return list(session.scalars(query.order_by(Project.fiscal_year.desc(), Project.id)))


def can_see(session: Session, viewer: Viewer, project_id: int) -> bool:
    return project_id in visible_project_ids(session, viewer)


_COORDINATES = select(Coordinator.__table__.c.id).where(Coordinator.__table__.c.user_id == bindparam("user_id")).limit(1)


def is_coordinator(session: Session, user_id: str) -> bool:
    """Whether the person coordinates any unit (one indexed look, built once)."""
    return session.execute(_COORDINATES, {"user_id": user_id}).first() is not None


def coordinated_units(session: Session, user_id: str) -> list[Unit]:
    query = select(Unit).join(Coordinator, Coordinator.unit_id == Unit.id).where(Coordinator.user_id == user_id)
    return list(session.scalars(query.order_by(Unit.name)))


# People and groups -------------------------------------------------------------


class Seen(NamedTuple):
    """What the event path keeps of a person it saw: when their name was looked up."""

    name_refreshed_at: datetime | None


_PERSONS, _MEMBERS = cast(Table, Person.__table__), cast(Table, GroupMember.__table__)
_SEEN_FRIEND = select(_PERSONS.c.is_friend, _PERSONS.c.name_refreshed_at).where(
    _PERSONS.c.user_id == bindparam("user_id")
)
_SEEN_MEMBER = (
    select(_PERSONS.c.name_refreshed_at, _MEMBERS.c.user_id)
    .select_from(_PERSONS.outerjoin(_MEMBERS, and_(_MEMBERS.c.user_id == _PERSONS.c.user_id,
                                                     _MEMBERS.c.group_id == bindparam("group_id"))))
    .where(_PERSONS.c.user_id == bindparam("user_id"))
)  # fmt: skip


def see_friend(session: Session, user_id: str) -> Seen:
    """``touch_person(friend=True)`` for the event path: one SELECT and no ORM object
    when the person is known and a friend already (every message but the first)."""
    row = session.execute(_SEEN_FRIEND, {"user_id": user_id}).first()
    if row is not None and row.is_friend:
        return Seen(row.name_refreshed_at)
    return Seen(touch_person(session, user_id, friend=True).name_refreshed_at)


def see_member(session: Session, group_id: str, user_id: str) -> Seen:
    """``add_members`` of one writer for the event path: one SELECT when the person is
    known as a member of the group already (every message but their first there)."""
    row = session.execute(_SEEN_MEMBER, {"user_id": user_id, "group_id": group_id}).first()
    if row is None or row.user_id is None:
        add_members(session, group_id, [user_id])
        row = session.execute(_SEEN_MEMBER, {"user_id": user_id, "group_id": group_id}).first()
        assert row is not None
    return Seen(row.name_refreshed_at)


class Known(NamedTuple):
    """What one look at the start of a unit of work read of an event's writer, so that
    the event itself reads nothing more of them (``look_ahead``)."""

    is_friend: bool
    name_refreshed_at: datetime | None
    coordinator: bool  # coordinates some unit
    groups: frozenset[str]  # of the groups asked about, those they are a member of


_COORDINATORS = cast(Table, Coordinator.__table__)


@functools.lru_cache(maxsize=256)
def _look_ahead(users: int, groups: int) -> Select[Any]:
    """The writers' look for ``users`` persons and ``groups`` groups, built and compiled
    once per pair of counts (an "expanding" IN is rewritten on every execution)."""
    in_groups = _MEMBERS.c.group_id.in_([bindparam(f"g{n}") for n in range(groups)]) if groups else false()
    coordinates = exists().where(_COORDINATORS.c.user_id == _PERSONS.c.user_id)
    return (
        select(_PERSONS.c.user_id, _PERSONS.c.is_friend, _PERSONS.c.name_refreshed_at,
               coordinates.label("coordinator"), _MEMBERS.c.group_id)
        .select_from(_PERSONS.outerjoin(_MEMBERS, and_(_MEMBERS.c.user_id == _PERSONS.c.user_id, in_groups)))
        .where(_PERSONS.c.user_id.in_([bindparam(f"u{n}") for n in range(users)]))
    )  # fmt: skip


def look_ahead(session: Session, users: Iterable[str], groups: Iterable[str] = ()) -> dict[str, Known]:
    """The persons among ``users`` that are known, with whether each coordinates a
    unit and which of ``groups`` each is a member of: one query for a unit of work's
    writers, instead of two or three for each of its events."""
    wanted, in_groups = sorted(set(users)), sorted(set(groups))
    if not wanted:
        return {}
    params = {f"u{n}": user for n, user in enumerate(wanted)} | {f"g{n}": g for n, g in enumerate(in_groups)}
    rows = session.execute(_look_ahead(len(wanted), len(in_groups)), params).all()
    member: dict[str, set[str]] = {}
    for row in rows:
        member.setdefault(row.user_id, set()).update([row.group_id] if row.group_id is not None else [])
    return {row.user_id: Known(bool(row.is_friend), row.name_refreshed_at, bool(row.coordinator),
                               frozenset(member[row.user_id])) for row in rows}  # fmt: skip


def touch_person(session: Session, user_id: str, *, friend: bool | None = None) -> Person:
    person = session.get(Person, user_id)
    if person is None:
        # Two first messages at once both find no row: the loser of the insert
        # must not fail, so insert-if-absent and read back whichever row won.
        session.execute(
            dialect_insert(session)(Person)
            .values(user_id=user_id, is_friend=bool(friend), created_at=utcnow())
            .on_conflict_do_nothing()
        )
        person = session.get(Person, user_id)
        assert person is not None
    if friend is not None:
        person.is_friend = friend
    session.flush()
    return person


def needs_name_refresh(session: Session, user_id: str, *, every: timedelta = timedelta(days=1)) -> bool:
    person = session.get(Person, user_id)
    return person is None or person.name_refreshed_at is None or person.name_refreshed_at < utcnow() - every


def set_display_name(session: Session, user_id: str, name: str | None) -> None:
    person = touch_person(session, user_id)
    if name:
        person.display_name = name[:200]
    person.name_refreshed_at = utcnow()


def ensure_group(session: Session, group_id: str, *, rejoined: bool = False) -> ChatGroup:
    group = session.get(ChatGroup, group_id)
    if group is None:
        # As in touch_person: a concurrent first event for the group must not fail.
        session.execute(
            dialect_insert(session)(ChatGroup)
            .values(group_id=group_id, active=True, joined_at=utcnow())
            .on_conflict_do_nothing()
        )
        group = session.get(ChatGroup, group_id)
        assert group is not None
    if rejoined and not group.active:
        group.active, group.left_at, group.joined_at = True, None, utcnow()
    session.flush()
    return group


def leave_group(session: Session, group_id: str) -> None:
    group = ensure_group(session, group_id)
    group.active, group.left_at = False, utcnow()


def add_members(session: Session, group_id: str, user_ids: Iterable[str]) -> None:
    ensure_group(session, group_id)
    insert = dialect_insert(session)
    for user_id in user_ids:
        touch_person(session, user_id)
        session.execute(
            insert(GroupMember)
            .values(group_id=group_id, user_id=user_id, joined_at=utcnow())
            .on_conflict_do_nothing()
        )


def remove_members(session: Session, group_id: str, user_ids: Iterable[str]) -> None:
    session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id.in_(list(user_ids)))
    )


def can_push(session: Session, chat_id: str) -> bool:
    """Never push to a group the bot has left or to a person who blocked it."""
    group = session.get(ChatGroup, chat_id)
    if group is not None:
        return group.active
    person = session.get(Person, chat_id)
    return person is None or person.is_friend


# Binding -------------------------------------------------------------------------


def bind(session: Session, group_id: str, project_ids: Iterable[int], *, by: str) -> list[int]:
    """Bind a group to projects; returns the ids newly bound."""
    ensure_group(session, group_id)
    already = set(session.scalars(select(GroupProject.project_id).where(GroupProject.group_id == group_id)))
    new = [pid for pid in dict.fromkeys(project_ids) if pid not in already]
    session.add_all(GroupProject(group_id=group_id, project_id=pid, bound_by=by, bound_at=utcnow()) for pid in new)
    session.flush()
    return new


def unbind(session: Session, group_id: str, project_ids: Sequence[int] | None = None) -> int:
    query = delete(GroupProject).where(GroupProject.group_id == group_id)
    if project_ids is not None:
        query = query.where(GroupProject.project_id.in_(project_ids))
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def bound_projects(session: Session, group_id: str) -> list[Project]:
    query = (
        select(Project)
        .join(GroupProject, GroupProject.project_id == Project.id)
        .where(GroupProject.group_id == group_id)
        .order_by(Project.id)
    )
    return list(session.scalars(query))


# Coordinators --------------------------------------------------------------------


def add_coordinator(session: Session, user_id: str, unit_id: int) -> bool:
    touch_person(session, user_id, friend=True)
    exists = session.scalar(
        select(Coordinator).where(Coordinator.user_id == user_id, Coordinator.unit_id == unit_id)
    )
    if exists is not None:
        return False
    session.add(Coordinator(user_id=user_id, unit_id=unit_id, created_at=utcnow()))
    session.flush()
    return True


def remove_coordinator(session: Session, user_id: str, unit_id: int | None = None) -> int:
    query = delete(Coordinator).where(Coordinator.user_id == user_id)
    if unit_id is not None:
        query = query.where(Coordinator.unit_id == unit_id)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def list_coordinators(session: Session) -> list[Coordinator]:
    query = select(Coordinator).options(selectinload(Coordinator.person), selectinload(Coordinator.unit))
    return list(session.scalars(query.order_by(Coordinator.unit_id, Coordinator.user_id)))


# One-time codes ------------------------------------------------------------------


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def create_code(
    session: Session,
    kind: str,
    *,
    created_by: str,
    ttl: timedelta,
    unit_id: int | None = None,
    project_ids: Sequence[int] | None = None,
) -> str:
    """A fresh random numeric code, unique among all codes ever issued."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if session.scalar(select(InviteCode.id).where(InviteCode.code_hash == code_hash(code))) is None:
            break
    session.add(
        InviteCode(
            code_hash=code_hash(code),
            kind=kind,
            unit_id=unit_id,
            project_ids=json.dumps(list(project_ids)) if project_ids is not None else None,
            created_by=created_by,
            created_at=utcnow(),
            expires_at=utcnow() + ttl,
        )
    )
    session.flush()
    return code


def redeem_code(session: Session, code: str, kind: str, *, used_in: str) -> tuple[InviteCode | None, str]:
    """Use a code once. Returns (code, "ok") or (None, "unknown" | "used" | "expired")."""
    found = session.scalar(
        select(InviteCode).where(InviteCode.code_hash == code_hash(code), InviteCode.kind == kind).with_for_update()
    )
    if found is None:
        return None, "unknown"
    if found.used_at is not None:
        return None, "used"
    if found.expires_at <= utcnow():
        return None, "expired"
    found.used_at, found.used_in = utcnow(), used_in
    session.flush()
    return found, "ok"


def release_code(session: Session, invite: InviteCode) -> None:
    """Give a redeemed code back, unused, when it turned out to have nothing to do."""
    invite.used_at, invite.used_in = None, None
    session.flush()


def code_projects(session: Session, invite: InviteCode) -> list[int]:
    """The projects a bind code covers: its listed projects, or all of its unit's now."""
    if invite.project_ids:
        return [int(pid) for pid in json.loads(invite.project_ids)]
    if invite.unit_id is None:
        return []
    tree = unit_tree_ids(session, invite.unit_id)
    return list(session.scalars(select(Project.id).where(Project.unit_id.in_(tree)).order_by(Project.id)))
