"""Flex cards for where things stand: one project's status, the carousel of the
projects of a chat, and the coordinator's summary; each with a plain-text alt of
the same facts (LINE shows it in notifications and where Flex cannot be shown).

Sizes stay inside LINE's limits (bubble 30 KB, carousel 12 bubbles and 50 KB,
altText 1,500): texts are clipped, lists are cut with "…และอีก N", and the SDK
escapes Thai as six bytes a character, which the clip lengths allow for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bot.render import clip
from plans.progress import Status
from plans.project_status import ProjectStatus, StepState
from plans.standing import Standing, baht, percent
from plans.summary import ProjectStanding, Summary
from plans.thai import format_thai_date

ALT_LIMIT = 1500
CAROUSEL_LIMIT = 12
STEPS_SHOWN = 15
NAME_IN_CARD = 150
GREEN, AMBER, RED, GREY, BLUE, LIGHT = "#1DB446", "#E6A100", "#D93025", "#888888", "#2F5BEA", "#EEEEEE"
COLOUR = {Status.ON_TRACK: GREEN, Status.AHEAD: BLUE, Status.BEHIND: RED, Status.NO_PLAN: GREY}
MARK = {"done": "✅", "in_progress": "🔄", "not_started": "⬜"}


def verdict(where: Standing | ProjectStanding) -> str:
    """"ล่าช้ากว่าแผน 12.5 จุด (ประมาณ 1.5 เดือน)": the verdict with its gap."""
    label = where.status.label_th
    if where.points is None or where.points == 0 or where.status is Status.ON_TRACK:
        return label
    detail = f"{_number(abs(where.points))} จุด"
    months = getattr(where, "months", None)
    if months:
        detail += f" (ประมาณ {_number(abs(months))} เดือน)"
    return f"{label} {detail}"


# One project ------------------------------------------------------------------------


def status_card(status: ProjectStatus) -> dict[str, Any]:
    return {"type": "flex", "altText": clip(status_alt(status), ALT_LIMIT), "contents": _status_bubble(status)}


def status_alt(s: ProjectStatus) -> str:
    where = s.standing
    code = f" [{s.code}]" if s.code else ""
    lines = [
        f"📊 {clip(s.name, NAME_IN_CARD)}{code}",
        f"ความก้าวหน้า {percent(where.actual)} · ตามแผน ณ {format_thai_date(s.on)}: {percent(where.planned)}",
        f"สถานะ: {verdict(where)}",
    ]
    due = [st for st in s.steps if st.due_now]
    if due:
        lines.append("ตามแผนเดือนนี้: " + ", ".join(clip(f"{st.no}. {st.title}", 60) for st in due[:3]))
    for step in s.steps[:STEPS_SHOWN]:
        lines.append(f"{MARK[step.state]} {clip(f'{step.no}. {step.title}', 60)}{_step_share(step)}")
    if len(s.steps) > STEPS_SHOWN:
        lines.append(f"…และอีก {len(s.steps) - STEPS_SHOWN} ขั้นตอน")
    lines.extend(_last_lines(s))
    lines.append(_budget_line(s))
    return clip("\n".join(lines), ALT_LIMIT)


def _status_bubble(s: ProjectStatus) -> dict[str, Any]:
    where = s.standing
    colour = COLOUR[where.status]
    body: list[dict[str, Any]] = [
        _text(clip(s.name, NAME_IN_CARD), weight="bold", size="md", wrap=True),
        _text(" · ".join(x for x in (s.code, f"ปีงบประมาณ {s.fiscal_year}") if x), size="xs", color=GREY),
        _text(f"เทียบกับแผน ณ {format_thai_date(s.on)}", size="xs", color=GREY),
        _bar_row("ผลงานจริง", where.actual, colour),
        _bar_row("ตามแผน", where.planned, GREY),
        _text(verdict(where), size="sm", weight="bold", color=colour, wrap=True, margin="md"),
        {"type": "separator", "margin": "md"},
        _text("ขั้นตอน", size="sm", color=GREY, margin="md"),
    ]
    for step in s.steps[:STEPS_SHOWN]:
        label = f"{MARK[step.state]} {clip(f'{step.no}. {step.title}', 80)}{_step_share(step)}"
        body.append(_text(label, size="xs", wrap=True, weight="bold" if step.due_now else "regular"))
    if len(s.steps) > STEPS_SHOWN:
        body.append(_text(f"…และอีก {len(s.steps) - STEPS_SHOWN} ขั้นตอน", size="xs", color=GREY))
    due = [st for st in s.steps if st.due_now]
    if due:
        body.append(_text("ตามแผนเดือนนี้: " + ", ".join(st.no for st in due), size="xs", color=AMBER, wrap=True))
    body.append({"type": "separator", "margin": "md"})
    for n, line in enumerate(_last_lines(s)):
        body.append(_text(line, size="xs", wrap=True, color=GREY if n == 0 else None, margin="md" if n == 0 else None))
    body.append(_text(_budget_line(s), size="xs", wrap=True, margin="md"))
    footer = {
        "type": "box", "layout": "horizontal", "spacing": "sm",
        "contents": [
            {"type": "button", "style": "primary", "height": "sm",
             "action": {"type": "postback", "label": "รายงาน", "data": f"kaona=report&a=start&p={s.id}",
                        "displayText": "รายงาน"}},
            {"type": "button", "style": "secondary", "height": "sm",
             "action": {"type": "message", "label": "ส่งออก", "text": f"ส่งออก #{s.id}"}},
        ],
    }  # fmt: skip
    return {
        "type": "bubble",
        "size": "mega",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": footer,
    }


def _step_share(step: StepState) -> str:
    if step.state == "in_progress" and step.fraction is not None:
        return f" ({_number(step.fraction * 100)}%)"
    return ""


def _last_lines(s: ProjectStatus) -> list[str]:
    if s.last is None:
        return ["ยังไม่มีรายงานความก้าวหน้า"]
    who = f" โดย {s.last.reporter}" if s.last.reporter else ""
    first = " ".join(s.last.work_done.splitlines()[:3])
    return [
        f"รายงานล่าสุด ครั้งที่ {s.last.number} วันที่ {format_thai_date(s.last.reported_on)}{who}",
        clip(first, 200),
    ]


def _budget_line(s: ProjectStatus) -> str:
    if s.budget is None:  # the plan does not say: not the same as no budget
        return f"งบประมาณ: ไม่ได้ระบุในแผน · เบิกจ่าย {baht(s.disbursed)} บาท"
    if not s.budget:
        return f"งบประมาณ: ไม่ได้รับงบประมาณ · เบิกจ่าย {baht(s.disbursed)} บาท"
    return (
        f"งบประมาณที่ได้รับ {baht(s.budget)} บาท · เบิกจ่าย {baht(s.disbursed)} บาท "
        f"({percent(s.disbursed_share)})"
    )


# The projects of a chat --------------------------------------------------------------


def urgency(p: ProjectStanding, today: date) -> tuple[int, Decimal, int]:
    """Sort key: not reported this month and behind first, then behind, then the rest."""
    rank = 0 if (p.status is Status.BEHIND and not p.reported_this_month) else 1 if p.status is Status.BEHIND else 2
    return rank, p.points if p.points is not None else Decimal(0), p.id


def status_carousel(projects: Sequence[ProjectStanding], today: date) -> dict[str, Any]:
    shown = sorted(projects, key=lambda p: urgency(p, today))[:CAROUSEL_LIMIT]
    alt = [f"โครงการในแชตนี้ {len(projects)} โครงการ"]
    alt += [f"• {clip(p.name, 60)}: {percent(p.actual or Decimal(0))} · {verdict(p)}" for p in shown]
    return {
        "type": "flex",
        "altText": clip("\n".join(alt), ALT_LIMIT),
        "contents": {"type": "carousel", "contents": [_compact(p, today) for p in shown]},
    }


def _compact(p: ProjectStanding, today: date) -> dict[str, Any]:
    colour = COLOUR[p.status]
    days = p.days_since(today)
    since = ("ยังไม่เคยรายงาน" if days is None else "รายงานล่าสุดวันนี้" if days == 0
             else "รายงานล่าสุดเมื่อวาน" if days == 1 else f"รายงานล่าสุด {days} วันก่อน")  # fmt: skip
    body = [
        _text(clip(p.name, 80), weight="bold", size="sm", wrap=True, maxLines=3),
        _bar_row("ผลงาน", p.actual or Decimal(0), colour),
        _bar_row("แผน", p.planned, GREY),
        _text(verdict(p), size="xs", weight="bold", color=colour, wrap=True),
        _text(since, size="xs", color=GREY),
    ]
    return {
        "type": "bubble",
        "size": "micro",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "action": {"type": "message", "label": "สถานะ", "text": f"สถานะ #{p.id}"},
    }


# The summary -------------------------------------------------------------------------

UNITS_SHOWN = 12
BEHIND_SHOWN = 8


def summary_card(summary: Summary) -> dict[str, Any]:
    return {"type": "flex", "altText": clip(summary_alt(summary), ALT_LIMIT), "contents": _summary_bubble(summary)}


def summary_facts(summary: Summary) -> list[str]:
    total = len(summary.projects)
    return [
        f"สรุป ณ {format_thai_date(summary.on)} · ปีงบประมาณ {summary.fiscal_year}",
        f"รายงานแล้วเดือนนี้ {summary.reported}/{total} · ยังไม่รายงาน {total - summary.reported}",
        f"ตามแผน {summary.count(Status.ON_TRACK)} · เร็วกว่าแผน {summary.count(Status.AHEAD)} · "
        f"ล่าช้า {summary.count(Status.BEHIND)}"
        + (f" · ไม่มีแผนรายเดือน {summary.count(Status.NO_PLAN)}" if summary.count(Status.NO_PLAN) else ""),
        f"เบิกจ่าย {baht(summary.disbursed)} จาก {baht(summary.received)} บาท",
    ]


def summary_alt(summary: Summary) -> str:
    lines = summary_facts(summary)
    if len(summary.units) > 1:
        lines += [f"• {clip(u.unit, 50)}: {len(u.reported)}/{len(u.projects)} ล่าช้า {len(u.behind)}"
                  for u in summary.units[:UNITS_SHOWN]]  # fmt: skip
    behind = summary.behind
    if behind:
        lines.append("ล่าช้ามากที่สุด:")
        lines += [f"• {clip(p.name, 60)} ({verdict(p)})" for p in behind[:BEHIND_SHOWN]]
    return clip("\n".join(lines), ALT_LIMIT)


def _summary_bubble(summary: Summary) -> dict[str, Any]:
    head, *facts = summary_facts(summary)
    body: list[dict[str, Any]] = [_text(f, size="sm", wrap=True) for f in facts]
    if len(summary.units) > 1:
        body.append({"type": "separator", "margin": "md"})
        for unit in summary.units[:UNITS_SHOWN]:
            body.append(_row(clip(unit.unit.rsplit("/", 1)[-1], 40),
                             f"{len(unit.reported)}/{len(unit.projects)} · ล่าช้า {len(unit.behind)}"))  # fmt: skip
        if len(summary.units) > UNITS_SHOWN:
            body.append(_text(f"…และอีก {len(summary.units) - UNITS_SHOWN} หน่วยงาน", size="xs", color=GREY))
    behind = summary.behind
    if behind:
        body.append({"type": "separator", "margin": "md"})
        body.append(_text("ล่าช้ากว่าแผนมากที่สุด", size="sm", color=RED, margin="md"))
        for p in behind[:BEHIND_SHOWN]:
            body.append(_row(clip(p.name, 60), f"{_number(abs(p.points or Decimal(0)))} จุด", colour=RED))
        if len(behind) > BEHIND_SHOWN:
            body.append(_text(f"…และอีก {len(behind) - BEHIND_SHOWN} โครงการ", size="xs", color=GREY))
    return {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "backgroundColor": BLUE,
                   "contents": [_text(head, weight="bold", color="#FFFFFF", wrap=True)]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }  # fmt: skip


# Pieces ------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": clip(text, 2000) or "-", **{k: v for k, v in style.items() if v is not None}}


def _row(label: str, value: str, *, colour: str | None = None) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "contents": [_text(label, size="xs", color=GREY, flex=5, wrap=True), _text(value, size="xs", flex=3, color=colour)],
    }


def _bar_row(label: str, value: Decimal | None, colour: str) -> dict[str, Any]:
    """A label, a bar filled to ``value`` percent, and the figure."""
    filled = max(Decimal(0), min(Decimal(100), value or Decimal(0))).quantize(Decimal(1))
    track: dict[str, Any] = {"type": "box", "layout": "vertical", "backgroundColor": LIGHT, "height": "8px", "flex": 5,
                             "contents": [{"type": "box", "layout": "vertical", "contents": [], "height": "8px",
                                           "width": f"{filled}%", "backgroundColor": colour}]}  # fmt: skip
    return {
        "type": "box",
        "layout": "horizontal",
        "spacing": "sm",
        "alignItems": "center",
        "contents": [_text(label, size="xs", color=GREY, flex=2), track, _text(percent(value), size="xs", flex=2, align="end")],
    }
