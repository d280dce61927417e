"""Commands sent in a group: families are helped in private, so point them there.

Staff groups get their own handlers with the queues; this only covers what a person might
try in any group the bot is in.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.dialogs import onboarding as ob


async def on_group_start(message: Message, bot: Bot) -> None:
    me = await bot.me()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Write to the bot"), url=f"https://t.me/{me.username}")]
        ]
    )
    await message.reply(
        _("I talk with families in a private chat, so that nobody else sees it."),
        reply_markup=markup,
    )


async def on_group_sos(message: Message, settings: Settings) -> None:
    await message.reply(ob.sos_text(settings))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(on_group_sos, Command("sos"))
    router.message.register(on_group_start, CommandStart())
    router.message.register(on_group_start, Command("help"))
    return router
