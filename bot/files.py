"""Report attachments on the web: signed links (PUBLIC_BASE_URL/files/<token>) for the
export, and the route that serves them from the file store."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from bot.settings import Settings
from plans.errors import ContentError
from storage.report_models import ReportAttachment

files_blueprint = Blueprint("files", __name__)
SALT = "kaona-report-file"


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.channel_secret, salt=SALT)


def file_link(settings: Settings, storage_key: str) -> str | None:
    """A link people can open, or None when PUBLIC_BASE_URL is not set."""
    if not settings.public_base_url:
        return None
    return f"{settings.public_base_url}/files/{_signer(settings).dumps(storage_key)}"


@files_blueprint.get("/files/<token>")
def serve(token: str) -> Response:
    kaona = current_app.extensions["kaona"]
    try:
        key = str(_signer(kaona.settings).loads(token))
    except BadSignature:
        abort(404)
    services = kaona.services
    with services.sessions() as session:
        row = session.scalar(select(ReportAttachment).where(ReportAttachment.storage_key == key).limit(1))
        if row is None or services.files is None:
            abort(404)
        content_type, name = row.content_type, row.file_name
    try:
        data = services.files.get(key)
    except ContentError:
        abort(404)
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    return quote(name, safe="")
