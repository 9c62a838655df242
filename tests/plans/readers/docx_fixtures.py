"""Word documents for the .docx reader's tests, built with python-docx.

- ``from_items``: a document holding exactly the rows and lines of a copied-text
  plan (a seed), with its month marks as text, as cell shading, or as shapes;
- ``plan_document``: a small plan with one step table, its header merged over two
  rows, the years over Oct-Dec and Jan-Sep, and the months marked in one style.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Twips
from docx.table import Table, _Cell

from plans.readers.textrows import Item, Row, TextLine, clean

MONTHS = ("ต.ค.", "พ.ย.", "ธ.ค.", "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.")
MARK_ONLY = re.compile(r"^[←→↔⟷─—\-–<>✓✔•.\s]+$")
CELL_TWIPS = 600
TITLE_TWIPS = 3000


def save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def shade(cell: _Cell, fill: str = "BFBFBF") -> None:
    cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def arrow(cell: _Cell, *, offset_twips: int, width_twips: int, vml: bool = False) -> None:
    """A floating line anchored in ``cell``'s paragraph, drawn from ``offset`` over ``width``."""
    paragraph = cell.paragraphs[0]
    if vml:
        xml = (
            f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
            f'<v:line style="position:absolute;margin-left:{offset_twips / 20}pt;z-index:1" '
            f'from="0,0" to="{width_twips / 20}pt,0" strokeweight="1pt"/></w:pict></w:r>'
        )
    else:
        emu = 635
        xml = (
            f'<w:r {nsdecls("w")} xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><w:drawing>'
            '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0" '
            'locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
            f'<wp:positionH relativeFrom="column"><wp:posOffset>{offset_twips * emu}</wp:posOffset></wp:positionH>'
            '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{width_twips * emu}" cy="0"/><wp:wrapNone/><wp:docPr id="1" name="Arrow"/>'
            '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
            f'<wps:wsp><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width_twips * emu}" cy="0"/></a:xfrm>'
            '<a:prstGeom prst="straightConnector1"><a:avLst/></a:prstGeom></wps:spPr><wps:bodyPr/></wps:wsp>'
            "</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
        )
    paragraph._p.append(parse_xml(xml))


def _set_widths(table: Table, widths: Sequence[int]) -> None:
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = Twips(width)


def from_items(items: Sequence[Item], *, marks: str = "text") -> bytes:
    """A .docx of copied-text rows and lines; ``marks``: "text" keeps month marks as they are,
    "shading" blanks mark-only cells right of the weight columns and shades them instead."""
    document = docx.Document()
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, TextLine):
            if clean(item.text):
                document.add_paragraph(item.text)
            i += 1
            continue
        rows: list[Row] = []
        while i < len(items) and isinstance(items[i], Row):
            rows.append(items[i])  # type: ignore[arg-type]
            i += 1
        width = max(len(r.cells) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for docx_row, row in zip(table.rows, rows, strict=True):
            docx_cells = docx_row.cells  # once per row: table.cell(r, c) walks the whole table
            for c, text in enumerate(row.cells):
                cell = docx_cells[c]
                if marks == "shading" and c >= 3 and MARK_ONLY.match(text) and clean(text) not in ("", "-"):
                    shade(cell)
                    continue
                lines = text.split("\n")
                cell.paragraphs[0].text = lines[0]
                for more in lines[1:]:
                    cell.add_paragraph(more)
        document.add_paragraph("")
    return save(document)


@dataclass(frozen=True)
class Step:
    no: str
    title: str
    weight: str
    months: tuple[int, ...]  # fiscal positions 0..11


def plan_document(
    steps: Sequence[Step], *, marking: str = "text", years: tuple[str, str] = ("พ.ศ. 256๕", "พ.ศ. 256๖"),
    name: str = "โครงการทดสอบการอ่านไฟล์ Word (ฝ่ายปกครอง)", split_after: int | None = None,
    title: str = "แผนปฏิบัติราชการประจำปี พ.ศ. 2566", unit_lines: Sequence[str] = ("สำนักงานเขตทดสอบ",),
) -> bytes:
    """One step table; its header merged over two rows (the years, then the months); ``marking``:
    text | shading | shape | vml. ``split_after``: the table continues in a second table that
    repeats its header, as when someone splits it at a page break."""
    document = docx.Document()
    document.add_paragraph(title)
    for line in unit_lines:
        document.add_paragraph(line)
    document.add_paragraph("ชื่อตัวชี้วัด ร้อยละความสำเร็จของการอ่านแผนจากไฟล์ Word")
    document.add_paragraph(f"ชื่อโครงการ {name}")
    parts = [steps] if split_after is None else [steps[:split_after], steps[split_after:]]
    for part in parts:
        table = document.add_table(rows=3 + len(part), cols=15)
        widths = [TITLE_TWIPS, 900, 900] + [CELL_TWIPS] * 12
        _set_widths(table, widths)
        header = ["ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม", "เนื้องานรายขั้นตอน (ร้อยละ)",
                  "คิดความก้าวหน้าโครงการ (ร้อยละ)", "ระยะเวลาดำเนินการ"]  # fmt: skip
        for c in range(3):
            table.cell(0, c).merge(table.cell(2, c)).text = header[c]
        table.cell(0, 3).merge(table.cell(0, 14)).text = header[3]
        table.cell(1, 3).merge(table.cell(1, 5)).text = years[0]
        table.cell(1, 6).merge(table.cell(1, 14)).text = years[1]
        for m, month in enumerate(MONTHS):
            table.cell(2, 3 + m).text = month
        running = 0.0
        for r, step in enumerate(part, start=3):
            running += float(step.weight or 0)
            table.cell(r, 0).text = f"{step.no}. {step.title}"
            table.cell(r, 1).text = step.weight
            table.cell(r, 2).text = f"{running:g}"
            _mark(table, r, step.months, marking)
        if len(parts) == 2 and part is parts[0]:
            document.add_page_break()
    return save(document)


def _mark(table: Table, r: int, months: tuple[int, ...], marking: str) -> None:
    if not months:
        return
    first, last = min(months), max(months)
    if marking == "text":
        table.cell(r, 3 + first).text = "←" if first != last else "↔"
        if last != first:
            table.cell(r, 3 + last).text = "→"
    elif marking == "shading":
        for m in months:
            shade(table.cell(r, 3 + m))
    elif marking in ("shape", "vml"):
        # anchored in the step's title cell, as Word does for a line drawn over a row
        offset = TITLE_TWIPS + 900 + 900 + first * CELL_TWIPS + CELL_TWIPS // 5
        width = (last - first) * CELL_TWIPS + CELL_TWIPS * 3 // 5
        arrow(table.cell(r, 0), offset_twips=offset, width_twips=width, vml=marking == "vml")
    else:
        raise ValueError(marking)
