"""A local LINE-compatible platform: an HTTP server the real SDK talks to, and a webhook driver.

    with LocalLineServer() as srv:
        api = MessagingApi(ApiClient(Configuration(host=srv.url, access_token="local-token")))
        ...
        assert srv.world.texts(to="U1") == ["สวัสดี"]
"""

from __future__ import annotations

from bot.localline.server import LocalLineServer, create_app
from bot.localline.webhook import (
    PostResult,
    WebhookClient,
    content_event,
    follow_event,
    group_source,
    join_event,
    leave_event,
    member_joined_event,
    member_left_event,
    new_ulid,
    postback_event,
    room_source,
    sign,
    text_event,
    unfollow_event,
    user_source,
    webhook_body,
)
from bot.localline.world import Delivery, Fault, Group, LineError, RequestLog, User, World

__all__ = [
    "content_event",
    "Delivery",
    "Fault",
    "Group",
    "LineError",
    "LocalLineServer",
    "PostResult",
    "RequestLog",
    "User",
    "WebhookClient",
    "World",
    "create_app",
    "follow_event",
    "group_source",
    "join_event",
    "leave_event",
    "member_joined_event",
    "member_left_event",
    "new_ulid",
    "postback_event",
    "room_source",
    "sign",
    "text_event",
    "unfollow_event",
    "user_source",
    "webhook_body",
]
