"""What a handler gets besides the event: one open transaction and the shared stores."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.events import IncomingEvent
from bot.settings import Settings
from storage.state import StateStore

Message = dict[str, Any]


@dataclass
class Deps:
    session: Session  # the event's transaction: commit is the worker's
    settings: Settings
    state: StateStore
    now: datetime


Handler = Callable[[IncomingEvent, Deps], Sequence[Message]]
