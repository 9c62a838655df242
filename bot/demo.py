"""`kaona demo`: the whole bot on the embedded default, with no LINE account.

SQLite in ./data, no Redis, the local LINE-compatible API server, the bot's web
process with its in-process worker, and the chat simulator in this terminal.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot.app import create_app, shutdown, start_worker
from bot.localline import LocalLineServer
from bot.services import Services, build_services
from bot.serving import BackgroundServer
from bot.settings import Settings

DEMO_SECRET = "demo-channel-secret"
DEMO_TOKEN = "local-token"
DEMO_USER = ("Udemo0001", "สมชาย ใจดี")
DEMO_GROUP = ("Cdemo0001", "ฝ่ายปกครอง (ตัวอย่าง)")
SAMPLE_PLAN = Path(__file__).parent / "samples" / "sample_plan.txt"
SAMPLE_UNIT = "สำนักงานเขตตัวอย่าง"

BANNER = """\
ก้าวหน้า (Kaona) demo: the bot is running on {bot} with SQLite at {db},
and a local LINE-compatible API on {line}. No LINE account is needed.

พิมพ์ข้อความเหมือนแชตใน LINE (เช่น “ช่วยเหลือ”) แล้วกด Enter
พิมพ์ตัวเลขเพื่อกดปุ่มตัวเลือก, /help ดูคำสั่งของโปรแกรมจำลอง, /quit ออก
Type as in LINE; a number picks a button; /help lists simulator commands; /quit exits.

ท่านเป็นผู้ประสานงานของหน่วยงานตัวอย่าง ลองพิมพ์ “โครงการ”, “สถานะ อบรม” หรือ “สรุป”
พิมพ์ /group Cdemo0001 เพื่อคุยในกลุ่มงานตัวอย่าง แล้ว /dm เพื่อกลับมาแชตส่วนตัว
"""


def run_demo(*, port: int = 8000, line_port: int = 8030, database: str = "data/demo.sqlite3") -> int:
    from bot.localline.simulator import ChatSimulator

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    line = _start_line(line_port)
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        channel_secret=DEMO_SECRET,
        channel_access_token=DEMO_TOKEN,
        database_url=f"sqlite:///{database}",
        line_api_base_url=line.url,
        demo=True,
    )
    services = build_services(settings, migrate=True)
    loaded = load_sample_plan(services)
    app = start_worker(create_app(settings, services=services))
    server = _start_bot(app, port)
    line.world.add_user(DEMO_USER[0], DEMO_USER[1])
    line.world.add_group(DEMO_GROUP[0], DEMO_GROUP[1], [DEMO_USER[0]])
    print(BANNER.format(bot=server.url, db=database, line=line.url), flush=True)
    if loaded:
        print(f"ตัวอย่างแผน: นำเข้า {loaded} โครงการของ{SAMPLE_UNIT} (sample plan loaded)\n", flush=True)
    try:
        ChatSimulator(bot_url=server.url + "/callback", line_url=line.url, channel_secret=DEMO_SECRET).run(
            user_id=DEMO_USER[0], display_name=DEMO_USER[1], group_id=None
        )
    finally:
        server.stop()
        shutdown(app)
        line.stop()
    return 0


def load_sample_plan(services: Services) -> int:
    """The first time the demo database is used: the sample plan, the demo user as
    the coordinator of its unit, and a demo group bound to its projects."""
    from handlers.plans import import_plan
    from storage import access
    from storage.plans import find_unit, list_projects

    with services.sessions() as session:
        if list_projects(session):
            return 0
    result = import_plan(
        services.sessions, SAMPLE_PLAN.read_bytes(), SAMPLE_PLAN.name, unit=SAMPLE_UNIT, imported_by="demo"
    )
    with services.sessions() as session, session.begin():
        unit = find_unit(session, SAMPLE_UNIT)
        assert unit is not None
        access.add_coordinator(session, DEMO_USER[0], unit.id)
        access.bind(session, DEMO_GROUP[0], [p.id for p in list_projects(session)], by="demo")
        access.add_members(session, DEMO_GROUP[0], [DEMO_USER[0]])
    return sum(1 for p in result.projects if p.status == "imported")


def _start_line(port: int) -> LocalLineServer:
    try:
        return LocalLineServer(access_token=DEMO_TOKEN, port=port).start()
    except OSError:
        print(f"port {port} is busy; the local LINE API takes a free port instead", file=sys.stderr)
        return LocalLineServer(access_token=DEMO_TOKEN).start()


def _start_bot(app: object, port: int) -> BackgroundServer:
    try:
        return BackgroundServer(app, port=port).start()
    except OSError:
        print(f"port {port} is busy; the bot takes a free port instead", file=sys.stderr)
        return BackgroundServer(app).start()
