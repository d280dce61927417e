"""The service's side: staff groups (cases, linking a queue) and the staff's private
commands. Every action checks the role on the server."""

from __future__ import annotations

from aiogram import Router

from bot.handlers.staff import cases, link, points, private


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        private.create_router(),
        link.create_router(),
        points.create_router(),  # before the cases: /stock in a topic is not for the family
        cases.create_router(),
    )
    return router
