"""What a reminder run sends, decided from plain facts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from plans.fiscal import YearMonth, month_range
from plans.model import PlanStep
from plans.reminders import (
    GroupFacts,
    ProjectFacts,
    Send,
    exclusion,
    fit_quota,
    plan_group,
    without_claimed,
)
from plans.schedule import WorkingDays

TZ = ZoneInfo("Asia/Bangkok")
NOV = YearMonth(2022, 11)
REMINDER = datetime(2022, 11, 21, 9, 0, tzinfo=TZ)
FOLLOWUP = datetime(2022, 11, 23, 9, 0, tzinfo=TZ)


def project(pid: int, *, months: tuple[str, str] = ("2022-10", "2023-09"), actual: str | None = None,
            reported: YearMonth | None = None, by: tuple[str, ...] = ()) -> ProjectFacts:  # fmt: skip
    span = tuple(month_range(YearMonth.from_key(months[0]), YearMonth.from_key(months[1])))
    steps = (PlanStep("1", "ดำเนินการ", Decimal(100), span),)
    return ProjectFacts(pid, f"โครงการ {pid}", 2566, steps, None if actual is None else Decimal(actual), reported, by)


def plan(group: GroupFacts, at: datetime, friends: frozenset[str] = frozenset()):
    return plan_group(group, {}, now=at, tz=TZ, days=WorkingDays(), grace=timedelta(days=2), friends=friends)


def test_which_months_a_project_must_report_for() -> None:
    assert exclusion(project(1), NOV) is None
    assert exclusion(project(1, actual="100"), NOV) == "finished (100%)"
    assert exclusion(project(1, months=("2023-04", "2023-09")), NOV).startswith("outside its months")
    assert exclusion(project(1, reported=NOV), NOV) == "reported for 2022-11"
    assert exclusion(project(1), YearMonth(2023, 10)).startswith("outside fiscal year")
    no_months = ProjectFacts(9, "x", 2566, (PlanStep("1", "x", Decimal(100)),), None, None)
    assert no_months.months == (YearMonth(2022, 10), YearMonth(2023, 9))


def test_one_message_per_group_listing_every_unreported_project_mentioning_members_only() -> None:
    group = GroupFacts("Cg", True, frozenset({"U1", "U2"}), (
        project(1, by=("U1",)), project(2, reported=NOV), project(3, by=("U9",)), project(4, actual="100"),
    ))  # fmt: skip
    out = plan(group, REMINDER)
    assert len(out.sends) == 1
    send = out.sends[0]
    assert (send.target, send.scope, send.kind) == ("Cg", "group", "reminder")
    assert [i.project.id for i in send.items] == [1, 3]
    assert send.mentions == ("U1",)  # U9 left the group
    assert send.keys == ("reminder@2022-11-21",)
    assert {d.project_id: d.verdict for d in out.decisions} == {1: "in", 2: "out", 3: "in", 4: "out"}


def test_follow_ups_go_one_to_one_to_a_friend_who_reported_last_and_to_the_group_otherwise() -> None:
    group = GroupFacts("Cg", True, frozenset({"U1", "U2"}), (project(1, by=("U1",)), project(2, by=("U2",))))
    out = plan(group, FOLLOWUP, friends=frozenset({"U1"}))
    targets = sorted((s.target, s.scope, tuple(i.project.id for i in s.items)) for s in out.sends)
    assert targets == [("Cg", "group", (2,)), ("U1", "dm:Cg", (1,))]
    assert all(s.kind == "followup" for s in out.sends)


def test_nothing_for_a_group_the_bot_left_or_before_the_day() -> None:
    left = GroupFacts("Cg", False, frozenset({"U1"}), (project(1),))
    assert plan(left, REMINDER).sends == []
    active = GroupFacts("Cg", True, frozenset({"U1"}), (project(1),))
    assert plan(active, REMINDER - timedelta(minutes=1)).sends == []


def test_claimed_occasions_are_taken_out() -> None:
    out = plan(GroupFacts("Cg", True, frozenset(), (project(1),)), REMINDER)
    send = out.sends[0]
    assert without_claimed(send, set()) is send
    assert without_claimed(send, {("Cg", "group", "2022-11", "reminder@2022-11-21")}) is None


def test_the_quota_guard_keeps_digests_then_reminders_then_follow_ups_and_stops_before_the_end() -> None:
    def send(kind: str, target: str) -> Send:
        return Send(target, "x", kind, NOV, (f"{kind}@x",))

    sends = [(send("followup", "G3"), 10), (send("reminder", "G1"), 10), (send("digest", "UC"), 1),
             (send("reminder", "G2"), 10)]  # fmt: skip
    budget = fit_quota(sends, 22)
    assert [s.target for s in budget.kept] == ["UC", "G1", "G2"]
    assert [s.target for s in budget.skipped] == ["G3"]
    budget = fit_quota(sends, 22, reserve=2)
    assert [s.target for s in budget.kept] == ["UC", "G1"]
    assert len(fit_quota(sends, None).kept) == 4



PEOPLE = ("U1", "U2", "U3")


@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.sampled_from(PEOPLE)), min_size=1, max_size=8),
    st.sampled_from([REMINDER, FOLLOWUP]),
    st.frozensets(st.sampled_from(PEOPLE)),
)
def test_each_due_project_is_in_exactly_one_send_and_no_other_is(rows, at, friends) -> None:
    projects = tuple(project(n, reported=NOV if reported else None, actual="100" if done else None, by=(who,))
                     for n, (reported, done, who) in enumerate(rows))  # fmt: skip
    out = plan(GroupFacts("Cg", True, frozenset(PEOPLE[:2]), projects), at, friends)
    listed = [i.project.id for s in out.sends for i in s.items]
    due = [p.id for p in projects if exclusion(p, NOV) is None]
    assert sorted(listed) == due
    assert len([s for s in out.sends if s.scope == "group"]) <= 1
    assert all(set(s.mentions) <= {"U1", "U2"} for s in out.sends)
    if at == REMINDER:
        assert all(s.scope == "group" for s in out.sends)
