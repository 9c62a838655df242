"""The LINE platform's side of a webhook: events as LINE sends them, signed and posted.

Event builders return plain dicts in LINE's camelCase shape, each with a
fresh time-ordered ``webhookEventId`` (a ULID) and a strictly increasing
``timestamp``.  ``WebhookClient`` signs a body with the channel secret and
posts it to a bot, issuing reply tokens on a ``World`` (in process) or on a
running local server's control endpoints (out of process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.localline.world import World

Event = dict[str, Any]
DEFAULT_DESTINATION = "Ubot" + "0" * 29  # LINE sends the bot's own 33-character user ID
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_lock = threading.Lock()
_last_ulid = (0, 0)
_last_timestamp = 0
_last_message_id = 500_000_000_000_000_000


def sign(body: bytes, channel_secret: str) -> str:
    """``X-Line-Signature``: base64 of HMAC-SHA256 of the raw body keyed by the secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def new_ulid() -> str:
    """A 26-character Crockford base32 ULID, strictly increasing within the process."""
    global _last_ulid
    with _lock:
        now = int(time.time() * 1000)
        last_ms, last_rand = _last_ulid
        if now > last_ms:
            ms, rand = now, secrets.randbits(80)
        elif last_rand + 1 < 1 << 80:
            ms, rand = last_ms, last_rand + 1
        else:
            ms, rand = last_ms + 1, secrets.randbits(80)
        _last_ulid = (ms, rand)
    value = (ms << 80) | rand
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def _timestamp() -> int:
    global _last_timestamp
    with _lock:
        _last_timestamp = max(int(time.time() * 1000), _last_timestamp + 1)
        return _last_timestamp


def _message_id() -> str:
    global _last_message_id
    with _lock:
        _last_message_id += 1
        return str(_last_message_id)


def user_source(user_id: str) -> dict[str, str]:
    return {"type": "user", "userId": user_id}


def group_source(group_id: str, user_id: str | None = None) -> dict[str, str]:
    source = {"type": "group", "groupId": group_id}
    if user_id is not None:
        source["userId"] = user_id
    return source


def room_source(room_id: str, user_id: str | None = None) -> dict[str, str]:
    source = {"type": "room", "roomId": room_id}
    if user_id is not None:
        source["userId"] = user_id
    return source


def _chat_source(chat_id: str) -> dict[str, str]:
    return room_source(chat_id) if chat_id.startswith("R") else group_source(chat_id)


def _event(kind: str, source: dict[str, Any], *, mode: str = "active", replies: bool = True,
           reply_token: str | None = None, redelivery: bool = False, **fields: Any) -> Event:
    event: Event = {"type": kind, **fields, "webhookEventId": new_ulid(),
                    "deliveryContext": {"isRedelivery": redelivery},
                    "timestamp": _timestamp(), "source": source, "mode": mode}
    if replies and mode == "active":
        event["replyToken"] = reply_token or secrets.token_hex(16)
    return event


def text_event(source: dict[str, Any], text: str, *, reply_token: str | None = None,
               mode: str = "active", redelivery: bool = False, message_id: str | None = None,
               quote_token: str | None = None, mention: dict[str, Any] | None = None,
               quoted_message_id: str | None = None) -> Event:
    message: dict[str, Any] = {"type": "text", "id": message_id or _message_id(),
                               "quoteToken": quote_token or secrets.token_urlsafe(24),
                               "text": text}
    if mention is not None:
        message["mention"] = mention
    if quoted_message_id is not None:
        message["quotedMessageId"] = quoted_message_id
    return _event("message", source, mode=mode, reply_token=reply_token, redelivery=redelivery,
                  message=message)


def content_event(source: dict[str, Any], kind: str, *, file_name: str | None = None,
                  file_size: int | None = None, reply_token: str | None = None,
                  mode: str = "active", message_id: str | None = None) -> Event:
    """An image, video, audio or file message; its content is served by the local server."""
    message: dict[str, Any] = {"type": kind, "id": message_id or _message_id()}
    if kind in ("image", "video", "audio"):
        message["contentProvider"] = {"type": "line"}
    if kind == "image":
        message["quoteToken"] = secrets.token_urlsafe(24)
    if file_name is not None:
        message["fileName"] = file_name
        message["fileSize"] = file_size or 0
    return _event("message", source, mode=mode, reply_token=reply_token, message=message)


def postback_event(source: dict[str, Any], data: str, *, params: dict[str, Any] | None = None,
                   reply_token: str | None = None, mode: str = "active",
                   redelivery: bool = False) -> Event:
    postback: dict[str, Any] = {"data": data}
    if params is not None:
        postback["params"] = params
    return _event("postback", source, mode=mode, reply_token=reply_token,
                  redelivery=redelivery, postback=postback)


def follow_event(user_id: str, reply_token: str | None = None, *, mode: str = "active",
                 unblocked: bool = False) -> Event:
    return _event("follow", user_source(user_id), mode=mode, reply_token=reply_token,
                  follow={"isUnblocked": unblocked})


def unfollow_event(user_id: str, *, mode: str = "active") -> Event:
    return _event("unfollow", user_source(user_id), mode=mode, replies=False)


def join_event(group_id: str, reply_token: str | None = None, *, mode: str = "active") -> Event:
    return _event("join", _chat_source(group_id), mode=mode, reply_token=reply_token)


def leave_event(group_id: str, *, mode: str = "active") -> Event:
    return _event("leave", _chat_source(group_id), mode=mode, replies=False)


def member_joined_event(group_id: str, user_ids: list[str], reply_token: str | None = None, *,
                        mode: str = "active") -> Event:
    members = [user_source(u) for u in user_ids]
    return _event("memberJoined", _chat_source(group_id), mode=mode, reply_token=reply_token,
                  joined={"members": members})


def member_left_event(group_id: str, user_ids: list[str], *, mode: str = "active") -> Event:
    members = [user_source(u) for u in user_ids]
    return _event("memberLeft", _chat_source(group_id), mode=mode, replies=False,
                  left={"members": members})


def webhook_body(events: list[Event], destination: str = DEFAULT_DESTINATION) -> bytes:
    payload = {"destination": destination, "events": events}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class PostResult:
    """What the bot answered; unpacks as ``status, elapsed = client.post(...)``."""

    status: int
    elapsed: float
    events: list[Event] = field(default_factory=list)
    text: str = ""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.status, self.elapsed))

    @property
    def reply_token(self) -> str | None:
        return self.events[0].get("replyToken") if self.events else None


class WebhookClient:
    """Posts signed webhook bodies to a bot, as the LINE platform does."""

    def __init__(self, bot_url: str, channel_secret: str, world: World | None = None,
                 line_url: str | None = None, *, destination: str = DEFAULT_DESTINATION,
                 timeout: float = 10.0) -> None:
        if world is None and line_url is None:
            raise ValueError("WebhookClient needs a World or the local server's line_url")
        self.bot_url = bot_url
        self.channel_secret = channel_secret
        self.world = world
        self.line_url = line_url.rstrip("/") if line_url else None
        self.destination = destination
        self.timeout = timeout

    def post(self, events: list[Event]) -> PostResult:
        body = webhook_body(events, self.destination)
        req = urllib.request.Request(self.bot_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "LineBotWebhook/2.0",
            "X-Line-Signature": sign(body, self.channel_secret),
        })
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
            exc.close()
        return PostResult(status, time.perf_counter() - started, events, text)

    def _control(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        req = urllib.request.Request(f"{self.line_url}/_local{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as response:
            return json.loads(response.read() or b"{}")

    def issue_reply_token(self, source: dict[str, Any]) -> str:
        if self.world is not None:
            return self.world.issue_reply_token(source)
        return str(self._control("POST", "/reply-tokens", {"source": source})["replyToken"])

    def _token(self, source: dict[str, Any], mode: str) -> str | None:
        return self.issue_reply_token(source) if mode == "active" else None

    def send_text(self, source: dict[str, Any], text: str, *, mode: str = "active",
                  redelivery: bool = False) -> PostResult:
        token = self._token(source, mode)
        return self.post([text_event(source, text, reply_token=token, mode=mode,
                                     redelivery=redelivery)])

    def send_content(self, source: dict[str, Any], data: bytes, *, kind: str = "image",
                     content_type: str = "image/jpeg", file_name: str | None = None) -> PostResult:
        """Send a photo (or, with ``file_name``, a file) as that person: the content is
        uploaded to the local LINE server first, as LINE holds it for the bot to fetch."""
        size = len(data) if file_name is not None else None
        event = content_event(source, "file" if file_name else kind, file_name=file_name, file_size=size,
                              reply_token=self._token(source, "active"))
        message_id = str(event["message"]["id"])
        if self.world is not None:
            self.world.add_content(message_id, data, content_type)
        else:
            req = urllib.request.Request(f"{self.line_url}/_local/contents/{message_id}", data=data,
                                         method="POST", headers={"Content-Type": content_type})
            with urllib.request.urlopen(req, timeout=self.timeout):
                pass
        return self.post([event])

    def send_postback(self, source: dict[str, Any], data: str, *,
                      params: dict[str, Any] | None = None, mode: str = "active",
                      redelivery: bool = False) -> PostResult:
        token = self._token(source, mode)
        return self.post([postback_event(source, data, params=params, reply_token=token,
                                         mode=mode, redelivery=redelivery)])

    def follow(self, user_id: str) -> PostResult:
        return self.post([follow_event(user_id, self._token(user_source(user_id), "active"))])

    def unfollow(self, user_id: str) -> PostResult:
        if self.world is not None:
            self.world.set_friend(user_id, False)
        else:
            self._control("POST", "/users", {"userId": user_id, "friend": False})
        return self.post([unfollow_event(user_id)])

    def join(self, group_id: str) -> PostResult:
        return self.post([join_event(group_id, self._token(_chat_source(group_id), "active"))])

    def leave(self, group_id: str) -> PostResult:
        if self.world is not None:
            self.world.remove_group(group_id)
        else:
            self._control("DELETE", f"/groups/{group_id}", None)
        return self.post([leave_event(group_id)])
