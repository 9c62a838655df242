"""Benchmark: complete report conversations through the webhook.

Runs N conversations (default 200) of seven turns each against a running bot
(local LINE API, real database), several people at once in bound groups, and
prints the time per turn measured on the server side: from the webhook request
to the reply arriving at the LINE API (acknowledge, store, claim, flow, save,
reply). p50/p95 over all turns, and per state-changing turn kind.

    .venv/bin/python -m bench.report_conversations               # SQLite, no Redis
    .venv/bin/python -m bench.report_conversations --services    # PostgreSQL + Redis
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from bench.common import fresh_backend, ms
from bot.app import create_app, shutdown, start_worker
from bot.localline import LocalLineServer, WebhookClient, group_source
from bot.services import build_services
from bot.serving import BackgroundServer
from bot.settings import Settings
from handlers.plans import import_plan
from storage import access
from storage.plans import list_projects

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "samples" / "sample_plan.txt"
TURNS = ("รายงาน อบรม", "1", "50", "จัดทำคำสั่งแต่งตั้งคณะทำงานแล้ว", "500", "ไม่มี", "ข้าม", "ยืนยัน")
# The month already has a report (from another bench person): add this one with a reason.
EXTRA = ("รายงานเพิ่ม", "รายงานของอีกทีมในเดือนเดียวกัน")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="people talking at the same time")
    parser.add_argument("--services", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    tmp = tempfile.TemporaryDirectory()
    database_url, redis_url, backend = fresh_backend(args.services, tmp.name)
    line = LocalLineServer(quota=None).start()
    settings = Settings(channel_secret="bench", channel_access_token="local-token", database_url=database_url,
                        redis_url=redis_url, line_api_base_url=line.url)  # fmt: skip
    services = build_services(settings, migrate=True)
    import_plan(services.sessions, SAMPLE.read_bytes(), SAMPLE.name, unit="สำนักงานเขตตัวอย่าง")
    groups = [f"Cbench{g}" for g in range(10)]
    with services.sessions() as session, session.begin():
        ids = [p.id for p in list_projects(session)]
        for group in groups:
            access.bind(session, group, ids, by="bench")
    for g, group in enumerate(groups):  # the members: the questions mention them
        line.world.add_group(group, group, [f"Ubench{n:04d}" for n in range(g, args.conversations, len(groups))])
    app = start_worker(create_app(settings, services=services))
    server = BackgroundServer(app).start()
    client = WebhookClient(server.url + "/callback", settings.channel_secret, world=line.world)

    turn_times: list[float] = []
    lock = threading.Lock()

    def converse(n: int) -> None:
        source = group_source(groups[n % len(groups)], f"Ubench{n:04d}")
        chat = source["groupId"]
        todo = list(TURNS)
        while todo:
            typed = todo.pop(0)
            started = time.perf_counter()
            token = client.send_text(source, typed).reply_token
            while not (found := [d for d in line.world.deliveries(kind="reply", to=chat) if d.reply_token == token]):
                time.sleep(0.002)
            with lock:
                turn_times.append(time.perf_counter() - started)
            said = " ".join(m.get("text", "") for m in found[0].messages)
            if "มีรายงานครั้งที่" in said or "เพิ่งบันทึกรายงานครั้งที่" in said:
                todo[:0] = [*EXTRA, "ยืนยัน"] if "ยังไม่ถูกบันทึก" in said else EXTRA

    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(converse, range(args.conversations)))
    wall = time.perf_counter() - started
    with services.engine.connect() as conn:
        saved = conn.execute(text("SELECT count(*) FROM progress_reports")).scalar_one()

    turn_times.sort()
    print(f"backend: {backend}; {args.conversations} conversations x {len(TURNS)} turns, "
          f"{args.concurrency} people at once, {saved} reports saved, {wall:.1f} s")
    print(f"time per turn (webhook in -> reply at LINE): p50 {ms(turn_times, 0.5)} ms, "
          f"p95 {ms(turn_times, 0.95)} ms, mean {statistics.mean(turn_times) * 1000:.1f} ms")
    server.stop()
    shutdown(app)
    line.stop()
    tmp.cleanup()
    return 0 if saved == args.conversations else 1



if __name__ == "__main__":
    sys.exit(main())
