"""The web process under gunicorn (the Procfile's ``web:``): ``gunicorn bot.wsgi:app``.

Each gunicorn worker imports this after the fork, so each builds its own app and
starts its own in-process worker. The schema is the release phase's (`kaona migrate`);
an embedded SQLite file is brought up to date by a child process, so that the web
process never loads the migration machinery.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from bot.app import create_app, start_worker
from bot.settings import Settings

logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
# The worker's threads run Python for long stretches; a webhook thread waiting for the
# interpreter after each read or write waits up to the switch interval each time.
if os.environ.get("KAONA_SWITCH_INTERVAL"):
    sys.setswitchinterval(float(os.environ["KAONA_SWITCH_INTERVAL"]))
settings = Settings.from_env()
if settings.database_url.startswith("sqlite"):
    subprocess.run([sys.executable, "-m", "bot.cli", "migrate"], check=True, stdout=subprocess.DEVNULL)
app = start_worker(create_app(settings))
