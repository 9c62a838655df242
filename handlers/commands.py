"""The typed commands: Thai words first, English aliases after, and a line of help each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from bot.events import IncomingEvent
from plans.thai import only_digits


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    usage: str
    help_th: str
    where: str = "any"  # any | group | user (one-to-one)
    coordinators_only: bool = False  # help lists it only to coordinators

    def matches(self, event: IncomingEvent) -> bool:
        if event.type != "message" or event.command_text is None:
            return False
        return event.command_text.split(" ", 1)[0].casefold() in self._folded

    @cached_property
    def _folded(self) -> frozenset[str]:
        return frozenset(w.casefold() for w in self.words)

    def argument(self, event: IncomingEvent) -> str:
        """What follows the command word, spaces squeezed ("" when nothing)."""
        parts = (event.command_text or "").split(" ", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    @cached_property
    def english(self) -> str | None:
        return next((w for w in self.words if w.isascii() and w.isalpha()), None)


REPORT = Command(("รายงาน", "report"), "รายงาน", "รายงานความก้าวหน้าโครงการประจำเดือน")
EDIT_REPORT = Command(("แก้ไขรายงาน", "editreport"), "แก้ไขรายงาน", "แก้ไขรายงานของเดือนนี้")
HELP = Command(("ช่วยเหลือ", "help", "วิธีใช้", "เมนู", "?"), "ช่วยเหลือ", "ดูคำสั่งทั้งหมด")
PROJECTS = Command(("โครงการ", "projects", "project"), "โครงการ", "ดูรายชื่อโครงการที่ติดตามในแชตนี้")
STATUS = Command(("สถานะ", "status"), "สถานะ <ชื่อหรือรหัสโครงการ>", "ดูความก้าวหน้าเทียบกับแผน")
SUMMARY = Command(("สรุป", "summary"), "สรุป", "สรุปว่าโครงการใดรายงานแล้ว ยังไม่รายงาน หรือล่าช้า")
BIND = Command(("ผูกโครงการ", "bind"), "ผูกโครงการ <รหัส>", "ผูกกลุ่มนี้กับโครงการด้วยรหัสจากผู้ประสานงาน", "group")
INVITE = Command(
    ("เชิญ", "invite"), "เชิญ <ชื่อโครงการ|ทั้งหมด>", "ขอรหัสผูกกลุ่ม (ผู้ประสานงาน)", "user", coordinators_only=True
)
ATTACH = Command(("แนบ", "attach"), "แนบ", "แนบรูปหรือไฟล์กับรายงานของเดือนนี้")
HISTORY = Command(("ประวัติ", "history"), "ประวัติ <ชื่อหรือรหัสโครงการ>", "ดูรายงานทุกครั้งของโครงการในปีงบประมาณนี้")
DELETE_REPORT = Command(
    ("ลบรายงาน", "deletereport"), "ลบรายงาน <ชื่อโครงการ> <ครั้งที่>", "ลบรายงานที่บันทึกผิด (ผู้ประสานงาน)",
    coordinators_only=True,
)
CANCEL = Command(("ยกเลิก", "cancel"), "ยกเลิก", "ยกเลิกการรายงานที่ทำค้างไว้")
EXPORT = Command(("ส่งออก", "export"), "ส่งออก <ชื่อโครงการ>", "แบบรายงานความก้าวหน้าตามแบบฟอร์มราชการ")
REGISTER = Command(("ลงทะเบียน", "register"), "ลงทะเบียน <รหัส>", "ลงทะเบียนเป็นผู้ประสานงาน", "user")


def normalise_code(text: str) -> str:
    """A code as typed ("๔๘๒ ๙๑๓", "482-913") -> "482913" (look-alikes such as "²" are no digits)."""
    return only_digits(text)
NOTIFY = Command(("แจ้งรายงานใหม่", "notify"), "แจ้งรายงานใหม่ เปิด|ปิด", "รับรายการรายงานใหม่วันละครั้ง (ผู้ประสานงาน)", "user")
SCHEDULE = Command(("ตั้งเวลาแจ้งเตือน", "schedule"), "ตั้งเวลาแจ้งเตือน", "ตั้งวันแจ้งเตือน ติดตาม และส่งสรุป (ผู้ประสานงาน)", "user")
