"""Telling people: in-app notifications, and mail through the outbox, in each recipient's language."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pengaduan.accounts.tables import User
from pengaduan.events import publish
from pengaduan.notifications.mail import render_mail
from pengaduan.notifications.outbox import enqueue_email
from pengaduan.notifications.tables import Notification
from pengaduan.settings import get_settings
from pengaduan.web import i18n


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate for someone else (the recipient) for a while."""
    previous = i18n.get_locale()
    i18n.set_locale(language)
    try:
        yield
    finally:
        i18n.set_locale(previous)


async def recipients(user_ids: list[int]) -> list[dict[str, Any]]:
    """Active users with what is needed to reach them (language, confirmed email)."""
    if not user_ids:
        return []
    return await User.select(
        User.id, User.full_name, User.email, User.email_confirmed_at, User.language
    ).where(User.id.is_in(list(set(user_ids))) & User.is_active.eq(True))


async def notify(
    user: dict[str, Any],
    *,
    kind: str,
    title: str,
    body: str = "",
    complaint_id: int | None = None,
) -> None:
    """One in-app notification (text already in the user's language); joins the transaction."""
    await Notification.insert(
        Notification(
            user=user["id"],
            kind=kind,
            title=title[:200],
            body=body,
            complaint=complaint_id,
            is_read=False,
        )
    )
    # The bell listens on the user's channel.
    await publish([f"user_{user['id']}"], {"event": "notification"})


async def mail(user: dict[str, Any], template: str, context: dict[str, Any], kind: str) -> None:
    """Mail through the outbox, only to a confirmed address (no other mail may go to one).

    A `link` in the context that is a path becomes an absolute address on this site.
    """
    if not user.get("email") or user.get("email_confirmed_at") is None:
        return
    context = {"full_name": user["full_name"], **context}
    if str(context.get("link", "")).startswith("/"):
        context["link"] = get_settings().base_url + context["link"]
    rendered = render_mail(template, context, user["language"])
    await enqueue_email(to=user["email"], mail=rendered, kind=kind)


async def unread_count(user_id: int) -> int:
    return await Notification.count().where(
        (Notification.user == user_id) & Notification.is_read.eq(False)
    )
