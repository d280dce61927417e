"""Check-in plans and quiet hours (content/checkins.toml), and a specialist's reminder time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.checkins import load_checkins
from bot.services.content import ContentError
from bot.services.reminders import parse_when

PLANS = load_checkins()
IRKUTSK = "Asia/Irkutsk"  # UTC+8


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outcome", "kind", "days"),
    [
        ("helped", "crisis_housing", (1, 7, 30)),
        ("referred", "psychological", (1, 7, 30)),
        ("helped", "rental", (3, 14, 30)),
        ("declined", "rental", None),
        ("duplicate", "legal", None),
    ],
)
def test_the_plan_that_fits_a_closing(
    outcome: str, kind: str, days: tuple[int, ...] | None
) -> None:
    plan = PLANS.plan_for(outcome, kind)
    assert (plan.days if plan else None) == days


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (utc(2027, 3, 15, 2, 0), utc(2027, 3, 15, 2, 0)),  # 10:00 in Irkutsk: now
        (utc(2027, 3, 14, 18, 0), utc(2027, 3, 15, 1, 0)),  # 02:00 local: at 09:00
        (utc(2027, 3, 15, 13, 0), utc(2027, 3, 16, 1, 0)),  # 21:00 local: tomorrow 09:00
        (utc(2027, 3, 15, 0, 59), utc(2027, 3, 15, 1, 0)),  # 08:59 local: a minute later
    ],
)
def test_nothing_reaches_a_family_at_night(now: datetime, allowed: datetime) -> None:
    assert PLANS.not_before(now, IRKUTSK) == allowed


def test_check_ins_are_planned_at_the_local_hour_of_the_day() -> None:
    closed = utc(2027, 3, 15, 14, 0)  # 22:00 in Irkutsk
    assert PLANS.planned(closed, 3, IRKUTSK) == utc(2027, 3, 18, 3, 0)  # 11:00 local
    assert PLANS.planned(closed, 3, "Europe/Moscow") == utc(2027, 3, 18, 8, 0)


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("15:30", utc(2027, 3, 15, 7, 30), ""),  # today, Irkutsk time
        ("09:00 позвонить маме", utc(2027, 3, 16, 1, 0), "позвонить маме"),  # past: tomorrow
        ("завтра 10:00", utc(2027, 3, 16, 2, 0), ""),
        ("tomorrow 10.00 call back", utc(2027, 3, 16, 2, 0), "call back"),
        ("25.12 10:00", utc(2027, 12, 25, 2, 0), ""),
        ("01.01 10:00", utc(2028, 1, 1, 2, 0), ""),
    ],
)
def test_a_specialists_reminder_time(text: str, expected: datetime, note: str) -> None:
    now = utc(2027, 3, 15, 2, 0)  # Monday 10:00 in Irkutsk
    assert parse_when(text, now, IRKUTSK) == (expected, note)


@pytest.mark.parametrize("text", ["", "soon", "25:00", "31.02 10:00", "tomorrow"])
def test_what_is_not_a_time_is_refused(text: str) -> None:
    assert parse_when(text, utc(2027, 3, 15, 2, 0), IRKUTSK) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('[quiet_hours]\nstart="21:00"\nend="09:00"\nsend_at="10:00"\n', "start < send_at < end"),
        ('[quiet_hours]\nstart="9"\nend="21:00"\nsend_at="10:00"\n', "HH:MM"),
        (
            '[quiet_hours]\nstart="09:00"\nend="21:00"\nsend_at="10:00"\n[[plan]]\n'
            'outcomes=["won"]\nhelp=["all"]\ndays=[1]\nremind_after_hours=1\n'
            "tell_specialist_after_hours=2\n",
            "outcomes must be among",
        ),
        (
            '[quiet_hours]\nstart="09:00"\nend="21:00"\nsend_at="10:00"\n[[plan]]\n'
            'outcomes=["helped"]\nhelp=["all"]\ndays=[3, 1]\nremind_after_hours=1\n'
            "tell_specialist_after_hours=2\n",
            "days must rise",
        ),
        ('[quiet_hours]\nstart="09:00"\nend="21:00"\nsend_at="10:00"\n', "no [[plan]]"),
    ],
)
def test_a_broken_file_stops_start_up_with_one_line(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = tmp_path / "checkins.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_checkins(path)
    assert problem in str(error.value) and "\n" not in str(error.value)
