"""GET /exports/<token>: the workbook a signed link names, for what its holder may
see now. A forged, expired or no-longer-allowed link is 403 with a Thai page,
never a stack trace."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app
from sqlalchemy import select

from bot import export_links
from plans.errors import ExportLinkInvalid
from storage.access import visible_ids_query
from storage.plan_models import Project

log = logging.getLogger(__name__)
blueprint = Blueprint("downloads", __name__)
REFUSED = (
    "<!doctype html><html lang='th'><meta charset='utf-8'><title>ลิงก์ใช้ไม่ได้</title>"
    "<p>ขออภัย ลิงก์นี้ใช้ไม่ได้ อาจหมดอายุแล้ว หรือไม่ใช่ลิงก์ที่ระบบออกให้ "
    "กรุณาพิมพ์ “ส่งออก” ในแชต LINE อีกครั้งเพื่อขอลิงก์ใหม่</p></html>"
)


@blueprint.get(export_links.PATH + "<token>")
def download(token: str) -> Response:
    from handlers.export import XLSX, workbook_bytes

    kaona = current_app.extensions["kaona"]
    settings = kaona.settings
    try:
        scope = export_links.verify(settings, token)
        now = kaona.services.clock().astimezone(settings.tz)
        with kaona.services.sessions() as session:
            ids = visible_ids_query(session, scope.viewer)
            if scope.project_id is not None:
                if scope.project_id not in set(session.scalars(ids)):
                    raise ExportLinkInvalid("no longer visible")
                ids = select(Project.id).where(Project.id == scope.project_id)
            data = workbook_bytes(session, ids, on=now.date(), tolerance=settings.plan_tolerance)
    except ExportLinkInvalid as exc:
        log.info("export link refused: %s", exc)
        return Response(REFUSED, status=403, mimetype="text/html")
    name = f"kaona-{now:%Y%m%d}.xlsx"
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
