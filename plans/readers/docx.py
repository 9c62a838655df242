"""Read a plan straight from the unit's Word document (.docx), month marks included.

Copying a Word table as text loses how most plans mark a step's months: shaded
cells and arrows drawn as shapes. Read directly, every table becomes the same rows
the step-table reader takes from copied text (``textrows.Row``), with a month
cell's mark kept as text, so both readers apply one set of layout rules:

- **text** in the cell (← → ↔ ⟷ ─ — - ✓ ✔ • …) is kept as it is;
- **shading** (a cell background fill other than none/white) becomes ``SHADED``;
- **a shape** (a DrawingML line/arrow, or a VML line/shape) becomes ``DRAWN`` in
  every month cell it covers: from where it is anchored plus its offset, over its
  width, measured on the row's cell widths.

Merged cells are resolved as text copying does (a cell spanning grid columns is
followed by empty ones, the continuation of a vertical merge is empty), and a
table Word split across pages by hand (the second part repeating the header) is
joined back. Paragraphs outside tables become plain lines.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from plans.model import ParsedProject, PlanFileError
from plans.readers.stepcells import DRAWN, SHADED, month_cells, parse_step_cell, year_cells
from plans.readers.steptable import parse_items
from plans.readers.textrows import Item, Row, TextLine, clean

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {
    "w": _W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
}
_WP, _A = _NS["wp"], _NS["a"]


def _q(path: str) -> str:
    """``"w:tcPr/w:shd"`` in Clark notation: lxml looks those up directly, without
    compiling a path against a namespace map on every call."""
    def clark(part: str) -> str:
        prefix, colon, name = part.partition(":")
        return f"{{{_NS[prefix]}}}{name}" if colon else part

    return "/".join(clark(part) for part in path.split("/"))


_Q = {path: _q(path) for path in (
    ".//a:prstGeom",
    "w:body",
    "w:gridSpan",
    "w:p",
    "w:shd",
    "w:tbl",
    "w:tc",
    "w:tcPr",
    "w:tcW",
    "w:tr",
    "w:vMerge",
    "wp:extent",
    "wp:positionH/wp:posOffset",
)}
_MAX_XML_BYTES = 200 * 10**6
_EMU_PER_TWIP = 635
_EMU_PER_PT = 12700
_LINE_SHAPES = re.compile(r"line|Connector|Arrow|arrow", re.I)
_VML_SIZE = re.compile(r"(margin-left|left|width)\s*:\s*(-?[0-9.]+)\s*(pt|in|cm|mm|px)?", re.I)
_VML_UNITS = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "px": 0.75, None: 1.0}
_NO_FILL = {"", "auto", "FFFFFF", "ffffff", "none"}


def is_docx(data: bytes) -> bool:
    """A Word document, whatever its name says: a zip with word/document.xml."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def parse_docx(data: bytes, *, fiscal_year: int | None = None, unit: str | None = None) -> list[ParsedProject]:
    """Every step table of a .docx as a project, in document order."""
    return parse_items(docx_items(data), fiscal_year=fiscal_year, unit=unit)


def docx_items(data: bytes) -> list[Item]:
    """The document as the rows and lines the step-table reader takes."""
    items: list[Item] = []
    number = 0
    previous_header: tuple[str, ...] | None = None
    text_since_table = False
    for block in _body_blocks(data):
        if block.tag == _Q["w:p"]:
            text = _paragraph_text(block)
            if clean(text):
                number += 1
                items.append(TextLine(number, text))
                text_since_table = True
        elif block.tag == _Q["w:tbl"]:
            rows = list(_table_rows(block))
            if previous_header and not text_since_table:
                rows = _without_repeated_header(rows, previous_header)
            for cells in rows:
                number += 1
                items.append(Row(number, cells))
            header = next((cells for cells in rows if _looks_like_header(cells)), None)
            previous_header = header or previous_header
            text_since_table = False
    return items


def _body_blocks(data: bytes) -> Iterator[Any]:
    """The paragraphs and tables of the document body, one at a time, each freed once read.

    The main part is streamed with lxml rather than loaded with python-docx: its object model
    has no shading, shapes or merge continuations (the raw XML is walked for those anyway), and
    holding the whole tree costs ~0.5 GB for a plan of 1,000 projects."""
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo(_main_part(archive))
        if info.file_size > _MAX_XML_BYTES:
            raise PlanFileError(
                "เอกสาร Word นี้ใหญ่เกินกว่าที่ระบบอ่านได้ กรุณาแยกเป็นหลายไฟล์",
                f"This Word document is too large to read (over {_MAX_XML_BYTES // 10**6} MB of text).",
            )
        stream = archive.open(info)
        body = None
        for event, element in etree.iterparse(stream, events=("start", "end"), resolve_entities=False,
                                              huge_tree=True, no_network=True):  # fmt: skip
            if event == "start":
                if element.tag == _Q["w:body"]:
                    body = element
                continue
            if body is not None and element.getparent() is body:
                yield element
                element.clear()
                while element.getprevious() is not None:  # what was read is dropped
                    del body[0]
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError, ValueError) as exc:
        raise PlanFileError(
            "เปิดไฟล์ Word นี้ไม่ได้ ไฟล์อาจเสียหายหรือไม่ใช่ไฟล์ .docx กรุณาบันทึกเป็น .docx แล้วลองใหม่",
            f"This Word file cannot be opened ({exc.__class__.__name__}); save it as .docx and try again.",
        ) from exc


def _main_part(archive: zipfile.ZipFile) -> str:
    """The document part the package's relationships name (word/document.xml, usually)."""
    from lxml import etree

    try:
        rels = etree.fromstring(archive.read("_rels/.rels"), etree.XMLParser(resolve_entities=False))
    except KeyError:
        return "word/document.xml"
    for rel in rels:
        if str(rel.get("Type", "")).endswith("/officeDocument"):
            return str(rel.get("Target", "word/document.xml")).lstrip("/")
    return "word/document.xml"


def _looks_like_header(cells: tuple[str, ...]) -> bool:
    squeezed = ["".join(clean(c).split()) for c in cells]
    return any(c.startswith("ขั้นตอน") for c in squeezed) and any("เนื้องาน" in c for c in squeezed)


def _without_repeated_header(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A table continued on the next page repeats its header (and year/month rows):
    drop them, so its steps join the table before."""
    if not rows or [clean(c) for c in rows[0]] != [clean(c) for c in header]:
        return rows
    start = 1
    while start < len(rows) and parse_step_cell(rows[start][0]) is None and (
        year_cells(Row(0, rows[start])) or len(month_cells(Row(0, rows[start]))) >= 6
        or not any(clean(c) for c in rows[start])
    ):  # fmt: skip
        start += 1
    return rows[start:]


@dataclass
class _Cell:
    text: str
    span: int
    width: int  # twips; 0 when the document does not say


def _table_rows(table: Any) -> Iterator[tuple[str, ...]]:
    for tr in table.findall(_Q["w:tr"]):
        cells = [_cell(tc) for tc in tr.findall(_Q["w:tc"])]
        marks = _drawn_marks(tr, cells)
        out: list[str] = []
        for index, cell in enumerate(cells):
            text = cell.text
            if index in marks and not clean(text):
                text = DRAWN
            out.append(text)
            out.extend([""] * (cell.span - 1))
        yield tuple(out)


def _cell(tc: Any) -> _Cell:
    props = tc.find(_Q["w:tcPr"])
    span, width, continued, shaded = 1, 0, False, False
    if props is not None:
        if (grid := props.find(_Q["w:gridSpan"])) is not None:
            span = max(1, int(grid.get(f"{{{_W}}}val", "1")))
        if (w := props.find(_Q["w:tcW"])) is not None and w.get(f"{{{_W}}}type", "dxa") == "dxa":
            width = int(float(w.get(f"{{{_W}}}w", "0")))
        if (merge := props.find(_Q["w:vMerge"])) is not None:
            continued = merge.get(f"{{{_W}}}val", "continue") != "restart"
        if (shd := props.find(_Q["w:shd"])) is not None:
            shaded = shd.get(f"{{{_W}}}fill", "") not in _NO_FILL or shd.get(f"{{{_W}}}val", "") == "solid"
    if continued:
        return _Cell("", span, width)
    text = "\n".join(_paragraph_text(p) for p in tc.findall(_Q["w:p"])).strip("\n")
    if shaded and not clean(text):
        text = SHADED
    return _Cell(text, span, width)


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    for node in p.iter(f"{{{_W}}}t", f"{{{_W}}}tab", f"{{{_W}}}br"):
        if node.tag.endswith("}t"):
            parts.append(node.text or "")
        elif node.tag.endswith("}tab"):
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)


def _drawn_marks(tr: Any, cells: list[_Cell]) -> set[int]:
    """Indexes of the cells a line or arrow drawn in this row covers."""
    if not any(c.width for c in cells):
        return set()
    edges: list[tuple[int, int]] = []  # each cell's [left, right) in EMU
    x = 0
    for cell in cells:
        edges.append((x, x + cell.width * _EMU_PER_TWIP))
        x += cell.width * _EMU_PER_TWIP
    covered: set[int] = set()
    for index, tc in enumerate(tr.findall(_Q["w:tc"])):
        for left, width in _shapes_in(tc):
            start = edges[index][0] + left
            end = start + max(width, 1)
            for other, (a, b) in enumerate(edges):
                if a < end and start < b and min(end, b) - max(start, a) >= (b - a) // 4:
                    covered.add(other)
    return covered


def _shapes_in(tc: Any) -> Iterator[tuple[int, int]]:
    """(offset from the cell's left edge, width) in EMU of each line or arrow anchored in the cell."""
    for drawing in tc.iter(f"{{{_NS['wp']}}}anchor", f"{{{_NS['wp']}}}inline"):
        geometry = drawing.find(_Q[".//a:prstGeom"])
        if geometry is None or not _LINE_SHAPES.search(geometry.get("prst", "")):
            continue
        extent = drawing.find(_Q["wp:extent"])
        width = int(extent.get("cx", "0")) if extent is not None else 0
        offset = drawing.find(_Q["wp:positionH/wp:posOffset"])
        yield (int(offset.text) if offset is not None and offset.text else 0), width
    for shape in tc.iter(f"{{{_NS['v']}}}line", f"{{{_NS['v']}}}shape"):
        if shape.tag.endswith("}line"):
            left, width = _vml_line(shape)
        else:
            left, width = _vml_box(shape.get("style", ""))
        if width > 0:
            yield left, width


def _vml_box(style: str) -> tuple[int, int]:
    found = {name.lower(): float(value) * _VML_UNITS[unit.lower() if unit else None]
             for name, value, unit in _VML_SIZE.findall(style)}  # fmt: skip
    left = found.get("margin-left", found.get("left", 0.0))
    return int(left * _EMU_PER_PT), int(found.get("width", 0.0) * _EMU_PER_PT)


def _vml_line(shape: Any) -> tuple[int, int]:
    def x_of(point: str) -> float:
        value = point.split(",")[0].strip()
        number = re.match(r"-?[0-9.]+", value)
        unit = value[number.end() :] if number else ""
        return float(number.group(0)) * _VML_UNITS.get(unit or None, 1.0) if number else 0.0

    start, end = x_of(shape.get("from", "0,0")), x_of(shape.get("to", "0,0"))
    box_left, _ = _vml_box(shape.get("style", ""))
    return box_left + int(min(start, end) * _EMU_PER_PT), int(abs(end - start) * _EMU_PER_PT)
