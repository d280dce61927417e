"""What a family does once past the first contact (language, consent, region): the help
request, "My requests" and the other flows of the main menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.handlers.parent import (
    assessment,
    checkin,
    edits,
    my_requests,
    points,
    request,
    services_map,
)
from bot.services.regions import Regions
from db.models import Person


class Onboarded(Filter):
    async def __call__(
        self, event: Message | CallbackQuery, person: Person | None, regions: Regions
    ) -> bool:
        return person is not None and person.has_consent and regions.get(person.region) is not None


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(F.message.chat.type == "private", Onboarded())
    router.include_routers(
        request.create_router(),
        my_requests.create_router(),
        services_map.create_router(),
        assessment.create_router(),
        edits.create_router(),
        checkin.create_router(),
        points.create_router(),
    )
    return router
