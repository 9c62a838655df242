"""The load: people talking to the bot, through a sender that behaves as LINE does.

``LineSender`` posts each signed webhook event and, when the bot answers anything
but 2xx (or nothing at all), delivers it again a little later with
``deliveryContext.isRedelivery`` set, same ``webhookEventId`` and reply token, until
it is taken or LINE's patience runs out. ``Person`` is one member of staff in a
group of their own, going through a whole report conversation and reading each
answer before typing the next; ``burst`` is a person who types several short
commands in a row without waiting (the per-chat order check).
"""

from __future__ import annotations

import copy
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot.localline import World, text_event
from bot.localline.webhook import sign, webhook_body
from bot.services import Services
from handlers.plans import import_plan
from storage import access
from storage.plans import ensure_fiscal_year, ensure_unit, list_projects

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "samples" / "sample_plan.txt"
TURNS = ("รายงาน อบรม", "1", "50", "จัดทำคำสั่งแต่งตั้งคณะทำงานแล้ว", "500", "ไม่มี", "ข้าม", "ยืนยัน")
EXTRA = ("รายงานเพิ่ม", "รายงานของอีกทีมในเดือนเดียวกัน")
SAVED = "ขอบคุณที่รายงาน"
BURST = ("ช่วยเหลือ", "สถานะ", "ช่วยเหลือ", "โครงการ", "ช่วยเหลือ")


@dataclass
class Sent:
    """One event as LINE sent it, and what came of it."""

    event_id: str
    token: str
    chat: str
    user: str
    text: str
    posts: int = 0  # deliveries of it (1 + redeliveries)
    statuses: list[int] = field(default_factory=list)  # the bot's answers (0: no answer)
    accepted: bool = False
    answered_after: float | None = None  # seconds from the first delivery to the answer at LINE
    started: float = field(default_factory=time.monotonic)


class LineSender:
    """Delivers webhook events as LINE does: redelivered after a non-2xx answer."""

    def __init__(self, url: str, secret: str, world: World, *, patience: float = 120.0,
                 timeout: float = 5.0) -> None:  # fmt: skip
        self.url = url
        self.secret = secret
        self.world = world
        self.patience = patience
        self.timeout = timeout
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def post(self, events: list[dict[str, Any]]) -> int:
        import urllib.error
        import urllib.request

        body = webhook_body(events)
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "LineBotWebhook/2.0",
            "X-Line-Signature": sign(body, self.secret)})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - local
                answer.read()
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            exc.read()
            exc.close()
            return int(exc.code)
        except OSError:
            return 0

    def say(self, source: dict[str, Any], text: str) -> Sent:
        """Send one text event until the bot takes it (2xx) or LINE gives up."""
        token = self.world.issue_reply_token(source)
        event = text_event(source, text, reply_token=token)
        chat = source.get("groupId") or source["userId"]
        sent = Sent(event["webhookEventId"], token, chat, source["userId"], text)
        with self._lock:
            self.sent.append(sent)
        deadline = time.monotonic() + self.patience
        wait = 0.5
        while True:
            status = self.post([event])
            sent.posts += 1
            sent.statuses.append(status)
            if 200 <= status < 300:
                sent.accepted = True
                return sent
            if time.monotonic() > deadline:
                return sent
            time.sleep(wait * random.uniform(0.8, 1.2))
            wait = min(wait * 1.5, 5.0)
            event = copy.deepcopy(event)
            event["deliveryContext"] = {"isRedelivery": True}


def answer_to(world: World, sent: Sent, after: int, timeout: float) -> str | None:
    """The text of the bot's answer to ``sent``: its reply, or a push to the chat (a group
    of one person, so a push there after the event is that answer); None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for delivery in world.deliveries(to=sent.chat, after=after):
            if delivery.reply_token == sent.token or delivery.kind == "push":
                sent.answered_after = time.monotonic() - sent.started
                return " ".join(str(m.get("text") or m.get("altText") or "") for m in delivery.messages)
        time.sleep(0.05)
    return None


@dataclass
class Conversation:
    user: str
    chat: str
    turns: int = 0
    finished: bool = False  # the "saved" answer was seen
    gave_up: str | None = None  # why the person stopped (no answer, never taken)


def converse(sender: LineSender, user: str, chat: str, *, answer_timeout: float,
             think: float = 0.0) -> Conversation:  # fmt: skip
    """One whole report conversation, each answer read before the next turn."""
    world = sender.world
    source = {"type": "group", "groupId": chat, "userId": user}
    result = Conversation(user, chat)
    todo = list(TURNS)
    while todo:
        typed = todo.pop(0)
        mark = max((d.id for d in world.deliveries(to=chat)), default=0)
        sent = sender.say(source, typed)
        result.turns += 1
        if not sent.accepted:
            result.gave_up = f"turn {result.turns} never taken: {sent.statuses[-3:]}"
            return result
        said = answer_to(world, sent, mark, answer_timeout)
        if said is None:
            result.gave_up = f"no answer to turn {result.turns} ({typed!r}) within {answer_timeout:.0f} s"
            return result
        if SAVED in said:
            result.finished = True
            return result
        if "มีรายงานครั้งที่" in said or "เพิ่งบันทึกรายงานครั้งที่" in said:
            todo[:0] = [*EXTRA, "ยืนยัน"] if "ยังไม่ถูกบันทึก" in said else list(EXTRA)
        if think:
            time.sleep(random.uniform(0, think))
    result.gave_up = "the conversation ended without the saved answer"
    return result


def burst(sender: LineSender, user: str, chat: str) -> list[Sent]:
    """Several commands typed in a row, without waiting for the answers."""
    source = {"type": "group", "groupId": chat, "userId": user}
    return [sender.say(source, text) for text in BURST]


# -- the office the load talks to -----------------------------------------------------

REMINDER_UNIT = "สำนักงานเขตทดสอบการแจ้งเตือน"


def set_up_conversations(services: Services, world: World, people: int, bursts: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The sample plan; each person in a group of their own bound to its projects."""
    import_plan(services.sessions, SAMPLE.read_bytes(), SAMPLE.name, unit="สำนักงานเขตตัวอย่าง")
    talkers = [(f"Ufault{n:04d}", f"Cfault{n:04d}") for n in range(people)]
    typers = [(f"Uburst{n:04d}", f"Cburst{n:04d}") for n in range(bursts)]
    with services.sessions() as session, session.begin():
        ids = [p.id for p in list_projects(session)]
        for user, chat in [*talkers, *typers]:
            access.bind(session, chat, ids, by="faults")
            access.add_members(session, chat, [user])
    for user, chat in [*talkers, *typers]:
        world.add_group(chat, f"กลุ่ม {chat}", [user])
    return talkers, typers


def set_up_reminder_groups(services: Services, world: World, groups: int, members: int = 3) -> list[str]:
    """``groups`` groups, each bound to a project of its own planned this fiscal year
    (FY 2570: Oct 2026 - Sep 2027), none with a report: each is due one reminder."""
    from storage.access_models import ChatGroup, GroupMember, GroupProject, Person
    from storage.plan_models import Project, Step

    now = datetime.now(UTC)
    chats = [f"Cremind{n:04d}" for n in range(groups)]
    with services.sessions() as session, session.begin():
        ensure_fiscal_year(session, 2570)
        unit = ensure_unit(session, REMINDER_UNIT)
        for n, chat in enumerate(chats):
            project = Project(fiscal_year=2570, unit_id=unit.id, key=f"R{n}", name=f"งานที่ {n + 1} ของเขต",
                              plan_version=1, created_at=now, updated_at=now)  # fmt: skip
            session.add(project)
            session.flush()
            session.add(Step(project_id=project.id, version=1, position=1, no="1", title="ดำเนินการ",
                             weight=Decimal(100), first_month="2026-10", last_month="2027-09"))  # fmt: skip
            session.execute(insert(ChatGroup), [{"group_id": chat, "active": True, "joined_at": now}])
            people = [f"U{chat}m{m}" for m in range(members)]
            session.execute(insert(Person), [{"user_id": u, "is_friend": False, "created_at": now} for u in people])
            session.execute(insert(GroupMember), [{"group_id": chat, "user_id": u, "joined_at": now} for u in people])
            session.execute(insert(GroupProject), [{"group_id": chat, "project_id": project.id, "bound_by": "faults",
                                                    "bound_at": now}])  # fmt: skip
            world.add_group(chat, f"กลุ่ม {chat}", people)
    return chats
