"""What the web process keeps in ``app.extensions["kaona"]``, and its typed accessor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask

from bot.services import Services
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.worker import Worker


@dataclass
class Kaona:
    settings: Settings
    services: Services
    worker: Worker | None  # built unstarted; the entry points start it


def kaona_of(app: Flask) -> Kaona:
    kaona = app.extensions["kaona"]
    assert isinstance(kaona, Kaona)
    return kaona
