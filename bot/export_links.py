"""Signed links to the export workbook (itsdangerous): bound to the chat and the
person who asked, and to what they asked for; they expire after
``export_link_ttl_seconds``. What a link opens is checked again when it is opened,
against what that person may see then."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.settings import Settings
from plans.errors import ExportLinkInvalid
from storage.access import Viewer

SALT = "kaona-export-link"
PATH = "/exports/"


@dataclass(frozen=True)
class LinkScope:
    viewer: Viewer
    project_id: int | None  # None: everything the viewer may see


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.channel_secret, salt=SALT)


def sign(settings: Settings, scope: LinkScope) -> str:
    payload: dict[str, Any] = {"t": scope.viewer.chat_type, "c": scope.viewer.chat_id, "u": scope.viewer.user_id,
                               "p": scope.project_id}  # fmt: skip
    return _serializer(settings).dumps(payload)


def link(settings: Settings, scope: LinkScope) -> str:
    assert settings.public_base_url, "links need PUBLIC_BASE_URL"
    return f"{settings.public_base_url}{PATH}{sign(settings, scope)}"


def verify(settings: Settings, token: str) -> LinkScope:
    try:
        data = _serializer(settings).loads(token, max_age=settings.export_link_ttl_seconds)
    except SignatureExpired as exc:
        raise ExportLinkInvalid("expired") from exc
    except BadSignature as exc:
        raise ExportLinkInvalid("forged") from exc
    try:
        viewer = Viewer(chat_type=str(data["t"]), chat_id=str(data["c"]), user_id=data["u"])
        project = data["p"]
    except (KeyError, TypeError) as exc:
        raise ExportLinkInvalid("malformed") from exc
    return LinkScope(viewer, int(project) if project is not None else None)
