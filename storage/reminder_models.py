"""SQLAlchemy 2 typed models of the reminder clock: schedules, extra days off, the
send ledger, and who asked to hear about new reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base
from storage.models import BigId


class ReminderSchedule(Base):
    """The schedule of one project, or of a unit's projects (and the units inside it).
    A project's own row wins over its unit's, a unit's over the unit it is in, and
    settings give the rest. A None column takes the next one's value."""

    __tablename__ = "reminder_schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    reminder_day: Mapped[int | None] = mapped_column(Integer)
    followup_days: Mapped[str | None] = mapped_column(String(40))  # "23,25"; "" for none
    deadline_day: Mapped[int | None] = mapped_column(Integer)
    digest_day: Mapped[int | None] = mapped_column(Integer)
    at_time: Mapped[str | None] = mapped_column(String(5))  # "09:00"
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class ExtraHoliday(Base):
    """A day off of the BMA's own, on top of Thailand's public holidays."""

    __tablename__ = "extra_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime]


class SendLedger(Base):
    """One scheduled message's claim: (target chat, scope, month, occasion), unique,
    written BEFORE anything is sent. Its outbox row carries a retry key derived from
    this row, so LINE takes it once however often it is tried.

    status: queued (an outbox row was written) | replied (it went out free with a
    reply in that chat) | quota (not sent: the quota guard skipped it)."""

    __tablename__ = "send_ledger"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(80))
    month: Mapped[str] = mapped_column(String(7))
    occasion: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    outbox_id: Mapped[int | None] = mapped_column(BigId)
    project_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    cost: Mapped[int] = mapped_column(Integer, default=0)  # the estimate when claimed
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("target", "scope", "month", "occasion", name="uq_send_ledger_claim"),
        Index("ix_send_ledger_month", "month", "kind"),
    )


class NotifyPreference(Base):
    """A coordinator's choice to get the day's new reports (`แจ้งรายงานใหม่ เปิด`)."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[str] = mapped_column(ForeignKey("persons.user_id"), primary_key=True)
    new_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]
