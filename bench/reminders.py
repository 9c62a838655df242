"""5,000 bound groups due on the same morning, all reminded against the local LINE
server with LINE's 2,000 requests/s limit enforced: time, pushes, 429s.

    .venv/bin/python -m bench.reminders [--groups 5000] [--threads 16] [--port 9210] [--services]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.synchronize
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.common import fresh_backend
from bot.localline import LocalLineServer
from bot.services import build_services
from bot.settings import Settings
from scheduler import runs
from storage.access_models import ChatGroup, GroupMember, GroupProject, Person
from storage.plan_models import Project, Step
from storage.plans import ensure_fiscal_year, ensure_unit

MEMBERS = 5
DUE = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok"))  # a Friday


def serve_line(port: int, groups: int, ready: multiprocessing.synchronize.Event,
               stop: multiprocessing.synchronize.Event) -> None:
    """The local LINE server in a process of its own (as LINE is), knowing the groups."""
    with LocalLineServer(quota=None, port=port, rate_limit=2000) as server:
        for n in range(groups):
            server.world.add_group(f"C{n:05d}", f"กลุ่ม {n}", [f"U{n:05d}{m}" for m in range(MEMBERS)])
        ready.set()
        stop.wait()


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - the local server
        return json.loads(answer.read())


def populate(services: object, groups: int) -> None:
    """One project per group (FY 2570, planned Oct-Sep), ``MEMBERS`` people in each."""
    now = datetime.now(UTC)
    with services.sessions() as session, session.begin():  # type: ignore[attr-defined]
        ensure_fiscal_year(session, 2570)
        unit = ensure_unit(session, "สำนักงานเขตทดสอบ")
        session.execute(insert(Project), [
            {"fiscal_year": 2570, "unit_id": unit.id, "key": f"P{n}", "name": f"โครงการที่ {n + 1}",
             "plan_version": 1, "created_at": now, "updated_at": now} for n in range(groups)])  # fmt: skip
        ids = list(session.scalars(Project.__table__.select().with_only_columns(Project.id).order_by(Project.id)))
        session.execute(insert(Step), [
            {"project_id": pid, "version": 1, "position": 1, "no": "1", "title": "ดำเนินการ",
             "weight": Decimal(100), "first_month": "2026-10", "last_month": "2027-09"} for pid in ids])  # fmt: skip
        session.execute(insert(ChatGroup), [{"group_id": f"C{n:05d}", "active": True, "joined_at": now} for n in range(groups)])
        session.execute(insert(Person), [
            {"user_id": f"U{n:05d}{m}", "is_friend": False, "created_at": now} for n in range(groups) for m in range(MEMBERS)])  # fmt: skip
        session.execute(insert(GroupMember), [
            {"group_id": f"C{n:05d}", "user_id": f"U{n:05d}{m}", "joined_at": now} for n in range(groups) for m in range(MEMBERS)])  # fmt: skip
        session.execute(insert(GroupProject), [
            {"group_id": f"C{n:05d}", "project_id": pid, "bound_by": "bench", "bound_at": now} for n, pid in enumerate(ids)])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--port", type=int, default=9210)
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    args = parser.parse_args()
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    line = multiprocessing.Process(target=serve_line, args=(args.port, args.groups, ready, stop), daemon=True)
    line.start()
    url = f"http://127.0.0.1:{args.port}"
    try:
        ready.wait(120)
        with tempfile.TemporaryDirectory() as folder:
            database, redis_url, backend = fresh_backend(args.services, folder)
            settings = Settings(channel_secret="bench", channel_access_token="local-token", database_url=database,
                                redis_url=redis_url, line_api_base_url=url, push_backoff_base=0.2,
                                push_max_retries=6)  # fmt: skip
            services = build_services(settings, migrate=True)
            populate(services, args.groups)
            started = time.perf_counter()
            result = runs.run(services, DUE, kinds=("remind",), threads=args.threads)
            elapsed = time.perf_counter() - started
            services.close()
        pushes = len(_get(f"{url}/_local/deliveries?kind=push")["deliveries"])
        requests = [r for r in _get(f"{url}/_local/requests")["requests"] if r["path"] == "/v2/bot/message/push"]
        limited = _get(f"{url}/_local/rate-limit")["refused"]
    finally:
        stop.set()
        line.join(10)
    print(f"backend: {backend}; {args.groups} bound groups of {MEMBERS} due at {DUE.isoformat()}")
    print(f"reminded {pushes} groups in {elapsed:.1f} s ({pushes / elapsed:.0f} pushes/s); statuses {result.statuses}")
    print(f"push requests {len(requests)}, answered 429 for the rate limit: {limited}; cost {result.cost} messages")
    assert pushes == args.groups, "every group reminded once"


if __name__ == "__main__":
    main()
