"""The web process under gunicorn (the Procfile's ``web:``): ``gunicorn bot.wsgi:app``.

Each gunicorn worker imports this after the fork, so each builds its own app and
starts its own in-process worker. The schema is the release phase's (`kaona migrate`):
an embedded SQLite file that is behind is brought up to date by a child process (the
web process never loads the migration machinery); any other database that is behind
makes the worker refuse to boot, with a message naming `kaona migrate`
(storage.schema.ensure_schema).
"""

from __future__ import annotations

from bot.app import configure_logging, create_app, start_worker
from bot.services import build_services
from bot.settings import Settings
from storage.schema import ensure_schema

configure_logging()
settings = Settings.from_env()
services = build_services(settings)
ensure_schema(services.engine)
app = start_worker(create_app(settings, services=services))
