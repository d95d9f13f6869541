"""Trimming a mail's text to what the sender wrote: the quoted mail a reply carries ("On ...
wrote:", "Pada ... menulis:", "-----Original Message-----", ">" lines) and the signature
("-- " and the lines phones add, "Sent from my iPhone", "Dikirim dari ...") cut off."""

from __future__ import annotations

import re

# Where the quoted mail of a reply begins: everything from there on is cut. The attribution
# line may be wrapped over two lines by the client ("On Mon, ... Budi <\nbudi@x> wrote:").
_QUOTE_HEADERS = re.compile(
    r"^[ \t]*(?:"
    r"(?:On|Pada)\b[^\n]*(?:\n[^\n]*)?\b(?:wrote|menulis)\s*:"
    r"|-{2,}\s*(?:Original Message|Pesan Asli|Forwarded message|Pesan yang diteruskan)\s*-{2,}"
    r"|_{20,}\s*\n\s*(?:From|Dari)\s*:"
    r"|(?:From|Dari)\s*:[^\n]*\n\s*(?:Sent|Dikirim|Date|Tanggal)\s*:"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
# The signature separator (RFC 3676 says "-- "; many clients drop the space).
_SIGNATURE = re.compile(r"^--[ \t]?$", re.MULTILINE)
# What mobile mail apps put under the text; cut only when it is the last thing written.
_MOBILE_LINES = re.compile(
    r"^[ \t]*(?:"
    r"Sent from (?:my |the )?\S[^\n]{0,60}"
    r"|Sent (?:via|with) \S[^\n]{0,60}"
    r"|Dikirim dari \S[^\n]{0,60}"
    r"|Dikirim (?:melalui|via|dengan) \S[^\n]{0,60}"
    r"|Get Outlook for \S[^\n]{0,30}"
    r"|Dapatkan Outlook untuk \S[^\n]{0,30}"
    r")[ \t]*$",
    re.IGNORECASE,
)


def _cut_at(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    return text[: found.start()] if found else text


def trim(text: str) -> str:
    """What the sender wrote in `text` (a mail's plain text), without the mail it quotes or
    the signature under it; "" when it was only those."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _cut_at(_QUOTE_HEADERS, text)
    text = _cut_at(_SIGNATURE, text)
    # Quoted lines anywhere (an answer written between them keeps its own lines).
    lines = [line.rstrip() for line in text.split("\n") if not line.lstrip().startswith(">")]
    while lines and (not lines[-1].strip() or _MOBILE_LINES.match(lines[-1])):
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
