from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from db.models import FsmRecord, Person
from db.session import Database
from sandbox import Emulator
from tests.e2e.conftest import BotProcess
from tests.helpers import until


async def test_start_is_answered_within_a_second(emu: Emulator, bot_process: BotProcess) -> None:
    warm = emu.add_user(language_code="ru")
    await warm.send("/start")
    await warm.wait_message("Выберите", timeout=10)

    anna = emu.add_user(first_name="Анна", language_code="ru")
    await anna.send("/start")
    picker = await anna.wait_message("Выберите", timeout=1.0)
    assert picker.buttons == [["Русский", "English"]]


async def test_a_restart_mid_dialog_continues_the_dialog(
    emu: Emulator, bot_process: BotProcess, db: Database
) -> None:
    user = emu.add_user(language_code="ru")
    await user.send("/start")
    await user.wait_message("Выберите")
    await user.click("Русский")
    consent = await user.wait_message("согласны")

    took = await bot_process.stop()
    assert took < 5, f"SIGTERM took {took:.1f}s"
    async with db.session() as session:
        record = await session.scalar(select(FsmRecord).where(FsmRecord.key.contains(str(user.id))))
    assert record is not None and record.state == "Onboarding:consent"

    await bot_process.start()
    await user.send("а что дальше?")
    await user.wait_message("Чтобы продолжить, выберите")
    await user.click("Даю согласие", message_id=consent.message_id)  # a button from before
    await user.wait_message("Спасибо за доверие")
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
    assert person is not None and person.has_consent


async def test_sigterm_lets_the_update_in_flight_finish(
    emu: Emulator, bot_process: BotProcess
) -> None:
    user = emu.add_user(language_code="en")
    emu.faults.latency(1.5, method="sendMessage")
    await user.send("/sos")
    await until(
        lambda: any(u.get("message", {}).get("text") == "/sos" for u in emu.delivered_updates()),
        what="the bot to receive the update",
    )
    took = await bot_process.stop()
    assert took < 5, f"SIGTERM took {took:.1f}s"
    sos = await user.wait_message("in danger right now", timeout=1)
    assert sos is not None
    assert bot_process.proc is not None and bot_process.proc.returncode == 0


async def test_a_duplicate_delivered_after_a_restart_is_ignored(
    emu: Emulator, bot_process: BotProcess
) -> None:
    user = emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    await bot_process.stop()
    start = next(u for u in emu.delivered_updates() if u.get("message", {}).get("text") == "/start")
    emu.redeliver(start)
    await bot_process.start()
    await until(lambda: emu.delivered_updates().count(start) == 2, what="the re-delivery")
    await user.send("/help")
    await user.wait_message("/privacy")
    pickers = [
        c for c in emu.calls("sendMessage")
        if c.ok and c.params.get("chat_id") == user.id and "Please choose" in c.params["text"]
    ]  # fmt: skip
    assert len(pickers) == 1


async def test_polling_survives_telegram_outages(emu: Emulator, bot_process: BotProcess) -> None:
    emu.faults.inject("getUpdates", status=502, times=2)
    user = emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose", timeout=20)


async def test_logs_carry_no_personal_data_or_token(emu: Emulator, bot_process: BotProcess) -> None:
    user = emu.add_user(first_name="Снежана", language_code="ru", username="snezhana_secret")
    await user.send("/start")
    await user.wait_message("Выберите")
    await user.click("Русский")
    await user.wait_message("согласны")
    await user.send("меня зовут Снежана, мой телефон +7 999 123-45-67")
    await user.wait_message("Чтобы продолжить, выберите")
    await user.share_contact(phone="+79991234567")
    await user.wait_message("Чтобы продолжить, выберите")
    await bot_process.stop()
    log = bot_process.log()
    assert "Update id=" in log or "is handled" in log or "Start polling" in log
    # The phone's digits are looked for in full: a timestamp's milliseconds may read ",999".
    for secret in ("Снежана", "snezhana_secret", "999 123", "9991234567", "123-45-67",
                   emu.default_token):  # fmt: skip
        assert secret not in log, f"{secret!r} leaked into the log"
    assert not re.search(r"\+7\s?\d", log)


async def test_the_process_sets_the_command_menu_per_language(
    emu: Emulator, bot_process: BotProcess
) -> None:
    calls = await until(
        lambda: len(emu.calls("setMyCommands")) >= 3 and emu.calls("setMyCommands"),
        what="the command menus",
    )
    by_lang = {c.params.get("language_code", ""): c.params["commands"] for c in calls}
    assert by_lang[""][0]["description"] == "Главное меню"
    assert by_lang["ru"][0]["description"] == "Главное меню"
    assert by_lang["en"][0]["description"] == "Main menu"
    await asyncio.sleep(0)
