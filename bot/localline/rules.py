"""LINE's request rules as pure functions, and the error LINE answers with.

Every ``validate_*`` function returns a list of error details shaped like
LINE's own 400 answers: ``{"message": ..., "property": "messages[0].text"}``.
An empty list means the request body is acceptable.  The limits are those in
``/work/shared/LINE.md``; where LINE's wording of a size is ambiguous (flex
"30 KB") the stricter reading is used, so the bot cannot pass here and fail
on the real platform.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any, TypeGuard

Detail = dict[str, str]

MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_MENTIONS = 20
MAX_ALT_TEXT = 1500
MAX_BUBBLE_BYTES = 30_000
MAX_CAROUSEL_BYTES = 50_000
MAX_CAROUSEL_BUBBLES = 12
MAX_QUICK_REPLY_ITEMS = 13
MAX_QUICK_REPLY_LABEL = 20
MAX_ACTION_TEXT = 300
MAX_URI = 1000
MAX_IMAGE_URL = 2000
MAX_MULTICAST = 500
MAX_RICH_MENU_AREAS = 20
MAX_RICH_MENU_NAME = 300
MAX_CHAT_BAR_TEXT = 14
MAX_RICH_MENU_LABEL = 20
MAX_RICH_MENU_ALIAS = 32

QUICK_REPLY_ACTIONS = frozenset(
    {"postback", "message", "uri", "datetimepicker", "camera", "cameraRoll", "location",
     "clipboard"}
)
FLEX_ACTIONS = frozenset({"postback", "message", "uri", "datetimepicker", "clipboard"})
RICH_MENU_ACTIONS = frozenset({"postback", "message", "uri", "datetimepicker", "richmenuswitch"})
URI_SCHEMES = ("http://", "https://", "line://", "tel:")
DATETIME_FORMATS = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}$"),
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}$"),
}
SUBSTITUTION_KEY = re.compile(r"^[A-Za-z0-9_]{1,20}$")


class LineError(Exception):
    """A request LINE would refuse: the HTTP status, JSON body and extra headers to answer."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body.get('message')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def utf16_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def json_size(value: Any) -> int:
    """Size in bytes of the compact UTF-8 JSON encoding of ``value``."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def error_body(details: list[Detail]) -> dict[str, Any]:
    """The 400 body LINE sends for a request with validation errors."""
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


def _err(message: str, prop: str) -> Detail:
    return {"message": message, "property": prop}


def _string(obj: dict[str, Any], key: str, prop: str, *, max_len: int, min_len: int = 1,
            utf16: bool = False, required: bool = True) -> list[Detail]:
    """Check that ``obj[key]`` is a string of an allowed length."""
    where = f"{prop}.{key}" if prop else key
    if key not in obj or obj[key] is None:
        return [_err("must be specified", where)] if required else []
    value = obj[key]
    if not isinstance(value, str):
        return [_err("must be a string", where)]
    size = utf16_len(value) if utf16 else len(value)
    if size < min_len:
        return [_err("may not be empty", where)]
    if size > max_len:
        return [_err(f"Length must be between {min_len} and {max_len}", where)]
    return []


def _https_url(obj: dict[str, Any], key: str, prop: str) -> list[Detail]:
    errors = _string(obj, key, prop, max_len=MAX_IMAGE_URL)
    if not errors and not obj[key].startswith("https://"):
        errors.append(_err("must be an https URL", f"{prop}.{key}"))
    return errors


def validate_action(action: Any, prop: str, *, allowed: frozenset[str],
                    label_max: int | None) -> list[Detail]:
    """Validate one action object; ``label_max`` set means the label is required."""
    if not isinstance(action, dict):
        return [_err("must be an object", prop)]
    kind = action.get("type")
    if kind not in allowed:
        return [_err(f"unsupported action type: {kind!r}", f"{prop}.type")]
    errors: list[Detail] = []
    if label_max is not None:
        errors += _string(action, "label", prop, max_len=label_max)
    elif "label" in action and not isinstance(action["label"], str):
        errors.append(_err("must be a string", f"{prop}.label"))
    if kind == "message":
        errors += _string(action, "text", prop, max_len=MAX_ACTION_TEXT)
    elif kind == "postback":
        errors += _string(action, "data", prop, max_len=MAX_ACTION_TEXT)
        errors += _string(action, "displayText", prop, max_len=MAX_ACTION_TEXT, required=False)
    elif kind == "datetimepicker":
        errors += _string(action, "data", prop, max_len=MAX_ACTION_TEXT)
        mode = action.get("mode")
        if mode not in DATETIME_FORMATS:
            errors.append(_err("must be one of date, time, datetime", f"{prop}.mode"))
        else:
            for key in ("initial", "max", "min"):
                value = action.get(key)
                if value is not None and not (
                    isinstance(value, str) and DATETIME_FORMATS[mode].match(value)
                ):
                    errors.append(_err(f"invalid {mode} format", f"{prop}.{key}"))
    elif kind == "uri":
        errors += _string(action, "uri", prop, max_len=MAX_URI)
        uri = action.get("uri")
        if isinstance(uri, str) and uri and not uri.startswith(URI_SCHEMES):
            errors.append(_err("must start with http, https, line or tel", f"{prop}.uri"))
    elif kind == "clipboard":
        errors += _string(action, "clipboardText", prop, max_len=1000)
    elif kind == "richmenuswitch":
        errors += _string(action, "richMenuAliasId", prop, max_len=MAX_RICH_MENU_ALIAS)
        errors += _string(action, "data", prop, max_len=MAX_ACTION_TEXT)
    return errors


def validate_quick_reply(quick_reply: Any, prop: str) -> list[Detail]:
    if not isinstance(quick_reply, dict):
        return [_err("must be an object", prop)]
    items = quick_reply.get("items")
    if not isinstance(items, list):
        return [_err("must be an array", f"{prop}.items")]
    if not 1 <= len(items) <= MAX_QUICK_REPLY_ITEMS:
        return [_err(f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}", f"{prop}.items")]
    errors: list[Detail] = []
    for i, item in enumerate(items):
        where = f"{prop}.items[{i}]"
        if not isinstance(item, dict) or item.get("type") != "action":
            errors.append(_err("must be an object of type 'action'", where))
            continue
        if "imageUrl" in item:
            errors += _https_url(item, "imageUrl", where)
        errors += validate_action(item.get("action"), f"{where}.action",
                                  allowed=QUICK_REPLY_ACTIONS, label_max=MAX_QUICK_REPLY_LABEL)
    return errors


def _flex_actions(node: Any, prop: str) -> list[Detail]:
    """Walk flex JSON and validate every ``action`` object found in it."""
    errors: list[Detail] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{prop}.{key}"
            if key == "action":
                errors += validate_action(value, where, allowed=FLEX_ACTIONS, label_max=None)
            else:
                errors += _flex_actions(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            errors += _flex_actions(value, f"{prop}[{i}]")
    return errors


def validate_flex_contents(contents: Any, prop: str) -> list[Detail]:
    if not isinstance(contents, dict):
        return [_err("must be specified", prop)]
    kind = contents.get("type")
    if kind == "bubble":
        if json_size(contents) > MAX_BUBBLE_BYTES:
            return [_err(f"bubble JSON must be at most {MAX_BUBBLE_BYTES} bytes", prop)]
    elif kind == "carousel":
        bubbles = contents.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= MAX_CAROUSEL_BUBBLES:
            return [_err(f"Size must be between 1 and {MAX_CAROUSEL_BUBBLES}",
                         f"{prop}.contents")]
        bad = [i for i, b in enumerate(bubbles) if not isinstance(b, dict)
               or b.get("type") != "bubble"]
        if bad:
            return [_err("must be a bubble", f"{prop}.contents[{i}]") for i in bad]
        if json_size(contents) > MAX_CAROUSEL_BYTES:
            return [_err(f"carousel JSON must be at most {MAX_CAROUSEL_BYTES} bytes", prop)]
    else:
        return [_err("must be bubble or carousel", f"{prop}.type")]
    return _flex_actions(contents, prop)


def _substitution(message: dict[str, Any], prop: str) -> list[Detail]:
    subs = message.get("substitution")
    if subs is None:
        return []
    if not isinstance(subs, dict):
        return [_err("must be an object", f"{prop}.substitution")]
    errors: list[Detail] = []
    mentions = 0
    for key, sub in subs.items():
        where = f"{prop}.substitution.{key}"
        if not SUBSTITUTION_KEY.match(key):
            errors.append(_err("key must match [A-Za-z0-9_]{1,20}", where))
        if not isinstance(sub, dict):
            errors.append(_err("must be an object", where))
        elif sub.get("type") == "mention":
            mentions += 1
            mentionee = sub.get("mentionee")
            if not isinstance(mentionee, dict) or mentionee.get("type") not in ("user", "all"):
                errors.append(_err("must be a user or all mentionee", f"{where}.mentionee"))
            elif mentionee["type"] == "user":
                errors += _string(mentionee, "userId", f"{where}.mentionee", max_len=64)
        elif sub.get("type") == "emoji":
            errors += _string(sub, "productId", where, max_len=64)
            errors += _string(sub, "emojiId", where, max_len=64)
        else:
            errors.append(_err("must be mention or emoji", f"{where}.type"))
    if mentions > MAX_MENTIONS:
        errors.append(_err(f"at most {MAX_MENTIONS} mentions", f"{prop}.substitution"))
    return errors


def validate_message(message: Any, prop: str) -> list[Detail]:
    if not isinstance(message, dict):
        return [_err("must be an object", prop)]
    kind = message.get("type")
    errors: list[Detail] = []
    if kind in ("text", "textV2"):
        errors += _string(message, "text", prop, max_len=MAX_TEXT_UTF16, utf16=True)
        if kind == "textV2":
            errors += _substitution(message, prop)
    elif kind == "flex":
        errors += _string(message, "altText", prop, max_len=MAX_ALT_TEXT)
        errors += validate_flex_contents(message.get("contents"), f"{prop}.contents")
    elif kind == "sticker":
        errors += _string(message, "packageId", prop, max_len=64)
        errors += _string(message, "stickerId", prop, max_len=64)
    elif kind == "image":
        errors += _https_url(message, "originalContentUrl", prop)
        errors += _https_url(message, "previewImageUrl", prop)
    else:
        return [_err(f"unsupported message type: {kind!r}", f"{prop}.type")]
    if message.get("quickReply") is not None:
        errors += validate_quick_reply(message["quickReply"], f"{prop}.quickReply")
    return errors


def validate_messages(messages: Any, prop: str = "messages") -> list[Detail]:
    if not isinstance(messages, list):
        return [_err("must be specified", prop)]
    if not 1 <= len(messages) <= MAX_MESSAGES:
        return [_err(f"Size must be between 1 and {MAX_MESSAGES}", prop)]
    errors: list[Detail] = []
    for i, message in enumerate(messages):
        errors += validate_message(message, f"{prop}[{i}]")
    return errors


def _notification(body: dict[str, Any]) -> list[Detail]:
    value = body.get("notificationDisabled")
    if value is not None and not isinstance(value, bool):
        return [_err("must be a boolean", "notificationDisabled")]
    return []


def validate_reply(body: dict[str, Any]) -> list[Detail]:
    errors = _string(body, "replyToken", "", max_len=256)
    return errors + validate_messages(body.get("messages")) + _notification(body)


def validate_push(body: dict[str, Any]) -> list[Detail]:
    errors = _string(body, "to", "", max_len=64)
    return errors + validate_messages(body.get("messages")) + _notification(body)


def validate_multicast(body: dict[str, Any]) -> list[Detail]:
    to = body.get("to")
    errors: list[Detail] = []
    if not isinstance(to, list) or not 1 <= len(to) <= MAX_MULTICAST:
        errors.append(_err(f"Size must be between 1 and {MAX_MULTICAST}", "to"))
    elif not all(isinstance(u, str) and u.startswith("U") for u in to):
        errors.append(_err("must be user IDs", "to"))
    return errors + validate_messages(body.get("messages")) + _notification(body)


def validate_loading(body: dict[str, Any]) -> list[Detail]:
    errors: list[Detail] = []
    chat_id = body.get("chatId")
    if not isinstance(chat_id, str) or not chat_id.startswith("U"):
        errors.append(_err("must be a user ID (one-to-one chat only)", "chatId"))
    seconds = body.get("loadingSeconds", 20)
    if (not isinstance(seconds, int) or isinstance(seconds, bool) or not 5 <= seconds <= 60
            or seconds % 5):
        errors.append(_err("must be a multiple of 5 between 5 and 60", "loadingSeconds"))
    return errors


def _integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def rich_menu_size(size: Any) -> tuple[int, int] | None:
    """``(width, height)`` of a size LINE allows for a rich menu, else None: width 800-2500,
    height at least 250, width/height at least 1.45 (so 2500x1686 and 2500x843)."""
    if not isinstance(size, dict):
        return None
    width, height = size.get("width"), size.get("height")
    if (_integer(width) and _integer(height)
            and 800 <= width <= 2500 and height >= 250 and width / height >= 1.45):
        return width, height
    return None


def _rich_menu_area(area: Any, prop: str, size: tuple[int, int] | None) -> list[Detail]:
    if not isinstance(area, dict):
        return [_err("must be an object", prop)]
    errors: list[Detail] = []
    bounds = area.get("bounds")
    keys = ("x", "y", "width", "height")
    if not isinstance(bounds, dict) or not all(_integer(bounds.get(k)) for k in keys):
        errors.append(_err("must have integer x, y, width and height", f"{prop}.bounds"))
    elif min(bounds["x"], bounds["y"]) < 0 or min(bounds["width"], bounds["height"]) < 1:
        errors.append(_err("must have x, y >= 0 and width, height >= 1", f"{prop}.bounds"))
    elif size is not None and (bounds["x"] + bounds["width"] > size[0]
                               or bounds["y"] + bounds["height"] > size[1]):
        errors.append(_err("must be inside the rich menu image", f"{prop}.bounds"))
    action = area.get("action")
    errors += validate_action(action, f"{prop}.action", allowed=RICH_MENU_ACTIONS,
                              label_max=None)
    if isinstance(action, dict) and isinstance(action.get("label"), str):
        errors += _string(action, "label", f"{prop}.action", max_len=MAX_RICH_MENU_LABEL)
    return errors


def validate_rich_menu(body: dict[str, Any]) -> list[Detail]:
    """A rich menu object: its size, ``selected``, name, chat bar text and 1-20 areas,
    each inside the image with an action a rich menu can carry."""
    errors: list[Detail] = []
    size = rich_menu_size(body.get("size"))
    if size is None:
        errors.append(_err("width must be 800-2500, height at least 250 and "
                           "width/height at least 1.45 (2500x1686 or 2500x843)", "size"))
    if not isinstance(body.get("selected"), bool):
        errors.append(_err("must be a boolean", "selected"))
    errors += _string(body, "name", "", max_len=MAX_RICH_MENU_NAME)
    errors += _string(body, "chatBarText", "", max_len=MAX_CHAT_BAR_TEXT)
    areas = body.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= MAX_RICH_MENU_AREAS:
        return errors + [_err(f"Size must be between 1 and {MAX_RICH_MENU_AREAS}", "areas")]
    for i, area in enumerate(areas):
        errors += _rich_menu_area(area, f"areas[{i}]", size)
    return errors


def mentioned_user_ids(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(property, userId-or-"all")`` for every mention in (already valid) messages."""
    found: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if message.get("type") != "textV2":
            continue
        for key, sub in (message.get("substitution") or {}).items():
            if sub.get("type") == "mention":
                mentionee = sub["mentionee"]
                who = mentionee.get("userId", "all") if mentionee["type"] == "user" else "all"
                found.append((f"messages[{i}].substitution.{key}.mentionee", who))
    return found


def mention_errors(messages: list[dict[str, Any]], members: Collection[str] | None) -> list[Detail]:
    """Mentions need a group or room (``members`` not None) and only name its members."""
    errors: list[Detail] = []
    for prop, who in mentioned_user_ids(messages):
        if members is None:
            errors.append(_err("mentions work only in a group or room", prop))
        elif who != "all" and who not in members:
            errors.append(_err(f"{who} is not a member of the chat", f"{prop}.userId"))
    return errors
