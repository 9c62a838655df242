"""Read-only queries behind status and summaries at scale: plain rows, a fixed
number of queries whatever the number of projects (no ORM objects per project,
no lazy loading), each taking the visible projects as a query of ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from plans.fiscal import YearMonth
from storage.plan_models import ProgressReport, Project, Step, Unit

Ids = Select[Any]
# Core tables, read through the connection: plain tuples, no ORM row processing.
P, S, R, U = Project.__table__.c, Step.__table__.c, ProgressReport.__table__.c, Unit.__table__.c


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    code: str | None
    name: str
    fiscal_year: int
    unit_id: int
    budget: Decimal | None


@dataclass(frozen=True, slots=True)
class LatestRow:
    """A project's latest report, with what all its reports disbursed together."""

    project_id: int
    number: int
    reported_on: date
    percent: Decimal
    reporter_name: str | None
    disbursed: Decimal


def project_rows(session: Session, ids: Ids, *, fiscal_year: int | None = None) -> list[ProjectRow]:
    query = select(P.id, P.code, P.name, P.fiscal_year, P.unit_id, P.budget).where(P.id.in_(ids))
    if fiscal_year is not None:
        query = query.where(P.fiscal_year == fiscal_year)
    rows = session.connection().execute(query.order_by(P.fiscal_year.desc(), P.id))
    return [ProjectRow(*row) for row in rows]


def fiscal_years(session: Session, ids: Ids) -> dict[int, int]:
    """How many visible projects each fiscal year has."""
    rows = session.connection().execute(
        select(P.fiscal_year, func.count()).where(P.id.in_(ids)).group_by(P.fiscal_year)
    )
    return {int(year): int(n) for year, n in rows}


def _ordinal(month_key: Any) -> Any:
    """"2027-03" -> 2027 * 12 + 2, in SQL (as ``YearMonth.ordinal``)."""
    year = cast(func.substr(month_key, 1, 4), Integer)
    return year * 12 + cast(func.substr(month_key, 6, 2), Integer) - 1


def planned_percents(session: Session, ids: Ids, at: date) -> dict[int, Decimal | None]:
    """The planned percent of each project on ``at``, summed in SQL over its current
    steps: the formula of ``plans.progress.planned_percent`` (and ``planned_from_spans``,
    which tests hold it to), one row per project instead of one per step. None when no
    step has months; rounded to 1e-6 (SQLite sums in floating point)."""
    month = YearMonth.of(at)
    fraction = Decimal(1) if at >= month.last_day else Decimal(at.day) / Decimal(month.days)
    # Floating point in SQL (PostgreSQL's numeric is several times slower here); the
    # result is rounded to 1e-6, far below the cent the summary shows.
    now, x = literal(month.ordinal), literal(float(fraction), Float)
    first, last = _ordinal(S.first_month), _ordinal(S.last_month)
    span = last - first + 1
    elapsed = case(
        (now < first, literal(0)),
        (or_(now > last, and_(now == last, x >= 1)), span),
        else_=(now - first) + x,
    )
    share = case((S.first_month.is_(None), None), else_=cast(S.weight, Float) * elapsed / span)
    query = (
        select(S.project_id, type_coerce(func.sum(share), Float), func.count(S.first_month))
        .join(Project.__table__, (P.id == S.project_id) & (P.plan_version == S.version))
        .where(P.id.in_(ids))
        .group_by(S.project_id)
    )
    out: dict[int, Decimal | None] = {}
    for project_id, total, scheduled in session.connection().execute(query):
        if not scheduled:
            out[project_id] = None
            continue
        value = Decimal(str(round(float(total), 6)))
        out[project_id] = max(Decimal(0), min(Decimal(100), value))
    return out


def latest_rows(session: Session, ids: Ids) -> dict[int, LatestRow]:
    """Each project's latest report and its reports' disbursements, in one query."""
    newest = (
        select(
            R.project_id.label("project_id"),
            func.max(R.number).label("number"),
            func.coalesce(func.sum(R.budget_disbursed), 0).label("disbursed"),
        )
        .where(R.project_id.in_(ids))
        .group_by(R.project_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(R.project_id, R.number, R.reported_on, R.percent, R.reporter_name, newest.c.disbursed)
        .select_from(ProgressReport.__table__)
        .join(newest, (R.project_id == newest.c.project_id) & (R.number == newest.c.number))
    )
    return {
        row[0]: LatestRow(row[0], row[1], row[2], Decimal(row[3]), row[4], Decimal(row[5] or 0)) for row in rows
    }


def unit_paths(session: Session, unit_ids: Sequence[int] | None = None) -> dict[int, str]:
    """"สำนักงานเขตบางซื่อ/ฝ่ายปกครอง" for each unit, from one read of the units table."""
    rows = session.connection().execute(select(U.id, U.name, U.parent_id))
    units = {uid: (name, parent) for uid, name, parent in rows}

    def path(uid: int) -> str:
        name, parent = units[uid]
        return name if parent is None or parent not in units else f"{path(parent)}/{name}"

    wanted = units.keys() if unit_ids is None else [u for u in unit_ids if u in units]
    return {uid: path(uid) for uid in wanted}


def step_counts(session: Session, ids: Ids) -> dict[int, int]:
    """How many steps each project's current plan has."""
    rows = session.connection().execute(
        select(S.project_id, func.count())
        .join(Project.__table__, (P.id == S.project_id) & (P.plan_version == S.version))
        .where(P.id.in_(ids))
        .group_by(S.project_id)
    )
    return {int(project_id): int(n) for project_id, n in rows}
