"""Form keys on what a complaint's conversation creates (messages, replies, internal notes,
ratings; a new complaint's key is checked by complaints.filing): each form carries a fresh key (`templates/_forms.html` form_key), stored with the row
it creates under a unique constraint, so the same form sent twice (a double tap, a resend after
a lost answer) stores one row and the second request gets the first one's result.

Callers look the key up after locking the complaint row: two requests with one key on one
complaint are serialised by that lock, and the second sees the first's committed row.
"""

from __future__ import annotations

from pengaduan.complaints.tables import Message, Rating
from pengaduan.errors import CONFLICT, Refused
from pengaduan.i18n import _


def conflict() -> Refused:
    """The refusal of a form whose key belongs to another person's or another complaint's row:
    a copied or forged form."""
    return Refused(_("This form cannot be sent. Open a new form."), CONFLICT)


async def earlier_message(key: str | None, author_id: int, complaint_id: int) -> bool:
    """Whether this form already stored its message (then the caller stores nothing)."""
    if not key:
        return False
    row = (
        await Message.select(Message.complaint, Message.author)
        .where(Message.idempotency_key == key)
        .first()
    )
    if row is None:
        return False
    if row["author"] != author_id or row["complaint"] != complaint_id:
        raise conflict()
    return True


async def earlier_rating(key: str | None, complaint_id: int) -> bool:
    """Whether this form already stored the complaint's rating (the reporter's, checked by the
    caller's lock)."""
    if not key:
        return False
    row = await Rating.select(Rating.complaint).where(Rating.idempotency_key == key).first()
    if row is None:
        return False
    if row["complaint"] != complaint_id:
        raise conflict()
    return True
