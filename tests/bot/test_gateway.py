"""The gateway against the local LINE-compatible server, through the real SDK."""

from __future__ import annotations

import time
import uuid

import pytest
from pydantic import ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from bot.gateway import LineGateway
from bot.localline import LocalLineServer, user_source
from bot.settings import Settings
from plans.errors import (
    InvalidReplyToken,
    LineAuthError,
    LineBadRequest,
    LineNotFound,
    LineQuotaExhausted,
    LineRateLimited,
    LineRequestInvalid,
    LineServerError,
    LineUnavailable,
    LineUnreachable,
)

TEXT = [{"type": "text", "text": "สวัสดี"}]


@pytest.fixture
def gateway(settings: Settings):
    gw = LineGateway(settings)
    yield gw
    gw.close()


def test_reply_uses_the_token_once(gateway: LineGateway, line: LocalLineServer) -> None:
    token = line.world.issue_reply_token(user_source("U1"))
    gateway.reply(token, TEXT)
    with pytest.raises(InvalidReplyToken):
        gateway.reply(token, TEXT)
    assert line.world.texts() == ["สวัสดี"]


def test_a_reply_is_never_retried(gateway: LineGateway, line: LocalLineServer) -> None:
    token = line.world.issue_reply_token(user_source("U1"))
    line.world.inject_fault("/v2/bot/message/reply", status=500)
    with pytest.raises(LineServerError):
        gateway.reply(token, TEXT)
    assert len([r for r in line.world.requests() if r.path.endswith("/reply")]) == 1


def test_a_push_is_tried_once_its_retries_are_the_outboxs(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_user("U1", "ก")
    line.world.inject_fault("/v2/bot/message/push", status=502, times=-1)
    started = time.monotonic()
    with pytest.raises(LineServerError):
        gateway.push("U1", TEXT, retry_key=str(uuid.uuid4()))
    assert len([r for r in line.world.requests() if r.path.endswith("/push")]) == 1
    assert time.monotonic() - started < 1.0  # nothing slept here


def test_push_reports_a_key_line_already_accepted(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_user("U1", "ก")
    key = str(uuid.uuid4())
    assert gateway.push("U1", TEXT, retry_key=key) is True
    assert gateway.push("U1", TEXT, retry_key=key) is False
    assert len(line.world.deliveries()) == 1


def test_quota_exhaustion_is_not_retried(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_user("U1", "ก")
    line.world.set_quota(0)
    with pytest.raises(LineQuotaExhausted) as caught:
        gateway.push("U1", TEXT, retry_key=str(uuid.uuid4()))
    assert isinstance(caught.value, LineRateLimited) and caught.value.status == 429
    assert len([r for r in line.world.requests() if r.path.endswith("/push")]) == 1


def test_a_rate_limit_is_not_the_quota(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_user("U1", "ก")
    line.world.inject_fault("/v2/bot/message/push", status=429, times=1)
    with pytest.raises(LineRateLimited) as caught:
        gateway.push("U1", TEXT, retry_key=str(uuid.uuid4()))
    assert not isinstance(caught.value, LineQuotaExhausted)


def test_a_request_the_sdk_refuses_leaves_as_our_error(gateway: LineGateway, line: LocalLineServer) -> None:
    token = line.world.issue_reply_token(user_source("U1"))
    six = TEXT * 6  # LINE takes 1 to 5 messages; the SDK refuses six before sending
    with pytest.raises(LineRequestInvalid) as caught:
        gateway.reply(token, six)
    assert isinstance(caught.value.__cause__, (ValidationError, ValidationErrorV1))
    with pytest.raises(LineRequestInvalid):
        gateway.push("U1", [], retry_key=str(uuid.uuid4()))
    assert line.world.requests() == []


def test_errors_are_translated(gateway: LineGateway, line: LocalLineServer, settings: Settings) -> None:
    with pytest.raises(LineNotFound):
        gateway.profile("Unobody")
    with pytest.raises(LineBadRequest):
        gateway.push("Unobody", TEXT, retry_key=str(uuid.uuid4()))
    wrong = LineGateway(settings.with_(channel_access_token="wrong"))
    with pytest.raises(LineAuthError):
        wrong.quota()
    wrong.close()


def test_every_call_has_a_timeout(line: LocalLineServer, settings: Settings) -> None:
    gw = LineGateway(settings.with_(line_read_timeout=0.3, push_max_retries=0))
    line.world.add_user("U1", "ก")
    line.world.inject_fault("/v2/bot/profile", latency=2.0)
    started = time.monotonic()
    with pytest.raises(LineUnavailable) as raised:
        gw.profile("U1")
    assert time.monotonic() - started < 1.5
    assert not isinstance(raised.value, LineUnreachable)  # the request went out: its outcome is unknown
    gw.close()


def test_nobody_listening_is_unreachable_so_nothing_was_sent(settings: Settings) -> None:
    gw = LineGateway(settings.with_(line_api_base_url="http://127.0.0.1:9", push_max_retries=0))
    with pytest.raises(LineUnreachable):
        gw.quota()
    with pytest.raises(LineUnreachable):
        gw.reply("token", TEXT)
    gw.close()


def test_look_ups(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_user("U1", "สมชาย ใจดี")
    line.world.add_group("C1", "ฝ่ายปกครอง", ["U1", "U2"])
    assert gateway.profile("U1").display_name == "สมชาย ใจดี"
    assert gateway.group_member_profile("C1", "U1").display_name == "สมชาย ใจดี"
    assert gateway.group_name("C1") == "ฝ่ายปกครอง"
    assert gateway.group_member_count("C1") == 2
    line.world.set_quota(300)
    gateway.push("C1", TEXT, retry_key=str(uuid.uuid4()))
    quota = gateway.quota()
    assert (quota.limit, quota.used) == (300, 2)
    gateway.show_loading("U1", 5)


def test_message_content_comes_through_the_blob_api(gateway: LineGateway, line: LocalLineServer) -> None:
    line.world.add_content("600000000000000001", b"\xff\xd8 a photo", "image/jpeg")
    found = gateway.message_content("600000000000000001", limit=1000)
    assert (found.data, found.content_type) == (b"\xff\xd8 a photo", "image/jpeg")
    assert line.world.requests()[-1].path == "/v2/bot/message/600000000000000001/content"


def test_message_content_over_the_limit_or_gone_is_an_error_of_ours(gateway: LineGateway, line: LocalLineServer) -> None:
    from plans.errors import FileTooLarge

    line.world.add_content("600000000000000002", b"x" * 101, "application/pdf")
    with pytest.raises(FileTooLarge):
        gateway.message_content("600000000000000002", limit=100)
    with pytest.raises(LineNotFound):
        gateway.message_content("600000000000000003", limit=100)
