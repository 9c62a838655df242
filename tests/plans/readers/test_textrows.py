from __future__ import annotations

import pytest

from plans.readers.textrows import Row, TextLine, clean, join_wrapped, split_items


def test_one_line_rows_and_plain_lines() -> None:
    items = split_items("หัวเรื่อง\n1. ก\t20\t20\t←\n\t\tพ.ศ. 2566\n\nท้าย\r\n")
    assert items == [
        TextLine(1, "หัวเรื่อง"),
        Row(2, ("1. ก", "20", "20", "←")),
        Row(3, ("", "", "พ.ศ. 2566")),
        TextLine(5, "ท้าย"),
    ]


def test_one_cell_per_line_rows() -> None:
    text = "\t1. จัดทำคำสั่ง\n    ฝึกอบรม\n\t\n5\n5\n\t10\n\n\tรวม\n\t100\n"
    assert split_items(text) == [
        Row(1, ("1. จัดทำคำสั่ง\n    ฝึกอบรม", "\n5\n5", "10")),
        Row(8, ("รวม", "100")),
    ]


def test_a_one_line_row_ends_a_one_cell_per_line_row() -> None:
    text = "\tก\n\tข\nสนับสนุนนโยบาย มิติ\t-\tนโยบาย\t\t-\n\tค\n"
    assert split_items(text) == [
        Row(1, ("ก", "ข")),
        Row(3, ("สนับสนุนนโยบาย มิติ", "-", "นโยบาย", "", "-")),
        Row(4, ("ค",)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>รวม 5 ขั้นตอน คิดเป็นร้อยละ</b>", "รวม 5 ขั้นตอน คิดเป็นร้อยละ"),
        ("[bookmark: _gjdgxs]ชื่อโครงการ ก ", "ชื่อโครงการ ก"),
        ("**ขั้นตอนการปฏิบัติงาน**  ", "ขั้นตอนการปฏิบัติงาน"),
        ("# แผนปฏิบัติการประจำปี พ.ศ. 2566", "แผนปฏิบัติการประจำปี พ.ศ. 2566"),
        ("มิติ\u00a0 : ปลอดภัยดี", "มิติ : ปลอดภัยดี"),
        ("ผู้ว่าราชการกรุงเทพมหานคร", "ผู้ว่าราชการกรุงเทพมหานคร"),  # marks kept
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["จัดทำคำสั่งแต่งตั้งเจ้าหน้าที่ดำเนินการ  ", "    ฝึกอบรม"],
         "จัดทำคำสั่งแต่งตั้งเจ้าหน้าที่ดำเนินการฝึกอบรม"),
        (["ตอบแบบตรวจ (OIT)", "ผ่านเว็บไซต์"], "ตอบแบบตรวจ (OIT) ผ่านเว็บไซต์"),
        (["ประเมินแบบวัด IIT", "EIT"], "ประเมินแบบวัด IIT EIT"),
        (["", "  ", "ก"], "ก"),
    ],
)  # fmt: skip
def test_join_wrapped(lines: list[str], expected: str) -> None:
    assert join_wrapped(lines) == expected
