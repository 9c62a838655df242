"""The LINE gateway: the only module that imports ``linebot.v3.messaging``.

Messages travel through Kaona as LINE's own JSON message objects (plain dicts);
here they become SDK requests. Every call has a timeout. A push is retried on
5xx, 429 (rate limit, not the monthly quota) and no answer, with backoff and the
SAME ``X-Line-Retry-Key``; a reply is never retried (its token is single-use).
SDK and network errors leave this module only as ``plans.errors.LineApiError``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
)

from bot.settings import Settings
from plans.errors import (
    FileTooLarge,
    InvalidReplyToken,
    LineApiError,
    LineAuthError,
    LineBadRequest,
    LineConflict,
    LineNotFound,
    LineRateLimited,
    LineServerError,
    LineUnavailable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"  # uploads and downloads of content


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str


@dataclass(frozen=True)
class Content:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no monthly limit
    used: int


class LineGateway:
    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        config = Configuration(
            host=settings.line_api_base_url or LINE_API,
            access_token=settings.channel_access_token,
        )
        # urllib3 would otherwise retry on its own (3 times, some POSTs included):
        # retries are decided here, where a reply is never retried and a push keeps its key.
        config.retries = urllib3.Retry(total=0, redirect=False, raise_on_status=False)
        self._client = ApiClient(config)
        self._api = MessagingApi(self._client)
        self._timeout = (settings.line_connect_timeout, settings.line_read_timeout)
        self._retries = settings.push_max_retries
        self._backoff = settings.push_backoff_base
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def reply(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> None:
        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": list(messages)})
        self._call(lambda: self._api.reply_message(request, _request_timeout=self._timeout))

    def push(self, to: str, messages: Sequence[dict[str, Any]], *, retry_key: str) -> bool:
        """Push with retries under one retry key. True if LINE took it now, False if it
        had already accepted this retry key (409: delivered earlier, not again)."""
        request = PushMessageRequest.from_dict({"to": to, "messages": list(messages)})
        attempt = 0
        while True:
            try:
                self._call(
                    lambda: self._api.push_message(
                        request, x_line_retry_key=retry_key, _request_timeout=self._timeout
                    )
                )
                return True
            except LineConflict:
                return False
            except (LineServerError, LineUnavailable, LineRateLimited) as exc:
                if isinstance(exc, LineRateLimited) and exc.quota_exhausted:
                    raise
                if attempt >= self._retries:
                    raise
                delay = _retry_after(exc) or self._backoff * 2**attempt
                log.warning("push to %s failed (%s); retry %d in %.1fs with the same key", to, exc, attempt + 1, delay)
                self._sleep(delay)
                attempt += 1

    def profile(self, user_id: str) -> Profile:
        found = self._call(lambda: self._api.get_profile(user_id, _request_timeout=self._timeout))
        return Profile(user_id=found.user_id, display_name=found.display_name)

    def group_member_profile(self, group_id: str, user_id: str) -> Profile:
        found = self._call(
            lambda: self._api.get_group_member_profile(group_id, user_id, _request_timeout=self._timeout)
        )
        return Profile(user_id=found.user_id, display_name=found.display_name)

    def group_name(self, group_id: str) -> str:
        summary = self._call(lambda: self._api.get_group_summary(group_id, _request_timeout=self._timeout))
        return str(summary.group_name)

    def group_member_count(self, group_id: str) -> int:
        found = self._call(lambda: self._api.get_group_member_count(group_id, _request_timeout=self._timeout))
        return int(found.count)

    def quota(self) -> Quota:
        limit = self._call(lambda: self._api.get_message_quota(_request_timeout=self._timeout))
        used = self._call(lambda: self._api.get_message_quota_consumption(_request_timeout=self._timeout))
        value = limit.value if limit.type == "limited" else None
        return Quota(limit=value, used=int(used.total_usage))

    def message_content(self, message_id: str, *, limit: int) -> Content:
        """The photo or file of a message (LINE keeps it for a while after sending).
        Over ``limit`` bytes: FileTooLarge. Content is served by api-data, so like an
        upload it gets a client of its own."""
        with ApiClient(self._data_configuration()) as client:
            blob = MessagingApiBlob(client)
            found = self._call(
                lambda: blob.get_message_content_with_http_info(message_id, _request_timeout=self._timeout)
            )
        data = bytes(found.data or b"")
        if len(data) > limit:
            raise FileTooLarge(f"message {message_id}: {len(data)} bytes, over {limit}")
        headers = {k.lower(): v for k, v in (found.headers or {}).items()}
        return Content(data=data, content_type=str(headers.get("content-type", "application/octet-stream")))

    def show_loading(self, user_id: str, seconds: int = 5) -> None:
        request = ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
        self._call(lambda: self._api.show_loading_animation(request, _request_timeout=self._timeout))

    # -- rich menus ---------------------------------------------------------
    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Create a rich menu from LINE's JSON object; its richMenuId."""
        request = RichMenuRequest.from_dict(menu)
        created = self._call(lambda: self._api.create_rich_menu(request, _request_timeout=self._timeout))
        return str(created.rich_menu_id)

    def upload_rich_menu_image(self, rich_menu_id: str, png: bytes) -> None:
        # LINE takes content only at api-data.line.me, but the SDK sends every call to the
        # configured host (api.line.me), so uploads get a client of their own. Installing a
        # menu is rare: a short-lived client costs nothing here.
        with ApiClient(self._data_configuration()) as client:
            blob = MessagingApiBlob(client)
            self._call(
                lambda: blob.set_rich_menu_image(
                    rich_menu_id,
                    png,
                    _headers={"Content-Type": "image/png"},
                    _request_timeout=self._timeout,
                )
            )

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        self._call(lambda: self._api.set_default_rich_menu(rich_menu_id, _request_timeout=self._timeout))

    def default_rich_menu(self) -> str | None:
        """The default rich menu's ID, or None when there is none."""
        try:
            found = self._call(lambda: self._api.get_default_rich_menu_id(_request_timeout=self._timeout))
        except LineNotFound:
            return None
        return str(found.rich_menu_id)

    def list_rich_menus(self, name_prefix: str = "") -> list[str]:
        """The IDs of the channel's rich menus whose name starts with ``name_prefix``."""
        found = self._call(lambda: self._api.get_rich_menu_list(_request_timeout=self._timeout))
        return [str(menu.rich_menu_id) for menu in found.richmenus if menu.name.startswith(name_prefix)]

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        self._call(lambda: self._api.delete_rich_menu(rich_menu_id, _request_timeout=self._timeout))

    def _data_configuration(self) -> Configuration:
        """The configuration for api-data calls: LINE's data host, or the same configured
        host when one was set (the local LINE server serves both)."""
        base = self._client.configuration
        config = Configuration(
            host=LINE_DATA_API if base.host == LINE_API else base.host,
            access_token=base.access_token,
        )
        config.retries = base.retries
        return config

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ApiException as exc:
            raise translate(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise LineUnavailable(f"LINE API did not answer: {exc}") from exc


def translate(exc: ApiException) -> LineApiError:
    status = int(exc.status or 0)
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    message = _message_of(body) or str(exc.reason or "")
    text = f"LINE API {status}: {message}"
    error: LineApiError
    if status == 400 and "reply token" in message.lower():
        error = InvalidReplyToken(text, status=status, body=body)
    elif status == 400:
        error = LineBadRequest(text, status=status, body=body)
    elif status in (401, 403):
        error = LineAuthError(text, status=status, body=body)
    elif status == 404:
        error = LineNotFound(text, status=status, body=body)
    elif status == 409:
        error = LineConflict(text, status=status, body=body)
    elif status == 429:
        error = LineRateLimited(text, status=status, body=body)
    elif status >= 500:
        error = LineServerError(text, status=status, body=body)
    else:
        error = LineApiError(text, status=status, body=body)
    error.headers = dict(exc.headers or {})
    return error


def _message_of(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200]
    return str(parsed.get("message", "")) if isinstance(parsed, dict) else ""


def _retry_after(exc: LineApiError) -> float | None:
    value = {k.lower(): v for k, v in exc.headers.items()}.get("retry-after")
    try:
        return min(float(value), 30.0) if value is not None else None
    except ValueError:
        return None
