"""Security checks on what reaches the webhook (issue 14): signature bypass attempts and
oversized or chunked bodies, against the real app (Flask's test client for the
signature and body checks) and against the real server (the Procfile's web command)
for what only a real server sees: chunked transfer, a huge header, a body with no
Content-Length. Nothing forged or oversized is ever stored, and nothing answers 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from bot.app import create_app, shutdown
from bot.localline import LocalLineServer, text_event, user_source
from bot.localline.webhook import sign, webhook_body
from bot.settings import Settings
from tests.conftest import SECRET, TOKEN
from tests.web_process import procfile_web

MIB = 1024 * 1024


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_(worker_mode="external"))
    yield app
    shutdown(app)


def _body(text_: str = "ช่วยเหลือ", user: str = "U" + "a" * 32) -> bytes:
    return webhook_body([text_event(user_source(user), text_, reply_token="r" * 32)], "U" + "0" * 32)


def _stored(app: Flask) -> int:
    services = app.extensions["kaona"].services
    with services.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM inbox_events")).scalar_one())


def _post(app: Flask, body: bytes, headers: dict[str, str]) -> int:
    response = app.test_client().post("/callback", data=body, headers={"Content-Type": "application/json", **headers})
    return response.status_code


def test_a_correctly_signed_body_is_stored(app: Flask) -> None:
    body = _body()
    assert _post(app, body, {"X-Line-Signature": sign(body, SECRET)}) == 200
    assert _stored(app) == 1


FORGED = {
    "missing": None,
    "empty": "",
    "spaces": "   ",
    "another body's": "OTHER",
    "another secret's": "SECRET",
    "not base64": "!!!not-base64@@@",
    "hex instead of base64": "HEX",
    "base64 without padding": "NOPAD",
    "url-safe base64": "URLSAFE",
    "truncated": "TRUNC",
    "a huge header": "A" * 60_000,
    "non-ascii": "ลายเซ็น",
}


@pytest.mark.parametrize("case", list(FORGED))
def test_a_forged_signature_is_refused_and_nothing_is_stored(app: Flask, case: str) -> None:
    body = _body()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    value = {
        "OTHER": sign(_body("อื่น"), SECRET),
        "SECRET": sign(body, "not-the-secret"),
        "HEX": digest.hex(),
        "NOPAD": base64.b64encode(digest).decode().rstrip("="),
        "URLSAFE": base64.urlsafe_b64encode(hmac.new(SECRET.encode(), b"x", hashlib.sha256).digest()).decode(),
        "TRUNC": sign(body, SECRET)[:20],
    }.get(FORGED[case] or "", FORGED[case])
    headers = {} if value is None else {"X-Line-Signature": value}
    status = _post(app, body, headers) if case != "non-ascii" else _raw_header_post(app, body, value or "")
    assert status == 400, case
    assert _stored(app) == 0


def _raw_header_post(app: Flask, body: bytes, value: str) -> int:
    """A header value outside Latin-1 (as raw UTF-8 bytes on the wire)."""
    environ = {"HTTP_X_LINE_SIGNATURE": value.encode().decode("latin-1")}
    return app.test_client().post("/callback", data=body, environ_overrides=environ,
                                  headers={"Content-Type": "application/json"}).status_code  # fmt: skip


def test_a_signed_body_in_another_encoding_is_refused(app: Flask) -> None:
    body = json.dumps({"destination": "U" + "0" * 32, "events": []}).encode("utf-16")
    assert _post(app, body, {"X-Line-Signature": sign(body, SECRET)}) == 400
    assert _stored(app) == 0


def test_a_signed_body_that_is_not_json_is_refused(app: Flask) -> None:
    for body in (b"", b"null", b"[]", b'{"events": {}}', b"\x00" * 10, b'{"events": [1]}'):
        assert _post(app, body, {"X-Line-Signature": sign(body, SECRET)}) == 400, body
    assert _stored(app) == 0


def test_a_body_over_one_mib_is_refused_before_it_is_read(app: Flask) -> None:
    body = b'{"events": [], "pad": "' + b"x" * MIB + b'"}'
    assert _post(app, body, {"X-Line-Signature": sign(body, SECRET)}) == 413
    assert _stored(app) == 0


# The real server: what the test client cannot show.


@pytest.fixture
def web(database_url: str, line: LocalLineServer, tmp_path: Path) -> Iterator[int]:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": line.url,
           "DATABASE_URL": database_url, "KAONA_FILES_DIR": str(tmp_path / "files"), "KAONA_WORKER": "external"}  # fmt: skip
    with procfile_web(env, tmp_path / "web.log") as port:
        yield port


def _raw(port: int, request: bytes, timeout: float = 10.0) -> int:
    """Send raw bytes; the status of the answer (0: the connection was closed unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server may close before a too-large body is all sent
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def _chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def _head(signature: str, extra: str = "") -> bytes:
    return (f"POST /callback HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"X-Line-Signature: {signature}\r\nConnection: close\r\n{extra}").encode()  # fmt: skip


def _stored_at(database_url: str) -> int:
    from storage.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM inbox_events")).scalar_one())
    engine.dispose()
    return count


def test_the_real_server_takes_a_signed_chunked_body(web: int, database_url: str) -> None:
    body = _body()
    request = _head(sign(body, SECRET), "Transfer-Encoding: chunked\r\n\r\n") + _chunked(body, 100)
    assert _raw(web, request) == 200
    assert _stored_at(database_url) == 1


def test_the_real_server_refuses_a_chunked_body_over_one_mib(web: int, database_url: str) -> None:
    body = b'{"events": [], "pad": "' + b"x" * (MIB + 10) + b'"}'
    request = _head(sign(body, SECRET), "Transfer-Encoding: chunked\r\n\r\n") + _chunked(body, 64 * 1024)
    assert _raw(web, request) == 413
    assert _stored_at(database_url) == 0


def test_the_real_server_refuses_a_content_length_over_one_mib(web: int, database_url: str) -> None:
    body = b'{"events": [], "pad": "' + b"x" * (MIB + 10) + b'"}'
    request = _head(sign(body, SECRET), f"Content-Length: {len(body)}\r\n\r\n").replace(b"\r\n\r\n", b"\r\n\r\n", 1) + body
    assert _raw(web, request) == 413
    assert _stored_at(database_url) == 0


def test_the_real_server_refuses_a_forged_chunked_body(web: int, database_url: str) -> None:
    body = _body()
    request = _head(sign(_body("อื่น"), SECRET), "Transfer-Encoding: chunked\r\n\r\n") + _chunked(body)
    assert _raw(web, request) == 400
    assert _stored_at(database_url) == 0


def test_the_real_server_refuses_a_huge_header_without_a_500(web: int) -> None:
    request = _head("A" * (200 * 1024), "Content-Length: 2\r\n\r\n") + b"{}"
    assert _raw(web, request) in (400, 431, 0)
    request = _head("x", "".join(f"X-Pad-{n}: {'y' * 1000}\r\n" for n in range(300)) + "Content-Length: 2\r\n\r\n") + b"{}"
    assert _raw(web, request) in (400, 431, 0)


def test_the_real_server_refuses_a_body_with_neither_length_nor_chunking(web: int, database_url: str) -> None:
    body = _body()
    request = _head(sign(body, SECRET), "\r\n") + body  # no Content-Length: the body is not read
    assert _raw(web, request) in (400, 411)
    assert _stored_at(database_url) == 0
