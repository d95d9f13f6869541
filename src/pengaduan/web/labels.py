"""Translated names for the codes the domain stores (roles, statuses, priorities, channels)."""

from __future__ import annotations

from pengaduan.complaints import statuses
from pengaduan.i18n import _


def role_label(role: str) -> str:
    return {
        "citizen": _("Citizen"),
        "officer": _("Officer"),
        "admin": _("Admin"),
        "agency": _("Outside agency"),
    }.get(role, role)


def status_label(status: str) -> str:
    return statuses.label(status)


def priority_label(priority: str) -> str:
    return {
        "low": _("Low"),
        "normal": _("Normal"),
        "high": _("High"),
        "urgent": _("Urgent"),
    }.get(priority, priority)


def channel_label(channel: str) -> str:
    """How a complaint came in (complaints.channel)."""
    return {
        "web": _("Web form"),
        "api": _("API"),
        "open311": _("Open311"),
        "email": _("Email"),
        "whatsapp": _("WhatsApp"),
        "sms": _("SMS"),
    }.get(channel, channel)
