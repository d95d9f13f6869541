"""The document an outside agency receives for a complaint handed over to it: what it needs
to handle the complaint, and nothing more.

What it carries, and why:
- the number (the agency quotes it in its updates), title, body, category, location (text and
  coordinates), when it was submitted and handed over, and the officer's hand-over note (why it
  is theirs);
- the evidence as links signed for that agency and limited in time (EVIDENCE_LINK_DAYS):
  evidence is never public here, so there are no public URLs to give; a link lets the agency
  fetch the file without an account, and stops working when the complaint is no longer
  theirs or the time is up. Name, type, size and SHA-256 let it check what it fetched;
- the reporter's contact (name, email, phone) only when the complaint is not anonymous: the
  agency may have to ask the reporter something or go and see. Never the NIK or the address,
  which handling a complaint does not need; an anonymous complaint carries `"reporter": null`
  and nothing else that could name them;
- where to send updates (`updates_url`).
Never internal notes, officers' names or the status history: those are our side's.

The document is built when it is sent (not when it is queued), so the reporter's phone
number, encrypted at rest, is decrypted only then and never sits in the outbox in clear.
"""

from __future__ import annotations

from typing import Any

from pengaduan import db
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.handover import evidence_links
from pengaduan.settings import Settings

VERSION = "pengaduan.handover/1"

_COMPLAINT_SQL = """
SELECT c.id, c.number, c.title, c.body, c.location_text, c.latitude, c.longitude,
       c.submitted_at, c.handed_at, c.handed_to, c.is_anonymous,
       k.name AS category, u.name AS unit,
       r.full_name AS reporter_name, r.email AS reporter_email,
       r.phone_encrypted AS reporter_phone
FROM complaints c
JOIN categories k ON k.id = c.category
JOIN units u ON u.id = c.unit
JOIN users r ON r.id = c.reporter
WHERE c.id = $1
"""

_EVIDENCE_SQL = """
SELECT id, original_name, mime_type, size, sha256 FROM evidence_files
WHERE complaint = $1 ORDER BY id
"""


def updates_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + "/antarmuka/instansi-luar/v1/pembaruan"


async def complaint_row(complaint_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow(_COMPLAINT_SQL, complaint_id)
    return dict(row) if row else None


async def build(
    complaint: dict[str, Any], agency_id: int, note: str, settings: Settings
) -> dict[str, Any]:
    """The document for `complaint` (a `complaint_row`) handed to `agency_id`."""
    reporter = None
    if not complaint["is_anonymous"]:
        reporter = {
            "name": complaint["reporter_name"],
            "email": complaint["reporter_email"],
            "phone": cipher_for(settings).decrypt(complaint["reporter_phone"]),
        }
    evidence = [
        {
            "name": row["original_name"],
            "mime_type": row["mime_type"],
            "size": row["size"],
            "sha256": row["sha256"],
            "url": evidence_links.link(settings, agency_id, row["id"]),
        }
        for row in await db.fetch(_EVIDENCE_SQL, complaint["id"])
    ]
    return {
        "version": VERSION,
        "number": complaint["number"],
        "title": complaint["title"],
        "body": complaint["body"],
        "category": complaint["category"],
        "location": {
            "text": complaint["location_text"],
            "latitude": complaint["latitude"],
            "longitude": complaint["longitude"],
        },
        "submitted_at": complaint["submitted_at"].isoformat(),
        "handed_at": complaint["handed_at"].isoformat() if complaint["handed_at"] else None,
        "from_unit": complaint["unit"],
        "note": note,
        "reporter": reporter,
        "evidence": evidence,
        "updates_url": updates_url(settings),
    }
