"""Incoming events as plain data: what handlers see instead of SDK objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plans.thai import parse_whole


@dataclass(frozen=True)
class IncomingEvent:
    inbox_id: int
    webhook_event_id: str
    type: str
    chat_type: str  # user | group | room
    chat_id: str
    user_id: str | None
    reply_token: str | None
    timestamp: datetime
    mode: str = "active"
    message_type: str | None = None
    message_id: str | None = None
    file_name: str | None = None  # a file message's name and size (photos have neither)
    file_size: int | None = None
    text: str | None = None
    # The text with the bot's own @mention taken out: what a command is matched on.
    command_text: str | None = None
    mentions_bot: bool = False
    postback_data: str | None = None
    postback_params: dict[str, str] = field(default_factory=dict)
    member_ids: tuple[str, ...] = ()

    @property
    def in_group(self) -> bool:
        return self.chat_type in ("group", "room")


def chat_of(source: dict[str, Any]) -> tuple[str | None, str | None]:
    """(chat id, user id) of a webhook event source: the group or room, else the user."""
    user_id = source.get("userId")
    if source.get("type") == "group":
        return source.get("groupId"), user_id
    if source.get("type") == "room":
        return source.get("roomId"), user_id
    return user_id, user_id


def from_payload(inbox_id: int, payload: str | dict[str, Any]) -> IncomingEvent:
    raw: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else payload
    source = raw.get("source") or {}
    chat_type = str(source.get("type") or "user")
    chat_id, user_id = chat_of(source)
    message = raw.get("message") or {}
    postback = raw.get("postback") or {}
    members = ((raw.get("joined") or raw.get("left") or {}).get("members")) or []
    mentionees = ((message.get("mention") or {}).get("mentionees")) or []
    text = message.get("text") if message.get("type") == "text" else None
    return IncomingEvent(
        inbox_id=inbox_id,
        webhook_event_id=str(raw.get("webhookEventId", "")),
        type=str(raw.get("type", "")),
        chat_type=chat_type,
        chat_id=chat_id or "",
        user_id=user_id,
        reply_token=raw.get("replyToken"),
        timestamp=datetime.fromtimestamp(int(raw.get("timestamp", 0)) / 1000, UTC),
        mode=str(raw.get("mode") or "active"),
        message_type=message.get("type"),
        message_id=None if message.get("id") is None else str(message["id"]),
        file_name=message.get("fileName"),
        file_size=parse_whole(str(message.get("fileSize", "")), max_digits=15),
        text=text,
        command_text=None if text is None else _without_self_mentions(text, mentionees),
        mentions_bot=any(m.get("isSelf") for m in mentionees if isinstance(m, dict)),
        postback_data=postback.get("data"),
        postback_params={str(k): str(v) for k, v in (postback.get("params") or {}).items()},
        member_ids=tuple(str(m.get("userId")) for m in members if isinstance(m, dict) and m.get("userId")),
    )


def _without_self_mentions(text: str, mentionees: list[Any]) -> str:
    spans = sorted(
        (int(m.get("index", 0)), int(m.get("length", 0)))
        for m in mentionees
        if isinstance(m, dict) and m.get("isSelf")
    )
    for index, length in reversed(spans):
        text = text[:index] + text[index + length :]
    return " ".join(text.split())
