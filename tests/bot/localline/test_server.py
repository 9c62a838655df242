"""The local LINE server, driven over real HTTP by the real line-bot-sdk."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    FlexContainer,
    FlexMessage,
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)

from bot.localline import LocalLineServer, World, group_source, user_source

TOKEN = "local-token"
Raw = tuple[int, dict[str, Any], dict[str, str]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def srv(clock: FakeClock) -> Iterator[LocalLineServer]:
    with LocalLineServer(clock=clock) as server:
        world = server.world
        world.add_user("U1", "สมชาย")
        world.add_user("U2", "สมหญิง")
        world.add_user("U3", "ไม่ใช่เพื่อน", friend=False)
        world.add_group("C1", "กลุ่มแผนงาน", ["U1", "U2", "U3"])
        yield server


@pytest.fixture
def api(srv: LocalLineServer) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=srv.url, access_token=TOKEN)) as client:
        yield MessagingApi(client)


def raw(srv: LocalLineServer, method: str, path: str, body: Any = None, *,
        token: str | None = TOKEN, headers: dict[str, str] | None = None,
        data: bytes | None = None) -> Raw:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if data is None and body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(srv.url + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def error_of(exc: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    return json.loads(exc.value.body)


def text(t: str) -> dict[str, str]:
    return {"type": "text", "text": t}


def reply(api: MessagingApi, token: str, *texts: str) -> Any:
    messages = [TextMessage(text=t) for t in texts]
    return api.reply_message(ReplyMessageRequest(reply_token=token, messages=messages))


def push(api: MessagingApi, to: str, t: str, key: str | None = None) -> Any:
    request = PushMessageRequest(to=to, messages=[TextMessage(text=t)])
    return api.push_message_with_http_info(request, x_line_retry_key=key or str(uuid4()))


# -- auth and basics ---------------------------------------------------------------
def test_every_endpoint_requires_the_bearer_token(srv: LocalLineServer) -> None:
    for method, path, body in [("GET", "/v2/bot/message/quota", None),
                               ("POST", "/v2/bot/message/push", {"to": "U1",
                                                                  "messages": [text("x")]})]:
        for token in (None, "wrong"):
            status, out, _ = raw(srv, method, path, body, token=token)
            assert status == 401
            assert out["message"].startswith("Authentication failed")
    assert srv.world.deliveries() == []


def test_sdk_with_a_wrong_token_gets_401(srv: LocalLineServer) -> None:
    with ApiClient(Configuration(host=srv.url, access_token="nope")) as client:
        with pytest.raises(ApiException) as exc:
            MessagingApi(client).get_message_quota()
    assert exc.value.status == 401


def test_every_response_carries_a_request_id_and_is_logged(srv: LocalLineServer) -> None:
    raw(srv, "GET", "/v2/bot/message/quota")
    raw(srv, "GET", "/v2/bot/profile/U9")
    _, _, headers = raw(srv, "POST", "/v2/bot/message/reply", {"replyToken": "x",
                                                               "messages": [text("a")]})
    assert len(headers["x-line-request-id"]) == 36
    logged = [(r.method, r.path, r.status) for r in srv.world.requests()]
    assert logged == [("GET", "/v2/bot/message/quota", 200), ("GET", "/v2/bot/profile/U9", 404),
                      ("POST", "/v2/bot/message/reply", 400)]
    assert srv.world.requests()[2].request_id == headers["x-line-request-id"]


def test_malformed_json_is_a_400_with_details(srv: LocalLineServer) -> None:
    status, out, _ = raw(srv, "POST", "/v2/bot/message/push", data=b"{not json")
    assert status == 400
    assert out["message"] == "The request body has 1 error(s)"
    assert out["details"][0]["message"]


def test_context_manager_binds_an_ephemeral_port() -> None:
    with LocalLineServer() as a, LocalLineServer() as b:
        assert a.url.startswith("http://127.0.0.1:") and a.port != b.port
        assert isinstance(a.world, World)
    with pytest.raises(RuntimeError):
        _ = a.url


def test_on_waitress_connections_are_kept_alive_and_calls_answered_at_once() -> None:
    """``threads``: as LINE's API, one connection carries call after call (werkzeug's
    server closes each); calls slowed by a fault are answered side by side, and the
    server stops with connections still open."""
    with LocalLineServer(threads=4) as server:
        port = server.port
        server.world.add_user("U1", "สมชาย")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        sockets = []
        for _ in range(3):
            token = server.world.issue_reply_token(user_source("U1"))
            body = json.dumps({"replyToken": token, "messages": [{"type": "text", "text": "สวัสดี"}]})
            conn.request("POST", "/v2/bot/message/reply", body,
                         {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            response = conn.getresponse()
            assert (response.status, response.getheader("Connection")) == (200, None)
            response.read()
            sockets.append(conn.sock)
        assert sockets[0] is not None and sockets == [sockets[0]] * 3
        assert server.world.texts(to="U1") == ["สวัสดี"] * 3
        server.world.inject_fault("/v2/bot/", latency=0.5, times=-1)
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: _get(port, "/v2/bot/profile/U1"), range(4)))
        assert statuses == [200] * 4 and time.monotonic() - started < 1.5
    with pytest.raises(OSError):  # stopped: nothing listens any more
        _get(port, "/v2/bot/profile/U1")


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    return conn.getresponse().status


# -- reply -------------------------------------------------------------------------
def test_reply_is_delivered_free_to_the_chat_of_the_token(srv: LocalLineServer,
                                                          api: MessagingApi) -> None:
    token = srv.world.issue_reply_token(group_source("C1", "U1"))
    response = reply(api, token, "สวัสดี", "ครับ")
    assert [m.id.isdigit() for m in response.sent_messages] == [True, True]
    (delivery,) = srv.world.deliveries()
    assert (delivery.kind, delivery.to, delivery.reply_token, delivery.cost) == (
        "reply", "C1", token, 0)
    assert srv.world.texts(to="C1") == ["สวัสดี", "ครับ"]
    assert srv.world.usage() == 0


def test_reply_token_is_single_use(srv: LocalLineServer, api: MessagingApi) -> None:
    token = srv.world.issue_reply_token(user_source("U1"))
    reply(api, token, "one")
    with pytest.raises(ApiException) as exc:
        reply(api, token, "two")
    assert exc.value.status == 400
    assert error_of(exc) == {"message": "Invalid reply token"}
    assert srv.world.texts() == ["one"]


def test_unknown_reply_token_is_rejected(api: MessagingApi) -> None:
    with pytest.raises(ApiException) as exc:
        reply(api, "0" * 32, "hi")
    assert exc.value.status == 400


def test_reply_token_expires_after_the_ttl(srv: LocalLineServer, api: MessagingApi,
                                           clock: FakeClock) -> None:
    fresh = srv.world.issue_reply_token(user_source("U1"))
    stale = srv.world.issue_reply_token(user_source("U1"))
    clock.now += 59
    reply(api, fresh, "in time")
    clock.now += 2
    with pytest.raises(ApiException) as exc:
        reply(api, stale, "too late")
    assert error_of(exc) == {"message": "Invalid reply token"}


def test_expire_reply_tokens_ages_outstanding_tokens(srv: LocalLineServer,
                                                     api: MessagingApi) -> None:
    token = srv.world.issue_reply_token(user_source("U1"))
    srv.world.expire_reply_tokens()
    with pytest.raises(ApiException):
        reply(api, token, "late")


def test_a_rejected_reply_does_not_consume_the_token(srv: LocalLineServer,
                                                     api: MessagingApi) -> None:
    token = srv.world.issue_reply_token(user_source("U1"))
    with pytest.raises(ApiException) as exc:
        reply(api, token, "ก" * 5001)
    assert error_of(exc)["details"][0]["property"] == "messages[0].text"
    reply(api, token, "ก" * 5000)
    assert len(srv.world.deliveries()) == 1


def test_issue_reply_token_registers_unknown_users_and_groups(srv: LocalLineServer) -> None:
    world = srv.world
    token = world.issue_reply_token(group_source("C9", "U77777"))
    assert len(token) == 32 and int(token, 16) >= 0
    group, user = world.group("C9"), world.user("U77777")
    assert group is not None and group.members == ["U77777"]
    assert user is not None and user.display_name == "ผู้ใช้ U7777" and not user.friend
    world.issue_reply_token(user_source("U88888"))
    assert world.user("U88888") is not None and world.user("U88888").friend  # type: ignore


# -- text limits -------------------------------------------------------------------
@pytest.mark.parametrize(("body", "ok"), [
    ("ก" * 5000, True), ("ก" * 5001, False), ("😀" * 2500, True), ("😀" * 2500 + "a", False),
    ("ส" * 4998 + "😀", True), ("ส" * 4999 + "😀", False),
])
def test_text_limit_counts_utf16_code_units(srv: LocalLineServer, api: MessagingApi,
                                           body: str, ok: bool) -> None:
    if ok:
        push(api, "U1", body)
        assert srv.world.texts() == [body]
    else:
        with pytest.raises(ApiException) as exc:
            push(api, "U1", body)
        assert exc.value.status == 400
        assert error_of(exc)["details"] == [{"message": "Length must be between 1 and 5000",
                                             "property": "messages[0].text"}]
        assert srv.world.usage() == 0


@pytest.mark.parametrize(("message", "prop"), [
    ({"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": "a", "text": "a"}}] * 14}},
     "messages[0].quickReply.items"),
    ({"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": "ก" * 21, "text": "a"}}]}},
     "messages[0].quickReply.items[0].action.label"),
    ({"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "a", "data": "d" * 301}}]}},
     "messages[0].quickReply.items[0].action.data"),
    ({"type": "flex", "altText": "a" * 1501, "contents": {"type": "bubble"}},
     "messages[0].altText"),
    ({"type": "flex", "altText": "a", "contents": {"type": "carousel",
                                                   "contents": [{"type": "bubble"}] * 13}},
     "messages[0].contents.contents"),
    ({"type": "template", "altText": "a", "template": {}}, "messages[0].type"),
])
def test_server_rejects_what_line_would(srv: LocalLineServer, message: dict[str, Any],
                                        prop: str) -> None:
    status, out, _ = raw(srv, "POST", "/v2/bot/message/push", {"to": "U1",
                                                               "messages": [message]})
    assert status == 400
    assert [d["property"] for d in out["details"]] == [prop]
    assert srv.world.deliveries() == []


def test_six_messages_are_rejected(srv: LocalLineServer) -> None:
    token = srv.world.issue_reply_token(user_source("U1"))
    status, out, _ = raw(srv, "POST", "/v2/bot/message/reply",
                         {"replyToken": token, "messages": [text("x")] * 6})
    assert status == 400
    assert out["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]


def test_all_errors_are_collected(srv: LocalLineServer) -> None:
    status, out, _ = raw(srv, "POST", "/v2/bot/message/push",
                         {"to": "U1", "messages": [text(""), text("x" * 5001), {"type": "x"}]})
    assert status == 400
    assert out["message"] == "The request body has 3 error(s)"


def test_valid_flex_from_the_sdk_is_accepted(srv: LocalLineServer, api: MessagingApi) -> None:
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "button", "action": {"type": "postback", "label": "รายงานความก้าวหน้า",
                                      "data": "action=report&id=1"}}]}}
    message = FlexMessage(alt_text="แผนงาน", contents=FlexContainer.from_json(json.dumps(bubble)))
    api.push_message(PushMessageRequest(to="U1", messages=[message]))
    assert srv.world.texts() == ["แผนงาน"]
    assert "quoteToken" not in srv.world.deliveries()[0].sent_messages[0]


# -- push, cost, quota, retry keys ---------------------------------------------------
def test_group_push_costs_one_per_member(srv: LocalLineServer, api: MessagingApi) -> None:
    push(api, "C1", "ประชุม")
    push(api, "U1", "ส่วนตัว")
    assert [d.cost for d in srv.world.deliveries(kind="push")] == [3, 1]
    assert api.get_message_quota_consumption().total_usage == 4
    quota = api.get_message_quota()
    assert (quota.type.value, quota.value) == ("limited", 300)


@pytest.mark.parametrize("to", ["U404", "U3", "C404"])
def test_push_to_unknown_or_blocked_chat_is_rejected(api: MessagingApi, to: str) -> None:
    with pytest.raises(ApiException) as exc:
        push(api, to, "x")
    assert exc.value.status == 400
    assert error_of(exc)["message"].startswith("The property, 'to', in the request body")


def test_quota_exhausted_answers_429(srv: LocalLineServer, api: MessagingApi) -> None:
    srv.world.set_quota(2)
    with pytest.raises(ApiException) as exc:
        push(api, "C1", "three members")
    assert exc.value.status == 429
    assert error_of(exc) == {"message": "You have reached your monthly limit."}
    push(api, "U1", "a")
    push(api, "U2", "b")
    with pytest.raises(ApiException):
        push(api, "U1", "c")
    assert srv.world.usage() == 2 and srv.world.texts() == ["a", "b"]
    token = srv.world.issue_reply_token(user_source("U1"))
    reply(api, token, "replies stay free")


def test_retry_key_is_accepted_once(srv: LocalLineServer, api: MessagingApi) -> None:
    key = str(uuid4())
    first = push(api, "C1", "once", key)
    with pytest.raises(ApiException) as exc:
        push(api, "C1", "once", key)
    assert exc.value.status == 409
    body = error_of(exc)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [m.to_dict() for m in first.data.sent_messages]
    assert exc.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert len(srv.world.deliveries()) == 1 and srv.world.usage() == 3


def test_concurrent_pushes_with_one_retry_key_deliver_once(srv: LocalLineServer) -> None:
    key = str(uuid4())
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: raw(srv, "POST", "/v2/bot/message/push",
                                               {"to": "U1", "messages": [text("x")]},
                                               headers={"X-Line-Retry-Key": key})[0],
                                 range(16)))
    assert sorted(statuses) == [200] + [409] * 15
    assert srv.world.usage() == 1


def test_a_refused_push_does_not_use_up_its_retry_key(srv: LocalLineServer,
                                                      api: MessagingApi) -> None:
    key = str(uuid4())
    srv.world.set_quota(0)
    with pytest.raises(ApiException):
        push(api, "U1", "x", key)
    srv.world.set_quota(10)
    push(api, "U1", "x", key)
    assert srv.world.deliveries()[0].retry_key == key


def test_invalid_retry_key_is_400(srv: LocalLineServer, api: MessagingApi) -> None:
    with pytest.raises(ApiException) as exc:
        push(api, "U1", "x", "not-a-uuid")
    assert exc.value.status == 400
    assert srv.world.deliveries() == []


def test_multicast_costs_one_per_user(srv: LocalLineServer) -> None:
    status, _, _ = raw(srv, "POST", "/v2/bot/message/multicast",
                       {"to": ["U1", "U2"], "messages": [text("ทุกคน")]})
    assert status == 200
    assert [(d.kind, d.to) for d in srv.world.deliveries()] == [("multicast", "U1"),
                                                               ("multicast", "U2")]
    assert srv.world.usage() == 2


def test_mentions_only_of_members_in_groups(srv: LocalLineServer) -> None:
    def mention(user_id: str) -> dict[str, Any]:
        return {"type": "textV2", "text": "{u} ส่งรายงาน", "substitution": {
            "u": {"type": "mention", "mentionee": {"type": "user", "userId": user_id}}}}

    assert raw(srv, "POST", "/v2/bot/message/push", {"to": "C1",
                                                     "messages": [mention("U2")]})[0] == 200
    for to, who in [("C1", "U404"), ("U1", "U2")]:
        status, out, _ = raw(srv, "POST", "/v2/bot/message/push", {"to": to,
                                                                   "messages": [mention(who)]})
        assert status == 400, out
    assert srv.world.texts() == ["{u} ส่งรายงาน"]


# -- faults ------------------------------------------------------------------------
def test_fault_status_times_and_no_delivery(srv: LocalLineServer, api: MessagingApi) -> None:
    srv.world.inject_fault("/v2/bot/message/push", status=500, times=2)
    key = str(uuid4())
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            push(api, "U1", "x", key)
        assert exc.value.status == 500
    push(api, "U1", "x", key)  # the same retry key still works: faults do not consume it
    assert len(srv.world.deliveries()) == 1
    assert [r.status for r in srv.world.requests()] == [500, 500, 200]


def test_fault_latency_and_forever(srv: LocalLineServer, api: MessagingApi) -> None:
    srv.world.inject_fault("/v2/bot/message/quota", latency=0.3)
    started = time.perf_counter()
    api.get_message_quota()
    assert time.perf_counter() - started >= 0.3
    srv.world.inject_fault("/v2/bot/message/quota", latency=0.5, times=-1)
    with pytest.raises(Exception):  # noqa: B017 - urllib3 timeout type varies by version
        api.get_message_quota(_request_timeout=(1, 0.1))
    srv.world.inject_fault("/v2/bot/profile", status=429, times=-1, body={"message": "slow"})
    for _ in range(3):
        assert raw(srv, "GET", "/v2/bot/profile/U1")[:2] == (429, {"message": "slow"})
    srv.world.clear_faults()
    assert raw(srv, "GET", "/v2/bot/profile/U1")[0] == 200


def test_a_request_whose_answer_timed_out_is_in_flight_until_carried_out(srv: LocalLineServer,
                                                                        api: MessagingApi) -> None:
    srv.world.inject_fault("/v2/bot/message/reply", latency=0.6)
    token = srv.world.issue_reply_token(user_source("U1"))
    assert srv.world.in_flight() == 0
    with pytest.raises(Exception):  # noqa: B017 - urllib3 timeout type varies by version
        api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="late")]),
                          _request_timeout=(1, 0.1))
    assert srv.world.in_flight() == 1 and srv.world.texts(to="U1") == []  # the bot gave up; LINE goes on
    deadline = time.monotonic() + 5
    while srv.world.in_flight() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.world.in_flight() == 0 and srv.world.texts(to="U1") == ["late"]


# -- profiles, groups, loading -------------------------------------------------------
def test_profiles_only_for_friends(srv: LocalLineServer, api: MessagingApi) -> None:
    profile = api.get_profile("U1")
    assert (profile.user_id, profile.display_name, profile.language) == ("U1", "สมชาย", "th")
    for user_id in ("U3", "U404"):
        with pytest.raises(ApiException) as exc:
            api.get_profile(user_id)
        assert exc.value.status == 404 and error_of(exc) == {"message": "Not found"}


def test_group_endpoints(srv: LocalLineServer, api: MessagingApi) -> None:
    assert api.get_group_member_profile("C1", "U3").display_name == "ไม่ใช่เพื่อน"
    assert api.get_group_summary("C1").group_name == "กลุ่มแผนงาน"
    assert api.get_group_member_count("C1").count == 3
    srv.world.remove_member("C1", "U3")
    srv.world.add_member("C1", "U9")
    assert api.get_group_member_count("C1").count == 3
    for call in (lambda: api.get_group_member_profile("C1", "U3"),
                 lambda: api.get_group_summary("C404"),
                 lambda: api.get_group_member_count("C404")):
        with pytest.raises(ApiException) as exc:
            call()
        assert exc.value.status == 404


def test_loading_animation_only_in_one_to_one_chats(srv: LocalLineServer,
                                                    api: MessagingApi) -> None:
    api.show_loading_animation(ShowLoadingAnimationRequest(chat_id="U1", loading_seconds=10))
    for chat_id, seconds in (("C1", 10), ("U1", 7)):
        with pytest.raises(ApiException) as exc:
            api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=chat_id,
                                                                   loading_seconds=seconds))
        assert exc.value.status == 400
    # the SDK itself refuses more than 60 s, so ask the server directly
    status, out, _ = raw(srv, "POST", "/v2/bot/chat/loading/start",
                         {"chatId": "U1", "loadingSeconds": 65})
    assert status == 400 and out["details"][0]["property"] == "loadingSeconds"
    assert [r.status for r in srv.world.requests()] == [202, 400, 400, 400]


# -- control endpoints -------------------------------------------------------------
def test_control_endpoints(srv: LocalLineServer, api: MessagingApi) -> None:
    assert raw(srv, "POST", "/_local/users", {"userId": "U5", "displayName": "ห้า"},
               token=None)[0] == 200
    raw(srv, "POST", "/_local/groups", {"groupId": "C5", "groupName": "ห้า",
                                        "memberIds": ["U5", "U1"]}, token=None)
    _, out, _ = raw(srv, "POST", "/_local/reply-tokens", {"source": user_source("U5")}, token=None)
    reply(api, out["replyToken"], "ตอบ")
    push(api, "C5", "กลุ่ม")
    _, out, _ = raw(srv, "GET", "/_local/deliveries?after=1", token=None)
    assert [(d["kind"], d["to"], d["cost"]) for d in out["deliveries"]] == [("push", "C5", 2)]
    assert raw(srv, "GET", "/_local/quota", token=None)[1] == {"limit": 300, "usage": 2}
    raw(srv, "POST", "/_local/faults", {"path": "/v2/bot/message/quota", "status": 503},
        token=None)
    assert raw(srv, "GET", "/v2/bot/message/quota")[0] == 503
    raw(srv, "POST", "/_local/faults", {"path": "/v2/bot", "status": 500, "times": -1},
        token=None)
    raw(srv, "DELETE", "/_local/faults", token=None)
    assert raw(srv, "GET", "/v2/bot/message/quota")[0] == 200
    assert raw(srv, "POST", "/_local/reply-tokens", {"source": {"type": "x"}},
               token=None)[0] == 400
    raw(srv, "POST", "/_local/reset", {}, token=None)
    assert srv.world.deliveries() == [] and srv.world.user("U1") is None
    assert srv.world.requests() == [] and srv.world.usage() == 0
