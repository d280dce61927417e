"""Service queues: content/queues.toml as shipped, routing, opening hours across midnight,
weekends, holidays and time zones, SLA deadlines, and the loader's one-line errors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.services.content import HELP_KINDS, ContentError
from bot.services.queues import ALL_REGIONS, MAX_SHORT, Priority, Queue, Queues, load_queues
from bot.services.regions import Region, Regions, load_regions

REGIONS = load_regions()
QUEUES = load_queues()
MSK = timezone(timedelta(hours=3))  # Europe/Moscow, no DST since 2014
VLA = timezone(timedelta(hours=10))  # Asia/Vladivostok
KINDS = ", ".join(f'"{k}"' for k in HELP_KINDS)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def queue(
    key: str,
    regions: str = '"all"',
    help_: str = KINDS,
    tz: str = "Europe/Moscow",
    hours: dict[str, str] | None = None,
    sla: str = "urgent = 30\nhigh = 60\nnormal = 480\n",
    extra: str = "",
) -> str:
    """One [[queue]] of a test file; hours default to an office week with a lunch break."""
    office = dict.fromkeys(WEEK[:5], "09:00-13:00,14:00-18:00") | {"sat": "", "sun": ""}
    hours_lines = "".join(f'{d} = "{h}"\n' for d, h in (hours or office).items())
    return (
        f'[[queue]]\nkey = "{key}"\nname_ru = "Очередь {key}"\nname_en = "Queue {key}"\n'
        f'short_ru = "{key}"\nshort_en = "{key}"\nhelp = [{help_}]\nregions = [{regions}]\n'
        f'timezone = "{tz}"\n\n[queue.sla]\n{sla}\n[queue.hours]\n{hours_lines}{extra}\n'
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "queues.toml"
    path.write_text(text, encoding="utf-8")
    return path


def msk(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Moscow wall-clock time, as the UTC instant the bot stores."""
    return datetime(year, month, day, hour, minute, tzinfo=MSK).astimezone(UTC)


def vla(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Vladivostok wall-clock time, as the UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=VLA).astimezone(UTC)


# --- the shipped file


def test_the_shipped_queues_cover_every_kind_of_help_in_every_region() -> None:
    assert load_queues(regions=REGIONS) == QUEUES
    for region in [*(r.key for r in REGIONS.items), None, "mars"]:
        for category in HELP_KINDS:
            found = QUEUES.route(category, region)
            assert category in found.help
            assert region in found.regions or ALL_REGIONS in found.regions or region is None


@pytest.mark.parametrize(
    "day",
    ["2027-01-01", "2027-01-07", "2027-01-08", "2027-02-23", "2027-03-08", "2027-05-01",
     "2027-05-09", "2027-06-12", "2027-11-04"],
)  # fmt: skip
def test_the_shipped_holidays_close_the_office_queues(day: str) -> None:
    family, general = QUEUES.get("irk_family"), QUEUES.get("general")
    assert family is not None and general is not None
    assert date.fromisoformat(day) in family.holidays
    assert family.holidays == general.holidays
    noon = datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=MSK)
    assert not general.is_open(noon)


def test_the_shipped_crisis_queues_work_on_holidays_and_names_fit_topics() -> None:
    crisis = QUEUES.get("prim_crisis")
    assert crisis is not None
    assert crisis.holidays == frozenset()
    assert crisis.is_open(vla(2027, 1, 1, 12, 0))
    for q in QUEUES.items:
        assert q.timezone
        for locale in ("ru", "en"):
            assert len(q.short(locale)) <= MAX_SHORT, q.key
        assert q.sla(Priority.URGENT) <= q.sla(Priority.HIGH)


# --- routing


@pytest.fixture
def regions() -> Regions:
    return Regions(
        (
            Region("irkutsk", {"ru": "Иркутская область", "en": "Irkutsk"}, "Asia/Irkutsk"),
            Region("primorsky", {"ru": "Приморский край", "en": "Primorsky"}, "Asia/Vladivostok"),
            Region("other", {"ru": "Другой регион", "en": "Another region"}, None),
        )
    )


@pytest.fixture
def routed(tmp_path: Path, regions: Regions) -> Queues:
    return load_queues(
        write(
            tmp_path,
            queue("all_legal", help_='"legal"')
            + queue("irk_legal", '"irkutsk"', '"legal", "material"')
            + queue("irk_legal_2", '"irkutsk"', '"legal"')
            + queue("prim_other", '"primorsky", "other"', '"pregnancy"')
            + queue("catch_all")
            + queue("later_all", help_='"rental"'),
        ),
        regions,
    )


@pytest.mark.parametrize(
    ("category", "region", "key"),
    [
        ("legal", "irkutsk", "irk_legal"),  # naming the region beats "all"; first in the file
        ("material", "irkutsk", "irk_legal"),
        ("legal", "primorsky", "all_legal"),  # among "all" queues, the file's order
        ("rental", "primorsky", "catch_all"),
        ("rental", "irkutsk", "catch_all"),
        ("pregnancy", "primorsky", "prim_other"),
        ("pregnancy", "other", "prim_other"),
        ("pregnancy", None, "prim_other"),  # no region: like "another region"
        ("pregnancy", "mars", "prim_other"),  # a region regions.toml no longer has: the same
        ("pregnancy", "irkutsk", "catch_all"),
        ("legal", None, "all_legal"),
        ("other", "mars", "catch_all"),
    ],
)
def test_route(routed: Queues, category: str, region: str | None, key: str) -> None:
    assert routed.route(category, region).key == key


def test_route_without_another_region_or_a_queue_for_all(tmp_path: Path) -> None:
    only = Regions((Region("irkutsk", {"ru": "И", "en": "I"}, "Asia/Irkutsk"),))
    queues = load_queues(write(tmp_path, queue("irk", '"irkutsk"')), only)
    assert queues.route("legal", "irkutsk").key == "irk"
    with pytest.raises(LookupError, match="no queue takes help 'legal' in region None"):
        queues.route("legal", None)


def test_get_and_names(routed: Queues) -> None:
    irk = routed.get("irk_legal")
    assert irk is not None and routed.get("nobody") is None
    assert (irk.name("en"), irk.name("de"), irk.short("ru")) == (
        "Queue irk_legal", "Очередь irk_legal", "irk_legal",
    )  # fmt: skip
    assert irk.help == ("legal", "material")
    assert irk.regions == ("irkutsk",)


# --- opening hours

NIGHT = dict.fromkeys(WEEK[:4], "09:00-18:00") | {
    "fri": "09:00-18:00,20:00-24:00",  # a night shift ...
    "sat": "00:00-02:00",  # ... that ends on Saturday
    "sun": "",
}
TWO_HOURS = "urgent = 30\nhigh = 60\nnormal = 120\n"
HOLIDAYS = '[holidays]\ndates = ["2027-02-23", 2027-03-08]\n'  # a string and a TOML date


@pytest.fixture
def hours(tmp_path: Path) -> Queues:
    return load_queues(
        write(
            tmp_path,
            HOLIDAYS
            + queue("moscow", hours=NIGHT)
            + queue("vladivostok", tz="Asia/Vladivostok", hours=NIGHT)
            + queue("night", hours=NIGHT, sla=TWO_HOURS)
            + queue("night_vla", tz="Asia/Vladivostok", hours=NIGHT, sla=TWO_HOURS)
            + queue("office")
            + queue("office_vla", tz="Asia/Vladivostok")
            + queue("no_holidays", extra="holidays = []\n")
            + queue("own_holidays", extra='holidays = ["2027-03-09"]\n'),
        ),
        REGIONS,
    )


def get(queues: Queues, key: str) -> Queue:
    found = queues.get(key)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("key", "at", "is_open"),
    [
        # Monday 1 March 2027 in Moscow: the range's start is open, its end is not
        ("moscow", msk(2027, 3, 1, 9, 0), True),
        ("moscow", msk(2027, 3, 1, 8, 59), False),
        ("moscow", msk(2027, 3, 1, 17, 59), True),
        ("moscow", msk(2027, 3, 1, 18, 0), False),
        # the same instants in Vladivostok, seven hours ahead
        ("vladivostok", msk(2027, 3, 1, 9, 0), True),  # 16:00 there
        ("vladivostok", msk(2027, 3, 1, 11, 0), False),  # 18:00 there
        ("vladivostok", msk(2027, 3, 1, 3, 0), True),  # 10:00 there, night in Moscow
        ("moscow", msk(2027, 3, 1, 3, 0), False),
        # Sunday in Moscow and UTC, already Monday morning in Vladivostok
        ("vladivostok", datetime(2027, 2, 28, 23, 30, tzinfo=UTC), True),
        ("moscow", datetime(2027, 2, 28, 23, 30, tzinfo=UTC), False),
        # a night shift across midnight, Friday 5 March to Saturday
        ("moscow", msk(2027, 3, 5, 19, 0), False),
        ("moscow", msk(2027, 3, 5, 20, 0), True),
        ("moscow", msk(2027, 3, 5, 23, 59), True),
        ("moscow", msk(2027, 3, 6, 0, 0), True),
        ("moscow", msk(2027, 3, 6, 1, 59), True),
        ("moscow", msk(2027, 3, 6, 2, 0), False),
        # the weekend
        ("moscow", msk(2027, 3, 6, 12, 0), False),
        ("moscow", msk(2027, 3, 7, 12, 0), False),
        # a lunch break
        ("office", msk(2027, 3, 2, 13, 30), False),
        ("office", msk(2027, 3, 2, 14, 0), True),
        # a holiday, in the queue's own time zone: Monday 8 March
        ("moscow", msk(2027, 3, 8, 12, 0), False),
        ("moscow", msk(2027, 3, 9, 12, 0), True),
        ("vladivostok", vla(2027, 3, 8, 10, 0), False),  # 7 March in UTC and Moscow
        ("vladivostok", vla(2027, 3, 9, 9, 30), True),  # still the holiday in Moscow
        ("office", msk(2027, 2, 23, 10, 0), False),  # Tuesday, a string date
        # a queue's own holidays replace the shared ones
        ("no_holidays", msk(2027, 3, 8, 12, 0), True),
        ("own_holidays", msk(2027, 3, 8, 12, 0), True),
        ("own_holidays", msk(2027, 3, 9, 12, 0), False),
    ],
)
def test_is_open(hours: Queues, key: str, at: datetime, is_open: bool) -> None:
    assert get(hours, key).is_open(at) is is_open


@pytest.mark.parametrize(
    ("key", "at", "opening"),
    [
        # open now: that very moment
        ("office", msk(2027, 3, 12, 10, 15), msk(2027, 3, 12, 10, 15)),
        # before opening, over lunch
        ("office", msk(2027, 3, 12, 7, 0), msk(2027, 3, 12, 9, 0)),
        ("office", msk(2027, 3, 12, 13, 0), msk(2027, 3, 12, 14, 0)),
        # Friday evening → Monday morning
        ("office", msk(2027, 3, 12, 19, 0), msk(2027, 3, 15, 9, 0)),
        ("office", msk(2027, 3, 13, 12, 0), msk(2027, 3, 15, 9, 0)),
        ("office_vla", vla(2027, 3, 12, 18, 30), vla(2027, 3, 15, 9, 0)),  # Sunday in UTC
        # skipping a holiday: Friday evening → not Monday 8 March → Tuesday
        ("office", msk(2027, 3, 5, 19, 0), msk(2027, 3, 9, 9, 0)),
        ("office", msk(2027, 2, 22, 18, 0), msk(2027, 2, 24, 9, 0)),
        ("no_holidays", msk(2027, 3, 5, 19, 0), msk(2027, 3, 8, 9, 0)),
        # Friday evening → the night shift the same evening
        ("moscow", msk(2027, 3, 5, 18, 30), msk(2027, 3, 5, 20, 0)),
        ("moscow", msk(2027, 3, 6, 2, 0), msk(2027, 3, 9, 9, 0)),
    ],
)
def test_next_opening(hours: Queues, key: str, at: datetime, opening: datetime) -> None:
    found = get(hours, key).next_opening(at)
    assert found == opening
    assert found.tzinfo is UTC


def test_the_new_year_holidays_in_the_shipped_file() -> None:
    general = QUEUES.get("general")
    assert general is not None
    # Thursday 31 December 2026 in the evening → 1–8 January closed, 9 January a Saturday
    # (10:00-16:00 in the shipped file)
    assert general.next_opening(msk(2026, 12, 31, 19, 0)) == msk(2027, 1, 9, 10, 0)


@pytest.mark.parametrize(
    ("key", "created", "priority", "due"),
    [
        # urgent and high: on the clock, nights and weekends too
        ("office", msk(2027, 3, 12, 19, 0), Priority.URGENT, msk(2027, 3, 12, 19, 30)),
        ("office", msk(2027, 3, 12, 23, 30), Priority.HIGH, msk(2027, 3, 13, 0, 30)),
        # normal: 480 working minutes (8 hours with a lunch break between)
        ("office", msk(2027, 3, 15, 9, 0), Priority.NORMAL, msk(2027, 3, 15, 18, 0)),
        ("office", msk(2027, 3, 15, 10, 0), Priority.NORMAL, msk(2027, 3, 16, 10, 0)),
        ("office", msk(2027, 3, 15, 13, 30), Priority.NORMAL, msk(2027, 3, 16, 13, 0)),
        # across a weekend: 3 hours on Friday, 5 on Monday
        ("office", msk(2027, 3, 12, 15, 0), Priority.NORMAL, msk(2027, 3, 15, 15, 0)),
        # sent at the weekend: the whole of Monday
        ("office", msk(2027, 3, 13, 11, 0), Priority.NORMAL, msk(2027, 3, 15, 18, 0)),
        # a weekend and a holiday Monday: 1 hour on Friday, 7 on Tuesday
        ("office", msk(2027, 3, 5, 17, 0), Priority.NORMAL, msk(2027, 3, 9, 17, 0)),
        # a night shift across midnight: 1 hour on Friday, 1 on Saturday
        ("night", msk(2027, 3, 5, 23, 0), Priority.NORMAL, msk(2027, 3, 6, 1, 0)),
        # the same moment in Vladivostok is Saturday 06:00, the shift is over: Sunday is
        # closed, Monday 8 March a holiday, so Tuesday 09:00 + 2 hours
        ("night_vla", msk(2027, 3, 5, 23, 0), Priority.NORMAL, vla(2027, 3, 9, 11, 0)),
        # 480 minutes from the night shift: 3 hours over the night, 5 on Tuesday
        ("moscow", msk(2027, 3, 5, 23, 0), Priority.NORMAL, msk(2027, 3, 9, 14, 0)),
    ],
)
def test_due(hours: Queues, key: str, created: datetime, priority: Priority, due: datetime) -> None:
    assert get(hours, key).due(created, priority) == due


def test_due_with_a_short_sla_and_round_the_clock_hours(tmp_path: Path) -> None:
    queues = load_queues(
        write(
            tmp_path,
            queue("a", hours=dict.fromkeys(WEEK, "00:00-24:00"), sla="urgent=5\nhigh=5\nnormal=90"),
        ),
        REGIONS,
    )
    a = get(queues, "a")
    saturday = msk(2027, 3, 6, 23, 0)
    assert a.due(saturday, Priority.NORMAL) == saturday + timedelta(minutes=90)  # past midnight
    assert a.sla(Priority.NORMAL) == timedelta(minutes=90)
    assert a.next_opening(saturday) == saturday


def test_times_must_be_aware(hours: Queues) -> None:
    office = get(hours, "office")
    naive = datetime(2027, 3, 1, 12, 0)
    for call in (office.is_open, office.next_opening, lambda at: office.due(at, Priority.HIGH)):
        with pytest.raises(ValueError, match="aware"):
            call(naive)
    # any zone is accepted; the answer is in UTC
    assert office.next_opening(datetime(2027, 3, 1, 7, 0, tzinfo=MSK)) == msk(2027, 3, 1, 9, 0)


# --- the loader's one-line errors

GOOD = queue("a")


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("", "no [[queue]] entries"),
        ("[[queue]\n", "content error: queues.toml"),
        ('queue = "a"\n', "no [[queue]] entries"),
        ("queue = [1]\n", "queue 1 is not a [[queue]] table"),
        ("[[queues]]\nkey = 'a'\n", "unknown table 'queues'"),
        (GOOD.replace('key = "a"', 'key = "Жильё"'), "queue 1 needs a short key"),
        (GOOD * 2, "queue key 'a' is used twice"),
        (GOOD + "colour = 'red'\n", "queue 'a': hours: unknown field 'colour'"),
        (GOOD.replace('timezone = "Europe/Moscow"\n', 'timezone = "Europe/Moscow"\nsize = 1\n'),
         "queue 'a': unknown field 'size'"),
        (GOOD.replace('name_en = "Queue a"\n', ""), "queue 'a': name needs both name_ru and"),
        (GOOD.replace('short_ru = "a"', 'short_ru = " "'), "short needs both short_ru and"),
        (GOOD.replace('short_ru = "a"', 'short_ru = "Жильё и кризисный центр"'),
         "queue 'a': short_ru 'Жильё и кризисный центр' is longer than 16 characters"),
        (GOOD.replace('name_en = "Queue a"', f'name_en = "{"x" * 49}"'),
         "name_en 'xxxxx"),
        (GOOD.replace(KINDS, KINDS + ', "food"'), "queue 'a': unknown help category 'food'"),
        (GOOD.replace(f"[{KINDS}]", "[]"), "queue 'a': help needs a list of categories"),
        (GOOD.replace(f"[{KINDS}]", '"legal"'), "queue 'a': help needs a list of categories"),
        (GOOD.replace('["all"]', '["moscow"]'), "queue 'a': unknown region 'moscow' (a key of"),
        (GOOD.replace('["all"]', '[["irkutsk"]]'), "queue 'a': unknown region ['irkutsk']"),
        (GOOD.replace('["all"]', '"all"'), "queue 'a': regions needs a list of region keys"),
        (GOOD.replace('["all"]', "[]"), "queue 'a': regions needs a list of region keys"),
        (GOOD.replace('["all"]', '["all", "irkutsk"]'), "queue 'a': regions: \"all\" stands"),
        (GOOD.replace("Europe/Moscow", "Mars/Base"), "queue 'a': unknown time zone 'Mars/Base'"),
        (GOOD.replace('timezone = "Europe/Moscow"\n', ""), "unknown time zone None"),
        # the SLA
        (GOOD.replace("[queue.sla]", "[queue.slas]"), "queue 'a': unknown field 'slas'"),
        (GOOD.replace("normal = 480\n", ""), "queue 'a': sla.normal needs whole minutes from 1"),
        (GOOD.replace("normal = 480", "normal = 0"), "sla.normal needs whole minutes from 1 to"),
        (GOOD.replace("normal = 480", "normal = 7.5"), "sla.normal needs whole minutes"),
        (GOOD.replace("normal = 480", "normal = '480'"), "sla.normal needs whole minutes"),
        (GOOD.replace("normal = 480", "normal = true"), "sla.normal needs whole minutes"),
        (GOOD.replace("normal = 480", "normal = 10081"), "sla.normal needs whole minutes"),
        (GOOD.replace("urgent = 30", "urgent = 90"), "sla.urgent must not be longer than"),
        (GOOD.replace("urgent = 30", "urgent = 30\nlow = 1"), "sla: unknown field 'low'"),
        # the hours
        (GOOD.split("[queue.hours]")[0], "queue 'a': needs a [queue.hours] table"),
        (GOOD.replace("[queue.hours]", "[queue.opening]"), "queue 'a': unknown field 'opening'"),
        (GOOD.replace("[queue.sla]", "[queue.extra]").replace("urgent", "x"),
         "queue 'a': unknown field 'extra'"),
        (re.sub(r"\[queue.sla\]\n.*?\n\n", "", GOOD, flags=re.S),
         "queue 'a': needs a [queue.sla] table"),
        (GOOD.replace('wed = "09:00-13:00,14:00-18:00"\n', ""), "queue 'a': hours.wed is missing"),
        (GOOD.replace('sun = ""', "sun = 0"), "queue 'a': hours.sun is missing"),
        (GOOD.replace('sun = ""', 'sunday = ""'), "queue 'a': hours: unknown field 'sunday'"),
        (GOOD.replace('sat = ""', 'sat = "9-18"'), "hours.sat: '9-18' is not like \"09:00-18:00\""),
        (GOOD.replace('sat = ""', 'sat = "09:00–18:00"'), "hours.sat: '09:00–18:00' is not like"),
        (GOOD.replace('sat = ""', 'sat = "09:00-25:00"'),
         "hours.sat: '09:00-25:00' is not a time of day (00:00 to 24:00)"),
        (GOOD.replace('sat = ""', 'sat = "09:60-12:00"'), "is not a time of day"),
        (GOOD.replace('sat = ""', 'sat = "24:00-24:00"'), "is not a time of day"),
        (GOOD.replace('sat = ""', 'sat = "22:00-06:00"'),
         "hours.sat: '22:00-06:00' ends before it starts (a night shift is"),
        (GOOD.replace('sat = ""', 'sat = "10:00-10:00"'), "ends before it starts"),
        (GOOD.replace('sat = ""', 'sat = "14:00-18:00,09:00-13:00"'),
         "hours.sat: '09:00-13:00' overlaps or comes before the range before it"),
        (GOOD.replace('sat = ""', 'sat = "09:00-13:00,12:00-18:00"'), "'12:00-18:00' overlaps"),
        (re.sub(r'"09:00-13:00,14:00-18:00"', '""', GOOD),
         "queue 'a': hours: the queue is never open"),
        # holidays
        (GOOD + "holidays = '2027-01-01'\n", "hours.holidays: needs a list of dates"),
        (GOOD + "holidays = ['2027-02-30']\n",
         "queue 'a': hours.holidays: '2027-02-30' is not a date (YYYY-MM-DD)"),
        (GOOD + "holidays = ['1.01.2027']\n", "'1.01.2027' is not a date"),
        (GOOD + "holidays = [2027-01-01T10:00:00]\n", "is not a date"),
        ("[holidays]\ndates = ['2027-13-01']\n" + GOOD,
         "[holidays] dates: '2027-13-01' is not a date (YYYY-MM-DD)"),
        ("[holidays]\ndays = []\n" + GOOD, "[holidays]: unknown field 'days'"),
        ('holidays = ["2027-01-01"]\n' + GOOD, "[holidays] must be a table with dates"),
        # coverage: the first kind of help and region without a queue, in file order
        (GOOD.replace(', "other"]', "]"), "no queue takes help 'other' in region 'irkutsk'"),
        (GOOD.replace('["all"]', '["irkutsk"]'),
         "no queue takes help 'crisis_housing' in region 'altai_krai'"),
        (GOOD.replace('["all"]', '["irkutsk", "altai_krai", "novosibirsk", "primorsky"]'),
         "no queue takes help 'crisis_housing' in region 'other'"),
    ],
)  # fmt: skip
def test_a_broken_file_stops_with_one_line(tmp_path: Path, toml: str, error: str) -> None:
    with pytest.raises(ContentError, match=re.escape(error)) as caught:
        load_queues(write(tmp_path, toml), REGIONS)
    assert str(caught.value).startswith("content error: queues.toml: ")
    assert "\n" not in str(caught.value)


def test_the_good_file_loads(tmp_path: Path) -> None:
    queues = load_queues(write(tmp_path, GOOD), REGIONS)
    a = get(queues, "a")
    assert a.help == HELP_KINDS
    assert a.hours[0] == ((9 * 60, 13 * 60), (14 * 60, 18 * 60))
    assert a.hours[5] == ()
    assert a.holidays == frozenset()
    assert a.sla(Priority.HIGH) == timedelta(hours=1)
    assert a.sla("normal") == timedelta(hours=8)  # type: ignore[arg-type]


def test_priority_ranks() -> None:
    assert [p.rank for p in Priority] == [2, 1, 0]
