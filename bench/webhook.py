"""Benchmark: signed webhook events posted to a running bot.

Prints events/s acknowledged, acknowledgement latency p50/p99, and how long the
worker took to process and reply to all of them. Not a test: figures for notes.

    .venv/bin/python -m bench.webhook                       # SQLite, no Redis
    .venv/bin/python -m bench.webhook --services            # PostgreSQL + Redis on this machine
    .venv/bin/python -m bench.webhook --events 2000 --concurrency 16 --batch 1
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bench.common import fresh_backend, ms
from bot.app import create_app, shutdown, start_worker
from bot.localline import LocalLineServer, WebhookClient, group_source, text_event, user_source
from bot.services import build_services
from bot.serving import BackgroundServer
from bot.settings import Settings


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="parallel webhook posts")
    parser.add_argument("--batch", type=int, default=1, help="events per webhook request")
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--workers", type=int, default=2, help="worker threads in the web process")
    args = parser.parse_args()

    line = LocalLineServer(quota=None).start()
    tmp = tempfile.TemporaryDirectory()
    database_url, redis_url, backend = fresh_backend(args.services, tmp.name)
    settings = Settings(
        channel_secret="bench-secret",
        channel_access_token="local-token",
        database_url=database_url,
        redis_url=redis_url,
        line_api_base_url=line.url,
        worker_threads=args.workers,
    )
    services = build_services(settings, migrate=True)
    app = start_worker(create_app(settings, services=services))
    server = BackgroundServer(app).start()
    client = WebhookClient(server.url + "/callback", settings.channel_secret, world=line.world)

    bodies = []
    for n in range(0, args.events, args.batch):
        batch = []
        for k in range(n, min(n + args.batch, args.events)):
            source = group_source(f"Cbench{k % 10}", f"U{k % 50}") if k % 3 == 0 else user_source(f"U{k % 50}")
            batch.append(text_event(source, "ช่วยเหลือ", reply_token=line.world.issue_reply_token(source)))
        bodies.append(batch)

    latencies: list[float] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        for result in pool.map(client.post, bodies):
            if result.status != 200:
                raise SystemExit(f"webhook answered {result.status}: {result.text}")
            latencies.append(result.elapsed)
    acked = time.perf_counter() - started
    while True:
        with services.engine.connect() as conn:
            left = conn.execute(
                text("SELECT count(*) FROM outbox WHERE status IN ('pending','sending')")
            ).scalar_one() + conn.execute(
                text("SELECT count(*) FROM inbox_events WHERE status IN ('pending','processing')")
            ).scalar_one()
        if not left:
            break
        time.sleep(0.05)
    processed = time.perf_counter() - started
    replies = len(line.world.deliveries(kind="reply"))

    latencies.sort()
    print(f"backend: {backend}; {args.events} events in {len(bodies)} requests, concurrency {args.concurrency}")
    print(f"acknowledged: {args.events / acked:,.0f} events/s ({acked:.2f} s)")
    print(f"ack latency:  p50 {ms(latencies, 0.50)} ms, p99 {ms(latencies, 0.99)} ms, max {latencies[-1] * 1000:.1f} ms")
    print(f"processed and replied: {replies} replies, all done after {processed:.2f} s "
          f"({args.events / processed:,.0f} events/s end to end, {args.workers} worker threads)")
    print(f"mean ack latency {statistics.mean(latencies) * 1000:.1f} ms")

    server.stop()
    shutdown(app)
    line.stop()
    tmp.cleanup()
    return 0 if replies == args.events else 1



if __name__ == "__main__":
    sys.exit(main())
