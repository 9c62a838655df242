"""`ตั้งเวลาแจ้งเตือน` / `schedule`: a coordinator sets their unit's reminder schedule,
as a short pure conversation (the same shape as the report flow).

    start(units, current) -> Outcome      step(draft, text) -> Outcome

States: [unit] -> day -> followups -> deadline -> digest -> time -> confirm -> (save).
Every state takes ยกเลิก (cancel), ย้อนกลับ (back), ช่วยเหลือ (help) and คงเดิม (keep the
current value); a wrong answer re-prompts with an example. No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from flows.replies import Button, Say
from plans.schedule import (
    NotADayOfTheMonth,
    Schedule,
    format_days,
    parse_day,
    parse_days,
    parse_time,
)
from plans.thai import parse_whole, to_arabic_digits

CANCEL = {"ยกเลิก", "cancel"}
BACK = {"ย้อนกลับ", "back"}
HELP = {"ช่วยเหลือ", "help", "?"}
KEEP = {"คงเดิม", "keep", "เหมือนเดิม"}
CONFIRM = {"ยืนยัน", "confirm", "ตกลง"}
EDIT = {"แก้ไข", "edit"}
ORDER = ("unit", "day", "followups", "deadline", "digest", "time", "confirm")

CANCELLED = "ยกเลิกการตั้งเวลาแจ้งเตือนแล้ว เวลาเดิมยังใช้อยู่"
SAVED = "บันทึกเวลาแจ้งเตือนของ {unit} แล้ว\n{schedule}"
ONLY_COORDINATORS = "การตั้งเวลาแจ้งเตือนใช้ได้เฉพาะผู้ประสานงานของหน่วยงาน ในแชตส่วนตัวกับก้าวหน้า"
HELP_TEXT = "ตอบคำถามทีละข้อ พิมพ์ “คงเดิม” เพื่อใช้ค่าเดิม “ย้อนกลับ” เพื่อแก้ข้อก่อนหน้า หรือ “ยกเลิก” เพื่อเลิก"


@dataclass(frozen=True)
class ScheduleDraft:
    state: str
    units: tuple[tuple[int, str], ...]
    unit_id: int | None = None
    reminder_day: int = 20
    followup_days: tuple[int, ...] = (23, 25)
    deadline_day: int = 25
    digest_day: int = 26
    at: str = "09:00"
    current: dict[int, dict[str, object]] = field(default_factory=dict)

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.reminder_day, self.followup_days, self.deadline_day, self.digest_day, parse_time(self.at))

    @property
    def unit_name(self) -> str:
        return next((name for uid, name in self.units if uid == self.unit_id), "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> ScheduleDraft:
        data = json.loads(raw)
        data["units"] = tuple((int(u), str(n)) for u, n in data["units"])
        data["followup_days"] = tuple(data["followup_days"])
        data["current"] = {int(k): v for k, v in data.get("current", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class SaveSchedule:
    unit_id: int
    schedule: Schedule


@dataclass(frozen=True)
class Outcome:
    draft: ScheduleDraft | None
    replies: tuple[Say, ...] = ()
    effect: SaveSchedule | None = None


def values_of(schedule: Schedule) -> dict[str, object]:
    return {"reminder_day": schedule.reminder_day, "followup_days": list(schedule.followup_days),
            "deadline_day": schedule.deadline_day, "digest_day": schedule.digest_day, "at": f"{schedule.at:%H:%M}"}  # fmt: skip


def start(units: Sequence[tuple[int, str]], current: dict[int, Schedule]) -> Outcome:
    if not units:
        return Outcome(None, (Say(ONLY_COORDINATORS),))
    draft = ScheduleDraft("unit", tuple(units), current={u: values_of(s) for u, s in current.items()})
    if len(units) == 1:
        draft = _choose(draft, units[0][0])
    return Outcome(draft, (prompt(draft),))


def _choose(draft: ScheduleDraft, unit_id: int) -> ScheduleDraft:
    values = dict(draft.current.get(unit_id, {}))
    if "followup_days" in values:
        values["followup_days"] = tuple(values["followup_days"])  # type: ignore[arg-type]
    return replace(draft, state="day", unit_id=unit_id, **values)  # type: ignore[arg-type]


PROMPTS = {
    "day": "วันแจ้งเตือนประจำเดือน (ตอนนี้วันที่ {reminder_day}) พิมพ์วันที่ เช่น 18",
    "followups": "วันติดตามซ้ำ (ตอนนี้ {followups}) พิมพ์วันที่คั่นด้วยจุลภาค เช่น 21,24 หรือ “ไม่มี”",
    "deadline": "วันครบกำหนดรายงาน (ตอนนี้วันที่ {deadline_day}) เช่น 25",
    "digest": "วันส่งสรุปให้ผู้ประสานงาน (ตอนนี้วันที่ {digest_day}) เช่น 26",
    "time": "เวลาส่ง (ตอนนี้ {at} น.) เช่น 08:30",
}


def prompt(draft: ScheduleDraft) -> Say:
    keep = Button(label="คงเดิม", text="คงเดิม")
    cancel = Button(label="ยกเลิก", text="ยกเลิก")
    if draft.state == "unit":
        lines = ["ตั้งเวลาแจ้งเตือนของหน่วยงานใด"] + [f"{n}. {name}" for n, (_, name) in enumerate(draft.units, 1)]
        buttons = tuple(Button(label=name, text=str(n)) for n, (_, name) in enumerate(draft.units, 1))
        return Say("\n".join(lines), (*buttons[:12], cancel))
    if draft.state == "confirm":
        return Say(f"ตั้งเวลาแจ้งเตือนของ {draft.unit_name}\n{draft.schedule.describe()}\nยืนยันหรือไม่",
                   (Button(label="ยืนยัน", text="ยืนยัน"), Button(label="แก้ไข", text="แก้ไข"), cancel))  # fmt: skip
    text = PROMPTS[draft.state].format(reminder_day=draft.reminder_day, deadline_day=draft.deadline_day,
                                       digest_day=draft.digest_day, at=draft.at,
                                       followups=format_days(draft.followup_days) or "ไม่มี")  # fmt: skip
    return Say(text, (keep, Button(label="ย้อนกลับ", text="ย้อนกลับ"), cancel))


def _set(field_name: str, parse: Callable[[str], object]) -> Callable[[ScheduleDraft, str], ScheduleDraft]:
    def apply(draft: ScheduleDraft, typed: str) -> ScheduleDraft:
        return replace(draft, **{field_name: parse(typed)})  # type: ignore[arg-type]

    return apply


def _time(typed: str) -> str:
    return f"{parse_time(typed):%H:%M}"


SETTERS: dict[str, Callable[[ScheduleDraft, str], ScheduleDraft]] = {
    "day": _set("reminder_day", parse_day),
    "followups": _set("followup_days", parse_days),
    "deadline": _set("deadline_day", parse_day),
    "digest": _set("digest_day", parse_day),
    "time": _set("at", _time),
}
EXAMPLES = {"day": "18", "followups": "21,24", "deadline": "25", "digest": "26", "time": "08:30"}


def step(draft: ScheduleDraft, typed: str) -> Outcome:
    word = " ".join(to_arabic_digits(typed).split()).casefold()
    if word in CANCEL:
        return Outcome(None, (Say(CANCELLED),))
    if word in HELP:
        return Outcome(draft, (Say(HELP_TEXT), prompt(draft)))
    if word in BACK:
        at = ORDER.index(draft.state)
        earliest = 0 if len(draft.units) > 1 else 1
        moved = replace(draft, state=ORDER[max(earliest, at - 1)])
        return Outcome(moved, (prompt(moved),))
    if draft.state == "unit":
        number = parse_whole(word)
        if number is not None and 1 <= number <= len(draft.units):
            moved = _choose(draft, draft.units[number - 1][0])
            return Outcome(moved, (prompt(moved),))
        return Outcome(draft, (Say("กรุณาเลือกหน่วยงานจากปุ่ม หรือพิมพ์หมายเลข เช่น 1"), prompt(draft)))
    if draft.state == "confirm":
        if word in CONFIRM:
            assert draft.unit_id is not None
            done = SAVED.format(unit=draft.unit_name, schedule=draft.schedule.describe())
            return Outcome(None, (Say(done),), SaveSchedule(draft.unit_id, draft.schedule))
        if word in EDIT:
            moved = replace(draft, state="day")
            return Outcome(moved, (prompt(moved),))
        return Outcome(draft, (Say("กรุณาพิมพ์ “ยืนยัน” “แก้ไข” หรือ “ยกเลิก”"), prompt(draft)))
    if word not in KEEP:
        try:
            draft = SETTERS[draft.state](draft, typed)
        except NotADayOfTheMonth as exc:
            return Outcome(draft, (Say(f"ขออภัย {exc} กรุณาพิมพ์ใหม่ เช่น {EXAMPLES[draft.state]}"), prompt(draft)))
        except ValueError:
            return Outcome(draft, (Say(f"ขออภัย ไม่เข้าใจ “{typed}” กรุณาพิมพ์ใหม่ เช่น {EXAMPLES[draft.state]}"),
                                   prompt(draft)))  # fmt: skip
    following = ORDER[ORDER.index(draft.state) + 1]
    if following == "confirm":
        problems = draft.schedule.problems()
        if problems:
            moved = replace(draft, state="day")
            return Outcome(moved, (Say("ขออภัย ตั้งเวลาแบบนี้ไม่ได้: " + " ".join(problems)), prompt(moved)))
    moved = replace(draft, state=following)
    return Outcome(moved, (prompt(moved),))
