"""What the bot sent, as lines a terminal can show: text, quick replies, Flex, stickers.

Pure functions over LINE's message JSON (as the local LINE server recorded it).
Tappable things become numbered choices (``[1] ช่วยเหลือ``); ``choices_of`` returns
them in the order ``render_message`` numbers them, so a typed number picks one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

BOT_NAME = "ก้าวหน้า"
RULE = "─" * 24
BAR_CELLS = 10
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_]{1,20})\}")
# Components that sit on one line when a horizontal box holds only them.
INLINE = frozenset({"text", "icon", "filler", "spacer"})

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Choice:
    """Something the person can tap: a quick-reply item or a button, with its LINE action."""

    label: str
    action: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.action.get("type", ""))


def render_message(message: Json, *, first: int = 1, quick_reply: bool = True,
                   names: Mapping[str, str] | None = None) -> list[str]:
    """The message as lines; choices numbered from ``first``."""
    return _Renderer(first, names).message(message, quick_reply=quick_reply).lines


def choices_of(message: Json, *, quick_reply: bool = True) -> list[Choice]:
    """The message's choices, in the order ``render_message`` numbers them."""
    return _Renderer(1, None).message(message, quick_reply=quick_reply).choices


def render_delivery(delivery: Json, *,
                    names: Mapping[str, str] | None = None) -> tuple[list[str], list[Choice]]:
    """One send of the bot (a reply or a push): a header, then each message.

    Numbering runs on across the messages; only the last message's quick reply
    is shown, as in the LINE app.
    """
    renderer = _Renderer(1, names)
    messages = [m for m in delivery.get("messages") or [] if isinstance(m, Mapping)]
    for index, message in enumerate(messages):
        if index:
            renderer.lines.append("")
        renderer.message(message, quick_reply=index == len(messages) - 1)
    header = f"{BOT_NAME} [{delivery.get('kind', '?')}]"
    return [header, *renderer.lines], renderer.choices


def progress_bar(width: str, cells: int = BAR_CELLS) -> str:
    """``"60%"`` -> ``[██████░░░░]``: a Flex box drawn as a bar, approximately."""
    try:
        percent = min(max(float(width.strip().rstrip("%")), 0.0), 100.0)
    except ValueError:
        percent = 0.0
    filled = round(percent / 100 * cells)
    return "[" + "█" * filled + "░" * (cells - filled) + "]"


class _Renderer:
    """Collects lines and choices while walking one or more messages."""

    def __init__(self, first: int, names: Mapping[str, str] | None) -> None:
        self.first = first
        self.names = names or {}
        self.lines: list[str] = []
        self.choices: list[Choice] = []
        self._messages: dict[str, Callable[[Json], None]] = {
            "text": self._text, "textV2": self._text_v2, "flex": self._flex,
            "sticker": lambda m: self.lines.append("(สติกเกอร์)"),
            "image": lambda m: self.lines.append(f"(รูปภาพ {m.get('originalContentUrl', '')})"),
            "video": lambda m: self.lines.append(f"(วิดีโอ {m.get('originalContentUrl', '')})"),
            "audio": lambda m: self.lines.append("(ข้อความเสียง)"),
            "location": lambda m: self.lines.append(f"(ตำแหน่ง {m.get('address', '')})"),
            "template": self._template,
        }
        self._components: dict[str, Callable[[Json], None]] = {
            "box": self._box, "text": lambda c: self._add(_text_of(c)),
            "separator": lambda c: self.lines.append(RULE),
            "button": lambda c: self.lines.append(self._choice(c.get("action") or {})),
            "image": lambda c: self.lines.append(f"(รูปภาพ {c.get('url', '')})"),
            "video": lambda c: self.lines.append(f"(วิดีโอ {c.get('url', '')})"),
        }

    def message(self, message: Json, *, quick_reply: bool) -> _Renderer:
        kind = str(message.get("type", ""))
        render = self._messages.get(kind)
        if render is None:
            self.lines.append(f"(ข้อความชนิด {kind} / unsupported message type)")
        else:
            render(message)
        if quick_reply:
            for item in (message.get("quickReply") or {}).get("items") or []:
                self.lines.append("  " + self._choice(item.get("action") or {}))
        return self

    def _choice(self, action: Json, label: str | None = None) -> str:
        kind = str(action.get("type", ""))
        label = label or str(action.get("label") or action.get("text") or kind)
        self.choices.append(Choice(label, dict(action)))
        number = self.first + len(self.choices) - 1
        if kind == "uri":
            return f"[{number}] {label} ({action.get('uri', '')})"
        if kind == "datetimepicker":
            return f"[{number}] {label} (เลือกวันเวลา)"
        return f"[{number}] {label}"

    def _add(self, line: str) -> None:
        if line:
            self.lines.append(line)

    def _text(self, message: Json) -> None:
        self.lines.extend(str(message.get("text", "")).splitlines() or [""])

    def _text_v2(self, message: Json) -> None:
        substitution = message.get("substitution") or {}

        def replace(match: re.Match[str]) -> str:
            if match.group(1) is None:
                return match.group(0)[0]  # "{{" and "}}" stand for one brace
            sub = substitution.get(match.group(1))
            if not isinstance(sub, Mapping):
                return match.group(0)
            if sub.get("type") == "emoji":
                return "(อีโมจิ)"
            mentionee = sub.get("mentionee") or {}
            if mentionee.get("type") == "all":
                return "@all"
            user_id = str(mentionee.get("userId", ""))
            return "@" + self.names.get(user_id, user_id)

        self._text({"text": PLACEHOLDER.sub(replace, str(message.get("text", "")))})

    def _flex(self, message: Json) -> None:
        contents = message.get("contents") or {}
        if contents.get("type") == "carousel":
            bubbles = [b for b in contents.get("contents") or [] if isinstance(b, Mapping)]
            for number, bubble in enumerate(bubbles, 1):
                self.lines.append(f"┄┄┄ {number}/{len(bubbles)} ┄┄┄")
                self._bubble(bubble)
        elif contents.get("type") == "bubble":
            self._bubble(contents)
        else:
            self._add(str(message.get("altText", "")))

    def _bubble(self, bubble: Json) -> None:
        for section in ("header", "hero", "body", "footer"):
            part = bubble.get(section)
            if isinstance(part, Mapping):
                self._component(part)

    def _component(self, component: Json) -> None:
        kind = str(component.get("type", ""))
        render = self._components.get(kind)
        if render is not None:
            render(component)
        action = component.get("action")
        if kind != "button" and isinstance(action, Mapping):  # a tappable box, text or image
            self.lines.append(self._choice(action, action.get("label") or _text_of(component)))

    def _box(self, box: Json) -> None:
        width = str(box.get("width") or "")
        if width.endswith("%"):
            self.lines.append(progress_bar(width))
        children = [c for c in box.get("contents") or [] if isinstance(c, Mapping)]
        inline = all(c.get("type") in INLINE and not c.get("action") for c in children)
        if box.get("layout") in ("horizontal", "baseline") and inline:
            self._add("  ".join(t for c in children if (t := _text_of(c))))
            return
        for child in children:
            self._component(child)

    def _template(self, message: Json) -> None:
        template = message.get("template") or {}
        columns = template.get("columns") or [template]
        for column in columns:
            if len(columns) > 1:
                self.lines.append(RULE)
            self._add(str(column.get("title") or ""))
            self._add(str(column.get("text") or ""))
            single = column.get("action")
            actions = column.get("actions") or ([single] if isinstance(single, Mapping) else [])
            for action in actions:
                self.lines.append(self._choice(action))


def _text_of(component: Json) -> str:
    """A Flex text's words: its spans joined (they are parts of one line), else its text."""
    if component.get("type") != "text":
        return ""
    spans = [s for s in component.get("contents") or [] if isinstance(s, Mapping)]
    if spans:
        return "".join(str(s.get("text", "")) for s in spans if s.get("type") == "span")
    return str(component.get("text", ""))
