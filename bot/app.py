"""The application factory. Nothing connects or reads the environment at import time,
and building the app starts no thread: the entry points start the worker
(``start_worker``: `kaona serve`, ``bot.wsgi`` for gunicorn, the demo, tests)."""

from __future__ import annotations

import logging
import os

from flask import Flask, Response, jsonify

from bot.downloads import blueprint as downloads_blueprint
from bot.files import files_blueprint
from bot.kaona import Kaona, kaona_of
from bot.services import Services, build_services
from bot.settings import Settings
from bot.webhook import blueprint as webhook_blueprint
from bot.worker import Worker
from handlers.deps import Handler
from handlers.dispatch import dispatch as default_dispatch

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    migrate: bool = False,
    dispatch: Handler = default_dispatch,
) -> Flask:
    """Wire the web app; with ``KAONA_WORKER=thread`` it holds an unstarted worker whose
    events go to ``dispatch`` (tests pass their own use case here)."""
    configure_logging()
    settings = settings or Settings.from_env()
    services = services or build_services(settings, migrate=migrate)
    app = Flask("kaona")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    worker = Worker(services, dispatch=dispatch) if settings.worker_mode == "thread" else None
    app.extensions["kaona"] = Kaona(settings=settings, services=services, worker=worker)
    app.register_blueprint(webhook_blueprint)
    app.register_blueprint(files_blueprint)
    app.register_blueprint(downloads_blueprint)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return health(services)

    @app.errorhandler(413)
    def too_large(_error: Exception) -> tuple[Response, int]:
        return jsonify({"message": f"request body is larger than {settings.max_body_text}"}), 413

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return jsonify({"message": error.description}), error.code or 500
        log.exception("unhandled error")
        return jsonify({"message": "internal error"}), 500

    return app


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_MARK = "_kaona_handler"


def configure_logging(level: str | None = None) -> None:
    """Logging from LOG_LEVEL (default INFO), for every entry point: under gunicorn only
    the CLI used to set it up, so the INFO lines (redeliveries, parked events) were lost.

    Idempotent: one handler of ours on the root logger however many apps are built; when
    the root logger already has handlers (the CLI's basicConfig, pytest's capture) only
    the level is set.
    """
    name = (level or os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    numeric = logging.getLevelName(name)
    root = logging.getLogger()
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def health(services: Services) -> tuple[Response, int]:
    """/healthz: 200 when the database (and Redis, if configured) answer, the schema is
    the code's, and the oldest event still waiting is younger than
    KAONA_HEALTH_MAX_PENDING_SECONDS; else 503, with what is wrong."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import utcnow
    from storage.models import InboxEvent
    from storage.schema import HEAD_REVISION, schema_revision

    settings = services.settings
    database = services.database_ok()
    redis = services.redis_ok()
    revision = None
    if database:
        try:
            revision = schema_revision(services.engine)
        except SQLAlchemyError:  # gone between the two looks
            database = False
    oldest: float | None = None
    if database and revision == HEAD_REVISION:
        try:
            with services.reading() as session:
                first = session.scalar(
                    select(func.min(InboxEvent.received_at)).where(InboxEvent.status.in_(("pending", "processing")))
                )
            oldest = None if first is None else max(0.0, (utcnow() - first).total_seconds())
        except SQLAlchemyError:
            log.exception("health check: the inbox could not be read")
            database = False
    problems = []
    if not database:
        problems.append("database down")
    if redis is False:
        problems.append("redis down")
    if database and revision != HEAD_REVISION:
        problems.append(f"schema is {revision or 'missing'}, code needs {HEAD_REVISION}: run `kaona migrate`")
    if oldest is not None and oldest > settings.health_max_pending_seconds:
        problems.append(f"oldest pending event waited {oldest:.0f} s (over {settings.health_max_pending_seconds} s)")
    body = {
        "status": "unavailable" if problems else "ok",
        "database": "ok" if database else "down",
        "redis": "not configured" if redis is None else ("ok" if redis else "down"),
        "schema": {"revision": revision, "expected": HEAD_REVISION},
        "oldest_pending_seconds": None if oldest is None else round(oldest, 1),
        "problems": problems,
    }
    return jsonify(body), 503 if problems else 200


def start_worker(app: Flask) -> Flask:
    """Start the in-process worker, if the app has one (an entry point's job)."""
    kaona = kaona_of(app)
    if kaona.worker is not None:
        kaona.worker.start()
    return app


def shutdown(app: Flask) -> None:
    kaona = kaona_of(app)
    if kaona.worker is not None:
        kaona.worker.stop()
    kaona.services.close()

