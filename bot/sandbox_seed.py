"""The sandbox's cast and set-up: six people, two staff forum groups, every queue of
content/queues.toml linked to one of them, roles granted by the staff service's own invites —
so a newcomer can walk a family's request to its close in five minutes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.people import load_person, set_locale
from bot.services.queues import Queue, Queues
from bot.services.staff import accept, invite, link_queue, memberships, toggle_duty
from db.models import Person, Role
from db.repositories import QueueLinksRepo
from db.session import Database

__all__ = ["CAST", "GROUPS", "CastMember", "group_of", "seed"]

# Queues that take only these kinds of help go to the crisis group; the rest to family support.
CRISIS_HELP = frozenset({"crisis_housing", "pregnancy", "psychological"})


@dataclass(frozen=True)
class CastMember:
    user_id: int  # fixed, so the world on disk and the database agree across restarts
    name: str
    lang: str
    role: Role
    label: str  # shown in the page's persona picker


CAST = (
    CastMember(700_000_001, "Анна", "ru", Role.PARENT, "родитель · parent"),
    CastMember(700_000_002, "Emma", "en", Role.PARENT, "родитель · parent"),
    CastMember(700_000_003, "Ольга", "ru", Role.SPECIALIST, "специалист, на дежурстве"),
    CastMember(700_000_004, "Борис", "ru", Role.SPECIALIST, "специалист · specialist"),
    CastMember(700_000_005, "Мария", "ru", Role.COORDINATOR, "координатор · coordinator"),
    CastMember(700_000_006, "Игорь", "ru", Role.ADMIN, "администратор · admin"),
)
ADMIN = CAST[5]
ON_DUTY = CAST[2]
GROUPS = {
    "crisis": "Кризисная служба · Crisis",
    "family": "Семейная поддержка · Family support",
}


def group_of(queue: Queue) -> str:
    return "crisis" if set(queue.help) <= CRISIS_HELP else "family"


async def seed(db: Database, queues: Queues, group_ids: dict[str, int]) -> bool:
    """Link the queues and grant the roles, once; False when the database already has them."""
    async with db.session() as session, session.begin():
        if await QueueLinksRepo(session).get(queues.items[0].key) is not None:
            return False
        admin = await load_person(session, ADMIN.user_id, create=True, admin_ids=[ADMIN.user_id])
        assert admin is not None
        _name(admin, ADMIN)
        for queue in queues.items:
            await link_queue(session, queue.key, group_ids[group_of(queue)], True, admin)
        for member in CAST:
            if member.role not in (Role.SPECIALIST, Role.COORDINATOR):
                continue
            person = await load_person(session, member.user_id, create=True)
            assert person is not None
            keys = [q.key for q in queues.items] if member.role is Role.SPECIALIST else [None]
            for key in keys:
                await accept(session, person, invite(session, admin, member.role, key), member.name)
            _name(person, member)
            if member is ON_DUTY:
                for membership in await memberships(session, person):
                    toggle_duty(session, person, membership)
    return True


def _name(person: Person, member: CastMember) -> None:
    person.display_name = member.name
    set_locale(person, member.lang)
