"""A coordinator's broadcast: composed, checked, previewed exactly as families see it, sent
once to each consenting subscriber of the segment, with a one-tap unsubscribe."""

from __future__ import annotations

from sqlalchemy import insert, select

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
