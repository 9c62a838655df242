"""Kaona's default rich menu for one-to-one chats: its definition, its image, its install.

Four equal tiles in one row of a compact menu (2500x843): รายงาน, สถานะ, สรุป and
ช่วยเหลือ, each a ``message`` action that sends its own word, as if the person had
typed it. The image is drawn here at install time (a colored tile, a simple icon and
the Thai label in Noto Sans Thai from the ``fontpkg-noto-sans-thai`` package), so no
picture is kept in the repository and the labels always match the actions.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fontpkg.pil import truetype
from PIL import Image, ImageColor, ImageDraw, ImageFont

from bot.gateway import LineGateway
from plans.errors import LineApiError

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 2500, 843  # LINE's compact size
NAME_PREFIX = "kaona"  # install() replaces every menu whose name starts with it
NAME = "kaona-default"
CHAT_BAR_TEXT = "เมนู"
FONT_FAMILY = "Noto Sans Thai"
SCALE = 2  # drawn at twice the size, then scaled down: smooth edges without antialiased shapes
BACKGROUND = "#FFFFFF"
INK = "#FFFFFF"

Icon = Callable[[ImageDraw.ImageDraw, float, float, float, str], None]


def _tint(color: str, amount: float) -> tuple[int, int, int]:
    """``color`` moved ``amount`` of the way to white."""
    red, green, blue = ImageColor.getrgb(color)[:3]

    def mix(channel: int) -> int:
        return round(channel + (255 - channel) * amount)

    return mix(red), mix(green), mix(blue)


# -- icons: each draws in white around (cx, cy), ``u`` being 1/100 of the icon's size -------
def _checklist(draw: ImageDraw.ImageDraw, cx: float, cy: float, u: float, color: str) -> None:
    draw.rounded_rectangle((cx - 40 * u, cy - 46 * u, cx + 40 * u, cy + 50 * u), 9 * u, fill=INK)
    draw.rounded_rectangle((cx - 18 * u, cy - 56 * u, cx + 18 * u, cy - 38 * u), 6 * u,
                           fill=INK, outline=color, width=round(4 * u))
    for row in range(3):
        y = cy - 18 * u + row * 25 * u
        draw.line([(cx - 29 * u, y), (cx - 22 * u, y + 7 * u), (cx - 10 * u, y - 7 * u)],
                  fill=color, width=round(5 * u), joint="curve")
        draw.line([(cx - 2 * u, y), (cx + 28 * u, y)], fill=color, width=round(5 * u))


def _bar_chart(draw: ImageDraw.ImageDraw, cx: float, cy: float, u: float, color: str) -> None:
    base, left = cy + 44 * u, cx - 48 * u
    draw.line([(left, cy - 50 * u), (left, base), (cx + 50 * u, base)], fill=INK,
              width=round(7 * u), joint="curve")
    for i, height in enumerate((30, 52, 42, 80)):
        x = left + 12 * u + i * 22 * u
        draw.rounded_rectangle((x, base - 8 * u - height * u, x + 15 * u, base - 8 * u), 3 * u,
                               fill=INK)


def _document(draw: ImageDraw.ImageDraw, cx: float, cy: float, u: float, color: str) -> None:
    left, top, right, bottom, fold = cx - 38 * u, cy - 50 * u, cx + 38 * u, cy + 50 * u, 22 * u
    draw.polygon([(left, top), (right - fold, top), (right, top + fold), (right, bottom),
                  (left, bottom)], fill=INK)
    draw.polygon([(right - fold, top), (right - fold, top + fold), (right, top + fold)],
                 fill=_tint(color, 0.45))
    for row in range(4):
        y = cy - 12 * u + row * 18 * u
        draw.ellipse((left + 10 * u, y - 4 * u, left + 18 * u, y + 4 * u), fill=color)
        draw.line([(left + 25 * u, y), (right - 10 * u - (14 * u if row == 3 else 0), y)],
                  fill=color, width=round(5 * u))


def _question(draw: ImageDraw.ImageDraw, cx: float, cy: float, u: float, color: str) -> None:
    draw.ellipse((cx - 50 * u, cy - 50 * u, cx + 50 * u, cy + 50 * u), fill=INK)
    font = truetype(FONT_FAMILY, round(82 * u), weight=800)
    draw.text((cx, cy), "?", font=font, fill=color, anchor="mm")


@dataclass(frozen=True)
class Tile:
    word: str  # the label, and the text the tap sends
    color: str  # dark enough for white text and icons (contrast >= 4.5:1)
    icon: Icon


TILES = (
    Tile("รายงาน", "#1D4ED8", _checklist),
    Tile("สถานะ", "#047857", _bar_chart),
    Tile("สรุป", "#B45309", _document),
    Tile("ช่วยเหลือ", "#6D28D9", _question),
)


def _bounds(index: int) -> dict[str, int]:
    left = WIDTH * index // len(TILES)
    right = WIDTH * (index + 1) // len(TILES)
    return {"x": left, "y": 0, "width": right - left, "height": HEIGHT}


def menu_definition() -> dict[str, Any]:
    """LINE's rich menu object: four equal areas in one row, one per tile."""
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": False,
        "name": NAME,
        "chatBarText": CHAT_BAR_TEXT,
        "areas": [
            {"bounds": _bounds(i), "action": {"type": "message", "label": t.word, "text": t.word}}
            for i, t in enumerate(TILES)
        ],
    }


def _label_font(width: float) -> ImageFont.FreeTypeFont:
    """The largest bold font (up to 128 px at 1x) in which every label fits ``width``."""
    size = 128 * SCALE
    while True:
        font = truetype(FONT_FAMILY, size, weight=700)
        if size <= 40 or all(font.getlength(t.word) <= width for t in TILES):
            return font
        size -= 4


def render_image() -> bytes:
    """The menu's PNG, exactly WIDTH x HEIGHT."""
    image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    gap = 14 * SCALE  # half the space between two tiles
    tile_width = WIDTH * SCALE / len(TILES)
    font = _label_font(tile_width - 2 * gap - 80 * SCALE)
    for i, tile in enumerate(TILES):
        b = _bounds(i)
        left, right = b["x"] * SCALE + gap, (b["x"] + b["width"]) * SCALE - gap
        draw.rounded_rectangle((left, gap, right, HEIGHT * SCALE - gap), 48 * SCALE,
                               fill=tile.color)
        cx = (left + right) / 2
        tile.icon(draw, cx, 330 * SCALE, 3.4 * SCALE, tile.color)
        draw.text((cx, 700 * SCALE), tile.word, font=font, fill=INK, anchor="ms")
    out = io.BytesIO()
    image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def install(gateway: LineGateway) -> str:
    """Create the menu, upload its image, make it the default for everyone, then delete
    the earlier Kaona menus (names starting with ``kaona``). The new menu's ID."""
    png = render_image()
    menu_id = gateway.create_rich_menu(menu_definition())
    try:
        gateway.upload_rich_menu_image(menu_id, png)
        gateway.set_default_rich_menu(menu_id)
    except LineApiError:
        log.warning("rich menu %s could not be installed; deleting it", menu_id)
        gateway.delete_rich_menu(menu_id)
        raise
    for old in gateway.list_rich_menus(name_prefix=NAME_PREFIX):
        if old != menu_id:
            gateway.delete_rich_menu(old)
    log.info("rich menu %s is the default", menu_id)
    return menu_id
