from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.thai import (
    MONTH_ABBR,
    MONTH_FULL,
    clean_text,
    format_thai_date,
    format_thai_month,
    only_digits,
    parse_be_year,
    parse_number,
    parse_thai_month,
    parse_whole,
    thai_digits,
    to_arabic_digits,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("๑๒,๕๐๐.๕๐", "12,500.50"),
        ("พ.ศ. ๒๕๖๖", "พ.ศ. 2566"),
        ("256๖", "2566"),
        ("ไม่มีตัวเลข", "ไม่มีตัวเลข"),
        ("ขั้นตอนที่ ๑", "ขั้นตอนที่ 1"),
    ],
)
def test_to_arabic_digits(text: str, expected: str) -> None:
    assert to_arabic_digits(text) == expected


def test_thai_digits_for_display() -> None:
    assert thai_digits("16 ม.ค. 2566") == "๑๖ ม.ค. ๒๕๖๖"


@given(st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙.,"))
def test_digit_conversions_round_trip(text: str) -> None:
    assert to_arabic_digits(thai_digits(to_arabic_digits(text))) == to_arabic_digits(text)
    assert thai_digits(text) == thai_digits(to_arabic_digits(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("๑๒,๕๐๐.๕๐", Decimal("12500.50")),
        ("12,500", Decimal("12500")),
        ("12 500", Decimal("12500")),
        ("  20 ", Decimal("20")),
        ("2.5", Decimal("2.5")),
        ("๕", Decimal("5")),
        ("50%", Decimal("50")),
        ("50 %", Decimal("50")),
        ("80 เปอร์เซ็นต์", Decimal("80")),
        ("ร้อยละ 20", Decimal("20")),
        ("120,000 บาท", Decimal("120000")),
        ("261,700.-", Decimal("261700")),
        ("261,700. -", Decimal("261700")),
        ("1,773,600. - บาท", Decimal("1773600")),
        ("-5", Decimal("-5")),
        ("0", Decimal("0")),
    ],
)
def test_parse_number_reads(text: str, expected: Decimal) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text", [None, "", " ", "-", "abc", "5 10", "1,2", "12,50", "ห้า", "2.5.1", "%", "บาท"]
)
def test_parse_number_refuses(text: str | None) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("token", "month"),
    [
        *[(abbr, no) for no, abbr in MONTH_ABBR.items()],
        *[(full, no) for no, full in MONTH_FULL.items()],
        *[(abbr.replace(".", ""), no) for no, abbr in MONTH_ABBR.items()],
        *[(abbr.rstrip("."), no) for no, abbr in MONTH_ABBR.items()],
        ("ต. ค.", 10),
        (" ก.ย. ", 9),
        ("กรกฏาคม", 7),
        ("Oct", 10),
        ("october", 10),
        ("Sept", 9),
    ],
)
def test_parse_thai_month(token: str, month: int) -> None:
    assert parse_thai_month(token) == month


@pytest.mark.parametrize("token", [None, "", "ตุลา", "x", "13", "พ.ศ.", "ค.ศ."])
def test_parse_thai_month_refuses(token: str | None) -> None:
    assert parse_thai_month(token) is None


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2566", 2566),
        ("๒๕๖๖", 2566),
        ("256๖", 2566),
        ("66", 2566),
        ("๖6", 2566),
        ("๖2", 2562),
        ("พ.ศ. 256๕", 2565),
        ("พ.ศ.2566", 2566),
        ("2023", 2566),
        ("ค.ศ. 2023", 2566),
        (2570, 2570),
    ],
)
def test_parse_be_year(text: str | int, year: int) -> None:
    assert parse_be_year(text) == year


@pytest.mark.parametrize("text", [None, "", "6", "123", "พ.ศ. 2023", "ปี 66", "25666"])
def test_parse_be_year_refuses(text: str | None) -> None:
    assert parse_be_year(text) is None


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2023, 1, 16), "16 ม.ค. 2566"),
        (date(2022, 10, 1), "1 ต.ค. 2565"),
        (date(2027, 9, 30), "30 ก.ย. 2570"),
    ],
)
def test_format_thai_date(day: date, text: str) -> None:
    assert format_thai_date(day) == text


def test_format_thai_date_in_thai_numerals() -> None:
    assert format_thai_date(date(2023, 1, 16), thai_numerals=True) == "๑๖ ม.ค. ๒๕๖๖"


def test_format_thai_month() -> None:
    assert format_thai_month(2026, 10) == "ต.ค. 2569"
    assert format_thai_month(2026, 10, short_year=True) == "ต.ค. 69"


def test_month_names_keep_vowels_and_tone_marks() -> None:
    assert MONTH_ABBR[6] == "มิ.ย." and MONTH_FULL[2] == "กุมภาพันธ์"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12", 12), ("๑๒", 12), (" 007 ", 7), ("0", 0), ("๐", 0), ("999999999", 999999999),
        # str.isdigit() takes these; int() raises on the first two and misreads the others
        ("²", None), ("①", None), ("١٢", None), ("१२", None), ("1²", None),
        ("", None), (" ", None), ("-1", None), ("+1", None), ("1 2", None), ("1.0", None), ("1e3", None),
        ("1000000000", None), ("9" * 5000, None), ("0" * 5000 + "7", 7),
    ],
)  # fmt: skip
def test_parse_whole_reads_ascii_and_thai_digits_only_and_bounded(typed: str, expected: int | None) -> None:
    assert parse_whole(typed) == expected


def test_parse_whole_takes_a_bound() -> None:
    assert parse_whole("12345", max_digits=4) is None and parse_whole("1234", max_digits=4) == 1234


def test_only_digits_drops_look_alikes() -> None:
    assert only_digits("๔๘๒ ๙๑๓") == "482913"
    assert only_digits("48²2-9①13١") == "482913"


@pytest.mark.parametrize("typed", ["١٢", "१२,५००", "²"])
def test_parse_number_takes_no_other_scripts_digits(typed: str) -> None:
    assert parse_number(typed) is None


def test_clean_text_drops_control_characters_only() -> None:
    assert clean_text(" งาน\x00เสร็จ\x07\x9f\nครบ\tแล้ว ") == "งานเสร็จ\nครบ\tแล้ว"
    assert clean_text("ที่นี่ไม่มีอะไรเปลี่ยน 😀 ๑๒") == "ที่นี่ไม่มีอะไรเปลี่ยน 😀 ๑๒"
