"""The workbook: real numbers and dates, an S-curve chart per project drawn from that
sheet's cells, a summary sheet that agrees with `สรุป`; and the signed link to it in
chat, which opens for the one who asked and for nobody else, and not after it expires."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import time_machine
from openpyxl import load_workbook
from openpyxl.chart import LineChart
from openpyxl.utils.cell import range_boundaries

from bot import export_links
from bot.cli import main
from bot.localline import group_source, user_source
from handlers.summary import unit_summary
from storage.access import Viewer
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, UNIT_B, ask, bind_group, load_plans, make_coordinator

CODE = "50310000-3105"


@pytest.fixture
def reported(bot: RunningBot):
    return report_once(bot)


@pytest.fixture
def linked(bot_factory):
    """A bot with a public address, and no other: a second bot on the same database would
    take some of the events."""
    bot = bot_factory(public_base_url="https://kaona.example.go.th", export_link_ttl_seconds=3600)
    return report_once(bot)


def report_once(bot: RunningBot):
    unit_a, unit_b = load_plans(bot)
    training = next(p for p in unit_a if p.code == CODE)
    bind_group(bot, "Cwork", [training.id], ["Usomchai"])
    make_coordinator(bot, "Ua", UNIT_A)
    make_coordinator(bot, "Ub", UNIT_B)
    source = group_source("Cwork", "Usomchai")
    ask(bot, source, f"รายงาน {CODE} 20% ขออนุมัติโครงการแล้ว")
    ask(bot, source, "ยืนยัน")
    return bot, training, unit_a, unit_b


def cells(ws, ref: str) -> list:
    """The values of a chart reference such as "'50310000-3105'!$B$30:$B$42"."""
    sheet, area = ref.rsplit("!", 1)
    assert sheet.strip("'") == ws.title
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def test_the_workbook_has_numbers_dates_charts_and_agrees_with_the_summary(
    reported, database_url: str, monkeypatch, tmp_path: Path
) -> None:
    bot, training, unit_a, _ = reported
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "unit.xlsx"
    assert main(["export", "--format", "xlsx", "--unit", UNIT_A, "--date", "2026-11-21", "--output", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames[0] == "สรุป" and len(book.sheetnames) == 1 + len(unit_a)

    summary_sheet = book["สรุป"]
    rows = [r for r in summary_sheet.iter_rows(min_row=3, values_only=True) if r[1]]
    with bot.services.sessions() as session:
        summary = unit_summary(session, Viewer("user", "Ua", "Ua"), datetime(2026, 11, 21).date())
    assert summary is not None
    expected = [(p.code, p.name, p.planned, p.actual, p.status.label_th) for p in summary.projects]
    got = [(r[0], r[1], r[3], r[4], r[5]) for r in rows]
    assert [(c, n, s) for c, n, _, _, s in got] == [(c, n, s) for c, n, _, _, s in expected]
    for (_, _, planned, actual, _), (_, _, want_planned, want_actual, _) in zip(got, expected, strict=True):
        assert planned == (None if want_planned is None else float(want_planned))
        assert actual == (None if want_actual is None else float(want_actual))
    trained = next(r for r in rows if r[0] == CODE)
    assert isinstance(trained[3], int | float) and trained[4] == 20
    assert isinstance(trained[6], datetime) and trained[6].date().isoformat() == "2026-11-21"
    assert trained[7] == 120000 and isinstance(trained[8], int | float)
    assert summary_sheet.page_setup.orientation == "landscape" and summary_sheet.page_setup.paperSize == 9

    ws = book[CODE]
    [chart] = ws._charts
    assert isinstance(chart, LineChart) and len(chart.series) == 2
    planned_ref = chart.series[0].val.numRef.f
    actual_ref = chart.series[1].val.numRef.f
    months = cells(ws, chart.series[0].cat.strRef.f if chart.series[0].cat.strRef else chart.series[0].cat.numRef.f)
    assert months[0] == "ต.ค. 2569" and months[-1] == "ก.ย. 2570" and len(months) == 12
    planned = cells(ws, planned_ref)
    actual = cells(ws, actual_ref)
    assert all(isinstance(v, int | float) for v in planned) and planned[-1] == 100
    assert planned == sorted(planned)  # cumulative
    assert actual[:2] == [None, 20] and actual[2:] == [None] * 10  # reported in Nov; months not begun are blank
    # The header above each series names it: the legend reads from the sheet too.
    assert cells(ws, chart.series[0].tx.strRef.f) == ["แผนสะสม (%)"]
    assert cells(ws, chart.series[1].tx.strRef.f) == ["ผลสะสม (%)"]
    report_rows = [r for r in ws.iter_rows(values_only=True) if r[0] == 1 and isinstance(r[1], datetime)]
    [(number, day, work, percent, budget, on_plan, on_target, _)] = report_rows
    assert (work, percent, budget) == ("ขออนุมัติโครงการแล้ว", 20.0, 0.0)
    assert on_plan in ("เป็นไปตามแผน", "ไม่เป็นไปตามแผน") and on_target.startswith(("เป็นไป", "ไม่เป็นไป", "ยัง"))
    assert ws.cell(ws.max_row, 1).value is not None  # the quarters end the sheet
    assert any(str(c.value).startswith("ไตรมาส 4") for row in ws.iter_rows() for c in row if c.value)


def test_the_link_opens_for_the_one_who_asked_only(linked) -> None:
    linked, training, unit_a, unit_b = linked
    answer = ask(linked, user_source("Ua"), "ส่งออก")
    [url] = [w for w in answer.split() if w.startswith("https://kaona.example.go.th/exports/")]
    assert "ใช้ได้ 1 ชั่วโมง" in answer
    local = url.replace("https://kaona.example.go.th", linked.url)

    with urlopen(local) as response:
        assert response.status == 200 and "spreadsheetml" in response.headers["Content-Type"]
        book = load_workbook(io.BytesIO(response.read()))
    names = {r[1] for r in book["สรุป"].iter_rows(min_row=3, values_only=True) if r[1]}
    assert names == {p.name for p in unit_a}  # nothing of unit B

    token = url.rsplit("/", 1)[1]
    settings = linked.services.settings
    scope = export_links.verify(settings, token)
    assert scope.viewer.user_id == "Ua" and scope.project_id is None
    # The same link re-signed for another coordinator by someone without the secret: refused.
    forged = export_links.URLSafeTimedSerializer("not-the-secret", salt=export_links.SALT).dumps(
        {"t": "user", "c": "Ub", "u": "Ub", "p": None}
    )
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (forged, tampered, "nonsense"):
        with pytest.raises(HTTPError) as refused:
            urlopen(linked.url + "/exports/" + bad)
        assert refused.value.code == 403
        assert "ลิงก์นี้ใช้ไม่ได้" in refused.value.read().decode()
    # B's own link shows B's projects, never A's.
    b_url = next(w for w in ask(linked, user_source("Ub"), "ส่งออก").split() if "/exports/" in w)
    with urlopen(b_url.replace("https://kaona.example.go.th", linked.url)) as response:
        b_book = load_workbook(io.BytesIO(response.read()))
    assert not {p.name for p in unit_a} & {c.value for row in b_book["สรุป"].iter_rows() for c in row}

    # After the configured time, the link no longer opens.
    with time_machine.travel(datetime.now() + timedelta(hours=2), tick=True):
        with pytest.raises(HTTPError) as expired:
            urlopen(local)
        assert expired.value.code == 403


def test_a_link_for_one_project_stops_opening_when_it_is_no_longer_visible(linked) -> None:
    linked, training, _, _ = linked
    answer = ask(linked, group_source("Cwork", "Usomchai"), "ส่งออก อบรม")
    url = next(w for w in answer.split() if "/exports/" in w).replace("https://kaona.example.go.th", linked.url)
    with urlopen(url) as response:
        assert response.status == 200
    linked.client.leave("Cwork")
    linked.settle()
    with pytest.raises(HTTPError) as refused:
        urlopen(Request(url))
    assert refused.value.code == 403


def test_without_a_public_address_export_is_text_with_how_to_get_the_file(reported) -> None:
    bot, _, _, _ = reported
    form = ask(bot, group_source("Cwork", "Usomchai"), "ส่งออก อบรม")
    assert "รายงานครั้งที่1 :: 21/11/2569 : ขออนุมัติโครงการแล้ว" in form
    assert "kaona export --format xlsx" in form
