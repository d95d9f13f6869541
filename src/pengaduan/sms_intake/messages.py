"""An inbound message as the gateway posts it (JSON), read and checked; no database.

    {"id": "wamid.HBgM...", "from": "+6281234567890", "text": "ADUAN ...",
     "channel": "whatsapp", "media": [{"url": "https://...", "content_type": "image/jpeg"}]}

`id` is the provider's message id (unique per message, the same when delivered again);
`channel` is "whatsapp" or "sms" (the gateway's own channel when left out); `media` holds
links to the photos sent with a WhatsApp message (objects with "url", or plain strings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pengaduan.accounts.fields import normalise_phone, phone_problem
from pengaduan.web.values import readable

CHANNELS = ("whatsapp", "sms")
ID_MAX = 180
TEXT_MAX = 10_000
MEDIA_MAX = 20
URL_MAX = 2000
# How some gateways write the sender ("whatsapp:+62...", "tel:+62...").
_SENDER_PREFIXES = ("whatsapp:", "tel:", "sms:")


class BadPayload(ValueError):
    """The gateway sent something this contract does not describe (for the gateway's
    operator: said in the answer, never to a citizen)."""


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str  # normalised: +62...
    text: str
    channel: str
    media: tuple[str, ...]

    @property
    def key(self) -> str:
        """What makes the message unique: its provider id within its channel."""
        return f"{self.channel}:{self.message_id}"


def _string(payload: dict, name: str, *, limit: int, required: bool = True) -> str:
    value = payload.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadPayload(f"{name!r} must be a string")
    if required and not value.strip():
        raise BadPayload(f"{name!r} is required")
    if len(value) > limit:
        raise BadPayload(f"{name!r} is longer than {limit} characters")
    if not readable(value):
        raise BadPayload(f"{name!r} holds characters that cannot be stored")
    return value


def _media(payload: dict) -> tuple[str, ...]:
    items = payload.get("media") or []
    if not isinstance(items, list) or len(items) > MEDIA_MAX:
        raise BadPayload(f"'media' must be a list of at most {MEDIA_MAX} links")
    urls = []
    for item in items:
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str) or not url or len(url) > URL_MAX or not readable(url):
            raise BadPayload("each of 'media' must be a link or an object with a 'url'")
        urls.append(url)
    return tuple(urls)


def read(raw: bytes, *, default_channel: str) -> Inbound:
    """The message in `raw`; BadPayload saying what is wrong with it."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadPayload("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadPayload("the body must be a JSON object")
    message_id = _string(payload, "id", limit=ID_MAX).strip()
    sender = _string(payload, "from", limit=64).strip()
    for prefix in _SENDER_PREFIXES:
        sender = sender.removeprefix(prefix)
    sender = normalise_phone(sender)
    if phone_problem(sender):
        raise BadPayload("'from' is not a phone number")
    channel = _string(payload, "channel", limit=16, required=False) or default_channel
    if channel not in CHANNELS:
        raise BadPayload(f"'channel' must be one of {', '.join(CHANNELS)}")
    return Inbound(
        message_id=message_id,
        sender=sender,
        text=_string(payload, "text", limit=TEXT_MAX, required=False),
        channel=channel,
        media=_media(payload),
    )
