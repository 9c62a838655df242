"""The application factory. Nothing connects or reads the environment at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, jsonify
from linebot.v3.webhook import WebhookParser

from bot.downloads import blueprint as downloads_blueprint
from bot.files import files_blueprint
from bot.processing import Router
from bot.services import Services, build_services
from bot.settings import Settings
from bot.webhook import blueprint as webhook_blueprint
from bot.worker import Worker
from handlers.dispatch import route

log = logging.getLogger(__name__)


@dataclass
class Kaona:
    """What the web process keeps in ``app.extensions["kaona"]``."""

    settings: Settings
    services: Services
    parser: WebhookParser
    worker: Worker | None


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    migrate: bool = False,
    router: Router = route,
) -> Flask:
    settings = settings or Settings.from_env()
    services = services or build_services(settings, migrate=migrate)
    app = Flask("kaona")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    worker = None
    if settings.worker_mode == "thread":
        worker = Worker(services, threads=settings.worker_threads, router=router).start()
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
        return jsonify({"message": "request body is larger than 1 MiB"}), 413

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return jsonify({"message": error.description}), error.code or 500
        log.exception("unhandled error")
        return jsonify({"message": "internal error"}), 500

    return app


def shutdown(app: Flask) -> None:
    kaona: Kaona = app.extensions["kaona"]
    if kaona.worker is not None:
        kaona.worker.stop()
    kaona.services.close()
