"""Thai text helpers: digits, numbers, month names, Buddhist Era years, dates.

Pure functions, no I/O. Thai vowels and tone marks are never stripped: only
digits are translated and only dots/spaces are ignored when matching months.

Years: BE = CE + 543. A two-digit year ("66", "๖6") means 25xx BE, the way
Thai officials abbreviate it ("ต.ค. 65").
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

BE_OFFSET = 543

_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(_THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", _THAI_DIGITS)

MONTH_ABBR: dict[int, str] = {
    1: "ม.ค.", 2: "ก.พ.", 3: "มี.ค.", 4: "เม.ย.", 5: "พ.ค.", 6: "มิ.ย.",
    7: "ก.ค.", 8: "ส.ค.", 9: "ก.ย.", 10: "ต.ค.", 11: "พ.ย.", 12: "ธ.ค.",
}  # fmt: skip
MONTH_FULL: dict[int, str] = {
    1: "มกราคม", 2: "กุมภาพันธ์", 3: "มีนาคม", 4: "เมษายน", 5: "พฤษภาคม", 6: "มิถุนายน",
    7: "กรกฎาคม", 8: "สิงหาคม", 9: "กันยายน", 10: "ตุลาคม", 11: "พฤศจิกายน", 12: "ธันวาคม",
}  # fmt: skip
_ENGLISH_FULL = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def _month_keys() -> dict[str, int]:
    """Month spellings with dots and spaces removed -> month number."""
    keys = {abbr.replace(".", ""): no for no, abbr in MONTH_ABBR.items()}
    keys.update({full: no for no, full in MONTH_FULL.items()})
    keys["กรกฏาคม"] = 7  # a common misspelling (ฏ for ฎ)
    for no, english in enumerate(_ENGLISH_FULL, start=1):
        keys[english] = keys[english[:3]] = no
    keys["sept"] = 9
    return keys


_MONTH_KEYS = _month_keys()
# [0-9], never \d: \d also takes other scripts' digits ("١٢", "१२"), which nobody types here.
_NUMBER_CORE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:[, ][0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_NUMBER_PREFIXES = ("ร้อยละ",)
_NUMBER_SUFFIXES = ("เปอร์เซ็นต์", "เปอร์เซนต์", "บาท", "%", ".-", "-", ".")
_SPACE = re.compile(r"[\s\u00a0\u200b\u2009\u202f]+")
_YEAR = re.compile(r"^(?:(พ\.?\s*ศ\.?)|(ค\.?\s*ศ\.?))?\s*([0-9]{2}|[0-9]{4})$")


def to_arabic_digits(text: str) -> str:
    """Replace Thai digits with Arabic ones: ``"๑๒,๕๐๐.๕๐" -> "12,500.50"``."""
    return text.translate(_TO_ARABIC)


# A whole number typed in chat: an id, a report's number, a day, a menu choice. Nine digits
# stay below 2**31 (an INTEGER column) and far below int()'s 4,300-digit limit.
WHOLE_DIGITS = 9
_WHOLE = re.compile(r"[0-9]+")


def parse_whole(text: str | None, *, max_digits: int = WHOLE_DIGITS) -> int | None:
    """A whole number as typed ("12", "๑๒", " 0012 "), or None: the one strict reader of
    numbers from chat and buttons. Only ASCII and Thai digits count: ``str.isdigit()``
    also takes "²", "①" and other scripts' digits, on which ``int()`` raises or reads a
    number nobody meant. More than ``max_digits`` digits (leading zeros aside) is None.
    """
    if text is None:
        return None
    s = to_arabic_digits(text).strip()
    if not _WHOLE.fullmatch(s):
        return None
    s = s.lstrip("0") or "0"
    return int(s) if len(s) <= max_digits else None


def only_digits(text: str) -> str:
    """The ASCII digits of ``text`` once Thai digits are read: ``"๔๘๒ ๙๑๓" -> "482913"``;
    "²" and other look-alike digits are dropped, not kept."""
    return "".join(ch for ch in to_arabic_digits(text) if "0" <= ch <= "9")


# C0 and C1 control characters but the line break and the tab: PostgreSQL refuses NUL in
# text, and none of them is anything a person meant to write.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Free text as it is kept (work done, reasons, problems): control characters out,
    spaces around it trimmed; Thai vowels, tone marks and everything else untouched."""
    return _CONTROLS.sub("", text).strip()


def thai_digits(text: str) -> str:
    """Replace Arabic digits with Thai ones, for display: ``"2566" -> "๒๕๖๖"``."""
    return text.translate(_TO_THAI)


def parse_number(text: str | None) -> Decimal | None:
    """Read a number as people write it in Thai documents, or None.

    Accepts Thai or Arabic digits, thousands separators (comma or space),
    surrounding spaces, a leading "ร้อยละ", a trailing "%", "เปอร์เซ็นต์",
    "บาท" or the money dash ("261,700.-"). A lone "-" (Thai for "none") and
    anything else that is not one number give None.
    """
    if text is None:
        return None
    s = _SPACE.sub(" ", to_arabic_digits(str(text))).strip()
    for prefix in _NUMBER_PREFIXES:
        if s.startswith(prefix):
            s = s[len(prefix) :].strip()
    changed = True
    while changed and s:
        changed = False
        for suffix in _NUMBER_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s = s[: -len(suffix)].strip()
                changed = True
    if not _NUMBER_CORE.fullmatch(s):
        return None
    try:
        return Decimal(s.replace(",", "").replace(" ", ""))
    except InvalidOperation:  # pragma: no cover - the pattern already guards this
        return None


def parse_thai_month(token: str | None) -> int | None:
    """Month number 1-12 for a Thai month name or abbreviation, or None.

    Accepts "ต.ค.", "ต.ค", "ตค", "ต. ค.", "ตุลาคม", and English "Oct"/"October".
    """
    if not token:
        return None
    key = _SPACE.sub("", token).replace(".", "").strip()
    return _MONTH_KEYS.get(key) or _MONTH_KEYS.get(key.lower())


def parse_be_year(text: str | int | None) -> int | None:
    """A year as Buddhist Era, or None.

    ``"2566"``, ``"๒๕๖๖"``, ``"256๖"``, ``"พ.ศ. 2566"`` -> 2566; two digits
    ``"66"``/``"๖6"`` -> 2566; a Christian Era year (``"2023"``, ``"ค.ศ. 2023"``,
    any four-digit year below 2400) is converted: 2023 -> 2566.
    """
    if text is None:
        return None
    s = _SPACE.sub(" ", to_arabic_digits(str(text))).strip()
    m = _YEAR.match(s)
    if not m:
        return None
    be_mark, ce_mark, digits = m.groups()
    year = int(digits)
    if len(digits) == 2:
        return None if ce_mark else 2500 + year
    if ce_mark or (not be_mark and year < 2400):
        return year + BE_OFFSET if 1800 <= year < 2400 else None
    return year if year >= 2400 else None


def be_to_ce(year_be: int) -> int:
    return year_be - BE_OFFSET


def ce_to_be(year_ce: int) -> int:
    return year_ce + BE_OFFSET


def format_thai_month(year_ce: int, month: int, *, short_year: bool = False) -> str:
    """``(2023, 1) -> "ม.ค. 2566"``; with ``short_year`` -> ``"ม.ค. 66"``."""
    be = ce_to_be(year_ce)
    return f"{MONTH_ABBR[month]} {be % 100:02d}" if short_year else f"{MONTH_ABBR[month]} {be}"


def format_thai_date(day: date, *, thai_numerals: bool = False) -> str:
    """``date(2023, 1, 16) -> "16 ม.ค. 2566"`` (Thai digits on request)."""
    text = f"{day.day} {format_thai_month(day.year, day.month)}"
    return thai_digits(text) if thai_numerals else text
