"""A local LINE-compatible HTTP server that the real line-bot-sdk can talk to.

``create_app(world, access_token)`` builds the Flask app: LINE's endpoints
under ``/v2/bot`` (bearer auth, LINE's rules and error bodies) and control
endpoints under ``/_local`` (no auth) for tools in other processes.
``LocalLineServer`` serves it on a background thread.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from threading import Thread
from types import TracebackType
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from waitress.server import BaseWSGIServer as WaitressServer
from waitress.server import create_server
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.localline import rules
from bot.localline.rules import LineError
from bot.localline.world import Group, RequestLog, World

AUTH_FAILED = ("Authentication failed. Confirm that the access token in the authorization "
               "header is valid.")
BOT_USER_ID = "Ubot" + "0" * 29


def _json(body: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _body() -> dict[str, Any]:
    """The JSON object in the request, or LineError(400) in LINE's words."""
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise LineError(400, rules.error_body(
            [{"message": "The request body must be a JSON object", "property": ""}]))
    return data


def _validate(details: list[rules.Detail]) -> None:
    if details:
        raise LineError(400, rules.error_body(details))


def _retry_key() -> str | None:
    key = request.headers.get("X-Line-Retry-Key")
    if key is None:
        return None
    try:
        uuid.UUID(key)
    except ValueError:
        raise LineError(400, {"message": "The retry key is invalid. Use a UUID."}) from None
    return key


def _line_api(world: World, access_token: str) -> Blueprint:
    api = Blueprint("line_api", __name__, url_prefix="/v2/bot")

    @api.before_request
    def faults_and_auth() -> Response | None:
        fault = world.take_fault(request.path)
        if fault is not None:
            if fault.latency:
                time.sleep(fault.latency)
            if fault.status is not None:
                return _json(fault.response_body(), fault.status)
        if request.headers.get("Authorization") != f"Bearer {access_token}":
            return _json({"message": AUTH_FAILED}, 401)
        return None

    @api.post("/message/reply")
    def reply() -> Response:
        world.admit("reply")
        body = _body()
        _validate(rules.validate_reply(body))
        delivery = world.reply(body["replyToken"], body["messages"],
                               notification_disabled=bool(body.get("notificationDisabled")))
        return _json({"sentMessages": delivery.sent_messages})

    @api.post("/message/push")
    def push() -> Response:
        world.admit("push")
        key = _retry_key()
        body = _body()
        _validate(rules.validate_push(body))
        delivery = world.push(body["to"], body["messages"], retry_key=key,
                              request_id=g.request_id,
                              notification_disabled=bool(body.get("notificationDisabled")))
        return _json({"sentMessages": delivery.sent_messages})

    @api.post("/message/multicast")
    def multicast() -> Response:
        key = _retry_key()
        body = _body()
        _validate(rules.validate_multicast(body))
        world.multicast(body["to"], body["messages"], retry_key=key, request_id=g.request_id,
                        notification_disabled=bool(body.get("notificationDisabled")))
        return _json({})

    @api.get("/profile/<user_id>")
    def profile(user_id: str) -> Response:
        user = world.user(user_id)
        if user is None or not user.friend:
            raise LineError(404, {"message": "Not found"})
        out = {"userId": user.user_id, "displayName": user.display_name, "language": "th"}
        if user.picture_url:
            out["pictureUrl"] = user.picture_url
        if user.status_message:
            out["statusMessage"] = user.status_message
        return _json(out)

    def chat(kind: str, chat_id: str) -> Group:
        group = world.group(chat_id)
        if group is None or group.kind != kind:
            raise LineError(404, {"message": "Not found"})
        return group

    @api.get("/<any(group, room):kind>/<chat_id>/member/<user_id>")
    def member_profile(kind: str, chat_id: str, user_id: str) -> Response:
        user = world.user(user_id)
        if user is None or user_id not in chat(kind, chat_id).members:
            raise LineError(404, {"message": "Not found"})
        out = {"userId": user.user_id, "displayName": user.display_name}
        if user.picture_url:
            out["pictureUrl"] = user.picture_url
        return _json(out)

    @api.get("/<any(group, room):kind>/<chat_id>/members/count")
    def member_count(kind: str, chat_id: str) -> Response:
        return _json({"count": chat(kind, chat_id).member_count})

    @api.get("/group/<group_id>/summary")
    def group_summary(group_id: str) -> Response:
        group = chat("group", group_id)
        out = {"groupId": group.group_id, "groupName": group.name}
        if group.picture_url:
            out["pictureUrl"] = group.picture_url
        return _json(out)

    @api.get("/message/quota")
    def quota() -> Response:
        limit = world.quota()
        return _json({"type": "none"} if limit is None else {"type": "limited", "value": limit})

    @api.get("/message/quota/consumption")
    def consumption() -> Response:
        return _json({"totalUsage": world.usage()})

    @api.post("/chat/loading/start")
    def loading() -> Response:
        _validate(rules.validate_loading(_body()))
        return _json({}, 202)

    menus = world.rich_menu_store

    @api.post("/richmenu")
    def create_rich_menu() -> Response:
        body = _body()
        _validate(rules.validate_rich_menu(body))
        return _json({"richMenuId": menus.create(body).rich_menu_id})

    @api.post("/richmenu/validate")
    def validate_rich_menu() -> Response:
        _validate(rules.validate_rich_menu(_body()))
        return _json({})

    @api.get("/richmenu/list")
    def rich_menu_list() -> Response:
        return _json({"richmenus": [menu.to_dict() for menu in menus.all()]})

    @api.get("/richmenu/<rich_menu_id>")
    def rich_menu(rich_menu_id: str) -> Response:
        return _json(menus.get(rich_menu_id).to_dict())

    @api.delete("/richmenu/<rich_menu_id>")
    def delete_rich_menu(rich_menu_id: str) -> Response:
        menus.delete(rich_menu_id)
        return _json({})

    @api.post("/richmenu/<rich_menu_id>/content")  # on api-data.line.me at LINE
    def rich_menu_image(rich_menu_id: str) -> Response:
        menus.set_image(rich_menu_id, request.get_data(), request.mimetype)
        return _json({})

    @api.get("/message/<message_id>/content")  # on api-data.line.me at LINE
    def message_content(message_id: str) -> Response:
        found = world.content(message_id)
        if found is None:
            raise LineError(404, {"message": "Not found"})
        data, content_type = found
        return Response(data, status=200, content_type=content_type)

    @api.post("/user/all/richmenu/<rich_menu_id>")
    def set_default_rich_menu(rich_menu_id: str) -> Response:
        menus.set_default(rich_menu_id)
        return _json({})

    @api.get("/user/all/richmenu")
    def default_rich_menu() -> Response:
        menu = menus.default()
        if menu is None:
            raise LineError(404, {"message": "no default richmenu"})
        return _json({"richMenuId": menu.rich_menu_id})

    @api.delete("/user/all/richmenu")
    def clear_default_rich_menu() -> Response:
        menus.clear_default()
        return _json({})

    @api.get("/info")
    def bot_info() -> Response:
        return _json({"userId": BOT_USER_ID, "basicId": "@kaona", "displayName": "ก้าวหน้า",
                      "chatMode": "chat", "markAsReadMode": "manual"})

    return api


def _control(world: World) -> Blueprint:
    local = Blueprint("local_control", __name__, url_prefix="/_local")

    @local.errorhandler(KeyError)
    def missing_key(exc: KeyError) -> Response:
        return _json({"message": f"missing or unknown: {exc}"}, 400)

    @local.post("/reply-tokens")
    def reply_token() -> Response:
        try:
            return _json({"replyToken": world.issue_reply_token(_body().get("source") or {})})
        except ValueError as exc:
            raise LineError(400, {"message": str(exc)}) from exc

    @local.post("/contents/<message_id>")
    def add_content(message_id: str) -> Response:
        world.add_content(message_id, request.get_data(), request.mimetype or "application/octet-stream")
        return _json({})

    @local.get("/deliveries")
    def deliveries() -> Response:
        found = world.deliveries(request.args.get("kind"), request.args.get("to"),
                                 after=request.args.get("after", 0, type=int))
        return _json({"deliveries": [d.to_dict() for d in found]})

    @local.get("/requests")
    def requests() -> Response:
        return _json({"requests": [asdict(r) for r in world.requests()]})

    @local.post("/faults")
    def add_fault() -> Response:
        body = _body()
        world.inject_fault(str(body["path"]), status=body.get("status"),
                           latency=float(body.get("latency", 0.0)),
                           times=int(body.get("times", 1)), body=body.get("body"))
        return _json({})

    @local.post("/random-faults")
    def add_random_faults() -> Response:
        """A share of the calls under ``path`` fail: {"path": "/v2/bot/message/", "rate": 0.2,
        "outcomes": [500, 429, "timeout"], "latency": 4.0, "seed": 1}; a slow LINE is a
        ``/_local/faults`` entry with a latency and ``"times": -1``."""
        body = _body()
        world.inject_random_faults(str(body["path"]), rate=float(body["rate"]),
                                   outcomes=tuple(body.get("outcomes", (500, 429, "timeout"))),
                                   latency=float(body.get("latency", 1.0)), seed=int(body.get("seed", 0)))  # fmt: skip
        return _json({})

    @local.get("/received")
    def received() -> Response:
        return _json(world.received())

    @local.delete("/faults")
    def clear_faults() -> Response:
        world.clear_faults()
        return _json({})

    @local.post("/users")
    def add_user() -> Response:
        body = _body()
        user_id = str(body["userId"])
        known = world.user(user_id)
        if known is not None and "displayName" not in body:
            world.set_friend(user_id, bool(body.get("friend", True)))
        else:
            world.add_user(user_id, str(body.get("displayName", f"ผู้ใช้ {user_id[:5]}")),
                           friend=bool(body.get("friend", True)),
                           picture_url=body.get("pictureUrl"))
        return _json({})

    @local.post("/groups")
    def add_group() -> Response:
        body = _body()
        world.add_group(str(body["groupId"]), str(body.get("groupName", "")),
                        list(body.get("memberIds", [])), kind=body.get("kind", "group"))
        return _json({})

    @local.delete("/groups/<group_id>")
    def remove_group(group_id: str) -> Response:
        world.remove_group(group_id)
        return _json({})

    @local.post("/reset")
    def reset() -> Response:
        world.reset()
        return _json({})

    @local.get("/quota")
    def get_quota() -> Response:
        return _json({"limit": world.quota(), "usage": world.usage()})

    @local.get("/rate-limit")
    def get_rate_limit() -> Response:
        return _json({"perSecond": world.rate_limit, "refused": world.rate_limited()})

    @local.post("/quota")
    def set_quota() -> Response:
        world.set_quota(_body().get("limit"))
        return _json({"limit": world.quota(), "usage": world.usage()})

    return local


def create_app(world: World, access_token: str = "local-token") -> Flask:
    app = Flask("bot.localline")
    app.register_blueprint(_line_api(world, access_token))
    app.register_blueprint(_control(world))

    @app.before_request
    def request_id() -> None:
        g.request_id = str(uuid.uuid4())
        if request.path.startswith("/v2/"):
            world.request_started()
            g.counted = True

    @app.teardown_request
    def request_done(_exc: BaseException | None) -> None:
        if g.pop("counted", False):
            world.request_ended()

    @app.errorhandler(LineError)
    def line_error(exc: LineError) -> Response:
        return _json(exc.body, exc.status, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        return _json({"message": "Not found" if code == 404 else exc.name}, code)

    @app.after_request
    def record(response: Response) -> Response:
        if request.path.startswith("/_local"):
            return response
        response.headers["x-line-request-id"] = g.get("request_id", "")
        world.log_request(RequestLog(
            request.method, request.path, response.status_code,
            request.headers.get("X-Line-Retry-Key"), world.clock(), g.get("request_id", ""),
            request.get_json(silent=True)))
        return response

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalLineServer:
    """Serves ``create_app`` on 127.0.0.1 in a daemon thread; a context manager.

    By default on werkzeug's development server: a thread per connection, and every
    connection closed after its answer. ``threads``: on waitress instead, which keeps
    connections alive between calls as LINE's API does (a client's pool reuses them,
    as in production, rather than connecting for every call), with that many threads
    answering (a call slowed by a latency fault holds one meanwhile). The throughput
    benchmark uses it: there a new connection per call cost the bots' CPU that LINE's
    real API does not."""

    def __init__(self, *, access_token: str = "local-token", quota: int | None = 300,
                 reply_token_ttl: float = 60.0, port: int = 0, host: str = "127.0.0.1",
                 clock: Callable[[], float] | None = None, world: World | None = None,
                 rate_limit: int | None = 2000, threads: int | None = None) -> None:
        self.access_token = access_token
        self.world = world or World(quota=quota, reply_token_ttl=reply_token_ttl, clock=clock,
                                    rate_limit=rate_limit)
        self.app = create_app(self.world, access_token)
        self._host = host
        self._port = port
        self._threads = threads
        self._server: BaseWSGIServer | WaitressServer | None = None
        self._thread: Thread | None = None

    def start(self) -> LocalLineServer:
        if self._server is not None:
            return self
        if self._threads is not None:
            server = create_server(self.app, host=self._host, port=self._port, threads=self._threads,
                                   connection_limit=4 * self._threads, backlog=2048, asyncore_use_poll=True)
            self._server = server
            self._thread = Thread(target=server.run, name="localline", daemon=True)
        else:
            werkzeug = make_server(self._host, self._port, self.app, threaded=True,
                                   request_handler=_QuietHandler)
            self._server = werkzeug
            # A short poll interval keeps stop() (and so each test's teardown) fast.
            self._thread = Thread(target=werkzeug.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="localline", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        if isinstance(server, BaseWSGIServer):
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        else:  # every connection closed on waitress's loop: with nothing left to watch, it returns
            server.trigger.pull_trigger(lambda: [channel.close() for channel in list(server._map.values())])
            thread.join(timeout=5)
            server.task_dispatcher.shutdown()
        self._server = self._thread = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalLineServer is not started")
        if isinstance(self._server, BaseWSGIServer):
            return self._server.server_port
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def __enter__(self) -> LocalLineServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
