"""The last word: anything nobody else handled gets a friendly next step, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.config import Settings
from bot.dialogs import onboarding as ob
from bot.handlers.common import home
from db.models import Person


async def on_unexpected_message(
    message: Message, person: Person, state: FSMContext, settings: Settings
) -> None:
    current = await state.get_state()
    if current == ob.Onboarding.language.state or person.locale is None:
        await message.answer(ob.hint_choose_language(), reply_markup=ob.language_keyboard())
    elif not person.has_consent:
        await message.answer(ob.hint_consent(settings), reply_markup=ob.consent_keyboard())
    else:
        await message.answer(ob.hint_general(), reply_markup=ob.main_menu_keyboard())


async def on_stale_button(
    query: CallbackQuery, person: Person, state: FSMContext, callback_answer: CallbackAnswer
) -> None:
    callback_answer.text = ob.stale_button_text()
    # A new message, not an edit: the old one may already show the current screen.
    await home(query.message if isinstance(query.message, Message) else query, person, state)


async def on_foreign_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """Buttons in groups that nobody handles (yet) are answered, so the client stops spinning."""
    callback_answer.text = ob.stale_button_text()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_unexpected_message, F.chat.type == "private")
    router.callback_query.register(on_stale_button, F.message.chat.type == "private")
    router.callback_query.register(on_foreign_button)
    return router
