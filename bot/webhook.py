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
        stored = kaona.services.inbox_writer.store(events)
        if stored.duplicates:
            log.info("webhook: %d redelivered event(s) already stored", stored.duplicates)
        if kaona.worker is not None:
            kaona.worker.notify()
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


def _check_event(index: int, event: Any) -> None:
    if not isinstance(event, dict):
        raise MalformedPayload(f"events[{index}] is not an object")
    if not isinstance(event.get("webhookEventId"), str) or not event["webhookEventId"]:
        raise MalformedPayload(f"events[{index}].webhookEventId is missing")
    if not isinstance(event.get("type"), str):
        raise MalformedPayload(f"events[{index}].type is missing")
    if not isinstance(event.get("timestamp"), int) or isinstance(event.get("timestamp"), bool):
        raise MalformedPayload(f"events[{index}].timestamp must be a whole number")
    source = event.get("source")
    if source is not None and not isinstance(source, dict):
        raise MalformedPayload(f"events[{index}].source is not an object")
