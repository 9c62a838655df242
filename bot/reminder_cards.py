"""The reminder, follow-up, digest and notice messages, as LINE JSON objects.

A group's reminder is ONE push of up to two message objects: a textV2 line that
mentions the last reporters still in the group (at most 20), and a Flex bubble
listing the unreported projects, each with a button that starts its report.
Beyond what fits in the bubble, a line says to type รายงาน.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.render import Choice, clip, text
from plans.fiscal import YearMonth
from plans.progress import planned_percent
from plans.reminders import MAX_MENTIONS, Item
from plans.standing import percent

IN_CARD = 8  # projects with their own button; a bubble stays far below 30 KB
NAME = 60
ALT_LIMIT = 1500
REPORT_DATA = "kaona=report&a=start&p={id}"  # handlers/report.py's reminder button

TITLE = {"reminder": "⏰ แจ้งเตือนรายงานความก้าวหน้า", "followup": "🔔 ติดตามรายงานความก้าวหน้า"}
MORE = "และอีก {n} โครงการ พิมพ์ “รายงาน” เพื่อรายงานโครงการอื่น"
MENTION_LINE = "{names} กรุณารายงานความก้าวหน้าประจำเดือน {month} ภายในวันที่ {deadline} ตามรายการด้านล่าง"
PLAIN_LINE = "กรุณารายงานความก้าวหน้าประจำเดือน {month} ภายในวันที่ {deadline} ตามรายการด้านล่าง"
DM_LINE = ("โครงการที่ท่านรายงานไว้ครั้งก่อนยังไม่ได้รายงานประจำเดือน {month} "
           "กรุณารายงานภายในวันที่ {deadline} กดปุ่ม “รายงาน” ด้านล่างได้เลย")  # fmt: skip
FREE_LINE = "⏰ ยังไม่ได้รายงานประจำเดือน {month}: {names} · พิมพ์ “รายงาน” เพื่อรายงาน"


@dataclass(frozen=True)
class Line:
    """One project's row in a reminder."""

    project_id: int
    name: str
    expects: str  # the step due this month and the planned percent
    last: str  # the last reported percent


def line_of(item: Item, today: date) -> Line:
    p = item.project
    month = YearMonth.of(today)
    planned = planned_percent(p.steps, today)
    due = [s for s in p.steps if month in s.months]
    step = "; ".join(f"{s.no}. {s.title}" for s in due[:2]) or "ไม่มีขั้นตอนตามแผนเดือนนี้"
    expects = f"แผนเดือนนี้: {clip(step, 80)} · ตามแผน {percent(planned)}"
    last = f"รายงานล่าสุด {percent(p.actual)}" if p.actual is not None else "ยังไม่เคยรายงาน"
    return Line(p.id, clip(p.name, NAME), expects, last)


def reminder_messages(kind: str, items: Sequence[Item], mentions: Sequence[str], *, month: YearMonth,
                      deadline: int, today: date, direct: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    lines = [line_of(i, today) for i in items]
    month_th = month.thai()
    if direct:
        head: dict[str, Any] = text(DM_LINE.format(month=month_th, deadline=deadline))
    elif mentions:
        head = mention_text(MENTION_LINE, list(mentions)[:MAX_MENTIONS], month=month_th, deadline=deadline)
    else:
        head = text(PLAIN_LINE.format(month=month_th, deadline=deadline))
    return [head, bubble(kind, lines, month=month, deadline=deadline)]


def mention_text(template: str, user_ids: Sequence[str], **values: object) -> dict[str, Any]:
    """A textV2 message whose ``{names}`` are mentions of ``user_ids``."""
    keys = [f"u{n}" for n in range(len(user_ids))]
    names = " ".join("{" + k + "}" for k in keys)
    substitution = {k: {"type": "mention", "mentionee": {"type": "user", "userId": u}} for k, u in zip(keys, user_ids, strict=True)}
    return {"type": "textV2", "text": template.format(names=names, **values), "substitution": substitution}


def bubble(kind: str, lines: Sequence[Line], *, month: YearMonth, deadline: int) -> dict[str, Any]:
    shown, rest = list(lines[:IN_CARD]), len(lines) - IN_CARD
    body: list[dict[str, Any]] = [
        _text(TITLE.get(kind, TITLE["reminder"]), weight="bold", size="md", wrap=True),
        _text(f"ประจำเดือน {month.thai()} · ครบกำหนดวันที่ {deadline} · {len(lines)} โครงการ", size="xs",
              color="#888888", wrap=True),
    ]  # fmt: skip
    for line in shown:
        body.append({"type": "separator", "margin": "md"})
        body.append(_text(line.name, weight="bold", size="sm", wrap=True, margin="md"))
        body.append(_text(line.expects, size="xs", wrap=True, color="#555555"))
        body.append(_text(line.last, size="xs", wrap=True, color="#555555"))
        body.append({
            "type": "button", "style": "primary", "height": "sm", "margin": "sm",
            "action": {"type": "postback", "label": "รายงาน", "data": REPORT_DATA.format(id=line.project_id),
                       "displayText": clip(f"รายงาน {line.name}", 300)},
        })  # fmt: skip
    if rest > 0:
        body.append(_text(MORE.format(n=rest), size="xs", wrap=True, margin="md"))
    alt = f"{TITLE.get(kind, TITLE['reminder'])} เดือน {month.thai()}: " + ", ".join(line.name for line in lines)
    return {"type": "flex", "altText": clip(alt, ALT_LIMIT),
            "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": body}}}  # fmt: skip


def free_line(items: Sequence[Item], month: YearMonth) -> str:
    names = ", ".join(clip(i.project.name, 40) for i in items[:5])
    if len(items) > 5:
        names += f" และอีก {len(items) - 5} โครงการ"
    return FREE_LINE.format(month=month.thai(), names=names)


def digest_messages(summary_text: str, late: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    """The `สรุป` text with buttons: the late projects' status, and their export."""
    choices = [Choice(label=f"สถานะ {name}", text=f"สถานะ #{pid}") for pid, name in late[:6]]
    choices += [Choice(label=f"ส่งออก {name}", text=f"ส่งออก #{pid}") for pid, name in late[:6]]
    head = "📋 สรุปประจำเดือนสำหรับผู้ประสานงาน\n\n"
    return [text(head + summary_text, choices)]


def new_reports_message(rows: Sequence[tuple[str, str, Decimal]], day: date) -> dict[str, Any]:
    """The day's new reports: (who, project, percent)."""
    from plans.thai import format_thai_date

    lines = [f"📝 รายงานใหม่วันที่ {format_thai_date(day)} ({len(rows)} รายงาน)"]
    lines += [f"• {clip(project, 60)} {percent(pct)} โดย {who}" for who, project, pct in rows[:40]]
    if len(rows) > 40:
        lines.append(f"…และอีก {len(rows) - 40} รายงาน")
    lines.append("\nพิมพ์ “แจ้งรายงานใหม่ ปิด” เพื่อหยุดรับแจ้ง")
    return text("\n".join(lines))


def quota_notice(skipped: Sequence[str], left: int | None) -> dict[str, Any]:
    body = ["ขออภัย ข้อความแจ้งเตือนบางรายการไม่ได้ส่ง เนื่องจากโควตาข้อความ LINE ของเดือนนี้ใกล้หมด"]
    if left is not None:
        body.append(f"(เหลือ {left} ข้อความ)")
    body += [f"• {s}" for s in skipped[:20]]
    if len(skipped) > 20:
        body.append(f"…และอีก {len(skipped) - 20} รายการ")
    body.append("กรุณาแจ้งผู้เกี่ยวข้องโดยตรง หรือพิมพ์ “สรุป” เพื่อดูว่าโครงการใดยังไม่รายงาน")
    return text("\n".join(body))


def _text(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **style}
