"""The webhook: verify, store, acknowledge. Nothing else happens before the 200.

The signature is checked with HMAC over the raw body, the body parsed once with
``json.loads`` and its events checked by shape here (``_check_event``); the SDK's
model of every event is not built (it costs more than the rest of the request and
the worker reads the stored JSON anyway). Requests arriving together are stored in
one transaction (``storage.inbox.InboxWriter``), each answered once it committed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import RequestEntityTooLarge

from bot.kaona import kaona_of
from plans.errors import InvalidSignature, MalformedPayload, PayloadTooLarge, WebhookError

log = logging.getLogger(__name__)
blueprint = Blueprint("webhook", __name__)


@blueprint.post("/callback")
def callback() -> tuple[Response, int]:
    kaona = kaona_of(current_app)
    try:
        events = _verified_events(kaona.settings.channel_secret, kaona.settings.max_body_text)
    except WebhookError as exc:
        log.warning("webhook rejected (%s): %s", exc.status_code, exc)
        return jsonify({"message": str(exc)}), exc.status_code
    if events:
        try:
            stored = kaona.services.inbox_writer.store(events)
        except DataError as exc:  # a value the database refuses: storing it again will not help
            log.warning("webhook rejected (400): an event the database cannot store: %s", exc.orig)
            return jsonify({"message": "an event holds a value that cannot be stored"}), 400
        except (OperationalError, InterfaceError) as exc:  # the database is down: LINE redelivers
            log.error("webhook: database unavailable, events not stored (LINE will redeliver): %s", exc.orig)
            return jsonify({"message": "temporarily unavailable"}), 503
        if stored.duplicates:
            log.info("webhook: %d redelivered event(s) already stored", stored.duplicates)
    return jsonify({}), 200


def _verified_events(secret: str, limit: str) -> list[dict[str, Any]]:
    signature = request.headers.get("X-Line-Signature", "")
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"request body is larger than {limit}") from exc
    if not signature:
        raise InvalidSignature("X-Line-Signature header is missing")
    # The signature over the raw body, before anything is parsed (LINE's own algorithm,
    # as the SDK's SignatureValidator computes it).
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest())
    if not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
        raise InvalidSignature("X-Line-Signature does not match the body")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"malformed webhook body: {exc.__class__.__name__}") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise MalformedPayload("webhook body must be an object with an 'events' list")
    events = payload["events"]
    for index, event in enumerate(events):
        _check_event(index, event)
    return sorted(events, key=lambda e: int(e["timestamp"]))


# What a stored event may hold: the inbox's columns (ids up to 64 characters, a BIGINT
# time) and nothing PostgreSQL refuses (a NUL character). LINE's own events are well
# inside these; a signed event outside them is answered 400, never a 500 that would make
# LINE redeliver a batch that can never be stored.
MAX_ID = 64
MAX_TIMESTAMP = 2**53  # a JavaScript-safe integer: milliseconds until the year 287,396
MAX_TEXT = 20_000
SOURCE_IDS = {"user": "userId", "group": "groupId", "room": "roomId"}


def _check_event(index: int, event: Any) -> None:
    """The shape of one event, field by field: what ``bot.events.from_payload`` and the
    inbox read must be there with the right type, so nothing fails after the 200."""
    where = f"events[{index}]"
    if not isinstance(event, dict):
        raise MalformedPayload(f"{where} is not an object")
    _text(event, "webhookEventId", where, required=True, limit=MAX_ID)
    _text(event, "type", where, required=True, limit=40)
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise MalformedPayload(f"{where}.timestamp must be a whole number")
    if not 0 <= timestamp < MAX_TIMESTAMP:
        raise MalformedPayload(f"{where}.timestamp is out of range")
    if event.get("mode") is not None and event["mode"] not in ("active", "standby"):
        raise MalformedPayload(f"{where}.mode must be 'active' or 'standby'")
    _text(event, "replyToken", where, limit=256)
    _object(event, "deliveryContext", where)
    _source(event.get("source"), f"{where}.source")
    kind = event["type"]
    message = _object(event, "message", where, required=kind == "message")
    if message is not None:
        _message(message, f"{where}.message")
    postback = _object(event, "postback", where, required=kind == "postback")
    if postback is not None:
        _text(postback, "data", f"{where}.postback", required=True, limit=MAX_TEXT)
        params = _object(postback, "params", f"{where}.postback")
        if params is not None and not all(isinstance(v, str) for v in params.values()):
            raise MalformedPayload(f"{where}.postback.params must hold strings")
    for key in ("joined", "left"):
        members = _object(event, key, where)
        if members is not None:
            _members(members.get("members"), f"{where}.{key}.members")


def _source(source: Any, where: str) -> None:
    if source is None:
        return
    if not isinstance(source, dict):
        raise MalformedPayload(f"{where} is not an object")
    kind = source.get("type", "user")
    if kind not in SOURCE_IDS:
        raise MalformedPayload(f"{where}.type must be user, group or room")
    _text(source, "userId", where, limit=MAX_ID)
    _text(source, SOURCE_IDS[kind], where, required=kind != "user", limit=MAX_ID)


def _message(message: dict[str, Any], where: str) -> None:
    _text(message, "type", where, required=True, limit=40)
    _text(message, "id", where, limit=MAX_ID)
    _text(message, "text", where, limit=MAX_TEXT)
    if message["type"] == "text" and not isinstance(message.get("text"), str):
        raise MalformedPayload(f"{where}.text must be a string")
    _text(message, "fileName", where, limit=1000)
    size = message.get("fileSize")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | str)):
        raise MalformedPayload(f"{where}.fileSize must be a number")
    mention = _object(message, "mention", where)
    if mention is None:
        return
    mentionees = mention.get("mentionees", [])
    if not isinstance(mentionees, list):
        raise MalformedPayload(f"{where}.mention.mentionees must be a list")
    for n, one in enumerate(mentionees):
        spot = f"{where}.mention.mentionees[{n}]"
        if not isinstance(one, dict):
            raise MalformedPayload(f"{spot} is not an object")
        for key in ("index", "length"):
            value = one.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TEXT:
                raise MalformedPayload(f"{spot}.{key} must be a whole number within the text")
        if "isSelf" in one and not isinstance(one["isSelf"], bool):
            raise MalformedPayload(f"{spot}.isSelf must be true or false")


def _members(members: Any, where: str) -> None:
    if not isinstance(members, list):
        raise MalformedPayload(f"{where} must be a list")
    for n, member in enumerate(members):
        if not isinstance(member, dict):
            raise MalformedPayload(f"{where}[{n}] is not an object")
        _text(member, "userId", f"{where}[{n}]", limit=MAX_ID)


def _object(parent: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any] | None:
    value = parent.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where}.{key} must be an object")
    return value


def _text(parent: dict[str, Any], key: str, where: str, *, limit: int, required: bool = False) -> None:
    """A string field. One the inbox keeps in a column of its own (an id, a type, a token:
    ``limit`` up to 256) may hold no control character: PostgreSQL refuses a NUL. Free
    text (a message, postback data) may; the use cases clean what they keep."""
    value = parent.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise MalformedPayload(f"{where}.{key} must be a non-empty string" if required else f"{where}.{key} must be a string")
    if len(value) > limit:
        raise MalformedPayload(f"{where}.{key} is longer than {limit} characters")
    if limit <= 256 and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise MalformedPayload(f"{where}.{key} holds a control character")
