"""The conversation fuzzer over the pure flows (the report and the reminder schedule): a
seeded random driver feeds every state random Thai/English/emoji/number/Thai-digit and
look-alike-digit text (bench/fuzz_conversations.py's vocabulary), the buttons of the last
answer, stale and forged button data, files, timeouts, commands typed where free text is
expected, and ยกเลิก/ย้อนกลับ/ช่วยเหลือ at random points, for two people interleaved in one
group and one person one-to-one. The handler's part (loading a project, saving) is played
here in memory, as handlers/report.py does it.

Properties after every event: no exception; every event a conversation receives is
answered; every answer renders as LINE messages within LINE's limits with no template
field left unfilled; every button reads back as this conversation's; the draft survives
its JSON; and, after any sequence, ยกเลิก then รายงาน starts a fresh report."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from bench.fuzz_conversations import Chatter
from bot.cards import summary_card
from bot.render import DATA_LIMIT, LABEL_LIMIT, QUICK_REPLY_LIMIT, TEXT_LIMIT, fit, text
from flows import postback, schedule
from flows import report as flow
from flows import report_text as T
from flows.draft import Attachment, Choice, Draft, MonthReport, ProjectView, StepView
from flows.replies import Reply, Say, SummaryCard
from flows.report_input import Input
from plans.schedule import Schedule
from tests.flows.test_report import AGAIN, PROJECT

SUB_STEPS = ProjectView(
    id=9, name="โครงการจัดเก็บขยะอันตรายจากชุมชน", code=None, planned_now=None, last_number=0, last_percent=None,
    steps=(StepView("1.1", "สำรวจ", Decimal(10)), StepView("1.2", "ประชุม", Decimal(20)),
           StepView("2", "จัดเก็บ", Decimal(70), ("2026-12",))),
)  # fmt: skip
PROJECTS = {7: PROJECT, 8: replace(AGAIN, id=8, name="โครงการพัฒนาระบบติดตาม", code="50310000-9999"), 9: SUB_STEPS}
CHOICES = tuple(Choice(p.id, p.name, p.code) for p in PROJECTS.values())
REPORT_WORDS = {"รายงาน": "new", "report": "new", "แก้ไขรายงาน": "edit", "editreport": "edit", "แนบ": "attach",
                "attach": "attach"}  # fmt: skip
# The words dispatch asks about where free text is expected (handlers/dispatch.py ASKED_ABOUT).
COMMAND_WORDS = {"รายงาน", "report", "แก้ไขรายงาน", "สถานะ", "status", "โครงการ", "สรุป", "ส่งออก", "ประวัติ",
                 "ผูกโครงการ", "เชิญ", "ลงทะเบียน", "ยกเลิก", "cancel", "ช่วยเหลือ", "help", "เมนู", "?"}  # fmt: skip
# The fields of the report's and the schedule's message templates: one of them in an
# answer was left unfilled (random text typed by the fuzzer may hold other braces).
_TEMPLATES = [v for module in (T, schedule) for v in vars(module).values() if isinstance(v, str)]
_TEMPLATES += [v for v in schedule.PROMPTS.values()]
_FIELDS = {f for v in _TEMPLATES for f in re.findall(r"\{([a-z_]+)\}", v)}
UNFILLED = re.compile(r"\{(?:" + "|".join(sorted(_FIELDS)) + r")\}")
TTL = 1800


@dataclass
class Person:
    user: str
    in_group: bool
    draft: str | None = None  # the draft as the state store keeps it: JSON
    buttons: list[str] = field(default_factory=list)
    asked: str = ""
    nonces: set[str] = field(default_factory=set)


@dataclass
class Driver:
    rng: random.Random
    log: list[str] = field(default_factory=list)
    events: int = 0
    answered: int = 0
    saved: int = 0
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chatter = Chatter(self.rng)

    # the handler's part ----------------------------------------------------------------

    def begin(self, person: Person, mode: str, argument: str, *, pressed: int | None = None) -> tuple[Reply, ...]:
        nonce = f"{self.rng.getrandbits(32):08x}"
        draft = Draft(nonce=nonce, state="choose", started_at="t", updated_at="t",
                      mode="edit" if mode == "edit" else "new", owner=person.user, owner_name="สมชาย",
                      in_group=person.in_group, attach_only=mode == "attach")  # fmt: skip
        choices = self.rng.choice((CHOICES, CHOICES[:1], CHOICES[1:], ()))
        if pressed is not None:
            argument = f"#{pressed}" if any(c.id == pressed for c in choices) else ""
        return self.resolve(person, flow.start(draft, choices, argument))

    def load(self, draft: Draft, project_id: int) -> flow.Outcome:
        project = PROJECTS[project_id]
        if draft.attach_only or draft.mode == "edit":
            month = project.month_report
            if month is None:
                return flow.Outcome(None, (Say(T.NOTHING_TO_EDIT.format(name=project.name)),))
            if draft.attach_only:
                return flow.loaded(draft.with_(edit_number=month.number), project)
            draft = draft.with_(edit_number=month.number, percent=month.percent or Decimal(30), completed=("1",),
                                work_done="งานเดิม", budget=Decimal(0))  # fmt: skip
        return flow.loaded(draft, project)

    def resolve(self, person: Person, outcome: flow.Outcome) -> tuple[Reply, ...]:
        replies: list[Reply] = []
        for _ in range(4):
            replies.extend(outcome.replies)
            effect = outcome.effect
            if isinstance(effect, flow.Load):
                assert outcome.draft is not None
                outcome = self.load(outcome.draft, effect.project_id)
                continue
            if isinstance(effect, flow.Save):
                if self.rng.random() < 0.2:  # someone else saved this month's report first
                    outcome = flow.overtaken(effect.draft, MonthReport(5, "สมหญิง", "2026-11-20", Decimal(50)))
                    continue
                self.saved += 1
                replies.append(Say("saved"))
                outcome = flow.Outcome(None)
            elif isinstance(effect, (flow.Attach,)):
                replies.append(Say("attached"))
                outcome = flow.Outcome(None)
            elif isinstance(effect, flow.RunCommand):
                replies.append(Say("the command ran"))
            break
        else:
            raise AssertionError("more than four effects in a row")
        self.keep(person, outcome.draft)
        return tuple(replies)

    def keep(self, person: Person, draft: Draft | None) -> None:
        if draft is None:
            person.draft = None
            return
        raw = draft.to_json()
        assert Draft.from_json(raw) == draft, "the draft does not survive its JSON"
        person.draft = raw
        person.nonces.add(draft.nonce)
        for reply in flow.prompt(draft):  # the question it would be asked again (back, stale)
            check_reply(reply)

    # one event ---------------------------------------------------------------------------

    def event(self, person: Person, people: list[Person]) -> tuple[Reply, ...] | None:
        draft = Draft.from_json(person.draft) if person.draft else None
        roll = self.rng.random()
        if roll < 0.3 and person.buttons:
            return self.press(person, draft, self.rng.choice(person.buttons))
        if roll < 0.35 and self.seen:
            return self.press(person, draft, self.rng.choice(self.seen))
        if roll < 0.40:
            other = self.rng.choice(people)
            return self.press(person, draft, self.chatter.forged(self.rng.choice(list(other.nonces) or [None]),
                                                                 other.user))  # fmt: skip
        if roll < 0.43 and draft is not None:
            self.log.append("(a file)")
            file = Attachment(key=f"k{self.events}", name="รูป.jpg", content_type="image/jpeg", size=10, message_id="m")
            return self.resolve(person, flow.attached(draft, file))
        typed = self.chatter.typed(person.asked)
        if roll > 0.97:
            typed = self.rng.choice(("ยกเลิก", "ย้อนกลับ", "ช่วยเหลือ"))
        return self.type(person, draft, typed)

    def type(self, person: Person, draft: Draft | None, typed: str) -> tuple[Reply, ...] | None:
        self.log.append(f"{person.user} types {typed[:80]!r}")
        head, _, rest = " ".join(typed.split()).partition(" ")
        mode = REPORT_WORDS.get(head.casefold())
        if draft is None or (mode and draft.state not in flow.FREE_TEXT):
            # no report open: only the report commands reach the flow (the rest is other use cases)
            return self.begin(person, mode, rest) if mode else None
        command = head if draft.state in flow.FREE_TEXT and head.casefold() in COMMAND_WORDS else None
        return self.receive(person, draft, Input(text=typed, command=command))

    def press(self, person: Person, draft: Draft | None, data: str) -> tuple[Reply, ...]:
        self.log.append(f"{person.user} presses {data[:120]!r}")
        button = postback.decode(data)
        if button is not None and button.action == postback.START:
            return self.begin(person, "new", "", pressed=button.project or 0)
        if button is not None and button.owner and button.owner != person.user:
            return (Say("someone else's button"),)
        if draft is None:
            return (Say(T.BUTTON_OF_ENDED),)
        if button is None:
            given = Input()
        elif button.action == postback.SAY:
            given = Input(text=button.value or "", nonce=button.nonce)
        else:
            given = Input(action=button.action, value=button.value, nonce=button.nonce)
        return self.receive(person, draft, given)

    def receive(self, person: Person, draft: Draft, given: Input) -> tuple[Reply, ...]:
        idle = self.rng.choice((5.0, 60.0, TTL + 1.0)) if self.rng.random() < 0.1 else 5.0
        return self.resolve(person, flow.receive(draft, given, idle=idle, ttl=TTL))


def check_reply(reply: Reply) -> list[dict]:
    if isinstance(reply, SummaryCard):
        return [summary_card(reply)]
    assert reply.text.strip(), "an empty answer"
    assert not UNFILLED.search(reply.text), f"a template field left unfilled: {reply.text!r}"
    assert len(reply.buttons) <= QUICK_REPLY_LIMIT
    message = text(reply.text, reply.buttons)
    assert len(message["text"]) <= TEXT_LIMIT
    for item in message.get("quickReply", {}).get("items", []):
        assert 0 < len(item["action"]["label"]) <= LABEL_LIMIT
        assert len(item["action"].get("data", "")) <= DATA_LIMIT
    return [message]


def run_report_fuzz(seed: int, events: int) -> Driver:
    driver = Driver(random.Random(seed))
    people = [Person("Ua", True), Person("Ub", True), Person("Usolo", False)]
    try:
        for n in range(events):
            person = driver.rng.choice(people)
            before = person.draft
            replies = driver.event(person, people)
            driver.events += 1
            if replies is None:  # not the report's: no conversation open and no report command
                assert before is None
                continue
            assert replies, "an event a conversation received went unanswered"
            driver.answered += 1
            fit([m for r in replies for m in check_reply(r)])
            last = replies[-1]
            person.buttons = [b.data for b in getattr(last, "buttons", ()) if b.data]
            person.asked = " ".join(r.text for r in replies if isinstance(r, Say))
            for data in person.buttons:
                button = postback.decode(data)
                assert button is not None and button.owner == person.user
                assert person.draft is not None and button.nonce == Draft.from_json(person.draft).nonce
            driver.seen = (driver.seen + person.buttons)[-200:]
            if driver.rng.random() < 0.02 or n == events - 1:
                restart(driver, person)
    except Exception as exc:
        raise AssertionError(f"seed {seed}, after:\n" + "\n".join(driver.log[-25:])) from exc
    return driver


def restart(driver: Driver, person: Person) -> None:
    """ยกเลิก then รายงาน: a fresh report, whatever came before."""
    draft = Draft.from_json(person.draft) if person.draft else None
    if draft is not None:
        cancelled = driver.type(person, draft, "ยกเลิก")
        assert cancelled and person.draft is None and T.CANCELLED in cancelled[0].text  # type: ignore[union-attr]
    driver.type(person, None, "รายงาน")
    if person.draft is None:  # no project to report in this chat, or it ended at once
        return
    fresh = Draft.from_json(person.draft)
    assert fresh.nonce != (draft.nonce if draft else None)
    assert fresh.state in ("choose", "steps", "already") and fresh.mode == "new" and not fresh.attach_only
    assert fresh.work_done is None and fresh.held is None and fresh.attachments == () and fresh.strikes == 0


@pytest.mark.parametrize("seed", range(8))
def test_random_report_conversations_never_crash_and_always_answer(seed: int) -> None:
    driver = run_report_fuzz(seed, 1500)
    assert driver.answered > 500 and driver.saved >= 3


def test_a_command_typed_as_free_text_is_held_until_the_person_chooses() -> None:
    at_work = flow.step(flow.loaded(Draft("n1", "choose", "t", "t", choices=CHOICES, owner="Ua"), PROJECT).draft,
                        Input(text="45%")).draft  # fmt: skip
    assert at_work is not None and at_work.state == "work"
    asked = flow.step(at_work, Input(text="รายงาน #1 45% ทดสอบ", command="รายงาน"))
    held = asked.draft
    assert held is not None and held.state == "work" and held.held == "รายงาน #1 45% ทดสอบ"
    assert [b.label for b in asked.replies[-1].buttons] == ["บันทึกเป็นคำตอบ", "ทำคำสั่ง รายงาน", "ยกเลิก"]  # type: ignore[union-attr]
    kept = flow.step(held, Input(action=postback.ANSWER, nonce="n1"))
    assert kept.draft is not None and kept.draft.work_done == "รายงาน #1 45% ทดสอบ" and kept.draft.held is None
    ran = flow.step(held, Input(action=postback.COMMAND, nonce="n1"))
    assert ran.effect == flow.RunCommand("รายงาน #1 45% ทดสอบ") and ran.draft.held is None  # type: ignore[union-attr]
    again = flow.step(ran.draft, Input(action=postback.ANSWER, nonce="n1"))  # type: ignore[arg-type]
    assert T.STALE_BUTTON in again.replies[0].text  # type: ignore[union-attr]
    cancelled = flow.step(held.with_(held="ยกเลิก การประชุม"), Input(action=postback.COMMAND, nonce="n1"))
    assert cancelled.draft is None


# the reminder schedule ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_random_schedule_conversations_never_crash_and_always_answer(seed: int) -> None:
    rng = random.Random(seed)
    chatter = Chatter(rng)
    words = ("18", "๑๘", "21,24", "ไม่มี", "25", "26", "08:30", "๐๘.๓๐", "25:99", "ยืนยัน", "แก้ไข", "คงเดิม",
             "ย้อนกลับ", "ช่วยเหลือ", "1", "2", "²", "0", "32")  # fmt: skip
    units = [(1, "สำนักงานเขตตัวอย่าง"), (2, "กองงานผู้ตรวจราชการ")]
    current = {1: Schedule(20, (23, 25), 25, 26, schedule.parse_time("09:00"))}
    draft: schedule.ScheduleDraft | None = None
    log: list[str] = []
    for _ in range(400):
        if draft is None:
            outcome = schedule.start(units[: rng.randint(1, 2)], current)
        else:
            typed = rng.choice(words) if rng.random() < 0.6 else chatter.typed()
            typed = "ยกเลิก" if rng.random() < 0.02 else typed
            log.append(typed[:60])
            try:
                outcome = schedule.step(draft, typed)
            except Exception as exc:
                raise AssertionError(f"seed {seed}, after {log[-10:]}") from exc
        assert outcome.replies and all(r.text.strip() and not UNFILLED.search(r.text) for r in outcome.replies)
        if outcome.effect is not None:
            assert not outcome.effect.schedule.problems()
        draft = outcome.draft
        if draft is not None:
            assert schedule.ScheduleDraft.from_json(draft.to_json()) == draft
