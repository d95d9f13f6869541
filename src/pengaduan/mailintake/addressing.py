"""Which complaint a reply is about: the per-complaint reply address our mails to a reporter
carry (local+<number>-<signature>@domain, Reply-To), or the complaint's number in the
subject. The signature (keyed with the secret key) keeps anyone from making up an address."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pengaduan.settings import Settings

NUMBER_IN_TEXT = re.compile(r"\bADU-(\d{4})-(\d{6,})\b", re.IGNORECASE)
_TOKEN = re.compile(r"^(adu-\d{4}-\d{6,})-([a-z2-7]{10})$")


def _signature(settings: Settings, number: str) -> str:
    digest = hmac.new(
        settings.secret_key.encode(), f"mail-reply:{number.upper()}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode().lower()[:10]


def reply_address(settings: Settings, number: str) -> str | None:
    """The reply address of complaint `number`; None without a complaints address."""
    addresses = settings.mail_intake_address_list
    if not addresses:
        return None
    local, _at, domain = addresses[0].partition("@")
    return f"{local}+{number.lower()}-{_signature(settings, number)}@{domain}"


def number_in_address(settings: Settings, address: str) -> str | None:
    """The complaint number a reply address stands for, if it is one of ours and its
    signature is right."""
    local, _at, domain = address.strip().lower().partition("@")
    base, plus, token = local.partition("+")
    if not plus:
        return None
    if f"{base}@{domain}" not in settings.mail_intake_address_list:
        return None
    found = _TOKEN.match(token)
    if found is None:
        return None
    number = found.group(1).upper()
    if not hmac.compare_digest(found.group(2), _signature(settings, number)):
        return None
    return number


def number_in_addresses(settings: Settings, addresses: Iterable[str]) -> str | None:
    """The first complaint that one of `addresses` (header values or bare addresses) is the
    reply address of."""
    for _name, address in email.utils.getaddresses(list(addresses)):
        number = number_in_address(settings, address)
        if number:
            return number
    return None


def number_in_subject(subject: str) -> str | None:
    """A complaint number written in the subject ("Re: ... ADU-2026-000123 ...")."""
    found = NUMBER_IN_TEXT.search(subject)
    return f"ADU-{found.group(1)}-{found.group(2)}" if found else None


def reply_address_of(settings: Settings, payload: Mapping[str, Any]) -> str | None:
    """The Reply-To of an outbox mail: the complaint's reply address on mail to its reporter
    about it (its context's `reply_number`, set by notifications.services.mail_for), else
    None."""
    render = payload.get("render")
    context = render.get("context") if isinstance(render, Mapping) else None
    number = context.get("reply_number") if isinstance(context, Mapping) else None
    if not isinstance(number, str) or not NUMBER_IN_TEXT.fullmatch(number):
        return None
    return reply_address(settings, number)
