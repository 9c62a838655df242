"""The application factory. Nothing connects or reads the environment at import time,
and building the app starts no thread: the entry points start the worker
(``start_worker``: `kaona serve`, ``bot.wsgi`` for gunicorn, the demo, tests)."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from linebot.v3.webhook import WebhookParser

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
    settings = settings or Settings.from_env()
    services = services or build_services(settings, migrate=migrate)
    app = Flask("kaona")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    worker = Worker(services, dispatch=dispatch) if settings.worker_mode == "thread" else None
    app.extensions["kaona"] = Kaona(
        settings=settings, services=services, parser=WebhookParser(settings.channel_secret), worker=worker
    )
    app.register_blueprint(webhook_blueprint)
    app.register_blueprint(files_blueprint)
    app.register_blueprint(downloads_blueprint)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        database = services.database_ok()
        redis = services.redis_ok()
        healthy = database and redis is not False
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": "ok" if database else "down",
            "redis": "not configured" if redis is None else ("ok" if redis else "down"),
        }
        return jsonify(body), 200 if healthy else 503

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

