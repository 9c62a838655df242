"""Repository functions for report attachments (the rows; the bytes are in the file store)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.report_models import ReportAttachment


@dataclass(frozen=True)
class NewAttachment:
    storage_key: str
    file_name: str
    content_type: str
    size: int
    message_id: str


def add_attachments(session: Session, project_id: int, number: int, files: Iterable[NewAttachment], *,
                    by: str | None) -> int:  # fmt: skip
    """Attach files to report ``number``; a file already attached (same message) is not added twice."""
    known = set(
        session.scalars(
            select(ReportAttachment.message_id).where(
                ReportAttachment.project_id == project_id, ReportAttachment.report_number == number
            )
        )
    )
    added = 0
    for f in files:
        if f.message_id in known:
            continue
        known.add(f.message_id)
        session.add(ReportAttachment(project_id=project_id, report_number=number, storage_key=f.storage_key,
                                     file_name=f.file_name, content_type=f.content_type, size=f.size,
                                     message_id=f.message_id, added_by=by, added_at=utcnow()))  # fmt: skip
        added += 1
    session.flush()
    return added


def attachments_by_report(session: Session, project_id: int) -> dict[int, list[ReportAttachment]]:
    """Every attachment of the project's reports, by report number, in the order sent (one query)."""
    rows = session.scalars(
        select(ReportAttachment).where(ReportAttachment.project_id == project_id).order_by(ReportAttachment.id)
    )
    found: dict[int, list[ReportAttachment]] = defaultdict(list)
    for row in rows:
        found[row.report_number].append(row)
    return dict(found)
