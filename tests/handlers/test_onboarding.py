from __future__ import annotations

from sqlalchemy import select

from db.models import AuditLog, Person
from tests.handlers.conftest import App
from tests.helpers import onboard, until


async def _person(app: App, telegram_id: int) -> Person | None:
    async with app.db.session() as session:
        return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def test_start_language_consent_menu_in_russian(app: App) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    await anna.send("/start")
    picker = await anna.wait_message("Выберите")
    assert picker.buttons == [["Русский", "English"]]

    cb = await anna.click("Русский")
    consent = await anna.wait_message("согласны на обработку персональных данных")
    assert consent.message_id == picker.message_id and consent.edited
    assert await anna.wait_callback_answer(cb) is not None
    assert ["Даю согласие"] in consent.buttons and ["🆘 Экстренные контакты"] in consent.buttons

    await anna.click("Прочитать полностью")
    full = await anna.wait_message("152-ФЗ")
    assert ["Прочитать полностью"] not in full.buttons

    await anna.click("Даю согласие")
    region = await anna.wait_message("Спасибо за доверие")
    assert "В каком регионе вы живёте?" in (region.text or "")
    assert region.buttons[:5] == [
        ["Иркутская область"], ["Алтайский край"], ["Новосибирская область"],
        ["Приморский край"], ["Другой регион"],
    ]  # fmt: skip
    assert ["🆘 Экстренные контакты"] in region.buttons
    await anna.click("Приморский край")
    district = await anna.wait_message("В каком городе или районе")
    assert district.buttons[0] == ["Пропустить"]
    await anna.send("Уссурийск")
    children = await anna.wait_message("Сколько лет вашим детям?")
    assert children.buttons[-1] == ["Пропустить"]
    await anna.click("0–4 года")
    await anna.wait_message(predicate=lambda m: ["✅ 0–4 года"] in m.buttons)
    await anna.click("ждём малыша")
    await anna.wait_message(predicate=lambda m: ["✅ ждём малыша"] in m.buttons)
    await anna.click("5–11 лет")
    await anna.wait_message(predicate=lambda m: ["✅ 5–11 лет"] in m.buttons)
    await anna.click("✅ 5–11 лет")  # changed her mind
    chosen = await anna.wait_message(predicate=lambda m: ["5–11 лет"] in m.buttons)
    assert ["✅ ждём малыша"] in chosen.buttons and chosen.buttons[-1] == ["Готово"]
    await anna.click("Готово")
    await anna.wait_message("Хотите получать новости программы")
    await anna.click("Да, присылайте новости")
    menu = await anna.wait_message("Чем мы можем помочь")
    assert ["🆘 Экстренные контакты"] in menu.buttons

    person = await _person(app, anna.id)
    assert person is not None
    assert (person.region, person.timezone) == ("primorsky", "Asia/Vladivostok")
    assert person.district == "Уссурийск"
    assert sorted(person.children_ages) == ["0-4", "expecting"]
    assert person.news_subscribed is True
    assert person is not None and person.locale == "ru"
    assert person.consent_version == app.settings.consent_version and person.consent_at
    async with app.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert "consent.accept" in actions
    await until(lambda: not app.emu.unanswered_callbacks(), what="every callback answered")


async def test_english_speaker_gets_english_and_a_per_chat_command_menu(app: App) -> None:
    john = app.emu.add_user(first_name="John", language_code="en")
    await john.send("/start")
    await john.wait_message("Please choose the language")
    await john.click("English")
    await john.wait_message("Do you agree to the processing")
    calls = app.emu.calls("setMyCommands")
    scoped = [c for c in calls if (c.params.get("scope") or {}).get("type") == "chat"]
    assert scoped and scoped[-1].params["commands"][0]["description"] == "Main menu"


async def test_decline_stores_only_the_refusal_and_offers_help(app: App) -> None:
    user = app.emu.add_user(language_code="ru")
    await user.send("/start")
    await user.wait_message("Выберите")
    await user.click("Русский")
    await user.wait_message("согласны")
    await user.click("Не даю согласия")
    declined = await user.wait_message("кроме этого отказа")
    assert "112" in declined.text and "8-800-2000-122" in declined.text
    person = await _person(app, user.id)
    assert person is not None and person.consent_version is None
    assert person.consent_declined_at is not None and person.phone is None

    await user.click("Вернуться к согласию")
    await user.wait_message("согласны")


async def test_sos_works_before_consent_and_before_language(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/sos")
    sos = await user.wait_message("in danger right now")
    assert "112" in sos.text and "8-800-2000-122" in sos.text


async def test_unexpected_input_gets_a_hint_not_silence(app: App) -> None:
    user = app.emu.add_user(language_code="ru")
    await user.send("/start")
    await user.wait_message("Выберите")
    await user.send("привет, мне нужна помощь")
    hint = await user.wait_message("выберите язык кнопкой")
    assert hint.buttons == [["Русский", "English"]]
    await user.send_sticker()
    await user.wait_message("выберите язык кнопкой")
    app.pass_time(5)  # a person who reads the hint, then writes again
    await user.send("x" * 4096)
    await user.wait_message("выберите язык кнопкой")

    await user.click("Русский")
    await user.wait_message("согласны")
    await user.send_photo()
    hint = await user.wait_message("Чтобы продолжить, выберите")
    assert "Мы рядом" in hint.text and "112" in hint.text and "8-800-2000-122" in hint.text

    await user.click("Даю согласие")
    await user.wait_message("Спасибо за доверие")
    await user.send("а регион обязательно?")
    await user.wait_message("выберите свой регион кнопкой")
    await user.click("Другой регион")
    await user.wait_message("В каком городе или районе")
    await user.send_sticker()
    await user.wait_message("название вашего города или района")
    await user.send("Томск" * 20)
    await user.wait_message("до 64 символов")
    await user.click("Пропустить")
    await user.wait_message("Сколько лет вашим детям?")
    await user.send_sticker()
    await user.wait_message("ответьте кнопкой ниже")
    await user.click("Пропустить")
    await user.wait_message("Хотите получать новости")
    await user.click("Нет, спасибо")
    await user.wait_message("Чем мы можем помочь")
    await user.send("что дальше?")
    menu_hint = await user.wait_message("Спасибо, что написали")
    assert ["🆘 Экстренные контакты"] in menu_hint.buttons
    await user.send("/unknown_command")
    await user.wait_message("Спасибо, что написали")


async def test_every_menu_button_answers(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    for button, expected in [
        ("🆘 Emergency contacts", "in danger right now"),
        ("« Menu", "How can we help"),
        ("ℹ️ How it works", "/sos"),
        ("« Menu", "How can we help"),
        ("🔒 My data", "You gave your consent"),
        ("« Menu", "How can we help"),
        ("⚙️ Settings", "Region: Irkutsk Oblast"),
        ("📍 Region", "Which region"),
        ("Altai Krai", "Region: Altai Krai"),
        ("🔔 Turn the news on", "Programme news: on"),
        ("🔕 Turn the news off", "Programme news: off"),
        ("👶 Children", "How old are your children"),
        ("12–18 years", "How old are your children"),
        ("Done", "Children: 12–18 years"),
        ("🏘 Town or district", "Which town or district"),
        ("Skip", "Town or district: not said"),
        ("🙈 Turn discreet mode on", "Discreet mode is on"),
        ("🙈 Turn discreet mode off", "Discreet mode: off"),
        ("⏸ Pause check-ins", "Check-ins after help: paused"),
        ("▶️ Resume check-ins", "Check-ins after help: on"),
        ("🧹 Clear this chat", "Clear this chat?"),
        ("No, leave it", "What would you like to change"),
        ("🌐 Language", "Please choose"),
        ("Русский", "Чем мы можем помочь"),
    ]:
        await user.click(button)
        await user.wait_message(expected)
    await until(lambda: not app.emu.unanswered_callbacks(), what="every callback answered")


async def test_withdrawing_consent_from_privacy(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/privacy")
    await user.wait_message("You gave your consent")
    await user.click("Withdraw my consent")
    await user.wait_message("Your consent is withdrawn")
    person = await _person(app, user.id)
    assert person is not None and not person.has_consent
    await user.send("/start")
    await user.wait_message("Do you agree")


async def test_a_stale_button_is_answered_and_shows_the_current_screen(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    picker = await user.wait_message("Please choose")
    cb = await user.click_data(picker.message_id, "obsolete:button")
    answer = await user.wait_callback_answer(cb)
    assert "out of date" in (answer.get("text") or "")
    await user.wait_message("Please choose")


async def test_in_a_group_the_bot_points_to_a_private_chat(app: App) -> None:
    member = app.emu.add_user(language_code="ru")
    group = app.emu.add_group(title="Родительский клуб", members=[member])
    await group.send(member, "/start")
    reply = await group.wait_message(contains="личном чате")
    assert reply.raw["reply_markup"]["inline_keyboard"][0][0]["url"].endswith("semya_test_bot")
    await group.send(member, "/sos@semya_test_bot")
    await group.wait_message(contains="112")
    await group.send(member, "просто разговор в группе")
    await group.send(member, "/help")
    await group.wait_message(contains="личном чате")
    texts = [m.text for m in group.history if m.from_bot]
    assert len(texts) == 3  # ordinary group talk is not answered
    assert await _person(app, member.id) is None  # nobody is enrolled from a group
