"""Notifications in the reader's language: notifications.params (jsonb, NULL allowed) holds a
notification's parameters (complaint number, status code, what someone wrote), from which
notifications.texts writes the title and body when someone reads it.

Existing rows were stored as text in one language. Their texts are read back here: a title
the code wrote (in Indonesian or English, as of this migration) for the row's kind gives the
complaint number, and the body gives the rest (the new status's label, the reason, the
reply, the complaint's title, or the overdue complaint's title and unit). A row whose text is
not recognised keeps params NULL and is shown as written (title and body stay on every row).

The patterns are copied here, not imported: a migration must keep meaning what it meant when
written, whatever the code says later. Rows are read and updated in batches of 2,000 by id,
so a large table is not held in memory at once.
"""

import json
import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications.params: kind and parameters, rendered in the reader's language"

BATCH = 2000


class RawSQL(Table, tablename="notifications"):
    pass


NUMBER = r"(?P<number>\S+)"
# Per kind: the titles the code wrote for it, English then Indonesian.
TITLES = {
    "submitted": ["Complaint {n} received", "Pengaduan {n} diterima"],
    "verified": ["Your complaint {n} has been verified", "Pengaduan Anda {n} telah diverifikasi"],
    "rejected": ["Your complaint {n} was rejected", "Pengaduan Anda {n} ditolak"],
    "in_progress": ["Your complaint {n} is being handled", "Pengaduan Anda {n} sedang diproses"],
    "resolved": [
        "Your complaint {n} has been resolved",
        "Pengaduan Anda {n} telah selesai ditangani",
    ],
    "closed": ["Your complaint {n} is closed", "Pengaduan Anda {n} ditutup"],
    "withdrawn": ["You withdrew complaint {n}", "Anda mencabut pengaduan {n}"],
    "reply": ["New reply on your complaint {n}", "Balasan baru pada pengaduan Anda {n}"],
    "message": ["New message from the reporter of {n}", "Pesan baru dari pelapor {n}"],
    "assigned": ["Complaint {n} is assigned to you", "Pengaduan {n} ditugaskan kepada Anda"],
    "reopened": [
        "Complaint {n} was reopened by the reporter",
        "Pengaduan {n} dibuka kembali oleh pelapor",
    ],
    "overdue": ["Complaint {n} is overdue", "Pengaduan {n} melewati tenggat"],
}
TITLE_PATTERNS = {
    kind: [re.compile("^" + re.escape(t).replace(re.escape("{n}"), NUMBER) + "$") for t in titles]
    for kind, titles in TITLES.items()
}
# The body of a status change that carried no reason: the status's label.
STATUS_LABELS = {
    "verified": {"Verified", "Terverifikasi"},
    "rejected": {"Rejected", "Ditolak"},
    "in_progress": {"In progress", "Diproses"},
    "resolved": {"Resolved", "Selesai"},
    "closed": {"Closed", "Ditutup"},
    "withdrawn": {"Withdrawn", "Dicabut"},
}
OVERDUE_BODIES = [
    re.compile(r"^(?P<title>.*) \((?P<unit>[^()]*)\) was due and is still open\.$", re.S),
    re.compile(
        r"^(?P<title>.*) \((?P<unit>[^()]*)\) sudah melewati tenggat dan masih terbuka\.$", re.S
    ),
]
# Whose body is what someone wrote, and whose is the complaint's title.
TEXT_KINDS = {"reply", "message", "reopened"}
TITLE_KINDS = {"submitted", "assigned"}


def params_of(kind: str, title: str, body: str) -> dict | None:
    """The parameters that the stored texts were written from; None when not recognised."""
    number = None
    for pattern in TITLE_PATTERNS.get(kind, []):
        match = pattern.match(title)
        if match:
            number = match["number"]
            break
    if number is None:
        return None
    if kind in STATUS_LABELS:
        params = {"number": number, "status": kind}
        if body and body not in STATUS_LABELS[kind]:
            params["text"] = body  # the reason of a rejection, the official response
        return params
    if kind in TEXT_KINDS:
        return {"number": number, "text": body}
    if kind in TITLE_KINDS:
        return {"number": number, "title": body}
    for pattern in OVERDUE_BODIES:  # kind == "overdue"
        match = pattern.match(body)
        if match:
            return {"number": number, "title": match["title"], "unit": match["unit"]}
    return None


async def convert_rows() -> int:
    """Fill params of the rows whose texts are recognised; returns how many."""
    converted = 0
    last = 0
    while True:
        rows = await RawSQL.raw(
            "SELECT id, kind, title, body FROM notifications"
            " WHERE id > {} AND params IS NULL ORDER BY id LIMIT {}",
            last,
            BATCH,
        )
        if not rows:
            return converted
        last = rows[-1]["id"]
        ids, values = [], []
        for row in rows:
            params = params_of(row["kind"], row["title"], row["body"])
            if params is not None:
                ids.append(row["id"])
                values.append(json.dumps(params, ensure_ascii=False))
        if ids:
            await RawSQL.raw(
                "UPDATE notifications n SET params = v.params::jsonb"
                " FROM unnest({}::int[], {}::text[]) AS v(id, params) WHERE n.id = v.id",
                ids,
                values,
            )
            converted += len(ids)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        await RawSQL.raw(
            "ALTER TABLE notifications ADD COLUMN IF NOT EXISTS params jsonb DEFAULT null"
        )
        await convert_rows()

    async def run_backwards():
        await RawSQL.raw("ALTER TABLE notifications DROP COLUMN IF EXISTS params")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
