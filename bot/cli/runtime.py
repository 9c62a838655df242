"""`kaona serve`, `worker`, `clock`, `migrate`, `purge`, `inbox`, `line-server`, `chat`, `demo`: the processes."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from bot.settings import Settings


def add_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the web process (webhook + in-process worker)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="process stored webhook events (scale-out worker)")
    worker.add_argument("--threads", type=int, default=None)
    worker.set_defaults(func=_worker)

    sub.add_parser("clock", help="run the scheduler process").set_defaults(func=_clock)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)

    purge = sub.add_parser("purge", help="delete inbox and outbox rows past KAONA_RETENTION_DAYS (final states only)")
    purge.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    purge.add_argument("--days", type=int, default=None, help="retention in days (default: $KAONA_RETENTION_DAYS or 90)")
    purge.set_defaults(func=_purge)

    inbox = sub.add_parser("inbox", help="show the inbox: events by status, parked events")
    inbox.add_argument("--retry-parked", action="store_true", help="put parked events back in the queue")
    inbox.set_defaults(func=_inbox)

    line = sub.add_parser("line-server", help="run the local LINE-compatible API server")
    line.add_argument("--port", type=int, default=8030)
    line.add_argument("--token", default="local-token")
    line.add_argument("--quota", type=int, default=300)
    line.set_defaults(func=_line_server)

    chat = sub.add_parser("chat", help="chat with a running bot as a LINE user (simulator)")
    chat.add_argument("--bot", default="http://127.0.0.1:8000/callback", help="the bot's webhook URL")
    chat.add_argument("--line", default="http://127.0.0.1:8030", help="the local LINE API server")
    chat.add_argument("--secret", default=None, help="channel secret (default: $LINE_CHANNEL_SECRET)")
    chat.add_argument("--user", default="Udemo0001", help="LINE user id to type as")
    chat.add_argument("--name", default="สมชาย ใจดี", help="display name of that user")
    chat.add_argument("--group", default=None, help="type in this group id instead of one-to-one")
    chat.set_defaults(func=_chat)

    demo = sub.add_parser("demo", help="run everything locally (SQLite, local LINE API) and open the chat simulator")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--line-port", type=int, default=8030)
    demo.add_argument("--data", default="data/demo.sqlite3", help="the demo's SQLite file")
    demo.set_defaults(func=_demo)


def _serve(args: argparse.Namespace) -> int:
    """One web process with the Procfile's server (waitress's buffering, bot.webserver),
    without gunicorn: for a small install or a try-out."""
    import socket

    from bot.app import create_app, shutdown, start_worker
    from bot.services import build_services
    from bot.webserver import build_server
    from storage.schema import ensure_schema

    settings = Settings.from_env()
    services = build_services(settings)
    ensure_schema(services.engine)
    app = start_worker(create_app(settings, services=services))
    listener = socket.create_server((args.host, args.port or settings.port), reuse_port=False, backlog=1024)
    server = build_server(app, [listener], threads=args.threads, settings=settings)
    logging.getLogger(__name__).info("serving on http://%s:%d", args.host, args.port or settings.port)
    try:
        server.run()
    finally:
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        shutdown(app)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from bot.services import build_services
    from bot.worker import Worker
    from storage.schema import ensure_schema

    settings = Settings.from_env()
    services = build_services(settings)
    ensure_schema(services.engine)
    logging.getLogger(__name__).info("worker started (%s)", _safe_url(settings.database_url))
    Worker(services, threads=args.threads, listen=True).run_forever()
    services.close()
    return 0


def _clock(args: argparse.Namespace) -> int:
    from bot.services import build_services
    from scheduler.clock import run
    from storage.schema import ensure_schema

    services = build_services(Settings.from_env())
    ensure_schema(services.engine)
    run(services)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    settings = Settings.from_env(demo=True)  # migrations need only DATABASE_URL
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database {_safe_url(settings.database_url)} is at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _purge(args: argparse.Namespace) -> int:
    from plans.errors import ConfigError
    from storage import retention
    from storage.db import make_engine, make_session_factory

    settings = Settings.from_env(demo=True)  # needs only DATABASE_URL
    days = settings.retention_days if args.days is None else args.days
    if days < retention.MIN_DAYS:
        raise ConfigError("--days", f"must be at least {retention.MIN_DAYS} (this month's pushes count for the quota)")
    engine = make_engine(settings.database_url)
    try:
        result = retention.purge(make_session_factory(engine), days=days, dry_run=args.dry_run)
    finally:
        engine.dispose()
    verb = "would delete" if result.dry_run else "deleted"
    print(f"{verb} {result.inbox} inbox event(s) and {result.outbox} outbox row(s) in a final state "
          f"received before {result.cutoff:%Y-%m-%d %H:%M} UTC ({days} days)")  # fmt: skip
    return 0


def _inbox(args: argparse.Namespace) -> int:
    from sqlalchemy import select, update

    from storage.db import make_engine, make_session_factory
    from storage.models import InboxEvent

    engine = make_engine(Settings.from_env(demo=True).database_url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        if args.retry_parked:
            result = session.execute(
                update(InboxEvent).where(InboxEvent.status == "parked").values(status="pending", attempts=0)
            )
            print(f"requeued {result.rowcount} parked event(s)")  # type: ignore[attr-defined]
        from storage.inbox import counts_by_status

        for status, count in sorted(counts_by_status(session).items()):
            print(f"{status:>10}  {count}")
        parked = session.scalars(select(InboxEvent).where(InboxEvent.status == "parked").limit(20))
        for event in parked:
            print(f"parked #{event.id} {event.event_type} in {event.chat_id}: {event.last_error}")
        from datetime import UTC, datetime

        from sqlalchemy import func

        from storage.models import OutboxMessage
        from storage.outbox import usage_since

        month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        usage = usage_since(session, month)
        fallbacks = session.scalar(
            select(func.count()).where(OutboxMessage.fallback_push.is_(True), OutboxMessage.created_at >= month)
        )
        print(f"pushes this month: {usage['pushes']} costing {usage['cost']} message(s) of the quota; "
              f"{fallbacks} were replies sent as pushes because the reply token had expired")
    engine.dispose()
    return 0


def _line_server(args: argparse.Namespace) -> int:
    from bot.localline import LocalLineServer

    server = LocalLineServer(access_token=args.token, quota=args.quota, port=args.port)
    server.start()
    print(f"local LINE API listening on {server.url} (token {args.token!r}, quota {args.quota})")
    try:
        import threading

        threading.Event().wait()
    finally:
        server.stop()
    return 0


def _chat(args: argparse.Namespace) -> int:
    from bot.localline.simulator import ChatSimulator

    secret = args.secret or os.environ.get("LINE_CHANNEL_SECRET") or "demo-channel-secret"
    simulator = ChatSimulator(bot_url=args.bot, line_url=args.line, channel_secret=secret)
    simulator.run(user_id=args.user, display_name=args.name, group_id=args.group)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(port=args.port, line_port=args.line_port, database=args.data)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
