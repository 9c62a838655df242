"""What a conversation says: plain data, rendered to LINE messages by the handler."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.render import Choice as Button


@dataclass(frozen=True)
class Say:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class SummaryCard:
    """A report before it is saved (or the report being edited)."""

    title: str
    project: str
    percent: Decimal
    planned: Decimal | None
    status: str
    steps: str
    work_done: str
    budget: Decimal
    obstacles: str | None
    reason: str | None
    notes: tuple[str, ...] = ()  # what the person should know: defaults used, files


Reply = Say | SummaryCard
