"""What a WhatsApp/SMS message asks for, read from its first word (no database).

`ADUAN <text>` files a complaint; `LAPOR <text>` too, because LAPOR! (the national complaint
service) taught many citizens that word. `CEK <number> <tracking code>` asks for a status.
`BERHENTI` (or STOP) turns the status messages off, `MULAI` (or START) on again.
Keywords are read in any case, and may be followed by the separators people type after them
("ADUAN: ...", "LAPOR! ...", "cek#ADU-2026-000123#K3D8"). Anything else is answered with help.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pengaduan.complaints.forms import TITLE_MIN

FILE_KEYWORDS = ("ADUAN", "LAPOR")
CHECK_KEYWORDS = ("CEK",)
# Status messages off and on again (a reporter without an account gets them by default).
STOP_KEYWORDS = ("BERHENTI", "STOP")
START_KEYWORDS = ("MULAI", "START")
# A complaint's title: its first line, at most this many words and characters.
TITLE_WORDS = 10
TITLE_CHARS = 80

_KEYWORD = re.compile(
    r"\A\s*(?P<keyword>"
    + "|".join(FILE_KEYWORDS + CHECK_KEYWORDS + STOP_KEYWORDS + START_KEYWORDS)
    + r")\b"
    r"[\s:#,.!\-]*(?P<rest>.*)\Z",
    re.IGNORECASE | re.DOTALL,
)
_CHECK_SEPARATORS = re.compile(r"[\s#,;:]+")


@dataclass(frozen=True)
class Command:
    """`kind` is "file" (with `text`), "check" (with `number` and `code`; either may be empty
    when the sender left it out), "stop", "start" or "help"."""

    kind: str
    text: str = ""
    number: str = ""
    code: str = ""


def parse(message: str) -> Command:
    """The command `message` gives."""
    found = _KEYWORD.match(message)
    if found is None:
        return Command("help")
    keyword, rest = found["keyword"].upper(), found["rest"].strip()
    if keyword in FILE_KEYWORDS:
        return Command("file", text=rest)
    if keyword in STOP_KEYWORDS:
        return Command("stop")
    if keyword in START_KEYWORDS:
        return Command("start")
    parts = [part for part in _CHECK_SEPARATORS.split(rest) if part]
    number = parts[0] if parts else ""
    # The tracking code is read without its spaces (tracking.normalise_code): "K3D8 9QX2" too.
    return Command("check", number=number, code="".join(parts[1:]))


def title_of(text: str) -> str:
    """The complaint's title: the first line's first words, "…" where they were cut (the
    text's first words when the first line is too short to be a title)."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    words = first_line.split()
    if len(first_line) < TITLE_MIN:
        words = text.split()
    title = " ".join(words[:TITLE_WORDS])
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0] or title[:TITLE_CHARS]
    return title + ("…" if title != " ".join(words) else "")
