"""The sandbox's set-up: every queue of the content linked to one of two forums (crisis or
family support), roles granted through invites, Ольга on duty everywhere, done once."""

from __future__ import annotations

from sqlalchemy import select

from bot.sandbox_seed import CAST, ON_DUTY, group_of, seed
from bot.services.queues import load_queues
from db.models import Invite, Person, QueueLink, QueueStaff, Role
from db.session import Database


def test_crisis_queues_go_to_the_crisis_forum_and_the_rest_to_family_support() -> None:
    groups = {q.key: group_of(q) for q in load_queues().items}
    assert groups["irk_crisis"] == groups["prim_vladmama"] == "crisis"
    assert groups["irk_family"] == groups["irk_rental"] == groups["general"] == "family"
    assert set(groups.values()) == {"crisis", "family"}


async def test_the_seed_links_every_queue_and_grants_roles_once(db: Database) -> None:
    queues = load_queues()
    forums = {"crisis": -1001, "family": -1002}
    assert await seed(db, queues, forums)
    assert not await seed(db, queues, forums)  # a restart changes nothing
    async with db.session() as session:
        links = {link.queue_key: link.chat_id for link in await session.scalars(select(QueueLink))}
        people = {p.telegram_id: p for p in await session.scalars(select(Person))}
        staff = list(await session.scalars(select(QueueStaff)))
        invites = list(await session.scalars(select(Invite)))
    assert links == {q.key: forums[group_of(q)] for q in queues.items}
    roles = {m.user_id: m.role for m in CAST if m.role is not Role.PARENT}
    assert {tid: p.role for tid, p in people.items()} == roles
    assert all(p.display_name for p in people.values())
    specialists = [people[m.user_id].id for m in CAST if m.role is Role.SPECIALIST]
    assert {(s.person_id, s.queue_key) for s in staff} == {
        (pid, q.key) for pid in specialists for q in queues.items
    }
    on_duty = {s.person_id for s in staff if s.on_duty}
    assert on_duty == {people[ON_DUTY.user_id].id}
    assert all(i.used_by is not None for i in invites)  # granted the way an admin does
