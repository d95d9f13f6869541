"""Live events: small messages (ids only) on PostgreSQL channels.

Sent with pg_notify inside the caller's transaction, so PostgreSQL delivers them when (and
only if) it commits, to listeners on every worker and host. Channel names: `user_<id>`,
`complaint_<id>`, `queue_<unit id>`, `stats`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pengaduan.audit.tables import AuditLog


async def publish(channels: Iterable[str], event: dict[str, Any]) -> None:
    payload = json.dumps(event, separators=(",", ":"))
    for channel in dict.fromkeys(channels):
        await AuditLog.raw("SELECT pg_notify({}, {})", channel, payload)
