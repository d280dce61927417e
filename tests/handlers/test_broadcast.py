"""A coordinator's broadcast: composed, checked, previewed exactly as families see it, sent
once to each consenting subscriber of the segment, with a one-tap unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from db.base import set_clock
from db.models import BroadcastDelivery, DeliveryStatus, Person, Role
from sandbox import TestUser
from tests.handlers.conftest import App
from tests.handlers.personas import staff


async def _subscribers(app: App, users: list[TestUser], **fields: object) -> None:
    async with app.db.session() as session, session.begin():
        await session.execute(
            insert(Person),
            [
                {"telegram_id": u.id, "locale": "ru", "consent_version": "2026-12",
                 "news_subscribed": True, "region": "irkutsk", **fields}
                for u in users
            ],
        )  # fmt: skip


async def test_a_broadcast_reaches_each_subscriber_of_its_segment_once(app: App) -> None:
    olga = app.emu.add_user(first_name="Ольга", language_code="en")
    await staff(app, olga, Role.COORDINATOR)
    irkutsk = [app.emu.add_user(language_code="ru") for _ in range(12)]
    altai = [app.emu.add_user(language_code="ru") for _ in range(3)]
    quiet = [app.emu.add_user(language_code="ru") for _ in range(2)]
    await _subscribers(app, irkutsk)
    await _subscribers(app, altai, region="altai_krai")
    await _subscribers(app, quiet, news_subscribed=False)

    await olga.send("/broadcast")
    await olga.wait_message("Send the text in Russian")
    await olga.send("Открылся пункт <b>«Мой малыш»")  # not closed
    await olga.wait_message("is not closed")
    await olga.send("Открылся пункт <b>«Мой малыш»</b> в Иркутске")
    await olga.wait_message("Add a photo")
    await olga.click("Skip »")
    await olga.wait_message("An English version")
    await olga.click("Skip »")
    await olga.wait_message("A link button")
    await olga.send("Адрес | https://example.org/moy-malysh")
    audience = await olga.wait_message("Recipients now: 15")
    await olga.click("Иркутская область", message_id=audience.message_id)
    await olga.wait_message("Recipients now: 12")
    await olga.click("👁 Preview")
    preview = await olga.wait_message("«Мой малыш» в Иркутске")
    assert ["🔕 Unsubscribe from news"] in preview.buttons and ["Адрес"] in preview.buttons
    await olga.wait_message("Recipients: 12")
    await olga.click("📤 Send now")
    await olga.wait_message("Broadcast #1 is finished", timeout=20)

    for user in irkutsk:
        got = [m for m in user.history if "«Мой малыш» в Иркутске" in (m.text or "")]
        assert len(got) == 1
    assert not any(m.text for u in altai + quiet for m in u.history)
    reader = irkutsk[0]
    message = reader.history[-1]
    answer = await reader.wait_callback_answer(
        await reader.click("🔕 Отписаться от новостей", message_id=message.message_id)
    )
    assert "больше не будут приходить" in answer["text"]  # in the family's language
    async with app.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == reader.id))
        statuses = (await session.scalars(select(BroadcastDelivery.status))).all()
    assert person is not None and not person.news_subscribed
    assert statuses == [DeliveryStatus.SENT] * 12
    await olga.send("/broadcasts")
    await olga.wait_message("sent 12 of 12")


async def test_a_scheduled_broadcast_waits_for_its_time_and_bad_input_is_answered(
    app: App,
) -> None:
    start = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # Monday 05:00 in Moscow
    now = [start]
    set_clock(lambda: now[0])
    try:
        olga = app.emu.add_user(first_name="Ольга", language_code="en")
        await staff(app, olga, Role.COORDINATOR)
        families = [app.emu.add_user(language_code="ru") for _ in range(3)]
        await _subscribers(app, families)
        parent = app.emu.add_user(language_code="en")
        await parent.send("/broadcast")  # not a coordinator
        await parent.wait_message("Broadcasts are for coordinators")

        await olga.send("/broadcast")
        await olga.wait_message("Send the text in Russian")
        await olga.send_sticker()
        await olga.wait_message("Please send text here")
        await olga.send("Клуб «Устойчивая семья» собирается в четверг")
        await olga.wait_message("Add a photo")
        await olga.send_photo()
        await olga.wait_message("An English version")
        await olga.send("The «Resilient family» club meets on Thursday")
        await olga.wait_message("A link button")
        await olga.send("no link here")
        await olga.wait_message("Title | https://")
        await olga.click("Skip »")
        await olga.wait_message("Recipients now: 3")
        await olga.click("👁 Preview")
        await olga.wait_message("Recipients: 3")
        await olga.click("🕒 Schedule")
        await olga.wait_message("When?")
        await olga.send("whenever")
        await olga.wait_message("could not read that time")
        await olga.send("15.03 12:00")  # Moscow time, the bot's TIMEZONE
        await olga.wait_message("Scheduled for 15 March, 12:00")
        broadcaster = app.dp["broadcaster"]
        await broadcaster.tick()
        assert not any(m.from_bot for u in families for m in u.history)  # not yet
        now[0] = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
        await broadcaster.tick()
        got = [m for u in families for m in u.history if "Устойчивая семья" in (m.text or "")]
        assert len(got) == 3 and all("photo" in m.raw for m in got)
    finally:
        set_clock(None)
