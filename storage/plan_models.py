"""SQLAlchemy 2 typed models of action plans: units, fiscal years, KPIs, projects,
their steps (with history), plan imports, and monthly progress reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base
from storage.models import BigId

Percent = Numeric(6, 2)
Baht = Numeric(16, 2)


class FiscalYear(Base):
    """A Thai fiscal year, named by the Buddhist Era year it ends in."""

    __tablename__ = "fiscal_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Unit(Base):
    """สำนัก / สำนักงานเขต / ฝ่าย: an organisational unit, possibly inside another."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")

    __table_args__ = (UniqueConstraint("name", name="uq_units_name"),)

    @property
    def path(self) -> str:
        """"สำนักงานเขตบางซื่อ/ฝ่ายปกครอง": the unit with the units it is in."""
        return self.name if self.parent is None else f"{self.parent.path}/{self.name}"


class Kpi(Base):
    """ตัวชี้วัด: what a unit's projects are measured against in a fiscal year."""

    __tablename__ = "kpis"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(ForeignKey("fiscal_years.year"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_kpis_unit_year", "unit_id", "fiscal_year"),)


class Project(Base):
    """A project (โครงการ/กิจกรรม) of a unit's action plan for one fiscal year.

    ``key`` identifies it across re-imports: the project code when the plan has
    one, else the name. ``plan_version`` counts step revisions; steps of older
    versions stay in the table as history.
    """

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(ForeignKey("fiscal_years.year"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id"))
    key: Mapped[str] = mapped_column(String(400))
    code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(Text)
    policy: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[Decimal | None] = mapped_column(Baht)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    responsible: Mapped[str | None] = mapped_column(Text)
    responsible_phone: Mapped[str | None] = mapped_column(String(40))
    kpi_target: Mapped[str | None] = mapped_column(Text)  # set by hand; else read from the KPI
    kpi_value: Mapped[str | None] = mapped_column(Text)  # the value reached, when known
    coordinator: Mapped[str | None] = mapped_column(Text)
    plan_version: Mapped[int] = mapped_column(Integer, default=1)
    warnings: Mapped[str | None] = mapped_column(Text)  # JSON list of the import's warnings
    import_id: Mapped[int | None] = mapped_column(ForeignKey("plan_imports.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship()
    kpi: Mapped[Kpi | None] = relationship()
    steps: Mapped[list[Step]] = relationship(
        primaryjoin="and_(Project.id == Step.project_id, Project.plan_version == Step.version)",
        order_by="Step.position",
        viewonly=True,
    )

    __table_args__ = (
        UniqueConstraint("fiscal_year", "unit_id", "key", name="uq_projects_identity"),
        Index("ix_projects_code", "code"),
    )


class Step(Base):
    """A numbered step of a project's plan, with its weight and scheduled months."""

    __tablename__ = "steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    no: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    weight: Mapped[Decimal] = mapped_column(Percent)
    # The span as "YYYY-MM" (Christian Era) months; both None when the plan has no months.
    first_month: Mapped[str | None] = mapped_column(String(7))
    last_month: Mapped[str | None] = mapped_column(String(7))

    __table_args__ = (
        UniqueConstraint("project_id", "version", "no", name="uq_steps_number"),
        Index("ix_steps_project_version", "project_id", "version", "position"),
    )


class PlanImport(Base):
    """One run of `kaona import`: the file, who and when, and what it found."""

    __tablename__ = "plan_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_file: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text)  # JSON: per project status and problems


class ProgressReport(Base):
    """รายงานครั้งที่ N: one monthly progress report of a project."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    reported_on: Mapped[date] = mapped_column(Date)
    plan_version: Mapped[int] = mapped_column(Integer)
    percent: Mapped[Decimal] = mapped_column(Percent)
    planned_percent: Mapped[Decimal | None] = mapped_column(Percent)
    # JSON: {"completed": ["1", "2"], "in_progress": ["3", "0.5"]}
    step_progress: Mapped[str | None] = mapped_column(Text)
    work_done: Mapped[str] = mapped_column(Text)
    budget_disbursed: Mapped[Decimal] = mapped_column(Baht, default=Decimal(0))
    obstacles: Mapped[str | None] = mapped_column(Text)
    on_plan: Mapped[bool | None]
    on_target: Mapped[bool | None]
    reporter_user_id: Mapped[str | None] = mapped_column(String(64))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_reports_number"),)


class ReportRevision(Base):
    """An earlier version of an edited report: edits never overwrite silently."""

    __tablename__ = "report_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)  # JSON of the report as it was
    replaced_by: Mapped[str | None] = mapped_column(String(64))  # who edited it
    replaced_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("report_id", "revision", name="uq_report_revision"),)
