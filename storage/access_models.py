"""SQLAlchemy 2 typed models of who may do what: people, coordinators, LINE groups,
which projects a group reports on, and one-time codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base
from storage.models import BigId
from storage.plan_models import Unit


class Person(Base):
    """A LINE user the bot has met. Only the userId and display name are kept."""

    __tablename__ = "persons"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    name_refreshed_at: Mapped[datetime | None]
    # False after unfollow (blocked): no pushes, no digests, until they follow again.
    is_friend: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Coordinator(Base):
    """ผู้ประสานงาน: follows every project of a unit (and the units inside it)."""

    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("persons.user_id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime]

    person: Mapped[Person] = relationship()
    unit: Mapped[Unit] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "unit_id", name="uq_coordinator_unit"),)


class ChatGroup(Base):
    """A LINE group (or room) the bot is in, or was in."""

    __tablename__ = "chat_groups"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # False after the bot left or was removed: its reports stay, nothing is sent there.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("chat_groups.group_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("persons.user_id"), primary_key=True)
    joined_at: Mapped[datetime]

    __table_args__ = (Index("ix_group_members_user", "user_id"),)


class GroupProject(Base):
    """A group reports on a project."""

    __tablename__ = "group_projects"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("chat_groups.group_id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    bound_by: Mapped[str] = mapped_column(String(200))
    bound_at: Mapped[datetime]

    __table_args__ = (Index("ix_group_projects_project", "project_id"),)


class InviteCode(Base):
    """A one-time code: binds a group to projects ("bind"), or registers a
    coordinator of a unit ("coordinator"). Only a hash of the code is kept."""

    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    project_ids: Mapped[str | None] = mapped_column(Text)  # JSON list, for "bind"
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_in: Mapped[str | None] = mapped_column(String(64))
