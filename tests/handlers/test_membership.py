"""Joining, leaving, following: the records kept, and pushes that stop."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery import deliver
from bot.localline import group_source, member_joined_event, member_left_event, user_source
from storage import outbox
from storage.access_models import ChatGroup, GroupMember, Person
from tests.conftest import RunningBot
from tests.handlers.helpers import UNIT_A, ask, bind_group, load_plans, make_coordinator


def queue_push(bot: RunningBot, to: str) -> int:
    with bot.services.sessions() as session, session.begin():
        row = outbox.enqueue_push(session, chat_id=to, messages=[{"type": "text", "text": "เตือน"}], purpose="test")
        assert row is not None
        return row.id


def pushes(bot: RunningBot) -> list:
    return bot.world.deliveries(kind="push")


def test_leave_marks_the_group_inactive_and_stops_pushes_there(bot: RunningBot) -> None:
    bot.client.join("Cg1")
    bot.settle()
    assert deliver(bot.services, queue_push(bot, "Cg1")) == "sent"
    bot.client.leave("Cg1")
    bot.settle()
    with bot.services.sessions() as session:
        group = session.get(ChatGroup, "Cg1")
        assert group.active is False and group.left_at is not None
    assert deliver(bot.services, queue_push(bot, "Cg1")) == "dropped"
    assert [d.to for d in pushes(bot)] == ["Cg1"]  # only the push from before the leave
    bot.world.add_group("Cg1", "กลุ่มเดิม", ["U1"])
    bot.client.join("Cg1")  # invited back
    bot.settle()
    assert deliver(bot.services, queue_push(bot, "Cg1")) == "sent"


def test_unfollow_stops_pushes_until_the_person_follows_again(bot: RunningBot) -> None:
    load_plans(bot)
    make_coordinator(bot, "Uboss", UNIT_A)
    bot.client.follow("Uboss")
    bot.settle()
    bot.client.unfollow("Uboss")
    bot.settle()
    assert deliver(bot.services, queue_push(bot, "Uboss")) == "dropped"
    assert pushes(bot) == []
    bot.world.set_friend("Uboss", True)
    bot.client.follow("Uboss")
    bot.settle()
    assert "ยินดีต้อนรับกลับ" in bot.world.texts(to="Uboss")[-1]
    assert deliver(bot.services, queue_push(bot, "Uboss")) == "sent"


def test_members_are_kept_current(bot: RunningBot) -> None:
    bot.client.join("Cg1")
    bot.client.post([member_joined_event("Cg1", ["U1", "U2"], bot.world.issue_reply_token(group_source("Cg1")))])
    bot.client.send_text(group_source("Cg1", "U3"), "สวัสดีครับทุกคน")  # speaking makes a member too
    bot.client.post([member_left_event("Cg1", ["U2"])])
    bot.settle()
    with bot.services.sessions() as session:
        members = set(session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == "Cg1")))
    assert members == {"U1", "U3"}


def test_new_members_of_a_bound_group_are_welcomed(bot: RunningBot) -> None:
    _, unit_b = load_plans(bot)
    bind_group(bot, "Cg1", [unit_b[0].id], ["U1"])
    token = bot.world.issue_reply_token(group_source("Cg1"))
    bot.client.post([member_joined_event("Cg1", ["U9"], token)])
    bot.settle()
    assert "ยินดีต้อนรับสมาชิกใหม่" in bot.world.texts(to="Cg1")[-1]


def test_display_names_are_refreshed_at_most_once_a_day(bot: RunningBot) -> None:
    bot.world.add_group("Cg1", "ฝ่ายปกครอง", ["U1"])
    bot.world.add_user("U1", "สมหญิง รักงาน", friend=False)
    for _ in range(3):
        ask(bot, group_source("Cg1", "U1"), "ช่วยเหลือ")
    lookups = [r for r in bot.world.requests() if r.path.startswith("/v2/bot/group/Cg1/member/")]
    assert len(lookups) == 1
    with bot.services.sessions() as session:
        assert session.get(Person, "U1").display_name == "สมหญิง รักงาน"
    bot.world.add_user("U5", "สมศักดิ์ ขยัน")
    ask(bot, user_source("U5"), "ช่วยเหลือ")
    assert [r.path for r in bot.world.requests() if r.path.startswith("/v2/bot/profile/")] == ["/v2/bot/profile/U5"]


def test_a_failed_name_lookup_does_not_stop_the_answer(bot: RunningBot) -> None:
    bot.world.inject_fault("/v2/bot/profile", status=500, times=-1)
    assert "คำสั่งที่ใช้" in ask(bot, user_source("U7"), "ช่วยเหลือ")
