"""The router tree, in one ordered place: specific routers first, the fallback last."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    common,
    coordinator,
    errors,
    fallback,
    groups,
    membership,
    parent,
    staff,
    stats,
)


def build_router() -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.create_router(),
        fallback.create_stale_router(),  # first: a button not on screen reaches nobody else
        common.create_consent_router(),  # then: a new notice is agreed to before all else
        membership.create_router(),
        staff.create_router(),  # the service's side: staff groups and staff commands
        coordinator.create_router(),  # broadcasts
        stats.create_router(),  # figures, charts and exports
        parent.create_router(),  # the family's flows, once onboarded
        common.create_router(),
        groups.create_router(),
        fallback.create_router(),  # keep last: it answers whatever the others did not
    )
    return root
