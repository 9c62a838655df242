"""Rich menus on the local LINE platform: the menus, their images and the default menu.

The rules for a menu object are ``rules.validate_rich_menu``; the image rules are
here: PNG or JPEG, at most 1 MB, exactly the menu's size, uploaded once per menu
(a second upload is refused, as LINE does), and a menu becomes the default only
once it has its image. The size is read from the PNG IHDR chunk or the JPEG SOF
marker, so no imaging library is needed.
"""

from __future__ import annotations

import secrets
import struct
import threading
from dataclasses import dataclass
from typing import Any

from bot.localline.rules import LineError

MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpeg"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
NOT_FOUND = {"message": "Not found"}


@dataclass
class RichMenu:
    rich_menu_id: str
    definition: dict[str, Any]
    image: bytes | None = None
    content_type: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.definition["size"]["width"]), int(self.definition["size"]["height"])

    def to_dict(self) -> dict[str, Any]:
        """The menu as LINE's GET answers show it."""
        return {"richMenuId": self.rich_menu_id, **self.definition}


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """``(format, width, height)`` of a PNG or JPEG image, None for anything else."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame
            return None
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in JPEG_SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return "jpeg", width, height
        i += 2 + length
    return None


class RichMenus:
    """One channel's rich menus and its default menu; every method takes one lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._menus: dict[str, RichMenu] = {}
        self._default: str | None = None

    def clear(self) -> None:
        with self._lock:
            self._menus.clear()
            self._default = None

    def create(self, definition: dict[str, Any]) -> RichMenu:
        """Store an already validated menu object under a new ID."""
        with self._lock:
            menu = RichMenu(f"richmenu-{secrets.token_hex(16)}", dict(definition))
            self._menus[menu.rich_menu_id] = menu
            return menu

    def get(self, rich_menu_id: str) -> RichMenu:
        with self._lock:
            menu = self._menus.get(rich_menu_id)
            if menu is None:
                raise LineError(404, NOT_FOUND)
            return menu

    def all(self) -> list[RichMenu]:
        with self._lock:
            return list(self._menus.values())

    def delete(self, rich_menu_id: str) -> None:
        with self._lock:
            self.get(rich_menu_id)
            del self._menus[rich_menu_id]
            if self._default == rich_menu_id:
                self._default = None

    def set_image(self, rich_menu_id: str, data: bytes, content_type: str) -> None:
        with self._lock:
            menu = self.get(rich_menu_id)
            if menu.image is not None:
                raise LineError(400, {"message": "An image has already been uploaded "
                                                 "to the richmenu"})
            if content_type not in IMAGE_TYPES:
                raise LineError(415, {"message": "Content-Type must be image/jpeg or image/png"})
            if len(data) > MAX_IMAGE_BYTES:
                raise LineError(413, {"message": "The image must be at most 1 MB"})
            found = image_size(data)
            if found is None or found[0] != IMAGE_TYPES[content_type]:
                raise LineError(400, {"message": f"The body is not a valid {content_type} image"})
            if found[1:] != menu.size:
                width, height = menu.size
                raise LineError(400, {"message": f"The image must be {width}x{height} pixels, "
                                                 f"the size of the rich menu"})
            menu.image, menu.content_type = data, content_type

    def set_default(self, rich_menu_id: str) -> None:
        with self._lock:
            if self.get(rich_menu_id).image is None:
                raise LineError(400, {"message": "must upload richmenu image before applying "
                                                 "it to user"})
            self._default = rich_menu_id

    def default(self) -> RichMenu | None:
        with self._lock:
            return self._menus.get(self._default) if self._default else None

    def clear_default(self) -> None:
        with self._lock:
            self._default = None
