"""SMS text: one message that fits one SMS (GSM-7 aware), and the HTTP gateway that sends it."""

from __future__ import annotations

from typing import Any

import httpx

from pengaduan.settings import Settings

# GSM 03.38: the basic character set (one septet each) and the extension table (two: an
# escape and the character). Anything else makes the whole message UCS-2.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
GSM_LIMIT = 160
UCS2_LIMIT = 70


def is_gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def gsm_length(text: str) -> int:
    """Septets `text` takes in GSM-7 (extension characters count two)."""
    return sum(2 if ch in GSM_EXTENDED else 1 for ch in text)


def ucs2_length(text: str) -> int:
    """UTF-16 code units (a character beyond the BMP, such as an emoji, counts two)."""
    return len(text.encode("utf-16-le")) // 2


def sms_units(text: str) -> tuple[int, int]:
    """(length, limit) of `text` as one SMS: septets of 160 in GSM-7, else units of 70."""
    if is_gsm(text):
        return gsm_length(text), GSM_LIMIT
    return ucs2_length(text), UCS2_LIMIT


def fits(text: str) -> bool:
    length, limit = sms_units(text)
    return length <= limit


def compose(head: str, phrase: str, link: str) -> str:
    """`head` (the complaint number), `phrase` and `link` as one SMS: the phrase is shortened
    (with an ellipsis) until the whole fits; the number and the link are never cut."""
    text = f"{head}: {phrase} {link}".strip()
    if fits(text):
        return text
    words = phrase.split()
    # Shorten word by word; the ellipsis is "..." while the rest is GSM-7 ("…" is not, and
    # would make the whole message UCS-2 with its 70 units).
    while words:
        words.pop()
        kept = f"{head}: {' '.join(words)}"
        ellipsis = "..." if is_gsm(kept + link) else "…"
        candidate = f"{kept}{ellipsis} {link}"
        if fits(candidate):
            return candidate
    # Only an absurdly long address gets here: the gateway splits it, the link stays whole.
    return f"{head} {link}"


def shorten(text: str) -> str:
    """`text` as one SMS: cut word by word (with an ellipsis, GSM-7 when the rest is) until
    it fits; for an answer whose every word may go (a message to a sender)."""
    if fits(text):
        return text
    words = text.split()
    while len(words) > 1:
        words.pop()
        kept = " ".join(words)
        candidate = kept + ("..." if is_gsm(kept) else "…")
        if fits(candidate):
            return candidate
    # One word longer than an SMS: cut within it.
    kept = text.strip()
    while kept and not fits(kept + "..."):
        kept = kept[:-1]
    return kept + "..."


# --- the gateway ----------------------------------------------------------------------------


class GatewayError(Exception):
    """The gateway did not accept the message; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class GatewayUnreachable(GatewayError):
    """No answer at all (connection refused, timeout): the gateway is down for everyone."""


class SmsGateway:
    """One HTTP client for a batch: a JSON POST per message with the bearer token."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        headers = {"Accept": "application/json", "User-Agent": "pengaduan-outbox"}
        if settings.sms_gateway_token:
            headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.sms_gateway_timeout), headers=headers
        )

    def body(self, *, to: str, text: str, reference: str) -> dict[str, Any]:
        return {
            "to": to,
            "text": text,
            "sender": self.settings.sms_sender,
            "channel": self.settings.sms_channel,
            "reference": reference,
        }

    async def send(self, *, to: str, text: str, reference: str) -> None:
        """Hand one message over; raises GatewayError unless the gateway answered 2xx.

        `reference` is the same on every attempt (also the Idempotency-Key header), so a
        gateway that saw the message before can drop the copy.
        """
        try:
            response = await self.client.post(
                self.settings.sms_gateway_url,
                json=self.body(to=to, text=text, reference=reference),
                headers={"Idempotency-Key": reference},
            )
        except httpx.TimeoutException as exc:
            raise GatewayUnreachable(f"timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise GatewayUnreachable(f"cannot connect: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return
        status = response.status_code
        detail = " ".join(response.text.split())[:150]
        permanent = 400 <= status < 500 and status not in (408, 425, 429)
        raise GatewayError(f"HTTP {status}: {detail}", permanent=permanent)

    async def close(self) -> None:
        await self.client.aclose()
