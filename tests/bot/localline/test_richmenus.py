"""The local LINE server's rich menu endpoints and LINE's rules for them, over real HTTP."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from bot.localline import LocalLineServer
from bot.localline.richmenus import image_size

TOKEN = "local-token"
Raw = tuple[int, dict[str, Any]]


@pytest.fixture
def srv() -> Iterator[LocalLineServer]:
    with LocalLineServer(access_token=TOKEN) as server:
        yield server


def call(srv: LocalLineServer, method: str, path: str, body: Any = None, *,
         data: bytes | None = None, content_type: str = "application/json",
         token: str | None = TOKEN) -> Raw:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if data is None and body is not None:
        data = json.dumps(body).encode()
    req = urllib.request.Request(srv.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}")


def menu(width: int = 2500, height: int = 843, areas: int = 2, **changes: Any) -> dict[str, Any]:
    step = width // areas
    body = {
        "size": {"width": width, "height": height},
        "selected": False,
        "name": "kaona-test",
        "chatBarText": "เมนู",
        "areas": [{"bounds": {"x": i * step, "y": 0, "width": step, "height": height},
                   "action": {"type": "message", "label": f"ปุ่ม {i}", "text": f"ปุ่ม {i}"}}
                  for i in range(areas)],
    }
    body.update(changes)
    return body


def image(width: int, height: int, kind: str = "PNG", **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#1D4ED8").save(out, kind, **options)
    return out.getvalue()


def create(srv: LocalLineServer, body: dict[str, Any] | None = None) -> str:
    status, out = call(srv, "POST", "/v2/bot/richmenu", body or menu())
    assert status == 200, out
    return str(out["richMenuId"])


def upload(srv: LocalLineServer, menu_id: str, data: bytes,
           content_type: str = "image/png") -> Raw:
    return call(srv, "POST", f"/v2/bot/richmenu/{menu_id}/content", data=data,
                content_type=content_type)


def properties(out: dict[str, Any]) -> list[str]:
    return [d["property"] for d in out.get("details", [])]


# -- the menu object ----------------------------------------------------------------
def test_a_created_menu_can_be_read_back_and_listed(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    assert re.fullmatch(r"richmenu-[0-9a-f]{32}", menu_id)
    status, out = call(srv, "GET", f"/v2/bot/richmenu/{menu_id}")
    assert status == 200
    assert out == {"richMenuId": menu_id, **menu()}
    status, listed = call(srv, "GET", "/v2/bot/richmenu/list")
    assert status == 200 and [m["richMenuId"] for m in listed["richmenus"]] == [menu_id]
    assert [m.rich_menu_id for m in srv.world.rich_menus()] == [menu_id]


@pytest.mark.parametrize("width, height", [(2500, 1686), (2500, 843), (1200, 405), (800, 540)])
def test_sizes_line_allows(srv: LocalLineServer, width: int, height: int) -> None:
    create(srv, menu(width, height))


@pytest.mark.parametrize("size", [
    {"width": 2600, "height": 843},  # wider than 2500
    {"width": 2500, "height": 1800},  # width/height below 1.45
    {"width": 700, "height": 300},  # narrower than 800
    {"width": 1000, "height": 200},  # lower than 250
    {"width": "2500", "height": 843},
    None,
])
def test_a_wrong_size_is_refused(srv: LocalLineServer, size: Any) -> None:
    status, out = call(srv, "POST", "/v2/bot/richmenu", menu(size=size))
    assert status == 400
    assert "size" in properties(out)
    assert srv.world.rich_menus() == []


def test_an_area_outside_the_image_is_refused(srv: LocalLineServer) -> None:
    body = menu()
    body["areas"][1]["bounds"] = {"x": 2000, "y": 0, "width": 600, "height": 843}
    body["areas"][0]["bounds"] = {"x": 0, "y": 100, "width": 100, "height": 800}
    status, out = call(srv, "POST", "/v2/bot/richmenu", body)
    assert status == 400
    assert properties(out) == ["areas[0].bounds", "areas[1].bounds"]


def test_an_area_with_a_negative_or_empty_bound_is_refused(srv: LocalLineServer) -> None:
    body = menu()
    body["areas"][0]["bounds"]["x"] = -1
    body["areas"][1]["bounds"]["width"] = 0
    status, out = call(srv, "POST", "/v2/bot/richmenu", body)
    assert status == 400
    assert properties(out) == ["areas[0].bounds", "areas[1].bounds"]


def test_twenty_areas_are_allowed_but_not_twenty_one(srv: LocalLineServer) -> None:
    create(srv, menu(areas=20))
    status, out = call(srv, "POST", "/v2/bot/richmenu", menu(areas=21))
    assert status == 400 and properties(out) == ["areas"]
    body = menu()
    body["areas"] = []
    status, out = call(srv, "POST", "/v2/bot/richmenu", body)
    assert status == 400 and properties(out) == ["areas"]


def test_chat_bar_text_is_at_most_fourteen_characters(srv: LocalLineServer) -> None:
    create(srv, menu(chatBarText="เ" * 14))
    status, out = call(srv, "POST", "/v2/bot/richmenu", menu(chatBarText="เ" * 15))
    assert status == 400 and properties(out) == ["chatBarText"]


def test_name_selected_and_chat_bar_text_are_required(srv: LocalLineServer) -> None:
    body = menu(name="n" * 301)
    del body["selected"], body["chatBarText"]
    status, out = call(srv, "POST", "/v2/bot/richmenu", body)
    assert status == 400
    assert sorted(properties(out)) == ["chatBarText", "name", "selected"]


def test_rich_menu_actions(srv: LocalLineServer) -> None:
    body = menu(areas=5)
    body["areas"][0]["action"] = {"type": "postback", "data": "d" * 300}
    body["areas"][1]["action"] = {"type": "uri", "uri": "https://example.com"}
    body["areas"][2]["action"] = {"type": "datetimepicker", "data": "x", "mode": "date"}
    body["areas"][3]["action"] = {"type": "richmenuswitch", "richMenuAliasId": "a", "data": "x"}
    create(srv, body)
    body["areas"][0]["action"] = {"type": "message", "text": "t" * 301}
    body["areas"][1]["action"] = {"type": "camera", "label": "กล้อง"}
    body["areas"][2]["action"] = {"type": "message", "label": "ป" * 21, "text": "x"}
    body["areas"][3]["action"] = {"type": "richmenuswitch", "data": "x"}
    status, out = call(srv, "POST", "/v2/bot/richmenu", body)
    assert status == 400
    assert properties(out) == ["areas[0].action.text", "areas[1].action.type",
                               "areas[2].action.label", "areas[3].action.richMenuAliasId"]


def test_validate_checks_without_creating(srv: LocalLineServer) -> None:
    assert call(srv, "POST", "/v2/bot/richmenu/validate", menu()) == (200, {})
    status, out = call(srv, "POST", "/v2/bot/richmenu/validate", menu(areas=21))
    assert status == 400 and properties(out) == ["areas"]
    assert srv.world.rich_menus() == []


def test_deleting_a_menu(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    assert call(srv, "DELETE", f"/v2/bot/richmenu/{menu_id}") == (200, {})
    assert call(srv, "GET", f"/v2/bot/richmenu/{menu_id}")[0] == 404
    assert call(srv, "DELETE", f"/v2/bot/richmenu/{menu_id}")[0] == 404
    assert srv.world.rich_menus() == []


# -- the image ----------------------------------------------------------------------
def test_an_image_of_the_menu_size_is_taken_once(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    png = image(2500, 843)
    assert upload(srv, menu_id, png) == (200, {})
    stored = srv.world.rich_menus()[0]
    assert stored.image == png and stored.content_type == "image/png"
    status, out = upload(srv, menu_id, png)
    assert status == 400 and "already been uploaded" in out["message"]


def test_a_jpeg_is_taken_too(srv: LocalLineServer) -> None:
    menu_id = create(srv, menu(2500, 1686))
    assert upload(srv, menu_id, image(2500, 1686, "JPEG"), "image/jpeg") == (200, {})


def test_image_dimensions_must_match_the_menu(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    status, out = upload(srv, menu_id, image(2500, 1686))
    assert status == 400 and "2500x843" in out["message"]
    status, out = upload(srv, menu_id, image(1250, 422))
    assert status == 400
    assert srv.world.rich_menus()[0].image is None


def test_the_image_must_be_the_declared_png_or_jpeg(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    assert upload(srv, menu_id, image(2500, 843), "image/jpeg")[0] == 400
    assert upload(srv, menu_id, b"not an image at all")[0] == 400
    assert upload(srv, menu_id, image(2500, 843, "GIF"), "image/gif")[0] == 415


def test_the_image_is_at_most_one_megabyte(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    big = image(2500, 843) + b"\0" * (1024 * 1024)
    assert upload(srv, menu_id, big)[0] == 413


def test_an_image_for_an_unknown_menu_is_404(srv: LocalLineServer) -> None:
    assert upload(srv, "richmenu-" + "0" * 32, image(2500, 843))[0] == 404


def test_image_size_reads_png_and_jpeg_headers() -> None:
    assert image_size(image(800, 540)) == ("png", 800, 540)
    assert image_size(image(1200, 405, "JPEG")) == ("jpeg", 1200, 405)
    assert image_size(image(1200, 405, "JPEG", progressive=True)) == ("jpeg", 1200, 405)
    exif = Image.Exif()
    exif[0x010E] = "with an APP1 segment before the frame"
    assert image_size(image(900, 300, "JPEG", exif=exif)) == ("jpeg", 900, 300)
    assert image_size(b"\xff\xd8\xff\xd9") is None
    assert image_size(b"GIF89a") is None


# -- the default menu ---------------------------------------------------------------
def test_a_menu_without_an_image_cannot_be_the_default(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    status, out = call(srv, "POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    assert status == 400 and "image" in out["message"]
    assert srv.world.default_rich_menu() is None
    assert call(srv, "POST", "/v2/bot/user/all/richmenu/richmenu-unknown")[0] == 404


def test_setting_reading_and_clearing_the_default(srv: LocalLineServer) -> None:
    assert call(srv, "GET", "/v2/bot/user/all/richmenu")[0] == 404
    menu_id = create(srv)
    upload(srv, menu_id, image(2500, 843))
    assert call(srv, "POST", f"/v2/bot/user/all/richmenu/{menu_id}") == (200, {})
    assert call(srv, "GET", "/v2/bot/user/all/richmenu") == (200, {"richMenuId": menu_id})
    default = srv.world.default_rich_menu()
    assert default is not None and default.rich_menu_id == menu_id
    assert call(srv, "DELETE", "/v2/bot/user/all/richmenu") == (200, {})
    assert call(srv, "GET", "/v2/bot/user/all/richmenu")[0] == 404
    assert [m.rich_menu_id for m in srv.world.rich_menus()] == [menu_id]


def test_deleting_the_default_menu_leaves_no_default(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    upload(srv, menu_id, image(2500, 843))
    call(srv, "POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    call(srv, "DELETE", f"/v2/bot/richmenu/{menu_id}")
    assert call(srv, "GET", "/v2/bot/user/all/richmenu")[0] == 404


def test_reset_forgets_rich_menus(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    upload(srv, menu_id, image(2500, 843))
    call(srv, "POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    srv.world.reset()
    assert srv.world.rich_menus() == [] and srv.world.default_rich_menu() is None
    assert call(srv, "GET", "/v2/bot/richmenu/list") == (200, {"richmenus": []})


# -- auth and the request log -------------------------------------------------------
def test_every_rich_menu_endpoint_requires_the_bearer_token(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    png = image(2500, 843)
    endpoints: list[tuple[str, str, bytes | None, str]] = [
        ("POST", "/v2/bot/richmenu", json.dumps(menu()).encode(), "application/json"),
        ("POST", "/v2/bot/richmenu/validate", json.dumps(menu()).encode(), "application/json"),
        ("GET", "/v2/bot/richmenu/list", None, "application/json"),
        ("GET", f"/v2/bot/richmenu/{menu_id}", None, "application/json"),
        ("POST", f"/v2/bot/richmenu/{menu_id}/content", png, "image/png"),
        ("POST", f"/v2/bot/user/all/richmenu/{menu_id}", None, "application/json"),
        ("GET", "/v2/bot/user/all/richmenu", None, "application/json"),
        ("DELETE", "/v2/bot/user/all/richmenu", None, "application/json"),
        ("DELETE", f"/v2/bot/richmenu/{menu_id}", None, "application/json"),
    ]
    for method, path, data, content_type in endpoints:
        for token in (None, "wrong"):
            status, out = call(srv, method, path, data=data, content_type=content_type,
                               token=token)
            assert status == 401, (method, path)
            assert out["message"].startswith("Authentication failed")
    assert [m.rich_menu_id for m in srv.world.rich_menus()] == [menu_id]
    assert srv.world.rich_menus()[0].image is None


def test_rich_menu_calls_are_in_the_request_log(srv: LocalLineServer) -> None:
    menu_id = create(srv)
    upload(srv, menu_id, image(2500, 843))
    call(srv, "POST", f"/v2/bot/user/all/richmenu/{menu_id}")
    logged = [(r.method, r.path, r.status) for r in srv.world.requests()]
    assert logged == [("POST", "/v2/bot/richmenu", 200),
                      ("POST", f"/v2/bot/richmenu/{menu_id}/content", 200),
                      ("POST", f"/v2/bot/user/all/richmenu/{menu_id}", 200)]
    assert srv.world.requests()[0].body == menu()
