"""Writing and reading the audit log: who did what, to what, when and from where."""

from __future__ import annotations

import json
from typing import Any

from pengaduan.audit.tables import AuditLog


async def record(
    *,
    actor_id: int | None,
    action: str,
    target_type: str = "",
    target_id: int | str = "",
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Append one entry; joins the caller's transaction when there is one."""
    await AuditLog.insert(
        AuditLog(
            actor=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            data=json.dumps(data or {}, default=str),
            ip=ip[:45],
        )
    )


async def entries_for_target(target_type: str, target_id: int | str) -> list[dict[str, Any]]:
    """The entries about one target, newest first, with the actor's username."""
    return (
        await AuditLog.select(
            AuditLog.id,
            AuditLog.action,
            AuditLog.data,
            AuditLog.at,
            AuditLog.ip,
            AuditLog.actor.username.as_alias("actor_username"),
        )
        .where((AuditLog.target_type == target_type) & (AuditLog.target_id == str(target_id)))
        .order_by(AuditLog.id, ascending=False)
        .limit(50)
    )
