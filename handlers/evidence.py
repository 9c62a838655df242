"""Photos and files sent during a report: fetched from LINE, kept in the file store
(never the database), and remembered by the draft until the report is saved."""

from __future__ import annotations

import logging
import mimetypes

from bot.events import IncomingEvent
from flows import report as flow
from flows import report_text as T
from flows.draft import Attachment, Draft
from flows.replies import Say
from handlers.deps import Deps
from plans.errors import ContentError, FileTooLarge, LineApiError
from plans.thai import clean_text
from storage.files import file_key

log = logging.getLogger(__name__)
FILE_TYPES = frozenset({"image", "file", "video"})
KINDS = {"image": "รูปภาพ", "video": "วิดีโอ", "file": "ไฟล์"}


def receive(event: IncomingEvent, deps: Deps, draft: Draft) -> flow.Outcome:
    """The reporter's own photo or file (another person's never reaches here: the
    conversation is theirs alone)."""
    megabytes = deps.settings.max_file_bytes // (1024 * 1024)
    if draft.project is None or deps.files is None or deps.content is None or not event.message_id:
        return flow.Outcome(draft, (Say(T.NOT_TEXT), *flow.prompt(draft)))
    if event.file_size is not None and event.file_size > deps.settings.max_file_bytes:
        return flow.Outcome(draft, (Say(T.FILE_TOO_BIG.format(mb=megabytes)), *flow.prompt(draft)))
    try:
        data, content_type = deps.content(event.message_id)
    except FileTooLarge:
        return flow.Outcome(draft, (Say(T.FILE_TOO_BIG.format(mb=megabytes)), *flow.prompt(draft)))
    except (LineApiError, ContentError):
        log.exception("content of message %s could not be fetched", event.message_id)
        return flow.Outcome(draft, (Say(T.FILE_FAILED), *flow.prompt(draft)))
    name = clean_text(event.file_name or "")[:200] or _name(event, content_type, len(draft.attachments) + 1)
    key = file_key(draft.project.id, event.message_id, name)
    try:
        deps.files.put(key, data, content_type)
    except ContentError:
        log.exception("message %s could not be stored", event.message_id)
        return flow.Outcome(draft, (Say(T.FILE_FAILED), *flow.prompt(draft)))
    return flow.attached(draft, Attachment(key=key, name=name, content_type=content_type, size=len(data),
                                           message_id=event.message_id))  # fmt: skip


def _name(event: IncomingEvent, content_type: str, number: int) -> str:
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    return f"{KINDS.get(event.message_type or '', 'ไฟล์')}{number}{extension}"
