"""The LINE platform side: events as LINE sends them, signed, posted to a (tiny) bot."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, request
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)
from werkzeug.serving import make_server

from bot.localline import (
    LocalLineServer,
    WebhookClient,
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

SECRET = "channel-secret"
CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


@dataclass
class EchoBot:
    """A minimal bot: verifies the signature, echoes text with the reply token."""

    url: str
    headers: list[dict[str, str]] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


@pytest.fixture
def line() -> Iterator[LocalLineServer]:
    with LocalLineServer() as server:
        yield server


@pytest.fixture
def bot(line: LocalLineServer) -> Iterator[EchoBot]:
    parser = WebhookParser(SECRET)
    app = Flask("echo")
    api_client = ApiClient(Configuration(host=line.url, access_token="local-token"))
    state = EchoBot("")

    @app.post("/callback")
    def callback() -> tuple[str, int]:
        state.headers.append(dict(request.headers))
        try:
            events = parser.parse(request.get_data(as_text=True),
                                  request.headers.get("X-Line-Signature", ""))
        except InvalidSignatureError:
            return "bad signature", 400
        for event in events:
            state.events.append(event)
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                MessagingApi(api_client).reply_message(ReplyMessageRequest(
                    reply_token=event.reply_token,
                    messages=[TextMessage(text="echo: " + event.message.text)]))
        return "OK", 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/callback"
    yield state
    server.shutdown()
    server.server_close()
    api_client.close()


def parse(events: list[dict[str, Any]]) -> list[Any]:
    body = webhook_body(events)
    return WebhookParser(SECRET).parse(body.decode("utf-8"), sign(body, SECRET))


def test_signature_verifies_with_the_sdk_and_events_parse_to_their_types() -> None:
    events = [
        text_event(user_source("U1"), "สวัสดีครับ 😀"),
        text_event(group_source("C1", "U1"), "ในกลุ่ม"),
        postback_event(room_source("R1", "U1"), "action=report",
                       params={"date": "2025-10-01"}),
        follow_event("U1"), unfollow_event("U1"), join_event("C1"), leave_event("R1"),
        member_joined_event("C1", ["U2", "U3"]), member_left_event("C1", ["U2"]),
    ]
    parsed = parse(events)
    assert [type(e) for e in parsed] == [
        MessageEvent, MessageEvent, PostbackEvent, FollowEvent, UnfollowEvent, JoinEvent,
        LeaveEvent, MemberJoinedEvent, MemberLeftEvent]
    assert parsed[0].message.text == "สวัสดีครับ 😀" and parsed[0].message.quote_token
    assert isinstance(parsed[0].source, UserSource)
    assert isinstance(parsed[1].source, GroupSource) and parsed[1].source.user_id == "U1"
    assert isinstance(parsed[2].source, RoomSource)
    assert parsed[2].postback.params == {"date": "2025-10-01"}
    assert isinstance(parsed[6].source, RoomSource)
    assert [m.user_id for m in parsed[7].joined.members] == ["U2", "U3"]
    assert [e.webhook_event_id for e in parsed] == [e["webhookEventId"] for e in events]
    assert all(e.delivery_context.is_redelivery is False for e in parsed)


def test_a_wrong_secret_fails_verification() -> None:
    body = webhook_body([text_event(user_source("U1"), "x")])
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(body.decode(), sign(body, "other-secret"))


def test_reply_tokens_only_where_line_gives_them() -> None:
    assert "replyToken" not in unfollow_event("U1")
    assert "replyToken" not in leave_event("C1")
    assert "replyToken" not in member_left_event("C1", ["U1"])
    assert join_event("C1", "t" * 32)["replyToken"] == "t" * 32
    standby = text_event(user_source("U1"), "x", mode="standby")
    assert standby["mode"] == "standby" and "replyToken" not in standby


def test_body_is_utf8_json_with_a_33_char_destination() -> None:
    body = webhook_body([text_event(user_source("U1"), "ก้าวหน้า")])
    assert "ก้าวหน้า".encode() in body
    payload = json.loads(body)
    assert len(payload["destination"]) == 33 and payload["destination"].startswith("U")
    assert payload["events"][0]["deliveryContext"] == {"isRedelivery": False}


def test_ulids_are_unique_sorted_and_crockford() -> None:
    ids = [new_ulid() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(len(i) == 26 and set(i) <= CROCKFORD for i in ids)


def test_event_ids_and_timestamps_increase() -> None:
    events = [text_event(user_source("U1"), str(i)) for i in range(200)]
    stamps = [e["timestamp"] for e in events]
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False))
    ids = [e["webhookEventId"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 200


def test_client_posts_signed_events_and_the_bot_replies(line: LocalLineServer,
                                                       bot: EchoBot) -> None:
    client = WebhookClient(bot.url, SECRET, world=line.world)
    status, elapsed = client.send_text(group_source("C7", "U7"), "ทดสอบ")
    assert status == 200 and elapsed > 0
    headers = bot.headers[0]
    assert headers["User-Agent"] == "LineBotWebhook/2.0"
    assert headers["Content-Type"].startswith("application/json")
    assert line.world.texts(to="C7") == ["echo: ทดสอบ"]
    assert line.world.group("C7") is not None


def test_client_without_a_world_uses_the_control_endpoints(line: LocalLineServer,
                                                          bot: EchoBot) -> None:
    client = WebhookClient(bot.url, SECRET, line_url=line.url)
    result = client.send_text(user_source("U8"), "จากอีกโปรเซส")
    assert result.status == 200 and result.reply_token
    assert line.world.texts(to="U8") == ["echo: จากอีกโปรเซส"]
    assert client.follow("U9").status == 200
    assert client.unfollow("U9").status == 200
    assert line.world.user("U9") is not None and not line.world.user("U9").friend  # type: ignore
    assert client.join("C9").status == 200 and line.world.group("C9") is not None
    assert client.leave("C9").status == 200 and line.world.group("C9") is None
    assert [type(e) for e in bot.events] == [MessageEvent, FollowEvent, UnfollowEvent,
                                              JoinEvent, LeaveEvent]


def test_postback_and_wrong_secret_through_the_client(line: LocalLineServer,
                                                       bot: EchoBot) -> None:
    client = WebhookClient(bot.url, SECRET, world=line.world)
    assert client.send_postback(user_source("U1"), "a=1", params={"time": "10:00"}).status == 200
    assert isinstance(bot.events[-1], PostbackEvent)
    assert bot.events[-1].postback.params == {"time": "10:00"}
    wrong = WebhookClient(bot.url, "not-the-secret", world=line.world)
    assert wrong.send_text(user_source("U1"), "x").status == 400


def test_client_needs_a_world_or_a_line_url() -> None:
    with pytest.raises(ValueError):
        WebhookClient("http://127.0.0.1:1/callback", SECRET)
