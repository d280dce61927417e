from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog


class AuditRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        action: str,
        *,
        actor_id: int | None = None,
        object_type: str | None = None,
        object_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditLog(
                action=action,
                actor_id=actor_id,
                object_type=object_type,
                object_id=object_id,
                details=details or {},
            )
        )
