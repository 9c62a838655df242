"""Typed models around progress reports: their attachments, and deleted reports kept
for the audit history. Both name a report by (project, number): numbers are never
reused, so the pair stays true after a report is deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base
from storage.models import BigId


class ReportAttachment(Base):
    """A photo or file sent as evidence for a report; the bytes live in the file store."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    report_number: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("project_id", "report_number", "message_id", name="uq_attachment_message"),
        Index("ix_attachments_report", "project_id", "report_number"),
    )


class ReportDeletion(Base):
    """A report a coordinator deleted: its content (and revisions) as it was, who and when."""

    __tablename__ = "report_deletions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # JSON of the report and its revisions
    deleted_by: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_deletion_number"),)
