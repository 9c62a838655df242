"""`kaona chat`: talk to a running bot as a LINE user, from a terminal.

Everything goes over HTTP, as in production: signed webhook events to the bot
(reply tokens issued by the local LINE server), and what the bot sent read
back from the local server's record of deliveries. Rendering lives in
``bot.localline.simulator_render``.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.localline import webhook
from bot.localline.simulator_render import Choice, render_delivery
from bot.localline.webhook import DEFAULT_DESTINATION, Event, WebhookClient

QUIET_AFTER = 0.6  # stop waiting this long after the last delivery arrived
NO_REPLY = "(ไม่มีข้อความตอบกลับ)"
# Typing "@ก้าวหน้า" in a group tags the bot, as picking it from LINE's mention list does.
BOT_MENTION = re.compile(r"@(?:ก้าวหน้า|kaona)", re.IGNORECASE)
PICKER_FORMATS = {
    "date": ("YYYY-MM-DD", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    "time": ("HH:MM", re.compile(r"^\d{2}:\d{2}$")),
    "datetime": ("YYYY-MM-DDTHH:MM", re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}$")),
}
BOT_DOWN = ("  เริ่มบอตก่อน: `kaona demo` (ทุกอย่างในเครื่อง) หรือ `kaona serve`\n"
            "  The bot is not running: start it with `kaona demo` or `kaona serve`.")
LINE_DOWN = ("  เริ่มด้วย `kaona demo` หรือ `kaona line-server` คู่กับ `kaona serve`\n"
             "  The local LINE server is not running: start `kaona demo`, "
             "or `kaona line-server` and `kaona serve`.")


@dataclass(frozen=True)
class _Command:
    usage: str
    help: str
    run: Callable[[ChatSimulator, str], None]


class ChatSimulator:
    """A line-oriented LINE chat: what you type goes to the bot as webhook events."""

    def __init__(self, bot_url: str, line_url: str, channel_secret: str, *,
                 stdin: TextIO | None = None, stdout: TextIO | None = None,
                 wait: float = 2.5, poll: float = 0.1) -> None:
        self.bot_url = bot_url
        self.line_url = line_url.rstrip("/")
        self.client = WebhookClient(bot_url, channel_secret, line_url=self.line_url)
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        self.wait = wait
        self.poll = poll
        self.user_id = ""
        self.group_id: str | None = None
        self.names: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.choices: list[Choice] = []  # what a typed number picks, until the next bot output
        self._after = 0  # the last delivery id seen
        self._running = False
        self._line_warned = False  # the full "how to start it" hint once, then a short line

    # -- the loop ---------------------------------------------------------------
    def run(self, user_id: str, display_name: str, group_id: str | None = None) -> None:
        """Read lines until EOF or /quit; each becomes an event, then show what came back."""
        self.user_id, self.group_id = user_id, group_id
        self.names[user_id] = display_name
        self._say(f"จำลองแชต LINE กับบอตที่ {self.bot_url} (LINE จำลอง: {self.line_url})\n"
                  "พิมพ์ข้อความเพื่อคุยกับบอต, /help ดูคำสั่ง, /quit ออก (type /help)")
        registered = self._local("POST", "/users", {"userId": user_id, "displayName": display_name})
        if registered is not None:
            if group_id:
                self._register_group(group_id)
            self._deliveries(to=None)  # start after whatever was sent before
        self._running = True
        while self._running:
            line = self._read(self._prompt())
            if line is None:
                break
            self._handle(line.strip())
        self._say("จบการจำลอง (bye)")

    def _handle(self, line: str) -> None:
        if line.startswith("/"):
            name, _, arg = line.partition(" ")
            command = COMMANDS.get(name.lower())
            if command is None:
                self._say(f"ไม่รู้จักคำสั่ง {name}: พิมพ์ /help "
                          "(ส่งข้อความที่ขึ้นต้นด้วย / ได้ด้วย /say)")
            else:
                command.run(self, arg.strip())
        elif line.isdecimal() and 1 <= int(line) <= len(self.choices):
            self._pick(self.choices[int(line) - 1])
        elif line:
            self._send_text(line)

    def _prompt(self) -> str:
        name = self.names.get(self.user_id, self.user_id)
        return f"{name} @ กลุ่ม {self.group_id}> " if self.group_id else f"{name}> "

    def _read(self, prompt: str) -> str | None:
        """One line, or None at EOF. Piped input is echoed so the output reads as a chat."""
        if self.stdin is sys.stdin and self.stdout is sys.stdout and sys.stdin.isatty():
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
            try:
                return input(prompt)
            except EOFError:
                self._say("")
                return None
        self.stdout.write(prompt)
        line = self.stdin.readline()
        if not line:
            self._say("")
            return None
        line = line.rstrip("\r\n")
        self._say(line)
        return line

    def _say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    # -- what the person does ---------------------------------------------------
    def _source(self) -> dict[str, str]:
        if self.group_id:
            return webhook.group_source(self.group_id, self.user_id)
        return webhook.user_source(self.user_id)

    def _send_text(self, text: str) -> None:
        found = list(BOT_MENTION.finditer(text)) if self.group_id else []  # no tags one-to-one
        mention = {"mentionees": [
            {"index": m.start(), "length": len(m.group(0)), "type": "user",
             "userId": DEFAULT_DESTINATION, "isSelf": True} for m in found]} if found else None
        source = self._source()
        self._send(source, lambda token: webhook.text_event(source, text, reply_token=token,
                                                             mention=mention))

    def _pick(self, choice: Choice) -> None:
        action, kind, source = choice.action, choice.kind, self._source()
        if kind == "message":
            self._say(f"» {action.get('text', choice.label)}")
            self._send_text(str(action.get("text", choice.label)))
            return
        if kind not in ("postback", "datetimepicker"):
            what = f"เปิดลิงก์ {action.get('uri', '')}" if kind == "uri" else f"ปุ่มชนิด {kind}"
            self._say(f"({what}: ไม่มีอะไรส่งถึงบอต / nothing is sent to the bot)")
            return
        params = self._ask_picker(action) if kind == "datetimepicker" else None
        if kind == "datetimepicker" and params is None:
            return
        if action.get("displayText") or action.get("text"):
            self._say(f"» {action.get('displayText') or action.get('text')}")
        data = str(action.get("data", ""))
        self._send(source, lambda token: webhook.postback_event(source, data, params=params,
                                                                reply_token=token))

    def _ask_picker(self, action: dict[str, Any]) -> dict[str, str] | None:
        mode = str(action.get("mode", "date"))
        shape, pattern = PICKER_FORMATS.get(mode, PICKER_FORMATS["date"])
        while True:
            answer = (self._read(f"เลือกวันเวลา ({shape}), Enter = ยกเลิก> ") or "").strip()
            if not answer:
                self._say("(ยกเลิก / cancelled)")
                return None
            if pattern.match(answer):
                return {mode: answer}
            self._say(f"รูปแบบไม่ถูกต้อง ต้องเป็น {shape}")

    # -- commands ---------------------------------------------------------------
    def _help(self, arg: str) -> None:
        lines = [f"  {c.usage} – {c.help}" for c in COMMANDS.values()]
        self._say("\n".join(["คำสั่ง (commands):", *lines,
                             "  N (ตัวเลข) – เลือกปุ่ม [N] ในข้อความล่าสุดของบอต (pick a choice)",
                             "  @ก้าวหน้า … – ในกลุ่ม: แท็กบอต (mention the bot)"]))

    def _quit(self, arg: str) -> None:
        self._running = False

    def _say_as_is(self, arg: str) -> None:
        if arg:
            self._send_text(arg)

    def _follow(self, arg: str) -> None:
        user_id = self.user_id
        self._send(webhook.user_source(user_id), lambda t: webhook.follow_event(user_id, t))

    def _unfollow(self, arg: str) -> None:
        user_id = self.user_id
        if self._local("POST", "/users", {"userId": user_id, "friend": False}) is not None:
            self._send(None, lambda t: webhook.unfollow_event(user_id))

    def _join(self, arg: str) -> None:
        group_id = self._need_group()
        if group_id:
            self._register_group(group_id)
            self._send(webhook.group_source(group_id), lambda t: webhook.join_event(group_id, t))

    def _leave(self, arg: str) -> None:
        group_id = self._need_group()
        path = f"/groups/{urllib.parse.quote(group_id or '')}"
        if group_id and self._local("DELETE", path) is not None:
            self.members.pop(group_id, None)
            self._send(None, lambda t: webhook.leave_event(group_id))

    def _photo(self, arg: str) -> None:
        """Send a photo (a file given by path, or a small made-up one) as the current person."""
        self._content(arg.strip(), kind="photo")

    def _file(self, arg: str) -> None:
        """Send a file (a plan document, evidence) by path, under its own name."""
        if not arg.strip():
            self._say("ใช้: /file PATH (เช่น /file plan.docx)")
            return
        self._content(arg.strip(), kind="file")

    def _content(self, path: str, *, kind: str) -> None:
        try:
            data = Path(path).read_bytes() if path else b"\xff\xd8\xff\xe0 kaona demo photo"
        except OSError as exc:
            self._say(f"เปิดไฟล์ไม่ได้: {exc}")
            return
        name = Path(path).name if kind == "file" else None
        what = f"ไฟล์ {name}" if name else "รูปภาพ"
        self._say(f"(ส่ง{what} {len(data):,} ไบต์ / a {kind})")
        content_type = (mimetypes.guess_type(path)[0] or "application/octet-stream") if name else "image/jpeg"
        try:
            result = self.client.send_content(self._source(), data, content_type=content_type, file_name=name)
        except OSError as exc:
            self._line_down(exc)
            return
        if result.status != 200:
            self._say(f"⚠ webhook ตอบ HTTP {result.status}")
            return
        self._collect()

    def _group(self, arg: str) -> None:
        if not arg:
            self._say("ใช้: /group GROUP_ID (เช่น /group C1234)")
            return
        self.group_id = arg.split()[0]
        self._register_group(self.group_id)
        self._switched()

    def _dm(self, arg: str) -> None:
        self.group_id = None
        self._switched()

    def _user(self, arg: str) -> None:
        user_id, _, name = arg.partition(" ")
        if not user_id:
            self._say("ใช้: /user USER_ID [ชื่อที่แสดง] (เช่น /user U1234 สมหญิง รักดี)")
            return
        self.user_id = user_id
        payload: dict[str, Any] = {"userId": user_id}
        if name.strip():
            self.names[user_id] = payload["displayName"] = name.strip()
        self._local("POST", "/users", payload)
        if self.group_id:
            self._register_group(self.group_id)
        self._say(f"ตอนนี้พิมพ์ในนาม {self.names.get(user_id, user_id)} ({user_id})")

    def _members(self, arg: str) -> None:
        group_id = self._need_group()
        for user_id in self.members.get(group_id or "", []):
            self._say(f"  {user_id}  {self.names.get(user_id, '')}".rstrip())

    def _need_group(self) -> str | None:
        if not self.group_id:
            self._say("คำสั่งนี้ใช้ในกลุ่ม: /group GROUP_ID ก่อน (a group command)")
        return self.group_id

    def _switched(self) -> None:
        self.choices = []
        self._deliveries(to=None)
        where = f"กลุ่ม {self.group_id}" if self.group_id else "แชตส่วนตัวกับบอต (one-to-one)"
        self._say(f"ตอนนี้อยู่ใน{where}")

    def _register_group(self, group_id: str) -> None:
        # The control endpoint replaces the member list: send everyone this session has seen.
        members = self.members.setdefault(group_id, [])
        if self.user_id not in members:
            members.append(self.user_id)
        self._local("POST", "/groups", {"groupId": group_id, "groupName": f"กลุ่ม {group_id}",
                                        "memberIds": members})

    # -- HTTP -------------------------------------------------------------------
    def _send(self, token_source: dict[str, Any] | None,
              build: Callable[[str | None], Event]) -> None:
        """Post one event (with a fresh reply token if it carries one), then show the answer."""
        try:
            token = self.client.issue_reply_token(token_source) if token_source else None
        except (OSError, ValueError, KeyError) as exc:
            self._line_down(exc)
            return
        try:
            result = self.client.post([build(token)])
        except OSError as exc:
            self._say(f"⚠ ติดต่อบอตไม่ได้ที่ {self.bot_url} ({getattr(exc, 'reason', exc)})\n"
                      + BOT_DOWN)
            return
        if result.status != 200:
            self._say(f"⚠ webhook ตอบ HTTP {result.status} (ควรเป็น 200 / expected 200): "
                      f"{result.text.strip()[:200]}")
            return
        self._collect()

    def _collect(self) -> None:
        """Show deliveries to this chat as they arrive, for up to ``wait`` seconds."""
        deadline = time.monotonic() + self.wait
        last: float | None = None
        while True:
            found = self._deliveries(to=self.group_id or self.user_id)
            if found is None:
                return
            for delivery in found:
                lines, self.choices = render_delivery(delivery, names=self.names)
                self._say("\n".join(lines))
                last = time.monotonic()
            now = time.monotonic()
            if now >= deadline or (last is not None and now - last >= QUIET_AFTER):
                break
            time.sleep(self.poll)
        if last is None:
            self._say(NO_REPLY)

    def _deliveries(self, to: str | None) -> list[dict[str, Any]] | None:
        """New deliveries (to one chat, or anywhere), moving the high-water mark past them."""
        query = {"after": str(self._after), **({"to": to} if to else {})}
        answer = self._local("GET", "/deliveries?" + urllib.parse.urlencode(query))
        if answer is None:
            return None
        found: list[dict[str, Any]] = answer.get("deliveries") or []
        self._after = max([self._after, *(int(d["id"]) for d in found)])
        return found

    def _local(self, method: str, path: str,
               payload: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """A control call on the local LINE server; None (after saying why) if it failed."""
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload else None
        request = urllib.request.Request(f"{self.line_url}/_local{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            self._line_down(exc)
            return None
        self._line_warned = False
        return answer if isinstance(answer, dict) else {}

    def _line_down(self, exc: Exception) -> None:
        if isinstance(exc, urllib.error.HTTPError):
            self._say(f"⚠ เซิร์ฟเวอร์ LINE จำลองตอบ HTTP {exc.code} ({exc.reason})")
        elif self._line_warned:
            self._say("⚠ ยังติดต่อเซิร์ฟเวอร์ LINE จำลองไม่ได้ (still unreachable)")
        else:
            self._line_warned = True
            self._say(f"⚠ ติดต่อเซิร์ฟเวอร์ LINE จำลองไม่ได้ที่ {self.line_url} "
                      f"({getattr(exc, 'reason', exc)})\n" + LINE_DOWN)


COMMANDS: dict[str, _Command] = {c.usage.split()[0]: c for c in (
    _Command("/help", "แสดงคำสั่งทั้งหมด", ChatSimulator._help),
    _Command("/quit", "ออก (หรือ Ctrl-D)", ChatSimulator._quit),
    _Command("/follow", "เพิ่มบอตเป็นเพื่อน (follow event)", ChatSimulator._follow),
    _Command("/unfollow", "บล็อกบอต (unfollow event)", ChatSimulator._unfollow),
    _Command("/join", "เชิญบอตเข้ากลุ่มนี้ (join event)", ChatSimulator._join),
    _Command("/leave", "เอาบอตออกจากกลุ่มนี้ (leave event)", ChatSimulator._leave),
    _Command("/group GROUP_ID", "ไปพิมพ์ในกลุ่ม (switch to a group)", ChatSimulator._group),
    _Command("/dm", "กลับไปแชตส่วนตัวกับบอต (one-to-one)", ChatSimulator._dm),
    _Command("/user USER_ID [ชื่อ]", "พิมพ์ในนามคนอื่น (type as someone else)",
             ChatSimulator._user),
    _Command("/members", "สมาชิกกลุ่มที่จำลองไว้ (group members)", ChatSimulator._members),
    _Command("/photo [ไฟล์]", "ส่งรูปภาพ (send a photo)", ChatSimulator._photo),
    _Command("/file PATH", "ส่งไฟล์ เช่นไฟล์แผน .docx (send a file)", ChatSimulator._file),
    _Command("/say ข้อความ", "ส่งข้อความตามตัวอักษร เช่นตัวเลข (send as-is)",
             ChatSimulator._say_as_is),
)}
