"""The terms a complaint's text is counted and matched by: lower case, letters and digits only,
everyday short forms written out, a short list of Indonesian stop words left out, and the
possessive "-nya" taken off ("jalannya" is "jalan"). The same function serves the learning
and the suggesting, so both always see the same terms."""

from __future__ import annotations

import re
import unicodedata

# Longer tokens are pasted links, codes or keyboard noise: never a category's word.
LONGEST = 32
# A text's first terms are enough to place it; a pasted letter costs no more than a page.
MOST = 100

_TOKEN = re.compile(r"[a-z0-9]+")
# "anak2", "sampah2": the Indonesian plural written with a 2.
_PLURAL_TWO = re.compile(r"^([a-z]{3,})2$")

# Chat spellings of common words (SMS, WhatsApp), written out so both forms count as one.
SHORT_FORMS = {
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "tdk": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "nggak": "tidak",
    "enggak": "tidak",
    "blm": "belum",
    "sdh": "sudah",
    "udh": "sudah",
    "udah": "sudah",
    "krn": "karena",
    "jln": "jalan",
    "jl": "jalan",
    "sy": "saya",
    "kmi": "kami",
    "dr": "dari",
    "bgt": "banget",
    "tlg": "tolong",
    "mhn": "mohon",
    "trs": "terus",
    "lg": "lagi",
    "pdhl": "padahal",
    "org": "orang",
}

# Words every kind of complaint uses: they say nothing about its category.
STOP_WORDS = frozenset(
    """
    ada adalah agar akan aku anda apa atas atau bagi bahwa bapak banget baru belum beberapa
    begitu bisa bu dan dalam dapat dari deh dengan di dia dong harus hal hanya hari ia ibu ini
    itu jadi jika juga kalau kami kamu karena ke kemudian kenapa kepada kini kita kok lagi lain
    lalu lebih mana masih mau melalui mengapa menjadi mereka minta mohon namun nih oleh pada
    padahal pak para pun saat saja salah sama sampai sangat saya sebagai sebelum sedang sehingga
    sejak selama seperti sering setelah setiap sih sini situ sudah supaya tapi telah tersebut
    terus tetapi tidak tolong tuh untuk warga ya yang
    """.split()
)


def _plain(text: str) -> str:
    """Lower case without accents (é → e), so a pasted or autocorrected word still matches."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _term(token: str) -> str | None:
    token = SHORT_FORMS.get(token, token)
    plural = _PLURAL_TWO.match(token)
    if plural:
        token = plural.group(1)
    if token.endswith("nya") and len(token) > 5:
        token = token[:-3]
    if len(token) < 2 or len(token) > LONGEST or token.isdigit() or token in STOP_WORDS:
        return None
    return token


def terms_of(text: str) -> list[str]:
    """The distinct terms of `text` in the order they first appear, at most MOST of them."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(_plain(text)):
        term = _term(token)
        if term is not None and term not in seen:
            seen[term] = None
            if len(seen) == MOST:
                break
    return list(seen)


def complaint_text(title: str, body: str) -> str:
    """What a complaint is classified by: its title and its description."""
    return f"{title}\n{body}"
