"""Flex cards: a report summary as a LINE bubble, with a plain-text alt for
notifications and for clients that cannot show Flex."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.render import clip
from flows.replies import SummaryCard
from plans.standing import baht, bar, percent

ALT_LIMIT = 1500
# Long texts are cut in the card (the full text is saved): Thai escaped as JSON by the SDK
# takes six bytes a character, and a bubble may not pass 30 KB.
IN_CARD = 600
GREEN, AMBER, RED, GREY = "#1DB446", "#E6A100", "#D93025", "#888888"


def summary_card(card: SummaryCard) -> dict[str, Any]:
    return {"type": "flex", "altText": clip(alt_text(card), ALT_LIMIT), "contents": _bubble(card)}


def alt_text(card: SummaryCard) -> str:
    lines = [
        f"{card.title}: {card.project}",
        f"ความก้าวหน้า {percent(card.percent)} (แผน {percent(card.planned)}) · {card.status}",
        card.steps,
        f"ผลการดำเนินงาน: {card.work_done}",
        f"งบประมาณที่เบิกจ่าย: {baht(card.budget)} บาท",
        f"ปัญหาอุปสรรค: {card.obstacles or 'ไม่มี'}",
    ]
    if card.reason:
        lines.append(f"เหตุผลที่ตัวเลขลดลง: {card.reason}")
    lines.extend(f"หมายเหตุ: {note}" for note in card.notes)
    return "\n".join(lines)


def _bubble(card: SummaryCard) -> dict[str, Any]:
    colour = {"เป็นไปตามแผน": GREEN, "เร็วกว่าแผน": GREEN, "ล่าช้ากว่าแผน": RED}.get(card.status, GREY)
    width = f"{max(Decimal(0), min(Decimal(100), card.percent)).quantize(Decimal(1))}%"
    body: list[dict[str, Any]] = [
        _text(card.project, weight="bold", size="md", wrap=True),
        {
            "type": "box",
            "layout": "vertical",
            "margin": "md",
            "backgroundColor": "#EEEEEE",
            "height": "8px",
            "contents": [
                {"type": "box", "layout": "vertical", "contents": [], "width": width,
                 "backgroundColor": colour, "height": "8px"},
            ],
        },
        _row("ความก้าวหน้า", f"{bar(card.percent)} {percent(card.percent)}"),
        _row("ตามแผน", percent(card.planned)),
        _row("สถานะ", card.status, colour=colour),
        {"type": "separator", "margin": "md"},
        _text(card.steps, size="sm", color=GREY, wrap=True, margin="md"),
        _labelled("ผลการดำเนินงาน", clip(card.work_done, IN_CARD)),
        _row("เบิกจ่าย", f"{baht(card.budget)} บาท"),
        _labelled("ปัญหาอุปสรรค", clip(card.obstacles or "ไม่มี", IN_CARD)),
    ]  # fmt: skip
    if card.reason:
        body.append(_labelled("เหตุผลที่ตัวเลขลดลง", clip(card.reason, IN_CARD)))
    for note in card.notes:
        body.append(_text(clip(note, IN_CARD), size="xs", color=AMBER, wrap=True, margin="md"))
    return {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [_text(card.title, weight="bold", color="#FFFFFF")],
                   "backgroundColor": "#2F5BEA"},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }  # fmt: skip


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": clip(text, 2000) or "-", **style}


def _row(label: str, value: str, *, colour: str | None = None) -> dict[str, Any]:
    value_style: dict[str, Any] = {"size": "sm", "flex": 5, "wrap": True}
    if colour:
        value_style["color"] = colour
    return {
        "type": "box",
        "layout": "baseline",
        "contents": [_text(label, size="sm", color=GREY, flex=3), _text(value, **value_style)],
    }


def _labelled(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "vertical",
        "margin": "md",
        "contents": [_text(label, size="sm", color=GREY), _text(value, size="sm", wrap=True)],
    }

