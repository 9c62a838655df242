"""Keeping display names current: looked up from LINE at most once a day per person,
after the event's commit, on a delivery thread (a LINE call never holds a database
lock, nor delays an answer)."""

from __future__ import annotations

import logging

from bot.events import IncomingEvent
from bot.services import Services
from plans.errors import LineApiError
from storage import access

log = logging.getLogger(__name__)


def refresh_display_name(services: Services, event: IncomingEvent) -> None:
    user_id = event.user_id
    if not user_id or event.type in ("unfollow", "leave", "memberLeft"):
        return
    name: str | None = None
    try:
        if event.in_group:
            name = services.gateway.group_member_profile(event.chat_id, user_id).display_name
        else:
            name = services.gateway.profile(user_id).display_name
    except LineApiError as exc:
        # Not a friend, not a member any more, or LINE is down: try again tomorrow.
        log.info("display name of %s not refreshed: %s", user_id, exc)
    with services.sessions() as session, session.begin():
        access.set_display_name(session, user_id, name)
