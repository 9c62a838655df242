"""What a handler gets besides the event: one open transaction and the shared stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.events import IncomingEvent
from bot.settings import Settings
from storage.access import Known, Viewer
from storage.files import FileStore
from storage.state import StateStore

# A message's photo or file from LINE: (bytes, content type); raises plans.errors errors.
ContentFetcher = Callable[[str], tuple[bytes, str]]

Message = dict[str, Any]


@dataclass
class Deps:
    session: Session  # the event's transaction: commit is the worker's
    settings: Settings
    state: StateStore
    now: datetime
    files: FileStore | None = None  # where report attachments are kept
    content: ContentFetcher | None = None
    # What the unit of work read of the event's writer before running it (None: not read;
    # the event reads what it needs itself).
    writer: Known | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(self.settings.tz).date()


def viewer_of(event: IncomingEvent) -> Viewer:
    return Viewer(chat_type=event.chat_type, chat_id=event.chat_id, user_id=event.user_id)


Handler = Callable[[IncomingEvent, Deps], Sequence[Message]]
