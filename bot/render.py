"""Building LINE message objects (LINE's JSON shape, as plain dicts).

Limits are LINE's: text <= 5,000 UTF-16 units, quick reply <= 13 items with
labels <= 20 characters, postback data <= 300 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

TEXT_LIMIT = 5000
QUICK_REPLY_LIMIT = 13
LABEL_LIMIT = 20
DATA_LIMIT = 300
MESSAGE_LIMIT = 5  # message objects in one reply or push


@dataclass(frozen=True)
class Choice:
    """A quick-reply button: sends ``text`` as the user's message, or ``data`` as a postback."""

    label: str
    text: str | None = None
    data: str | None = None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """Cut to at most ``limit`` UTF-16 units, ending with an ellipsis when cut."""
    if utf16_len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for char in text:
        size = utf16_len(char)
        if used + size > limit - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…"


def text(body: str, choices: Sequence[Choice] = ()) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": clip(body, TEXT_LIMIT)}
    if choices:
        message["quickReply"] = quick_reply(choices)
    return message


def quick_reply(choices: Sequence[Choice]) -> dict[str, Any]:
    items = []
    for choice in list(choices)[:QUICK_REPLY_LIMIT]:
        label = clip(choice.label, LABEL_LIMIT)
        if choice.data is not None:
            action: dict[str, Any] = {
                "type": "postback",
                "label": label,
                "data": _checked_data(choice.data),
                "displayText": clip(choice.text or choice.label, DATA_LIMIT),
            }
        else:
            action = {"type": "message", "label": label, "text": clip(choice.text or choice.label, 300)}
        items.append({"type": "action", "action": action})
    return {"items": items}


def _checked_data(data: str) -> str:
    """Postback data is read back by the bot: cutting it would corrupt it, so refuse."""
    if len(data) > DATA_LIMIT:
        raise ValueError(f"postback data over {DATA_LIMIT} characters: {data[:40]}…")
    return data


def fit(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """LINE's five-message cap, owned here: plain texts without buttons are merged into
    the text after them, earliest first, until five are left; only when nothing can be
    merged is the earliest message dropped. The last message (the question, with its
    buttons) always stays."""
    out = [dict(m) for m in messages]
    while len(out) > MESSAGE_LIMIT:
        for i in range(len(out) - 1):
            first, second = out[i], out[i + 1]
            if first.get("type") == second.get("type") == "text" and "quickReply" not in first:
                joined = f"{first['text']}\n\n{second['text']}"
                if utf16_len(joined) <= TEXT_LIMIT:
                    out[i : i + 2] = [{**second, "text": joined}]
                    break
        else:
            out.pop(0)
    return out


def addressed(message: dict[str, Any], user_id: str) -> dict[str, Any]:
    """A text message that opens by mentioning ``user_id`` (a textV2 message), so that in a
    busy group everyone sees whose question it is. Braces in the text are doubled, as
    textV2 reads single ones as placeholders."""
    if message.get("type") != "text":
        return message
    body = message["text"].replace("{", "{{").replace("}", "}}")
    out: dict[str, Any] = {
        "type": "textV2",
        "text": clip("{you} " + body, TEXT_LIMIT),
        "substitution": {"you": {"type": "mention", "mentionee": {"type": "user", "userId": user_id}}},
    }
    if "quickReply" in message:
        out["quickReply"] = message["quickReply"]
    return out
