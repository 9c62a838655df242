"""Benchmark: importing a plan of N projects x 8 steps (default 1,000 x 8).

Generates a step-table text in the format of the units' documents (the .xlsx
template with --xlsx, a Word document with --docx: the same tables, months shaded),
imports it through the same use case as `kaona import`, and prints the time for
parsing + validating + storing.

    .venv/bin/python -m bench.plan_import
    .venv/bin/python -m bench.plan_import --xlsx
    .venv/bin/python -m bench.plan_import --docx
    .venv/bin/python -m bench.plan_import --services     # PostgreSQL
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time

from sqlalchemy import text

from handlers.plans import import_plan
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade

MONTHS = "ต.ค.\tพ.ย.\tธ.ค.\tม.ค.\tก.พ.\tมี.ค.\tเม.ย.\tพ.ค.\tมิ.ย.\tก.ค.\tส.ค.\tก.ย."
WEIGHTS = (5, 10, 10, 15, 20, 20, 10, 10)


def step_table(projects: int) -> str:
    out = ["ขั้นตอนการปฏิบัติงานของโครงการ/กิจกรรม", "แผนปฏิบัติราชการประจำปี พ.ศ. 2570", ""]
    for n in range(projects):
        out.append(f"ชื่อตัวชี้วัด ร้อยละความสำเร็จของการดำเนินงานตามภารกิจ ข้อ {n % 20 + 1}")
        out.append(f"ชื่อโครงการ โครงการทดสอบประสิทธิภาพที่ {n + 1} (ฝ่ายที่ {n % 7 + 1})")
        out.append(f"รหัสโครงการ 5031{n:04d}-{n % 9000 + 1000}")
        out.append("ขั้นตอนการปฏิบัติงานของ โครงการ/กิจกรรม\tเนื้องาน รายขั้นตอน (ร้อยละ)\t"
                   "คิดความก้าวหน้า โครงการ (ร้อยละ)\tระยะเวลาดำเนินการ")
        out.append("\t\t\tพ.ศ. 2569\t\t\tพ.ศ. 2570")
        out.append("\t\t\t" + MONTHS)
        total = 0
        for k, weight in enumerate(WEIGHTS):
            total += weight
            marks = ["" for _ in range(12)]
            first = k * 12 // 8
            marks[first] = "←"
            marks[min(11, first + 1)] = "→"
            out.append(f"{k + 1}. ขั้นตอนที่ {k + 1} ของโครงการ {n + 1}\t{weight}\t{total}\t" + "\t".join(marks))
        out.append("รวม 8 ขั้นตอน คิดเป็นร้อยละ\t100\t100")
        out.append("")
    return "\n".join(out)


def workbook(projects: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("แผน")
    sheet.append(["หน่วยงาน", "ปีงบประมาณ", "ตัวชี้วัด", "รหัสโครงการ", "ชื่อโครงการ", "งบประมาณ",
                  "ขั้นตอนที่", "ขั้นตอน", "ร้อยละ", "ระยะเวลา", "ผู้รับผิดชอบ"])
    for n in range(projects):
        for k, weight in enumerate(WEIGHTS):
            sheet.append(["สำนักงานเขตทดสอบ", 2570, f"ตัวชี้วัด {n % 20 + 1}", f"5031{n:04d}-{n % 9000 + 1000}",
                          f"โครงการทดสอบประสิทธิภาพที่ {n + 1}", 100000, k + 1, f"ขั้นตอนที่ {k + 1}",
                          weight, "ต.ค.-ธ.ค. 69" if k < 2 else "ม.ค.-มี.ค. 70", "ฝ่ายปกครอง"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def word_document(projects: int) -> bytes:
    """The same tables as a Word document, months marked by shading."""
    from plans.readers.textrows import split_items
    from tests.plans.readers.docx_fixtures import from_items

    return from_items(split_items(step_table(projects)), marks="shading")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--docx", action="store_true")
    parser.add_argument("--services", action="store_true", help="PostgreSQL at 127.0.0.1:5432/test")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test" if args.services else f"sqlite:///{tmp.name}/b.sqlite3"
    engine = make_engine(url)
    if args.services:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    sessions = make_session_factory(engine)
    if args.xlsx:
        data, name = workbook(args.projects), "plan.xlsx"
    elif args.docx:
        import multiprocessing

        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # python-docx's memory stays there
            data, name = pool.apply(word_document, (args.projects,)), "plan.docx"
        print(f"built the .docx in {time.perf_counter() - started:.1f} s (in another process)")
    else:
        data, name = step_table(args.projects).encode(), "plan.txt"

    for label in ("first import", "re-import (the same plan)"):
        started = time.perf_counter()
        result = import_plan(sessions, data, name, unit="สำนักงานเขตทดสอบ")
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        statuses = {s: sum(1 for p in result.projects if p.status == s) for s in ("imported", "updated", "unchanged", "rejected")}
        print(f"{label}: {args.projects} projects x 8 steps from {name} ({len(data) / 1e6:.1f} MB) on "
              f"{engine.dialect.name}: {elapsed:.2f} s, peak RSS {peak / 1e6:.0f} MB, {statuses}")
        if statuses["rejected"]:
            print(result.projects[0].problems, file=sys.stderr)
            return 1
    engine.dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
