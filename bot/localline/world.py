"""The local LINE platform's in-memory state: who exists, what was sent, what it cost,
and the channel's rich menus (``richmenus.RichMenus``, which has its own lock).

Every public method takes one lock, so the HTTP threads, the test thread and a
webhook driver can share one ``World``.  Sending is decided here atomically
(token check and consumption, retry-key check and record, quota check and
charge), so concurrent requests cannot double-deliver or overspend.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.localline.richmenus import RichMenu, RichMenus
from bot.localline.rules import LineError, error_body, mention_errors

Clock = Callable[[], float]

INVALID_TO = "The property, 'to', in the request body is invalid (line: -, column: -)"
FAULT_MESSAGES = {
    400: "Bad request", 401: "Authentication failed", 403: "Access to this API is not available",
    404: "Not found", 409: "Conflict", 429: "Too many requests",
    500: "An error occurred in the backend server", 502: "Bad gateway",
    503: "Service unavailable", 504: "Gateway timeout",
}
QUOTABLE = frozenset({"text", "textV2", "sticker", "image", "video"})


@dataclass
class User:
    user_id: str
    display_name: str
    friend: bool = True
    picture_url: str | None = None
    status_message: str | None = None


@dataclass
class Group:
    group_id: str
    name: str
    members: list[str] = field(default_factory=list)
    kind: str = "group"  # "group" or "room"
    picture_url: str | None = None
    # What LINE counts for the group when tests set it: members the bot never saw included.
    count: int | None = None

    @property
    def member_count(self) -> int:
        return self.count if self.count is not None else len(self.members)


@dataclass
class Delivery:
    id: int
    kind: str  # "reply", "push" or "multicast"
    to: str
    reply_token: str | None
    retry_key: str | None
    messages: list[dict[str, Any]]
    cost: int
    at: float
    notification_disabled: bool = False
    sent_messages: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RequestLog:
    method: str
    path: str
    status: int
    retry_key: str | None
    at: float
    request_id: str = ""
    body: Any = None


@dataclass
class Fault:
    path_prefix: str
    status: int | None = None
    latency: float = 0.0
    times: int = 1
    body: dict[str, Any] | None = None

    def response_body(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        return {"message": FAULT_MESSAGES.get(self.status or 500, "Error")}


@dataclass
class _RandomFaults:
    """A share of the requests to a path fail, drawn from ``outcomes`` (a status, or
    "timeout": the answer comes after ``latency``, the request itself is carried out)."""

    path_prefix: str
    rate: float
    outcomes: tuple[int | str, ...]
    latency: float
    rng: random.Random


@dataclass
class _Token:
    chat_id: str
    issued_at: float
    used: bool = False


@dataclass
class _Accepted:
    request_id: str
    sent_messages: list[dict[str, str]]


def chat_id_of(source: dict[str, Any]) -> str:
    """The chat a webhook source belongs to: its groupId, roomId or userId."""
    kind = source.get("type")
    key = {"user": "userId", "group": "groupId", "room": "roomId"}.get(str(kind))
    if key is None or not isinstance(source.get(key), str):
        raise ValueError(f"not a LINE webhook source: {source!r}")
    return str(source[key])


class World:
    """Users, groups, reply tokens, quota, faults and the record of accepted sends."""

    def __init__(self, *, quota: int | None = 300, reply_token_ttl: float = 60.0,
                 clock: Clock | None = None, rate_limit: int | None = 2000) -> None:
        self.reply_token_ttl = reply_token_ttl
        # LINE's limit for each of reply and push: requests per second, over it 429.
        self.rate_limit = rate_limit
        self._recent: dict[str, deque[float]] = {}
        self.clock: Clock = clock or time.time
        self._initial_quota = quota
        self._lock = threading.RLock()
        self._next_delivery = 1
        self._next_message = 600_000_000_000_000_000
        self.rich_menu_store = RichMenus()  # the server's rich menu endpoints work on it
        self._in_flight = 0  # API requests the server is still carrying out
        self._clear()

    def _clear(self) -> None:
        self._quota = self._initial_quota
        self._users: dict[str, User] = {}
        self._groups: dict[str, Group] = {}
        self._tokens: dict[str, _Token] = {}
        self._deliveries: list[Delivery] = []
        self._requests: list[RequestLog] = []
        self._faults: list[Fault] = []
        self._random_faults: list[_RandomFaults] = []
        self._rate_limited = 0
        self._retry_keys: dict[str, _Accepted] = {}
        self._usage: dict[tuple[int, int], int] = {}
        self._contents: dict[str, tuple[bytes, str]] = {}
        self.rich_menu_store.clear()

    # -- requests being carried out -----------------------------------------
    def request_started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def request_ended(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def in_flight(self) -> int:
        """API requests still being carried out: one held by a "timeout" fault goes on
        after the bot has given up on it, and may still deliver."""
        with self._lock:
            return self._in_flight

    # -- message content (photos and files people sent) ---------------------
    def add_content(self, message_id: str, data: bytes, content_type: str) -> None:
        with self._lock:
            self._contents[message_id] = (bytes(data), content_type)

    def content(self, message_id: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._contents.get(message_id)

    # -- people and chats ---------------------------------------------------
    def add_user(self, user_id: str, display_name: str, *, friend: bool = True,
                 picture_url: str | None = None, status_message: str | None = None) -> User:
        with self._lock:
            user = User(user_id, display_name, friend, picture_url, status_message)
            self._users[user_id] = user
            return user

    def set_friend(self, user_id: str, friend: bool) -> None:
        with self._lock:
            self._ensure_user(user_id, friend=friend).friend = friend

    def user(self, user_id: str) -> User | None:
        with self._lock:
            return self._users.get(user_id)

    def add_group(self, group_id: str, name: str, member_ids: list[str], *,
                  kind: str = "group", picture_url: str | None = None) -> Group:
        with self._lock:
            for user_id in member_ids:
                self._ensure_user(user_id, friend=False)
            group = Group(group_id, name, list(dict.fromkeys(member_ids)), kind, picture_url)
            self._groups[group_id] = group
            return group

    def set_member_count(self, group_id: str, count: int | None) -> None:
        """The member count LINE reports (and charges a push into the group)."""
        with self._lock:
            self._groups[group_id].count = count

    def add_room(self, room_id: str, member_ids: list[str]) -> Group:
        return self.add_group(room_id, "", member_ids, kind="room")

    def remove_group(self, group_id: str) -> None:
        """The bot left (or was removed from) the group or room."""
        with self._lock:
            self._groups.pop(group_id, None)

    def group(self, group_id: str) -> Group | None:
        with self._lock:
            return self._groups.get(group_id)

    def add_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            group = self._groups[group_id]
            self._ensure_user(user_id, friend=False)
            if user_id not in group.members:
                group.members.append(user_id)

    def remove_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            group = self._groups[group_id]
            if user_id in group.members:
                group.members.remove(user_id)

    def _ensure_user(self, user_id: str, *, friend: bool) -> User:
        user = self._users.get(user_id)
        if user is None:
            user = User(user_id, f"ผู้ใช้ {user_id[:5]}", friend)
            self._users[user_id] = user
        return user

    # -- reply tokens -------------------------------------------------------
    def issue_reply_token(self, source: dict[str, Any]) -> str:
        """Register a reply token for a webhook source, learning its user and chat."""
        with self._lock:
            chat_id = chat_id_of(source)
            user_id = source.get("userId")
            if source["type"] == "user":
                # Only a friend who has not blocked the bot can write to it one-to-one.
                self._ensure_user(chat_id, friend=True).friend = True
            else:
                group = self._groups.get(chat_id)
                if group is None:
                    prefix = "กลุ่ม" if source["type"] == "group" else "ห้อง"
                    group = self.add_group(chat_id, f"{prefix} {chat_id[:5]}", [],
                                           kind=source["type"])
                if isinstance(user_id, str):
                    self.add_member(chat_id, user_id)
            token = secrets.token_hex(16)
            self._tokens[token] = _Token(chat_id, self.clock())
            return token

    def expire_reply_tokens(self) -> None:
        """Age every outstanding token past the TTL."""
        with self._lock:
            old = self.clock() - self.reply_token_ttl - 1.0
            for token in self._tokens.values():
                token.issued_at = min(token.issued_at, old)

    # -- sending (called by the server) -------------------------------------
    def reply(self, token: str, messages: list[dict[str, Any]], *,
              notification_disabled: bool = False) -> Delivery:
        with self._lock:
            entry = self._tokens.get(token)
            if (entry is None or entry.used
                    or self.clock() - entry.issued_at > self.reply_token_ttl):
                raise LineError(400, {"message": "Invalid reply token"})
            self._check_mentions(entry.chat_id, messages)
            entry.used = True
            return self._record("reply", entry.chat_id, messages, 0, token, None,
                                notification_disabled)

    def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None,
             request_id: str, notification_disabled: bool = False) -> Delivery:
        with self._lock:
            self._check_retry_key(retry_key)
            cost = self._recipients(to)
            if cost is None:
                raise LineError(400, {"message": INVALID_TO})
            self._check_mentions(to, messages)
            self._charge(cost)
            delivery = self._record("push", to, messages, cost, None, retry_key,
                                    notification_disabled)
            if retry_key:
                self._retry_keys[retry_key] = _Accepted(request_id, delivery.sent_messages)
            return delivery

    def multicast(self, to: list[str], messages: list[dict[str, Any]], *,
                  retry_key: str | None, request_id: str,
                  notification_disabled: bool = False) -> list[Delivery]:
        with self._lock:
            self._check_retry_key(retry_key)
            self._check_mentions(None, messages)
            recipients = list(dict.fromkeys(to))
            self._charge(len(recipients))
            sent = [self._record("multicast", user_id, messages, 1, None, retry_key,
                                 notification_disabled) for user_id in recipients]
            if retry_key:
                self._retry_keys[retry_key] = _Accepted(request_id, [])
            return sent

    def _check_retry_key(self, retry_key: str | None) -> None:
        accepted = self._retry_keys.get(retry_key) if retry_key else None
        if accepted is not None:
            body: dict[str, Any] = {"message": "The retry key is already accepted"}
            if accepted.sent_messages:
                body["sentMessages"] = accepted.sent_messages
            raise LineError(409, body, {"x-line-accepted-request-id": accepted.request_id})

    def _recipients(self, to: str) -> int | None:
        user = self._users.get(to)
        if user is not None and user.friend:
            return 1
        group = self._groups.get(to)
        return group.member_count if group is not None else None

    def _check_mentions(self, chat_id: str | None, messages: list[dict[str, Any]]) -> None:
        group = self._groups.get(chat_id) if chat_id else None
        details = mention_errors(messages, group.members if group is not None else None)
        if details:
            raise LineError(400, error_body(details))

    def _charge(self, cost: int) -> None:
        month = self._month()
        if self._quota is not None and self._usage.get(month, 0) + cost > self._quota:
            raise LineError(429, {"message": "You have reached your monthly limit."})
        self._usage[month] = self._usage.get(month, 0) + cost

    def _month(self) -> tuple[int, int]:
        now = time.gmtime(self.clock())
        return now.tm_year, now.tm_mon

    def _record(self, kind: str, to: str, messages: list[dict[str, Any]], cost: int,
                token: str | None, retry_key: str | None, silent: bool) -> Delivery:
        sent = []
        for message in messages:
            self._next_message += 1
            entry = {"id": str(self._next_message)}
            if message.get("type") in QUOTABLE:
                entry["quoteToken"] = secrets.token_urlsafe(24)
            sent.append(entry)
        delivery = Delivery(self._next_delivery, kind, to, token, retry_key, messages, cost,
                            self.clock(), silent, sent)
        self._next_delivery += 1
        self._deliveries.append(delivery)
        return delivery

    # -- records for tests --------------------------------------------------
    def deliveries(self, kind: str | None = None, to: str | None = None, *,
                   after: int = 0) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if d.id > after
                    and (kind is None or d.kind == kind) and (to is None or d.to == to)]

    def texts(self, to: str | None = None) -> list[str]:
        """The text of every text/textV2 message delivered (a flex message's altText)."""
        out = []
        for delivery in self.deliveries(to=to):
            for message in delivery.messages:
                if message.get("type") in ("text", "textV2"):
                    out.append(message["text"])
                elif message.get("type") == "flex":
                    out.append(message["altText"])
        return out

    def received(self) -> dict[str, dict[str, dict[str, int]]]:
        """What reached this server, per reply token and per retry key: how many calls
        (``calls``, whatever they were answered) and how many deliveries (``delivered``).
        A token with two calls was retried; a key delivered twice was sent twice."""
        with self._lock:
            out: dict[str, dict[str, dict[str, int]]] = {"reply_tokens": {}, "retry_keys": {}}
            for r in self._requests:
                if r.path == "/v2/bot/message/reply":
                    key = str((r.body or {}).get("replyToken"))
                    out["reply_tokens"].setdefault(key, {"calls": 0, "delivered": 0})["calls"] += 1
                elif r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast"):
                    out["retry_keys"].setdefault(str(r.retry_key), {"calls": 0, "delivered": 0})["calls"] += 1
            for d in self._deliveries:
                if d.kind == "reply":
                    out["reply_tokens"].setdefault(str(d.reply_token), {"calls": 0, "delivered": 0})["delivered"] += 1
                else:
                    out["retry_keys"].setdefault(str(d.retry_key), {"calls": 0, "delivered": 0})["delivered"] += 1
            return out

    def log_request(self, entry: RequestLog) -> None:
        with self._lock:
            self._requests.append(entry)

    def requests(self) -> list[RequestLog]:
        with self._lock:
            return list(self._requests)

    # -- faults -------------------------------------------------------------
    def inject_fault(self, path_prefix: str, *, status: int | None = None,
                     latency: float = 0.0, times: int = 1,
                     body: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._faults.append(Fault(path_prefix, status, latency, times, body))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random_faults.clear()

    def faults(self) -> list[Fault]:
        """Faults not used up yet: one gone means a request reached the server."""
        with self._lock:
            return list(self._faults)

    def inject_random_faults(self, path_prefix: str, *, rate: float,
                             outcomes: Sequence[int | str] = (500, 429, "timeout"),
                             latency: float = 1.0, seed: int = 0) -> None:
        with self._lock:
            self._random_faults.append(_RandomFaults(path_prefix, rate, tuple(outcomes), latency,
                                                     random.Random(seed)))

    def take_fault(self, path: str) -> Fault | None:
        """The first fault matching ``path``, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix) and fault.times != 0:
                    if fault.times > 0:
                        fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
            for drawn in self._random_faults:
                if path.startswith(drawn.path_prefix) and drawn.rng.random() < drawn.rate:
                    outcome = drawn.rng.choice(drawn.outcomes)
                    if outcome == "timeout":
                        return Fault(path, None, drawn.latency)
                    return Fault(path, int(outcome))
            return None

    # -- rate limit ---------------------------------------------------------
    def admit(self, family: str) -> None:
        """Count one request of ``family`` ("reply", "push"); 429 past the rate limit."""
        if self.rate_limit is None:
            return
        with self._lock:
            now = time.monotonic()
            recent = self._recent.setdefault(family, deque())
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= self.rate_limit:
                self._rate_limited += 1
                raise LineError(429, {"message": "The API rate limit has been exceeded. Try again later."})
            recent.append(now)

    def rate_limited(self) -> int:
        """How many requests were refused for the rate limit."""
        with self._lock:
            return self._rate_limited

    # -- quota --------------------------------------------------------------
    def set_quota(self, limit: int | None) -> None:
        """The monthly limit; None means unlimited (LINE's quota type "none")."""
        with self._lock:
            self._quota = limit

    def quota(self) -> int | None:
        with self._lock:
            return self._quota

    def usage(self) -> int:
        with self._lock:
            return self._usage.get(self._month(), 0)

    # -- rich menus ---------------------------------------------------------
    def rich_menus(self) -> list[RichMenu]:
        return self.rich_menu_store.all()

    def default_rich_menu(self) -> RichMenu | None:
        return self.rich_menu_store.default()

    def reset(self) -> None:
        """Forget everything (delivery ids keep counting up so pollers stay correct)."""
        with self._lock:
            self._clear()
