"""The default rich menu: installed through the real gateway on the local LINE server."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.gateway import LINE_DATA_API, LineGateway
from bot.localline import LocalLineServer
from bot.localline.richmenus import image_size
from bot.localline.rules import validate_rich_menu
from bot.richmenu import HEIGHT, WIDTH, install, menu_definition, render_image
from bot.settings import Settings
from plans.errors import LineServerError

WORDS = ["รายงาน", "สถานะ", "สรุป", "ช่วยเหลือ"]


@pytest.fixture
def gateway(settings: Settings) -> Iterator[LineGateway]:
    gw = LineGateway(settings)
    yield gw
    gw.close()


def other_menu() -> dict[str, object]:
    """A menu someone made by hand in the console: install() must leave it alone."""
    return {**menu_definition(), "name": "campaign"}


def test_install_makes_a_default_menu_with_four_thai_words(
    gateway: LineGateway, line: LocalLineServer
) -> None:
    menu_id = install(gateway)

    default = line.world.default_rich_menu()
    assert default is not None and default.rich_menu_id == menu_id
    assert gateway.default_rich_menu() == menu_id
    assert default.definition["size"] == {"width": 2500, "height": 843}
    assert default.definition["name"].startswith("kaona")
    assert default.definition["chatBarText"] == "เมนู"
    actions = [area["action"] for area in default.definition["areas"]]
    assert actions == [{"type": "message", "label": w, "text": w} for w in WORDS]
    assert default.content_type == "image/png" and default.image is not None
    assert image_size(default.image) == ("png", 2500, 843)


def test_reinstalling_replaces_the_menu_instead_of_piling_up(
    gateway: LineGateway, line: LocalLineServer
) -> None:
    kept = gateway.create_rich_menu(other_menu())
    first = install(gateway)
    second = install(gateway)

    assert second != first
    assert sorted(m.rich_menu_id for m in line.world.rich_menus()) == sorted([kept, second])
    assert gateway.default_rich_menu() == second
    assert gateway.list_rich_menus(name_prefix="kaona") == [second]
    assert sorted(gateway.list_rich_menus()) == sorted([kept, second])


def test_a_failed_upload_leaves_no_half_made_menu(
    gateway: LineGateway, line: LocalLineServer
) -> None:
    first = install(gateway)
    line.world.inject_fault("/v2/bot/richmenu/", status=500)  # the upload of the next one

    with pytest.raises(LineServerError):
        install(gateway)

    assert [m.rich_menu_id for m in line.world.rich_menus()] == [first]
    assert gateway.default_rich_menu() == first


def test_gateway_rich_menu_calls(gateway: LineGateway, line: LocalLineServer) -> None:
    assert gateway.default_rich_menu() is None
    menu_id = gateway.create_rich_menu(menu_definition())
    gateway.upload_rich_menu_image(menu_id, render_image())
    gateway.set_default_rich_menu(menu_id)
    assert gateway.default_rich_menu() == menu_id
    gateway.delete_rich_menu(menu_id)
    assert gateway.list_rich_menus() == []
    assert gateway.default_rich_menu() is None
    paths = [(r.method, r.path) for r in line.world.requests()]
    assert ("POST", f"/v2/bot/richmenu/{menu_id}/content") in paths


def test_uploads_go_to_the_data_host_on_line_itself(settings: Settings) -> None:
    gw = LineGateway(settings.with_(line_api_base_url=None))
    try:
        assert gw._data_configuration().host == LINE_DATA_API
    finally:
        gw.close()


def test_the_definition_follows_line_rules() -> None:
    menu = menu_definition()
    assert validate_rich_menu(menu) == []
    assert menu["selected"] is False and len(menu["chatBarText"]) <= 14
    bounds = [area["bounds"] for area in menu["areas"]]
    assert [b["width"] for b in bounds] == [625] * 4  # four equal areas, one row
    assert [b["x"] for b in bounds] == [0, 625, 1250, 1875]
    assert all(b["y"] == 0 and b["height"] == HEIGHT for b in bounds)


def test_the_image_is_a_png_of_the_declared_size() -> None:
    png = render_image()
    assert len(png) < 1024 * 1024
    assert image_size(png) == ("png", WIDTH, HEIGHT)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        # each tile is mostly its own color: the labels and icons are on distinct tiles
        colors = [rgb.getpixel((x, 60)) for x in (312, 937, 1562, 2187)]
        assert len(set(colors)) == 4
        # and carries white (icon and label) drawn on it
        for left in (0, 625, 1250, 1875):
            tile = rgb.crop((left + 40, 40, left + 585, 800))
            assert (255, 255, 255) in {c for _, c in tile.getcolors(1 << 20) or []}
