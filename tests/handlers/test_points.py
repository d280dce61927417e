"""Rental points and crisis places, told as their users live them: a parent asks for a pram
in their region, the point holds it, hands it over with a return date, the parent is reminded
at local daytime and asks to keep it longer, the pram comes back; a mother asks for a place,
is accepted and moves out; two specialists lend the last pram at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.base import set_clock
from db.models import AuditLog, DueWork, HelpRequest, Loan, LoanStatus, Role, Stock, WorkKind
from sandbox import TestGroup, TestUser
from tests.handlers.conftest import App
from tests.handlers.personas import link, staff
from tests.helpers import onboard, until

MONDAY_10_IRKUTSK = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [MONDAY_10_IRKUTSK]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def _point_team(app: App, queue: str, *names: str) -> tuple[list[TestUser], TestGroup]:
    team = [app.emu.add_user(first_name=n, language_code="ru") for n in names]
    for person in team:
        await staff(app, person, Role.SPECIALIST, queue)
    group = app.emu.add_forum_group("Пункт", members=team)
    await link(app, queue, group.id)
    return team, group


async def _add_stock(
    group: TestGroup, who: TestUser, line: str, times: int, add: str = "➕ Добавить"
) -> None:
    await group.send(who, "/stock")
    screen = await group.wait_message(contains="📦")
    await group.click(who, line, message_id=screen.message_id)
    item = await group.wait_message(predicate=lambda m: "Списано" in (m.text or ""))
    for _ in range(times):
        await group.click(who, add, message_id=item.message_id)
    await until(
        lambda: f"свободно {times}" in (_current(group, item.message_id).text or ""),
        what="the count on the /stock screen",
    )


def _current(group: TestGroup, message_id: int):  # type: ignore[no-untyped-def]
    return next(m for m in group.history if m.message_id == message_id)


async def _ask_for_pram(parent: TestUser, free: int = 1) -> None:
    await parent.click("🧸 Things for the child")
    await parent.wait_message("Things for the child")
    await parent.click(f"Pram · {free} free")
    await parent.wait_message("How old is the child")
    await parent.click("under 6 months")
    await parent.wait_message("When do you need it")
    await parent.click("In the next few days")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")


async def _card(group: TestGroup) -> int:
    """The point's card in the request's topic: its message id."""
    await until(lambda: group.topics, what="the request's topic")
    card = await group.wait_message(predicate=_point_card("🧸"))
    return card.message_id


def _point_card(icon: str):  # type: ignore[no-untyped-def]
    return lambda m: (m.text or "").startswith(icon) and bool(m.buttons)


async def _stock(app: App, point: str, item: str) -> Stock:
    async with app.db.session() as session:
        row = await session.get(Stock, (point, item), populate_existing=True)
    assert row is not None
    return row


async def test_a_pram_is_asked_for_held_lent_reminded_extended_and_returned(
    app: App, clock: list[datetime]
) -> None:
    [anna], group = await _point_team(app, "irk_rental", "Анна")
    await _add_stock(group, anna, "Коляска", 2)
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)  # Irkutsk Oblast
    await parent.click("🧸 Things for the child")
    overview = await parent.wait_message("Things for the child")
    assert "Pram — 2 free" in (overview.text or "") and "as of 10:00" in (overview.text or "")
    assert "Cot — none free now" in (overview.text or "")
    await parent.send("a sticker-like hello")  # words where buttons are expected: not lost
    await parent.wait_message("nothing is lost")
    await _ask_for_pram(parent, free=2)

    card_id = await _card(group)
    card = _current(group, card_id)
    assert "свободно 2" in (card.text or "") and "до 6 месяцев" in (card.text or "")
    await group.click(anna, "📌 Придержать на 48 ч", message_id=card_id)
    held = await parent.wait_message("it is held for you")
    assert "17 March, 10:00" in (held.text or "")  # 48 hours, the family's local time
    assert (await _stock(app, "irk_malysh", "pram")).reserved == 1

    # The family is told first, then the card is redrawn with the next step's buttons.
    await until(
        lambda: ["🤝 Выдать"] in [[b for b in row if "Выдать" in b] for row in
                                  _current(group, card_id).buttons],
        what="the card's next step",
    )  # fmt: skip
    await group.click(anna, "🤝 Выдать", message_id=card_id)
    await until(lambda: "До какого" in (_current(group, card_id).text or ""), what="return date")
    await group.click(anna, "⭐ 6 месяцев", message_id=card_id)  # a pram's usual term
    lent = await parent.wait_message("it is yours for now")
    assert "15 September 2027" in (lent.text or "")
    row = await _stock(app, "irk_malysh", "pram")
    assert (row.free, row.reserved, row.lent) == (1, 0, 1)

    work = app.dp["work"]
    await work.drain(5)
    clock[0] = datetime(2027, 9, 8, 3, 0, tzinfo=UTC)  # a week before, 11:00 in Irkutsk
    await work.tick()
    reminder = await parent.wait_message("gentle reminder")
    assert "15 September 2027" in (reminder.text or "")
    await parent.click("🔁 Ask to keep it longer", message_id=reminder.message_id)
    await parent.wait_message("we have asked the point")
    ask = await group.wait_message(contains="просит оставить")
    await group.click(anna, "+1 месяц", message_id=ask.message_id)
    agreed = await parent.wait_message("you can keep it until")
    assert "15 October 2027" in (agreed.text or "")
    clock[0] = datetime(2027, 9, 15, 3, 0, tzinfo=UTC)  # the old date: no reminder any more
    await work.tick()
    assert len([m for m in parent.history if "Today is the day" in (m.text or "")]) == 0

    await group.click(anna, "📥 Вернули", message_id=card_id)
    await parent.wait_message("Thank you for bringing it back")
    row = await _stock(app, "irk_malysh", "pram")
    assert (row.free, row.reserved, row.lent) == (2, 0, 0)
    async with app.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert {"stock.add", "stock.reserve", "stock.lend", "stock.extend", "stock.return"} <= set(
        actions
    )


async def test_two_specialists_lend_the_last_pram_at_once_and_one_is_told_it_is_gone(
    app: App, clock: list[datetime]
) -> None:
    (anna, boris), group = await _point_team(app, "irk_rental", "Анна", "Борис")
    await _add_stock(group, anna, "Коляска", 1)
    first, second = app.emu.add_user(language_code="en"), app.emu.add_user(language_code="en")
    for parent in (first, second):
        await onboard(parent)
        await _ask_for_pram(parent)
    await until(lambda: len(group.topics) == 2, what="two topics")
    cards = await until(
        lambda: (
            [m for m in group.history if _point_card("🧸")(m)][1:]
            and [m for m in group.history if _point_card("🧸")(m)]
        ),
        what="two point cards",
    )
    answers = await asyncio.gather(
        group.click(anna, "📌 Придержать на 48 ч", message_id=cards[0].message_id),
        group.click(boris, "📌 Придержать на 48 ч", message_id=cards[1].message_id),
    )
    texts = [(await group.wait_callback_answer(a)).get("text", "") for a in answers]
    assert sum("Придержано" in t for t in texts) == 1, texts
    assert sum("никого свободного" in t.lower() or "свободных нет" in t.lower() for t in texts) == 1
    row = await _stock(app, "irk_malysh", "pram")
    assert (row.free, row.reserved) == (0, 1)
    async with app.db.session() as session:
        holds = await session.scalar(select(func.count(Loan.id)))
    assert holds == 1


async def test_a_hold_not_collected_is_released_once_and_the_family_told_gently(
    app: App, clock: list[datetime]
) -> None:
    [anna], group = await _point_team(app, "irk_rental", "Анна")
    await _add_stock(group, anna, "Коляска", 1)
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)
    await _ask_for_pram(parent)
    card_id = await _card(group)
    await group.click(anna, "📌 Придержать на 48 ч", message_id=card_id)
    await parent.wait_message("it is held for you")
    work = app.dp["work"]
    await work.drain(5)
    clock[0] += timedelta(hours=49)
    await asyncio.gather(work.tick(), work.tick())
    await work.tick()
    await parent.wait_message("The hold has ended")
    assert len([m for m in parent.history if "The hold has ended" in (m.text or "")]) == 1
    row = await _stock(app, "irk_malysh", "pram")
    assert (row.free, row.reserved) == (1, 0)
    async with app.db.session() as session:
        loan = await session.scalar(select(Loan))
        done = await session.scalar(
            select(func.count(DueWork.id)).where(DueWork.kind == WorkKind.RESERVATION_END)
        )
    assert loan is not None and loan.status is LoanStatus.RELEASED and done == 1


async def test_a_mother_asks_for_a_place_tonight_is_accepted_and_moves_out(
    app: App, clock: list[datetime]
) -> None:
    [olga], group = await _point_team(app, "irk_crisis", "Ольга")
    await _add_stock(group, olga, "Место для мамы с детьми", 2, "➕ Добавить место")
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)
    await parent.click("🏠 A safe place to stay")
    overview = await parent.wait_message("A safe place to stay")
    assert "2 places free" in (overview.text or "")
    await parent.click("Crisis flat for mothers with children · 2 places free")
    await parent.wait_message("Who will come")
    await parent.click("the mother and two children")
    await parent.wait_message("When do you need the place")
    await parent.click("🆘 Tonight — we have nowhere to sleep")
    review = await parent.wait_message("Please check your request")
    assert "in danger right now" in (review.text or "")  # the emergency number comes first
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.priority.value == "urgent"
    assert request.queue_key == "irk_crisis" and request.resource is not None

    await until(lambda: group.topics, what="the topic")
    card = await group.wait_message(predicate=_point_card("🏠"))
    await group.click(olga, "🏠 Принять", message_id=card.message_id)
    await until(lambda: "Когда семья" in (_current(group, card.message_id).text or ""), what="x")
    await group.click(olga, "Сегодня", message_id=card.message_id)
    await until(lambda: "Заезд" in (_current(group, card.message_id).text or ""), what="stay")
    await group.click(olga, "30 дней", message_id=card.message_id)
    place = await parent.wait_message("A place is waiting for you")
    assert "15 March 2027" in (place.text or "") and "14 April 2027" in (place.text or "")
    row = await _stock(app, "irk_crisis_flat", "mother_child")
    assert (row.free, row.lent) == (1, 1)

    work = app.dp["work"]
    await work.drain(5)
    clock[0] = datetime(2027, 4, 11, 5, 0, tzinfo=UTC)  # three days before the planned end
    await work.tick()
    await group.wait_message(contains="планируется завершить")
    await group.click(olga, "🚪 Выехала", message_id=card.message_id)
    await parent.wait_message("all the best in your new place")
    row = await _stock(app, "irk_crisis_flat", "mother_child")
    assert (row.free, row.lent) == (2, 0)


async def test_my_requests_names_the_thing_and_stock_refuses_outsiders_politely(
    app: App, clock: list[datetime]
) -> None:
    [anna], group = await _point_team(app, "irk_rental", "Анна")
    await _add_stock(group, anna, "Коляска", 1)
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)
    await _ask_for_pram(parent)
    await parent.send("/my")
    listing = await parent.wait_message("My requests")
    await parent.click(listing.buttons[0][0])
    shown = await parent.wait_message("Request № 1")
    assert "Pram — «Moy malysh» social rental point" in (shown.text or "")
    # A parent's /stock, and a forged "hold" from a stranger in the point's group.
    await parent.send("/stock")
    await parent.wait_message("is for the staff of a rental point")
    card_id = await _card(group)
    stranger = app.emu.add_user(first_name="Чужой", language_code="ru")
    group.add_member(stranger)
    answer = await group.click(stranger, "📌 Придержать на 48 ч", message_id=card_id)
    assert (await group.wait_callback_answer(answer)).get("show_alert") is True
    assert (await _stock(app, "irk_malysh", "pram")).free == 1

    admin = app.emu.add_user(first_name="Вера", language_code="ru")
    await staff(app, admin, Role.COORDINATOR)
    await admin.send("/queues")
    overview = await admin.wait_message("Пункты проката")
    assert "выдано 0, отложено 0, свободно 1, ждут 1" in (overview.text or "")
