"""/services and «Where to get help»: the services map of the family's region."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.dialogs import onboarding as ob
from bot.dialogs import services_map as sm
from bot.dialogs.ui import show
from bot.services.regions import Regions
from bot.services.services_map import ServicesMap
from db.models import Person


async def on_services(
    event: Message | CallbackQuery, person: Person, regions: Regions, services_map: ServicesMap
) -> None:
    locale = person.locale or "ru"
    region = regions.get(person.region)
    name = region.name(locale) if region else ""
    kinds = services_map.categories(person.region)
    if not kinds:
        await show(event, sm.empty_text(name), ob.main_menu_keyboard())
        return
    await show(event, sm.categories_text(name), sm.categories_keyboard(kinds))


async def on_kind(
    query: CallbackQuery,
    callback_data: sm.ServicesCb,
    person: Person,
    services_map: ServicesMap,
) -> None:
    orgs = services_map.find(person.region, callback_data.kind.value)
    text = sm.organisations_text(callback_data.kind, orgs, person.locale or "ru")
    await show(query, text, sm.organisations_keyboard(callback_data.kind))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_services, Command("services"))
    router.callback_query.register(on_services, ob.MenuCb.filter(F.item == ob.MenuItem.SERVICES))
    router.callback_query.register(on_kind, sm.ServicesCb.filter())
    return router
