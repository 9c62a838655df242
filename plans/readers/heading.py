"""The lines above a step table that say which project it belongs to.

"ชื่อตัวชี้วัด…" (also "ข้อตัวชี้วัดที่ 2", typos included), "ชื่อโครงการ…",
"รหัสโครงการ…", "งบประมาณ … บาท" and "สนับสนุนนโยบาย…". A KPI applies to the
following tables until a section heading ("**…", "#…", "ขั้นตอนการปฏิบัติงาน…")
or a new KPI; the other fields belong to the next table only. A policy line
whose dimension and policy are both "-" means no policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from plans.thai import parse_number, to_arabic_digits

_NUMBERED = r"(?:\s*ที่\s*[0-9]+(?:\.[0-9]+)*)?"
_KPI = re.compile(rf"^(?:(?:ชื่อ|ข้อ)\s*ตัวชี้?ว[ัิ][ดต]{_NUMBERED}|ตัวชี้?ว[ัิ][ดต]\s*ที่\s*[0-9]+(?:\.[0-9]+)*)\s*[.:：]*\s*")
_PROJECT = re.compile(rf"^ชื่อ\s*โครงการ(?:\s*/\s*กิจกรรม)?{_NUMBERED}\s*[.:：]*\s*")
_POLICY = re.compile(r"^สนับสนุนนโยบาย(?:ผู้ว่าราชการกรุงเทพมหานคร|ผว\.?\s*กทม\.?)?\s*")
_CODE_LINE = re.compile(r"^รหัสโครงการ[.\s]*[:：]?\s*")
_BUDGET = re.compile(r"^งบประมาณ(?:ที่ได้รับ)?\s*[:：]?\s*(?P<amount>.+?)\s*บาท")
_CODE = re.compile(r"(?<![\d-])\d{5,}-\d{3,}(?![\d-])")
_CODE_IN_NAME = re.compile(r"[(\[]?\s*(?:รหัส(?:โครงการ)?\s*[:：]?\s*)?CODE\s*[)\]]?")
_RESPONSIBLE = re.compile(r"\(((?:ฝ่าย|กลุ่มงาน|งาน|ส่วน|กอง|สำนัก|ศูนย์)[^()]*)\)\s*$")
_EMPTY_POLICY = re.compile(r"มิติ|นโยบาย|[:：\-–\s]")
_PLAN_TITLE = re.compile(r"แผนปฏิบัติ(?:ราชการ|การ)\s*ประจำปี")
_OF_UNIT = re.compile(
    r"(?:\sของ\s*|พ\.?\s*ศ\.?\s*\d{4}\s+(?:ของ\s*)?)(?P<unit>(?:สำนัก|กอง|ฝ่าย|กลุ่มงาน|ศูนย์|ส่วน)\S.*)$"
)
# The words a unit's name starts with, largest first: a path is written largest first.
_UNIT_RANKS = (("สำนักงานเขต", 0), ("สำนัก", 0), ("กอง", 1), ("ศูนย์", 1), ("ส่วน", 2), ("ฝ่าย", 3), ("กลุ่มงาน", 3))
_RECENT = 4  # lines kept to quote around a missing name
_TITLE_BLOCK = 4  # lines after the plan's title where its unit is written


@dataclass
class ProjectHeading:
    """What the lines above the next table said."""

    kpi: str | None = None
    name: str | None = None
    name_line: int | None = None
    code: str | None = None
    policy: str | None = None
    budget: Decimal | None = None
    # A label written alone ("ชื่อโครงการ") takes its value from the next line.
    awaiting: str | None = None
    # The last lines read, to show a person where a name was expected and not found.
    recent: list[str] = field(default_factory=list)

    def read(self, line: int, raw: str, text: str) -> None:
        if text:
            self.recent = [*self.recent[-(_RECENT - 1) :], text]
        arabic = to_arabic_digits(text)  # same length: match on it, keep ``text``
        awaiting, self.awaiting = self.awaiting, None
        if raw.lstrip().startswith(("**", "#")) or "ขั้นตอนการปฏิบัติงานของโครงการ" in text:
            self.kpi = self.name = self.name_line = self.code = self.policy = self.budget = None
        elif m := _KPI.match(arabic):
            self.kpi = text[m.end() :].strip() or None
            self.awaiting = None if self.kpi else "kpi"
        elif m := _PROJECT.match(arabic):
            self.name, self.name_line = text[m.end() :].strip() or None, line
            self.awaiting = None if self.name else "name"
        elif awaiting == "kpi" and text:
            self.kpi = text
        elif awaiting == "name" and text:
            self.name, self.name_line = text, line
        elif self.name and self.name_line == line - 1 and text.startswith("(") and text.endswith(")"):
            self.name = f"{self.name} {text}"  # "(ฝ่ายปกครอง)" wrapped onto a line of its own
            self.name_line = line
        elif m := _CODE_LINE.match(arabic):
            found = _CODE.search(arabic)
            self.code = found.group(0) if found else (text[m.end() :].strip() or None)
        elif m := _POLICY.match(arabic):
            rest = text[m.end() :].strip()
            self.policy = rest if _EMPTY_POLICY.sub("", rest) else None
        elif m := _BUDGET.match(arabic):
            self.budget = parse_number(m.group("amount"))

    def next_table(self) -> ProjectHeading:
        """The heading for the table after this one: only the KPI carries over."""
        return ProjectHeading(kpi=self.kpi)

    def split_name(self) -> tuple[str, str | None, str | None]:
        """(name, project code, responsible section) from the project line: a
        code written in the name is moved out of it; a trailing "(ฝ่าย…)" stays
        in the name and is also the responsible section."""
        name = self.name or ""
        code = self.code
        arabic = to_arabic_digits(name)  # same length as ``name``
        if (found := _CODE.search(arabic)) is not None:
            code = code or found.group(0)
            pattern = _CODE_IN_NAME.pattern.replace("CODE", re.escape(found.group(0)))
            if (where := re.search(pattern, arabic)) is not None:
                name = " ".join(f"{name[: where.start()]} {name[where.end() :]}".split())
        responsible = m.group(1) if (m := _RESPONSIBLE.search(name)) else None
        return name, code, responsible


def _unit_rank(text: str) -> int | None:
    if len(text) > 80 or " " in text.strip():  # a sentence, not a unit's name
        return None
    return next((rank for word, rank in _UNIT_RANKS if text.startswith(word)), None)


def document_unit(lines: list[str]) -> str | None:
    """The unit a plan document names in its title block, as a path ("กอง…/ฝ่าย…").

    The title "แผนปฏิบัติราชการประจำปี พ.ศ. …" is followed by the unit's name on
    the next lines (or says "… ของสำนักงานเขต…" itself). ``lines`` are the cleaned
    text lines before the first step table. None when the document does not say.
    """
    for i, line in enumerate(lines):
        title = line.lstrip("#* ").strip()
        arabic = to_arabic_digits(title)  # same length: match on it, keep ``title``
        if not _PLAN_TITLE.search(arabic):
            continue
        if m := _OF_UNIT.search(arabic):
            return " ".join(title[m.start("unit") :].split())
        found: list[tuple[int, str]] = []
        for following in lines[i + 1 : i + 1 + _TITLE_BLOCK]:
            name = following.strip()
            rank = _unit_rank(name)
            if rank is None:
                break
            found.append((rank, name))
        if found:
            return "/".join(name for _, name in sorted(found, key=lambda f: f[0]))
    return None
