"""Benchmark: status, summary and project lists at the size of the whole BMA.

Builds a database of N projects (default 10,000) x 8 steps x 12 monthly reports
in 50 units under one parent, makes one person the coordinator of all of them
and binds a group to 50 of them, then times the use cases called directly
(no webhook, no LINE): `สรุป`, `สถานะ <text>`, `โครงการ` one-to-one and in the
group, and `kaona projects`.

    .venv/bin/python -m bench.status_scale
    .venv/bin/python -m bench.status_scale --projects 2000 --repeat 5
    .venv/bin/python -m bench.status_scale --services   # PostgreSQL at KAONA_TEST_PG_URL
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.events import IncomingEvent
from bot.settings import Settings
from handlers.deps import Deps
from storage.access_models import ChatGroup, Coordinator, GroupMember, GroupProject, Person
from storage.db import make_engine, make_session_factory, utcnow
from storage.migrate import upgrade
from storage.plan_models import FiscalYear, ProgressReport, Project, Step, Unit
from storage.state import SqlStateStore

FY = 2570
TODAY = datetime(2027, 9, 20, 3, 0, tzinfo=UTC)  # 20 Sep 2027 (BE 2570), the year's last month
WEIGHTS = (5, 10, 10, 15, 20, 20, 10, 10)
TOPICS = (
    "อบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน", "ปรับปรุงทางเท้าและไฟฟ้าส่องสว่าง", "คัดแยกขยะอันตรายในชุมชน",
    "ตรวจสุขภาพผู้สูงอายุเชิงรุก", "ส่งเสริมการอ่านในห้องสมุดชุมชน", "ขุดลอกคูคลองและระบายน้ำ",
    "ปลูกต้นไม้ล้านต้น", "ประเมินคุณธรรมและความโปร่งใส (ITA)", "พัฒนาระบบบริการประชาชนออนไลน์",
    "ป้องกันและควบคุมไข้เลือดออก", "จัดระเบียบหาบเร่แผงลอย", "ฝึกอบรมภาษาอังกฤษสำหรับเจ้าหน้าที่",
)


def build(engine: Engine, projects: int) -> None:
    now = utcnow()
    months = [(2026, m) for m in range(10, 13)] + [(2027, m) for m in range(1, 10)]
    with engine.begin() as conn:
        conn.execute(insert(FiscalYear), [{"year": FY, "starts_on": date(2026, 10, 1), "ends_on": date(2027, 9, 30)}])
        conn.execute(insert(Unit), [{"id": 1, "name": "กรุงเทพมหานคร", "parent_id": None}])
        conn.execute(insert(Unit), [{"id": 2 + u, "name": f"สำนักงานเขตทดสอบที่ {u + 1}", "parent_id": 1} for u in range(50)])
        rows, steps, reports = [], [], []
        for n in range(projects):
            pid = n + 1
            rows.append({
                "id": pid, "fiscal_year": FY, "unit_id": 2 + n % 50, "key": f"code:5031{n:05d}-{n % 9000 + 1000}",
                "code": f"5031{n:05d}-{n % 9000 + 1000}", "name": f"โครงการ{TOPICS[n % len(TOPICS)]} ครั้งที่ {n + 1}",
                "budget": Decimal(100000), "starts_on": date(2026, 10, 1), "ends_on": date(2027, 9, 30),
                "plan_version": 1, "created_at": now, "updated_at": now,
            })  # fmt: skip
            for k, weight in enumerate(WEIGHTS):
                first = months[k * 12 // 8]
                last = months[min(11, k * 12 // 8 + 1)]
                steps.append({
                    "project_id": pid, "version": 1, "position": k, "no": str(k + 1),
                    "title": f"ขั้นตอนที่ {k + 1} ของโครงการ {n + 1}", "weight": Decimal(weight),
                    "first_month": f"{first[0]}-{first[1]:02d}", "last_month": f"{last[0]}-{last[1]:02d}",
                })  # fmt: skip
            # Every project reports each month; every third has not yet reported in September.
            for r, (year, month) in enumerate(months[: 11 if n % 3 == 0 else 12]):
                reports.append({
                    "project_id": pid, "number": r + 1, "reported_on": date(year, month, 15), "plan_version": 1,
                    "percent": Decimal(min(100, (r + 1) * (7 + n % 3))), "planned_percent": None,
                    "step_progress": None, "work_done": f"ดำเนินการตามแผนเดือนที่ {r + 1}",
                    "budget_disbursed": Decimal(5000), "obstacles": None, "on_plan": True, "on_target": True,
                    "reporter_user_id": "Ustaff", "reporter_name": "เจ้าหน้าที่", "chat_id": "Cbench",
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
        conn.execute(insert(Project), rows)
        conn.execute(insert(Step), steps)
        conn.execute(insert(ProgressReport), reports)
        conn.execute(insert(Person), [{"user_id": u, "is_friend": True, "created_at": now} for u in ("Ucoord", "Ustaff")])
        conn.execute(insert(Coordinator), [{"user_id": "Ucoord", "unit_id": 1, "created_at": now}])
        conn.execute(insert(ChatGroup), [{"group_id": "Cbench", "active": True, "joined_at": now}])
        conn.execute(insert(GroupMember), [{"group_id": "Cbench", "user_id": "Ustaff", "joined_at": now}])
        conn.execute(insert(GroupProject), [
            {"group_id": "Cbench", "project_id": pid, "bound_by": "bench", "bound_at": now} for pid in range(1, 51)
        ])  # fmt: skip


def message(typed: str, *, group: bool = False) -> IncomingEvent:
    return IncomingEvent(
        inbox_id=0, webhook_event_id="bench", type="message", chat_type="group" if group else "user",
        chat_id="Cbench" if group else "Ucoord", user_id="Ustaff" if group else "Ucoord", reply_token=None,
        timestamp=TODAY, message_type="text", text=typed, command_text=typed,
    )  # fmt: skip


class QueryCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.count += 1


def timed(label: str, run: Callable[[], Any], counter: QueryCounter, repeat: int, memory: bool) -> None:
    times: list[float] = []
    cpu: list[float] = []
    queries = 0
    if memory:
        tracemalloc.start()
    for _ in range(repeat):
        before = counter.count
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        queries = counter.count - before
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    tracemalloc.stop()
    size = sum(len(str(m)) for m in result) if isinstance(result, Sequence) else 0
    print(f"{label:<34} median {statistics.median(times):6.3f} s  (min {min(times):.3f}, max {max(times):.3f})"
          f"  cpu {statistics.median(cpu):6.3f} s"
          f"  {queries:>3} queries" + (f"  peak {peak / 1e6:.0f} MB traced" if memory else "")
          + f"  reply {size / 1000:.1f} kB")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also trace allocations (several times slower)")
    parser.add_argument("--services", action="store_true", help="PostgreSQL at KAONA_TEST_PG_URL")
    args = parser.parse_args()

    from handlers.dispatch import dispatch

    tmp = tempfile.TemporaryDirectory()
    pg = os.environ.get("KAONA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    url = pg if args.services else f"sqlite:///{tmp.name}/scale.sqlite3"
    engine = make_engine(url)
    if args.services:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    started = time.perf_counter()
    build(engine, args.projects)
    if args.services:  # fresh statistics, as autovacuum would gather after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"built {args.projects} projects x 8 steps x 12 reports on {engine.dialect.name} "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    sessions = make_session_factory(engine)
    settings = Settings(channel_secret="x", channel_access_token="x", database_url=url)
    state = SqlStateStore(sessions)
    counter = QueryCounter(engine)

    def ask(typed: str, *, group: bool = False) -> Callable[[], Any]:
        def run() -> Any:
            with sessions() as session:
                return dispatch(message(typed, group=group), Deps(session, settings, state.for_session(session), TODAY))

        return run

    def cli_projects() -> Any:
        from bot.cli.plans import run_projects

        with contextlib.redirect_stdout(io.StringIO()) as out:
            run_projects(argparse.Namespace(unit=None, fy=None, date=TODAY.date(), json=False))
        return [out.getvalue()]

    os.environ["DATABASE_URL"] = url
    name = f"ครั้งที่ {args.projects // 2}"
    for label, run in [
        ("สรุป (coordinator of all)", ask("สรุป")),
        (f"สถานะ {name} (one of all)", ask(f"สถานะ {name}")),
        ("สถานะ ขยะอันตราย (several)", ask("สถานะ ขยะอันตราย")),
        ("สถานะ (all, carousel/list)", ask("สถานะ")),
        ("โครงการ (coordinator of all)", ask("โครงการ")),
        ("สรุป (group of 50)", ask("สรุป", group=True)),
        ("สถานะ (group of 50)", ask("สถานะ", group=True)),
        ("kaona projects (all)", cli_projects),
    ]:
        timed(label, run, counter, args.repeat, args.memory)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
