"""The conversation fuzzer, end to end: random chat through the real webhook, worker and
local LINE server, on a real database.

Several groups, each with two people talking at once (their events interleaved, often in
one webhook call), and one-to-one chats, send random events: answers that fit the report's
questions, Thai/English/emoji/number/Thai-digit and look-alike-digit text, commands typed
at any point (also where free text is expected), stickers, the buttons of the last answer,
old buttons, other people's buttons and forged button data, ยกเลิก/ย้อนกลับ/ช่วยเหลือ at
random points; now and then "ยกเลิก" then "รายงาน", whose answer must start a fresh report.

Each event must get exactly one reply, or a documented silence: in a group, a typed
message (or sticker) that does not mention the bot may be chatter. A button and anything
one-to-one is always answered. Every event runs with one attempt, so a use case that
raises parks its event at once and is counted.

    .venv/bin/python -m bench.fuzz_conversations --events 10000 --seed 1            # SQLite
    .venv/bin/python -m bench.fuzz_conversations --events 10000 --seed 1 --services # PostgreSQL + Redis
      (the database and Redis of KAONA_BENCH_PG_URL / KAONA_BENCH_REDIS_URL: emptied first)

Prints: events, answers, silences, failures, parked; exits 1 when any failure or parked.
The short version runs in CI as tests/handlers/test_fuzz_conversations.py.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import bindparam
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine

from bot.localline import World, group_source, postback_event, text_event, user_source
from bot.localline.world import Delivery

if TYPE_CHECKING:
    from bot.services import Services

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "samples" / "sample_plan.txt"
UNIT = "สำนักงานเขตตัวอย่าง"

# What people type -------------------------------------------------------------------------

ANSWERS = (
    "1", "2", "3", "1,2", "1-3", "2 3", "3 และ 4", "ขั้นที่ 2", "ยังไม่เสร็จ 2", "1.1", "9", "0",
    "45%", "๔๕ เปอร์เซ็นต์", "ร้อยละ 30", "50", "100", "150%", "12", "75%", "-5%", "๑๐๐",
    "12,500", "๑๒,๕๐๐.๕๐", "500 บาท", "1e9", "99999999999999999999", "0.001", "-", "ไม่มี",
    "ยืนยัน", "แก้ไข", "ข้าม", "เสร็จ", "ทำต่อ", "เริ่มใหม่", "รายงานเพิ่ม", "แก้ไขรายงานเดิม",
    "ไม่มีความก้าวหน้าเดือนนี้", "ยังไม่เริ่ม", "ใช้ค่าเดิม", "ความก้าวหน้า", "ผลการดำเนินงาน",
    "งบประมาณ", "ปัญหาอุปสรรค", "รูป/ไฟล์", "อบรม", "ขยะ", "50310000-3105", "#1", "#2", "#3",
    "จัดประชุมชี้แจงเจ้าหน้าที่แล้ว", "อบรมรุ่นแรก 40 คน", "รอผลการอนุมัติงบประมาณ", "ok", "yes",
)  # fmt: skip
SHARED = ("ยกเลิก", "cancel", "ย้อนกลับ", "back", "ช่วยเหลือ", "help", "?")
COMMANDS = (
    "รายงาน", "รายงาน อบรม", "รายงาน อบรม 45% ทดสอบ", "รายงาน #1 45% ทดสอบ", "รายงาน #²", "report",
    "สถานะ", "สถานะ อบรม", "สถานะ #²", "สถานะ #①", "status #1", "สรุป", "สรุป เขต", "โครงการ",
    "ประวัติ อบรม", "ประวัติ #²", "ส่งออก #²", "ส่งออก อบรม", "แก้ไขรายงาน", "แนบ", "ช่วยเหลือ เมนู",
    "ยกเลิก การประชุมพรุ่งนี้", "ลบรายงาน อบรม 1", "ผูกโครงการ ²", "ผูกโครงการ 123456",
    "ลงทะเบียน ๑๒๓", "ตั้งเวลาแจ้งเตือน", "แจ้งรายงานใหม่ เปิด", "เชิญ ทั้งหมด", "เมนู",
)  # fmt: skip
CHATTER = (
    "โอเคครับ", "ขอบคุณค่ะ", "พรุ่งนี้ประชุมกี่โมง", "555", "👍", "🙏🙏", "ได้เลย", "lol", "ok ok",
    "ส่งเอกสารในอีเมลแล้วนะ", "รายงานผลประชุมเมื่อวานส่งแล้ว", "สถานะ: รออนุมัติ",
)  # fmt: skip
# A fitting answer to the question last asked (found by a phrase of it), so that reports
# also get to their later states and are saved.
GUIDE = {
    "ต้องการรายงานความก้าวหน้าของโครงการใด": ("อบรม", "ขยะ", "1", "#1"),
    "ต้องการแก้ไขรายงานของโครงการใด": ("อบรม", "ขยะ"),
    "ขั้นตอนใดเสร็จแล้ว": ("1", "1,2", "45%", "ไม่มี", "ไม่มีความก้าวหน้าเดือนนี้", "๓"),
    "ขั้นตอนที่มีเครื่องหมาย": ("ไม่มี", "3", "ยังไม่เสร็จ 1"),
    "ดำเนินการไปแล้วประมาณร้อยละ": ("50", "ยังไม่เริ่ม", "๒๕", "100"),
    "ดำเนินการอะไรไปแล้วบ้าง": ("จัดประชุมชี้แจงเจ้าหน้าที่แล้ว", "รายงาน #1 45% ทดสอบ", "ใช้ค่าเดิม"),
    "เบิกจ่ายงบประมาณไปเท่าใด": ("500", "ไม่มี", "๑๒,๕๐๐", "9999999"),
    "ยืนยันยอดนี้": ("ยืนยัน", "แก้ไข"),
    "ปัญหาหรืออุปสรรค": ("ไม่มี", "ฝนตกหนัก เลื่อนอบรม", "สถานะ อบรม"),
    "แนบรูปหรือไฟล์": ("ข้าม",),
    "กรุณาตรวจสอบข้อมูล": ("ยืนยัน", "ยืนยัน", "แก้ไข"),
    "ต้องการแก้ไขข้อมูลส่วนใด": ("งบประมาณ", "ผลการดำเนินงาน", "ปัญหาอุปสรรค", "ความก้าวหน้า"),
    "เหตุผล": ("ปรับแผนตามมติที่ประชุม", "รายงาน อบรม"),
    "ทำต่อจากเดิม": ("ทำต่อ", "เริ่มใหม่"),
    "มีรายงานครั้งที่": ("รายงานเพิ่ม", "แก้ไข"),
}
ALPHABETS = (
    "กขคงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮะัาำิีึืุูเแโใไ่้๊๋็์",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789", "๐๑๒๓๔๕๖๗๘๙", "²³¹①②③٠١٢٣۴०१२", "😀🙏👍🎉❤️🇹🇭", " \n\t.,:;-#%/()'\"{}<>&=?",
    "\u200b\u00a0\u202f\u0301\ufeff\x00\x07",
)  # fmt: skip


@dataclass
class Chatter:
    """Random text and button data, from one seeded random source."""

    rng: random.Random

    def typed(self, asked: str = "") -> str:
        fitting = [answers for phrase, answers in GUIDE.items() if phrase in asked]
        if fitting and self.rng.random() < 0.7:
            return self.rng.choice(fitting[0])
        roll = self.rng.random()
        if not fitting and roll < 0.15:
            return self.rng.choice(("รายงาน", "รายงาน อบรม", "รายงาน ขยะ", "แก้ไขรายงาน", "รายงาน อบรม 45% ทดสอบ"))
        if roll < 0.35:
            return self.rng.choice(ANSWERS)
        if roll < 0.45:
            return self.rng.choice(SHARED)
        if roll < 0.60:
            return self.rng.choice(COMMANDS)
        if roll < 0.68:
            return self.rng.choice(CHATTER)
        if roll < 0.78:
            return self.mutated(self.rng.choice(ANSWERS + COMMANDS))
        return self.noise()

    def noise(self) -> str:
        if self.rng.random() < 0.03:  # now and then a very long one
            return self.rng.choice(("#", "รายงาน ", "สถานะ #", "")) + self.rng.choice("9๙²") * self.rng.randint(300, 5000)
        size = self.rng.choice((0, 1, 2, 3, 5, 8, 13, 30, 80))
        return "".join(self.rng.choice(self.rng.choice(ALPHABETS)) for _ in range(size))

    def mutated(self, base: str) -> str:
        how = self.rng.randrange(5)
        if how == 0:
            return base.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
        if how == 1:
            return base.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        if how == 2:
            return f"{self.noise()} {base}"
        if how == 3:
            return f"{base} {self.noise()}"
        return base.upper() if base.isascii() else f"  {base}  "

    def forged(self, nonce: str | None, owner: str | None) -> str:
        roll = self.rng.random()
        if roll < 0.2:
            return self.noise()[:300]
        fields = {"kaona": self.rng.choice(("report", "report", "plan", "x")),
                  "a": self.rng.choice(("say", "start", "choose", "confirm", "answer", "command", "zzz", "")),
                  "n": self.rng.choice((nonce, "deadbeef", self.noise()[:8], None)),
                  "o": self.rng.choice((owner, "Unobody", None)),
                  "v": self.rng.choice((self.typed(), "²", "999999", "-1", None)),
                  "p": self.rng.choice(("1", "2", "²", "①", "987654", "9" * 50, "-3", None))}  # fmt: skip
        data = urlencode({k: v for k, v in fields.items() if v is not None})
        return data[:300]


# End to end ---------------------------------------------------------------------------------


@dataclass
class Counts:
    events: int = 0
    answers: int = 0
    silences: int = 0
    failures: int = 0
    parked: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"events {self.events}, answers {self.answers}, silences {self.silences}, "
                f"failures {self.failures}, parked {self.parked}")  # fmt: skip


@dataclass
class Actor:
    source: dict[str, str]
    buttons: list[str] = field(default_factory=list)  # the data of the last answer's buttons
    taps: list[str] = field(default_factory=list)  # its quick replies that type a text
    asked: str = ""  # the last answer's text

    @property
    def chat(self) -> str:
        return self.source.get("groupId") or self.source["userId"]

    @property
    def user(self) -> str:
        return self.source["userId"]

    @property
    def in_group(self) -> bool:
        return "groupId" in self.source


@dataclass
class Sent:
    actor: Actor
    event: dict[str, Any]
    kind: str  # typed | mention | sticker | button | stale | foreign | forged | restart
    what: str


STATUSES = sql_text("SELECT webhook_event_id, status FROM inbox_events WHERE webhook_event_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
FRESH = ("ต้องการรายงานความก้าวหน้าของโครงการใด", "ขั้นตอนใดเสร็จแล้ว", "มีรายงานครั้งที่",
         "ยังรายงานไม่ได้", "ยังไม่มีโครงการที่ท่านรายงานได้")  # the last two: a chat with no project  # fmt: skip


class Fuzz:
    """Drives ``world``/``post`` (a signed webhook client) in rounds: in each round some of the
    actors send one event each, all in one webhook call; then waits for the bot to settle
    and checks every event's answer by its reply token."""

    def __init__(self, *, world: World, post: Callable[[list[dict[str, Any]]], Any], engine: Engine,
                 actors: Sequence[Actor], seed: int, settle: Callable[[], None],
                 trace: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.trace = trace
        self.world, self.post, self.engine, self.settle = world, post, engine, settle
        self.actors = list(actors)
        self.rng = random.Random(seed)
        self.chatter = Chatter(self.rng)
        self.seen: list[str] = []  # every button's data so far: the stale ones
        self.counts = Counts()

    def run(self, events: int) -> Counts:
        while self.counts.events < events:
            take = min(events - self.counts.events, self.rng.randint(1, len(self.actors)))
            self.round(self.rng.sample(self.actors, take))
        for actor in self.actors:  # after everything: ยกเลิก then รายงาน starts a fresh report
            self.round([actor], restart=True)
        return self.counts

    def round(self, actors: Sequence[Actor], *, restart: bool = False) -> None:
        sent: list[Sent] = []
        for actor in actors:
            if restart or self.rng.random() < 0.01:  # in one call, in this order
                sent += [self._typed(actor, "ยกเลิก", "typed"), self._typed(actor, "รายงาน", "restart")]
            else:
                sent.append(self._event(actor))
        self._send(sent)

    def _send(self, sent: list[Sent]) -> None:
        last = self.world.deliveries()[-1:]
        self.post([s.event for s in sent])
        self.settle()
        delivered = self.world.deliveries(after=last[0].id if last else 0)
        ids = [s.event["webhookEventId"] for s in sent]
        with self.engine.connect() as conn:
            statuses: dict[str, str] = {row[0]: row[1] for row in conn.execute(STATUSES, {"ids": ids})}
        for s in sent:
            replies = [d for d in delivered if d.reply_token == s.event["replyToken"]]
            self._check(s, statuses.get(s.event["webhookEventId"], "missing"), replies)
        if len(delivered) > sum(1 for d in delivered if d.kind == "reply"):
            self.counts.failures += 1
            self.counts.problems.append(f"pushes sent during a round: {[d.messages for d in delivered if d.kind != 'reply']}")

    def _check(self, s: Sent, status: str, replies: list[Delivery]) -> None:
        counts = self.counts
        counts.events += 1
        counts.kinds[s.kind] += 1
        said = " ".join(m.get("text") or m.get("altText", "") for d in replies for m in d.messages)
        quiet_allowed = s.actor.in_group and s.kind in ("typed", "sticker")
        problem = None
        if status != "done":
            counts.parked += status == "parked"
            problem = f"event {status}"
        elif len(replies) > 1:
            problem = f"{len(replies)} replies"
        elif not replies and not quiet_allowed:
            problem = "no answer"
        elif s.kind == "restart" and replies and not any(mark in said for mark in FRESH):
            problem = f"ยกเลิก then รายงาน did not start a fresh report: {said[:120]!r}"
        if replies:
            counts.answers += 1
            items = (replies[-1].messages[-1].get("quickReply") or {}).get("items", [])
            s.actor.buttons = [i["action"]["data"] for i in items if i["action"].get("type") == "postback"]
            s.actor.taps = [i["action"]["text"] for i in items if i["action"].get("type") == "message"]
            s.actor.asked = said
            self.seen.extend(s.actor.buttons)
            del self.seen[:-500]
        else:
            counts.silences += 1
        if self.trace is not None:
            self.trace(f"{s.actor.user}@{s.actor.chat} {s.kind} {s.what[:60]!r} -> {status} {said[:100]!r}")
        if problem:
            counts.failures += 1
            counts.problems.append(f"{problem}: {s.kind} {s.what[:80]!r} from {s.actor.user} in {s.actor.chat}")

    def _event(self, actor: Actor) -> Sent:
        roll = self.rng.random()
        others = [a for a in self.actors if a.chat == actor.chat and a is not actor and a.buttons]
        if roll < 0.30 and actor.buttons:
            return self._button(actor, self.rng.choice(actor.buttons), "button")
        if 0.30 <= roll < 0.38 and actor.taps:
            return self._typed(actor, self.rng.choice(actor.taps), "typed")
        if 0.38 <= roll < 0.42 and self.seen:
            return self._button(actor, self.rng.choice(self.seen), "stale")
        if 0.42 <= roll < 0.45 and others:
            return self._button(actor, self.rng.choice(self.rng.choice(others).buttons), "foreign")
        if 0.45 <= roll < 0.48:
            return self._button(actor, self.chatter.forged(None, actor.user), "forged")
        if 0.48 <= roll < 0.50:
            event = text_event(actor.source, "", reply_token=self.world.issue_reply_token(actor.source))
            event["message"] = {"type": "sticker", "id": event["message"]["id"], "packageId": "1", "stickerId": "1"}
            return Sent(actor, event, "sticker", "(sticker)")
        typed = self.chatter.typed(actor.asked)
        if actor.in_group and self.rng.random() < 0.1:
            return self._typed(actor, typed, "mention", mention=True)
        return self._typed(actor, typed, "typed")

    def _typed(self, actor: Actor, typed: str, kind: str, *, mention: bool = False) -> Sent:
        token = self.world.issue_reply_token(actor.source)
        if mention:
            tag = "@ก้าวหน้า "
            event = text_event(actor.source, tag + typed, reply_token=token, mention={"mentionees": [
                {"index": 0, "length": len(tag) - 1, "type": "user", "userId": "Ubot", "isSelf": True}]})  # fmt: skip
        else:
            event = text_event(actor.source, typed, reply_token=token)
        return Sent(actor, event, kind, typed)

    def _button(self, actor: Actor, data: str, kind: str) -> Sent:
        event = postback_event(actor.source, data, reply_token=self.world.issue_reply_token(actor.source))
        return Sent(actor, event, kind, data)


def set_up(services: Services, world: World, groups: int, solo: int, *, unit: str) -> list[Actor]:
    """The sample plan in ``unit``, the actors (``cast``), their groups bound to every
    project but the last group (bound to nothing), and all of them known to LINE."""
    from handlers.plans import import_plan
    from storage import access
    from storage.plans import list_projects

    import_plan(services.sessions, SAMPLE.read_bytes(), SAMPLE.name, unit=unit)
    actors, members = cast(groups, solo)
    with services.sessions() as session, session.begin():
        ids = [p.id for p in list_projects(session)]
        for group, people in list(members.items())[:-1]:
            access.bind(session, group, ids, by="fuzz")
            access.add_members(session, group, people)
    for group, people in members.items():
        world.add_group(group, group, people)
    for actor in actors:
        world.add_user(actor.user, f"ผู้ทดสอบ {actor.user[-6:]}")
    return actors


def cast(groups: int, people: int) -> tuple[list[Actor], dict[str, list[str]]]:
    """The actors: two people in each group (plus the one-to-one chats of ``people`` more),
    and each group's members."""
    actors, members = [], {}
    for g in range(groups):
        group = f"Cfuzz{g}"
        members[group] = [f"Ufuzz{g}a", f"Ufuzz{g}b"]
        actors += [Actor(group_source(group, user)) for user in members[group]]
    actors += [Actor(user_source(f"Ufuzzsolo{n}")) for n in range(people)]
    return actors, members


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", type=int, default=12)
    parser.add_argument("--solo", type=int, default=4, help="people talking one-to-one")
    parser.add_argument("--services", action="store_true", help="PostgreSQL + Redis (see bench/common.py)")
    parser.add_argument("--trace", action="store_true", help="print every event and the start of its answer")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from bench.common import fresh_backend
    from bot.app import create_app, shutdown, start_worker
    from bot.localline import LocalLineServer, WebhookClient
    from bot.services import build_services
    from bot.serving import BackgroundServer
    from bot.settings import Settings

    tmp = tempfile.TemporaryDirectory()
    database_url, redis_url, backend = fresh_backend(args.services, tmp.name)
    line = LocalLineServer(quota=None).start()
    settings = Settings(channel_secret="fuzz", channel_access_token="local-token", database_url=database_url,
                        redis_url=redis_url, line_api_base_url=line.url, max_attempts=1, worker_threads=4,
                        files_dir=f"{tmp.name}/files")  # fmt: skip
    services = build_services(settings, migrate=True)
    actors = set_up(services, line.world, args.groups, args.solo, unit=UNIT)
    app = start_worker(create_app(settings, services=services))
    server = BackgroundServer(app).start()
    client = WebhookClient(server.url + "/callback", settings.channel_secret, world=line.world)

    def settle() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with services.engine.connect() as conn:
                busy = conn.execute(sql_text(
                    "SELECT 1 FROM inbox_events WHERE status IN ('pending','processing') UNION ALL "
                    "SELECT 1 FROM outbox WHERE status IN ('pending','sending')")).first()  # fmt: skip
            if busy is None:
                return
            time.sleep(0.005)
        raise RuntimeError("the bot did not settle within 60 s")

    started = time.perf_counter()
    fuzz = Fuzz(world=line.world, post=client.post, engine=services.engine, actors=actors, seed=args.seed,
                settle=settle, trace=print if args.trace else None)  # fmt: skip
    counts = fuzz.run(args.events)
    wall = time.perf_counter() - started
    with services.engine.connect() as conn:
        saved = conn.execute(sql_text("SELECT count(*) FROM progress_reports")).scalar_one()
    print(f"backend: {backend}; seed {args.seed}; {len(actors)} people ({args.groups} groups of two, "
          f"{args.solo} one-to-one); {wall:.1f} s; {saved} reports saved")  # fmt: skip
    print(counts.line())
    print("by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.kinds.items())))
    for problem in counts.problems[:30]:
        print("  " + problem)
    server.stop()
    shutdown(app)
    line.stop()
    tmp.cleanup()
    return 1 if counts.failures or counts.parked else 0


if __name__ == "__main__":
    sys.exit(main())
