"""Whether a mail's sender is who its From says, as the agency's own mail server found
(RFC 8601 Authentication-Results, from the server named by PENGADUAN_MAIL_INTAKE_AUTHSERV_ID):
DMARC passed, or DKIM or SPF passed for the From's domain. Without that setting nothing is
checked (From can then be forged: README, "Complaints by email")."""

from __future__ import annotations

import re

from pengaduan.mailintake.reading import IncomingMail
from pengaduan.settings import Settings

_RESULT = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*(\w+)([^;]*)", re.IGNORECASE)
_DOMAIN_PROPERTY = re.compile(
    r"\b(?:header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*\"?([^\s;\"]+)", re.I
)


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip().rstrip(".").lower()


def _aligned(domain: str, sender_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one is a subdomain of the other."""
    return bool(domain) and (
        domain == sender_domain
        or sender_domain.endswith("." + domain)
        or domain.endswith("." + sender_domain)
    )


def _passes(results: str, sender_domain: str) -> bool:
    for method, verdict, properties in _RESULT.findall(results):
        if verdict.lower() != "pass":
            continue
        if method.lower() == "dmarc":
            return True
        domains = [_domain_of(d) for d in _DOMAIN_PROPERTY.findall(properties)]
        if any(_aligned(d, sender_domain) for d in domains):
            return True
    return False


def authenticated(mail: IncomingMail, settings: Settings) -> bool:
    """True when no check is set up, or the trusted server vouched for the From's domain."""
    trusted = settings.mail_intake_authserv_id.strip().lower()
    if not trusted:
        return True
    sender_domain = _domain_of(mail.sender)
    for header in mail.message.get_all("Authentication-Results") or []:
        server, _sep, results = str(header).partition(";")
        words = server.split()
        if not words or words[0].lower() != trusted:
            continue  # another server's word (or one forged by the sender) counts for nothing
        if _passes(results, sender_domain):
            return True
    return False
