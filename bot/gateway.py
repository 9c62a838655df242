"""The LINE gateway: the only module that imports ``linebot.v3.messaging``.

Messages travel through Kaona as LINE's own JSON message objects (plain dicts);
here they become SDK requests, built inside the translated call so that the SDK's
``ValidationError`` leaves as ``LineRequestInvalid``. Every call has a timeout and
is tried once: retries are the outbox's (a push keeps its ``X-Line-Retry-Key``
across them, a reply is never retried). SDK and network errors leave this module
only as ``plans.errors.LineApiError`` subclasses, chosen by ``ERRORS_BY_STATUS``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    AsyncApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuRequest,
    ShowLoadingAnimationRequest,
)
from pydantic import ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1  # the SDK's models are pydantic v1

from bot.settings import Settings
from plans.errors import (
    FileTooLarge,
    InvalidReplyToken,
    LineApiError,
    LineAuthError,
    LineBadRequest,
    LineConflict,
    LineNotFound,
    LineQuotaExhausted,
    LineRateLimited,
    LineRequestInvalid,
    LineServerError,
    LineUnavailable,
    LineUnreachable,
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
    def __init__(self, settings: Settings) -> None:
        config = Configuration(
            host=settings.line_api_base_url or LINE_API,
            access_token=settings.channel_access_token,
        )
        # urllib3 would otherwise retry on its own (3 times, some POSTs included):
        # retries are the outbox's, where a reply is never retried and a push keeps its key.
        config.retries = urllib3.Retry(total=0, redirect=False, raise_on_status=False)
        # One connection per delivery thread, kept alive: many calls in flight at once.
        config.connection_pool_maxsize = max(4, settings.delivery_threads + 4)
        self._client = ApiClient(config)
        self._api = MessagingApi(self._client)
        self._timeout = (settings.line_connect_timeout, settings.line_read_timeout)

    def close(self) -> None:
        self._client.close()

    def async_replies(self, *, in_flight: int) -> AsyncReplies:
        """A reply sender for one asyncio loop (the delivery pool's): many replies in
        flight on one thread. Made, used and closed inside that loop."""
        return AsyncReplies(self, in_flight=in_flight)

    def reply(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> None:
        body = {"replyToken": reply_token, "messages": list(messages)}
        if not 1 <= len(body["messages"]) <= 5:  # the SDK's model says why, as LineRequestInvalid
            self._call(lambda: self._api.reply_message(ReplyMessageRequest.from_dict(body),
                                                       _request_timeout=self._timeout))  # fmt: skip
            return
        self._call(lambda: self._post_json("/v2/bot/message/reply", body))

    def _post_json(self, path: str, body: dict[str, Any]) -> None:
        """POST LINE's own JSON through the SDK's client (its auth, connections, no
        retries), without building the SDK's model of it and serializing that back:
        for a reply, that costs more than the rest of the event's way through Kaona.
        The messages are Kaona's own (``bot.render``); LINE still checks them (a 400)."""
        self._client.call_api(
            path, "POST", {}, [], {"Accept": "application/json", "Content-Type": "application/json"},
            body=body, response_types_map={}, auth_settings=["Bearer"], _return_http_data_only=True,
            _request_timeout=self._timeout,
        )  # fmt: skip

    def push(self, to: str, messages: Sequence[dict[str, Any]], *, retry_key: str) -> bool:
        """One try under ``retry_key``. True if LINE took it now, False if it had already
        accepted this retry key (409: delivered earlier, not again)."""
        try:
            self._call(
                lambda: self._api.push_message(
                    PushMessageRequest.from_dict({"to": to, "messages": list(messages)}),
                    x_line_retry_key=retry_key,
                    _request_timeout=self._timeout,
                )
            )
        except LineConflict:
            return False
        return True

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
        self._call(
            lambda: self._api.show_loading_animation(
                ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds),
                _request_timeout=self._timeout,
            )
        )

    # -- rich menus ---------------------------------------------------------
    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Create a rich menu from LINE's JSON object; its richMenuId."""
        created = self._call(
            lambda: self._api.create_rich_menu(RichMenuRequest.from_dict(menu), _request_timeout=self._timeout)
        )
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
        """Run one SDK call, building its request inside, and translate what it raises."""
        try:
            return fn()
        except ApiException as exc:
            raise translate(exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            if _never_connected(exc):
                raise LineUnreachable(f"LINE API could not be reached: {exc}") from exc
            raise LineUnavailable(f"LINE API did not answer: {exc}") from exc
        except (ValidationError, ValidationErrorV1) as exc:
            raise LineRequestInvalid(f"the SDK refused the request: {exc}") from exc


class AsyncReplies:
    """``LineGateway.reply`` through the SDK's asyncio client (aiohttp): the same
    request, the same rules and the same errors, with up to ``in_flight`` calls open
    at once on the loop it was made in."""

    def __init__(self, gateway: LineGateway, *, in_flight: int) -> None:
        base = gateway._client.configuration
        config = Configuration(host=base.host, access_token=base.access_token)
        config.connection_pool_maxsize = max(1, in_flight)
        self._gateway = gateway
        self._client = AsyncApiClient(config)
        # The SDK's session reads the proxy variables and ~/.netrc on every request (on a
        # thread of asyncio's executor: a thread hop and two file reads per reply). Like
        # the SDK's own synchronous client, this one takes a proxy from the configuration
        # only (``Configuration.proxy``): same connection limit, no environment look-ups.
        rest = self._client.rest_client
        self._sdk_session = rest.pool_manager
        rest.pool_manager = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=config.connection_pool_maxsize),
                                                  trust_env=False)  # fmt: skip
        connect, read = gateway._timeout
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)

    async def reply(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> None:
        body = {"replyToken": reply_token, "messages": list(messages)}
        if not 1 <= len(body["messages"]) <= 5:  # the SDK's model refuses it: no call is made
            self._gateway._call(lambda: ReplyMessageRequest.from_dict(body))
            raise LineRequestInvalid(f"a reply takes 1 to 5 messages, not {len(body['messages'])}")
        try:
            await self._client.call_api(
                "/v2/bot/message/reply", "POST", {}, [], {"Accept": "application/json", "Content-Type": "application/json"},
                body=body, response_types_map={}, auth_settings=["Bearer"], _return_http_data_only=True,
                _request_timeout=self._timeout,
            )  # fmt: skip
        except ApiException as exc:
            raise translate(exc) from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise LineUnreachable(f"LINE API could not be reached: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise LineUnavailable(f"LINE API did not answer: {exc!r}") from exc

    async def close(self) -> None:
        await self._sdk_session.close()
        await self._client.close()


def _never_connected(exc: urllib3.exceptions.HTTPError) -> bool:
    """Whether the call failed before a connection was made, so nothing reached LINE."""
    reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


# Most specific first: the first status range that holds the status decides the class.
ERRORS_BY_STATUS: tuple[tuple[range, type[LineApiError]], ...] = (
    (range(400, 401), LineBadRequest),
    (range(401, 402), LineAuthError),
    (range(403, 404), LineAuthError),
    (range(404, 405), LineNotFound),
    (range(409, 410), LineConflict),
    (range(429, 430), LineRateLimited),
    (range(500, 600), LineServerError),
)
# LINE tells these apart only in the message of the same status.
INVALID_REPLY_TOKEN = "invalid reply token"
MONTHLY_LIMIT = "monthly limit"


def translate(exc: ApiException) -> LineApiError:
    status = int(exc.status or 0)
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else (exc.body or "")
    message = _message_of(body) or str(exc.reason or "")
    cls = next((cls for statuses, cls in ERRORS_BY_STATUS if status in statuses), LineApiError)
    if cls is LineBadRequest and INVALID_REPLY_TOKEN in message.lower():
        cls = InvalidReplyToken
    elif cls is LineRateLimited and MONTHLY_LIMIT in message.lower():
        cls = LineQuotaExhausted
    return cls(f"LINE API {status}: {message}", status=status, body=body, headers=dict(exc.headers or {}))


def _message_of(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200]
    return str(parsed.get("message", "")) if isinstance(parsed, dict) else ""
