"""The summary for coordinators (`สรุป`, `สรุป <unit>`), and the one function that
computes it for the chat, the scheduled digest and the export: ``unit_summary``.

A fixed number of queries whatever the number of projects: the visible ids stay a
subquery, steps and latest reports come as plain rows, and nothing is loaded lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, overload

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.render import clip, utf16_len
from plans.fiscal import fiscal_year_of
from plans.matching import normalise
from plans.standing import baht, percent
from plans.summary import ProjectFacts, ProjectStanding, Summary, summarise
from plans.thai import format_thai_date
from storage import overview
from storage.access import Viewer, visible_ids_query
from storage.plan_models import Project
from storage.plans import unit_tree_ids

T = TypeVar("T")

LIST_LIMIT = 30
NAME_LIMIT = 120
TEXT_BUDGET = 4500
MORE = "…และอีก {n} โครงการ"
STATUS_NEXT = "พิมพ์ “สถานะ <ชื่อหรือรหัสโครงการ>” เพื่อดูความก้าวหน้าเทียบกับแผน เช่น “สถานะ อบรม”"
MORE_UNITS = "…และอีก {n} หน่วยงาน"


def current_year(years: Iterable[int], today: date) -> int | None:
    """The fiscal year ``today`` is in; failing that, the latest before it; failing
    that, the earliest after it."""
    found = set(years)
    if not found:
        return None
    earlier = [y for y in found if y <= fiscal_year_of(today)]
    return max(earlier) if earlier else min(found)


def unit_summary(
    session: Session,
    viewer: Viewer,
    today: date,
    *,
    tolerance: Decimal = Decimal(0),
    unit_ids: Sequence[int] | None = None,
) -> Summary | None:
    """Where each unit visible to ``viewer`` stands on ``today`` (this fiscal month),
    for the current fiscal year; ``unit_ids`` narrows it to those units. None when
    nothing is visible. The scheduled digest calls this with the coordinator as
    ``Viewer("user", user_id, user_id)``."""
    ids = visible_ids_query(session, viewer)
    if unit_ids is not None:
        ids = select(Project.id).where(Project.id.in_(ids), Project.unit_id.in_(unit_ids))
    return summary_of(session, ids, today, tolerance=tolerance)


def summary_of(
    session: Session, ids: Select[Any], today: date, *, tolerance: Decimal = Decimal(0), fiscal_year: int | None = None
) -> Summary | None:
    """The summary of the projects whose ids ``ids`` selects, for ``fiscal_year`` (by
    default the current one). Six queries, whatever the number of projects; the plan is summed in SQL."""
    years = overview.fiscal_years(session, ids)
    year = fiscal_year if fiscal_year in years else current_year(years, today) if fiscal_year is None else None
    if year is None:
        return None
    this_year = select(Project.id).where(Project.id.in_(ids), Project.fiscal_year == year)
    rows = overview.project_rows(session, this_year)
    planned = overview.planned_percents(session, this_year, today)
    latest = overview.latest_rows(session, this_year)
    paths = overview.unit_paths(session)
    # Built as summarise takes them: the facts of 10,000 projects are never all held at once.
    facts = (
        ProjectFacts(
            id=row.id, name=row.name, code=row.code, unit_id=row.unit_id, unit=paths.get(row.unit_id, ""),
            budget=row.budget, planned=planned.get(row.id),
            last_number=last.number if last else None, last_reported_on=last.reported_on if last else None,
            last_percent=last.percent if last else None, disbursed=last.disbursed if last else Decimal(0),
        )
        for row in sorted(rows, key=lambda r: r.id)
        for last in [latest.get(row.id)]
    )  # fmt: skip
    others = sum(n for y, n in years.items() if y != year)
    return summarise(facts, today, year, tolerance=tolerance, other_years=others)


def units_named(session: Session, viewer: Viewer, query: str) -> tuple[list[int], list[str]]:
    """(the unit ids, with the units inside them, whose path contains ``query``;
    the paths of every unit with projects visible to ``viewer``)."""
    ids = visible_ids_query(session, viewer)
    unit_ids = set(session.scalars(select(Project.unit_id).where(Project.id.in_(ids)).distinct()))
    paths = overview.unit_paths(session, sorted(unit_ids))
    wanted = normalise(query).replace(" ", "")
    hits = [uid for uid, path in paths.items() if wanted and wanted in normalise(path).replace(" ", "")]
    tree: set[int] = set()
    for uid in hits:
        tree.update(unit_tree_ids(session, uid))
    return sorted(tree & unit_ids), sorted(paths.values())


def summary_text(summary: Summary) -> str:
    """The lists behind the card: who has not reported, who is behind (with the gap)."""
    projects = summary.projects
    head = [
        f"สรุปความก้าวหน้า ณ {format_thai_date(summary.on)} · ปีงบประมาณ {summary.fiscal_year}",
        f"รายงานแล้วเดือนนี้ {summary.reported} จาก {len(projects)} โครงการ",
    ]
    sections: list[tuple[str, list[str] | Lines]] = []
    if len(summary.units) > 1:
        rows = [
            f"• {clip(u.unit, NAME_LIMIT)}: รายงาน {len(u.reported)}/{len(u.projects)} · ล่าช้า {len(u.behind)}"
            f" · เบิกจ่าย {baht(u.disbursed)}/{baht(u.received)} บาท"
            for u in summary.units
        ]
        sections.append(("\nตามหน่วยงาน:", rows))
    missing = summary.missing
    if missing:
        sections.append(("\nยังไม่รายงานเดือนนี้:", Lines(missing, _missing_line)))
    behind = summary.behind
    if behind:
        sections.append(("\nล่าช้ากว่าแผน:", Lines(behind, _behind_line)))
    tail: list[str] = [] if missing or behind else ["\nทุกโครงการรายงานแล้วและเป็นไปตามแผน 👍"]
    tail.append("\n" + STATUS_NEXT)
    budget = TEXT_BUDGET - _size(head + tail + [title for title, _ in sections])
    lines = list(head)
    for title, items in sections:
        lines.append(title)
        more = MORE_UNITS if title == "\nตามหน่วยงาน:" else MORE
        lines.extend(capped(items, budget // len(sections), more=more))
    return "\n".join(lines + tail)


def _missing_line(p: ProjectStanding) -> str:
    return f"• {clip(p.name, NAME_LIMIT)}"


def _behind_line(p: ProjectStanding) -> str:
    gap = f" · ช้ากว่าแผน {percent(abs(p.points)).removesuffix('%')} จุด" if p.points is not None else ""
    return f"• {clip(p.name, NAME_LIMIT)} (ผล {percent(p.actual or Decimal(0))} / แผน {percent(p.planned)}{gap})"


class Lines(Sequence[str]):
    """The lines of a list, each rendered when it is read: of a list of 10,000 projects
    ``capped`` renders only the few it shows (all of them at once held megabytes)."""

    def __init__(self, items: Sequence[T], render: Callable[[T], str]) -> None:
        self._items: Sequence[Any] = items
        self._render: Callable[[Any], str] = render

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._render(item) for item in self._items[index]]
        return self._render(self._items[index])


def capped(lines: Sequence[str], budget: int, *, limit: int = LIST_LIMIT, more: str = MORE) -> list[str]:
    """The first lines that fit in ``budget`` UTF-16 units (``limit`` at most), then
    "…และอีก N โครงการ" for the rest (``Lines`` for a long list: only these are rendered)."""
    out: list[str] = []
    used = 0
    for n in range(len(lines)):
        left = len(lines) - n
        if n >= limit:
            out.append(more.format(n=left))
            break
        line = lines[n]
        room_for_more = 0 if left == 1 else utf16_len(more.format(n=left)) + 1
        size = utf16_len(line) + 1
        if used + size + room_for_more > budget:
            out.append(more.format(n=left))
            break
        out.append(line)
        used += size
    return out


def _size(lines: Sequence[str]) -> int:
    return sum(utf16_len(line) + 1 for line in lines)
