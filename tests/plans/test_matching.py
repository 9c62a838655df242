"""Finding projects from typed text, for Thai."""

from __future__ import annotations

import pytest

from plans.matching import Candidate, matches

PROJECTS = [
    Candidate(1, "กิจกรรมการประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA)", "50310000-2961"),
    Candidate(2, "ค่าใช้จ่ายในการฝึกอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน (หลักสูตรทบทวน)"),
    Candidate(3, "ค่าใช้จ่ายอาสาสมัครกรุงเทพมหานครด้านการป้องกันและแก้ไขปัญหายาและสารเสพติด"),
    Candidate(4, "โครงการประเมินประสิทธิภาพการให้บริการของหน่วยงานกรุงเทพมหานคร"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("50310000-2961", [1]),
        ("๕๐๓๑๐๐๐๐-๒๙๖๑", [1]),
        ("5031 0000 2961", [1]),
        ("#3", [3]),
        ("ITA", [1]),
        ("ita", [1]),
        ("ฝึกอบรมอาสาสมัคร", [2]),
        ("ยาเสพติด", [3]),
        ("สารเสพติด", [3]),
        ("ประสิทธิภาพการให้บริการ", [4]),
        ("ประสิทธิภาพการใหบริการ", [4]),  # a missing tone mark still finds it
        ("อาสาสมัคร", [2, 3]),
        ("ประเมิน", [1, 4]),
        ("งบลงทุนถนน", []),
        ("#99", []),
        ("", []),
    ],
)
def test_matches(typed: str, expected: list[int]) -> None:
    assert sorted(c.id for c in matches(typed, PROJECTS)) == sorted(expected)


def test_the_closest_name_comes_first() -> None:
    found = matches("ป้องกันภัยฝ่ายพลเรือน", PROJECTS)
    assert found[0].id == 2


def test_tone_marks_are_not_ignored_when_they_make_another_word() -> None:
    # ไก่ (chicken) and ไข่ (egg) differ by a consonant only; ใกล้ / ไกล differ by a vowel sign.
    near = [Candidate(1, "โครงการไข่"), Candidate(2, "โครงการใกล้บ้าน")]
    assert [c.id for c in matches("โครงการไข่", near)] == [1]
