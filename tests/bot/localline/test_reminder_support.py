"""What the reminder clock needs of the local LINE server: member counts tests set, the
2,000 requests/s limit, random faults, mentions of members only, cost per push."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from uuid import uuid4

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
)

from bot.localline import LocalLineServer

TOKEN = "local-token"


@pytest.fixture
def srv() -> Iterator[LocalLineServer]:
    with LocalLineServer(rate_limit=5) as server:
        server.world.add_group("C1", "กลุ่ม", ["U1", "U2"])
        yield server


@pytest.fixture
def api(srv: LocalLineServer) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=srv.url, access_token=TOKEN)) as client:
        yield MessagingApi(client)


def _push(api: MessagingApi, message: dict) -> None:
    api.push_message(PushMessageRequest.from_dict({"to": "C1", "messages": [message]}), x_line_retry_key=str(uuid4()))


def test_a_member_count_set_by_the_test_is_reported_and_charged(srv: LocalLineServer, api: MessagingApi) -> None:
    srv.world.set_member_count("C1", 10)
    assert api.get_group_member_count("C1").count == 10
    _push(api, {"type": "text", "text": "เตือน"})
    assert srv.world.deliveries("push")[-1].cost == 10 and srv.world.usage() == 10


def test_over_the_rate_limit_the_answer_is_429(srv: LocalLineServer, api: MessagingApi) -> None:
    statuses = []
    for _ in range(8):
        try:
            _push(api, {"type": "text", "text": "x"})
            statuses.append(200)
        except ApiException as exc:
            statuses.append(exc.status)
    assert statuses.count(200) == 5 and statuses.count(429) == 3
    assert srv.world.rate_limited() == 3 and len(srv.world.deliveries("push")) == 5
    with urllib.request.urlopen(f"{srv.url}/_local/rate-limit") as answer:
        assert json.loads(answer.read()) == {"perSecond": 5, "refused": 3}


def test_mentions_name_members_only_and_at_most_twenty(srv: LocalLineServer, api: MessagingApi) -> None:
    def mentions(users: list[str]) -> dict:
        subs = {f"u{n}": {"type": "mention", "mentionee": {"type": "user", "userId": u}} for n, u in enumerate(users)}
        return {"type": "textV2", "text": " ".join("{" + k + "}" for k in subs), "substitution": subs}

    _push(api, mentions(["U1", "U2"]))
    with pytest.raises(ApiException) as outsider:
        _push(api, mentions(["U1", "U9"]))
    assert outsider.value.status == 400
    srv.world.rate_limit = None
    for n in range(3, 25):
        srv.world.add_member("C1", f"U{n}")
    with pytest.raises(ApiException) as too_many:
        _push(api, mentions([f"U{n}" for n in range(1, 22)]))
    assert too_many.value.status == 400


def test_random_faults_fail_about_the_share_asked(srv: LocalLineServer, api: MessagingApi) -> None:
    srv.world.rate_limit = None
    srv.world.inject_random_faults("/v2/bot/message/push", rate=0.2, outcomes=(500, 429), seed=7)
    failed = 0
    for _ in range(100):
        try:
            _push(api, {"type": "text", "text": "x"})
        except ApiException:
            failed += 1
    assert 10 <= failed <= 30
    assert len(srv.world.deliveries("push")) == 100 - failed


def _control(srv: LocalLineServer, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{srv.url}/_local{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


def test_random_faults_set_over_http_and_what_was_received_per_key(srv: LocalLineServer, api: MessagingApi) -> None:
    """The fault scripts' needs: random faults for a process that is not this one, and
    the calls and deliveries per retry key (a key delivered twice = a push sent twice)."""
    srv.world.rate_limit = None
    _control(srv, "POST", "/random-faults", {"path": "/v2/bot/message/push", "rate": 1.0, "outcomes": [500], "seed": 1})
    key = str(uuid4())
    request = PushMessageRequest.from_dict({"to": "C1", "messages": [{"type": "text", "text": "x"}]})
    with pytest.raises(ApiException):
        api.push_message(request, x_line_retry_key=key)
    _control(srv, "DELETE", "/faults")
    api.push_message(request, x_line_retry_key=key)
    with pytest.raises(ApiException):  # 409: LINE took this key already
        api.push_message(request, x_line_retry_key=key)
    assert _control(srv, "GET", "/received")["retry_keys"] == {key: {"calls": 3, "delivered": 1}}
