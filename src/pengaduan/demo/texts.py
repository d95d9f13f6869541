"""Generated complaint texts that depend on their category the way real ones do, not a give-away:
mostly the category's own words in varied sentences, some mentioning a neighbouring problem,
some reading like another category altogether (the officer decided otherwise), some saying
hardly anything, some in chat spelling. Drawn from demo.phrases with the caller's generator."""

from __future__ import annotations

import random
import re

from pengaduan.demo.phrases import PHRASES

# Where a category's complaints are easily confused: a complaint of one may read like one of
# these (and mention them).
NEIGHBOURS = {
    "Jalan Rusak": ["Drainase dan Banjir", "Lampu Jalan"],
    "Drainase dan Banjir": ["Jalan Rusak", "Sampah dan Kebersihan"],
    "Sampah dan Kebersihan": ["Drainase dan Banjir", "Ketertiban Umum"],
    "Administrasi Kependudukan": ["Pungutan Liar", "Layanan Kesehatan"],
    "Lampu Jalan": ["Jalan Rusak", "Transportasi Umum"],
    "Transportasi Umum": ["Ketertiban Umum", "Lampu Jalan"],
    "Layanan Kesehatan": ["Pungutan Liar", "Administrasi Kependudukan"],
    "Ketertiban Umum": ["Transportasi Umum", "Sampah dan Kebersihan"],
    "Pungutan Liar": ["Administrasi Kependudukan", "Layanan Kesehatan"],
}

OPENERS = [
    "",
    "",
    "Selamat pagi.",
    "Assalamualaikum, saya warga setempat.",
    "Lapor,",
    "Dengan hormat,",
    "Saya ingin menyampaikan keluhan.",
]
TIMES = [
    "sejak dua minggu lalu",
    "sudah lebih dari sebulan",
    "sejak awal tahun",
    "sejak musim hujan",
    "hampir setiap hari",
    "sudah berkali-kali",
]
CLOSERS = [
    "",
    "Terima kasih.",
    "Mohon segera ditindaklanjuti.",
    "Warga sudah resah.",
    "Sudah pernah dilaporkan tetapi belum ada tanggapan.",
    "Terima kasih atas perhatiannya.",
]
# Complaints that say little about what they are about.
VAGUE_TITLES = [
    "Mohon ditindaklanjuti",
    "Keluhan warga",
    "Laporan masalah di {where}",
    "Tolong dibantu",
    "Belum ada tanggapan",
]
VAGUE_BODIES = [
    "Masalah di {where} belum juga ditangani. Mohon segera ada tindakan dari dinas terkait.",
    "Sudah lama kami menunggu tanpa kejelasan. Warga di {where} sangat dirugikan.",
    "Mohon bantuannya, kondisi di {where} makin parah dan belum ada petugas yang datang.",
]
# The chat spelling some citizens write in (applied to whole words).
CHAT_SPELLING = {
    "yang": "yg",
    "tidak": "gak",
    "dengan": "dgn",
    "sudah": "udah",
    "jalan": "jln",
    "untuk": "utk",
    "belum": "blm",
    "karena": "krn",
}

# Of every 100 complaints: read like a neighbouring category, say hardly anything, mention a
# neighbour's problem too, written in chat spelling.
LIKE_A_NEIGHBOUR = 0.08
VAGUE = 0.07
MENTIONS_A_NEIGHBOUR = 0.2
CHAT = 0.15

_CHAT_WORDS = re.compile(r"\b(" + "|".join(CHAT_SPELLING) + r")\b")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _problem(rng: random.Random, phrases: dict[str, list[str]], where: str) -> str:
    subject = rng.choice(phrases["subjects"]).format(where=where)
    return f"{subject} {rng.choice(phrases['problems'])} {rng.choice(TIMES)}."


def compose(rng: random.Random, category: str, place: str) -> tuple[str, str]:
    """A title and a description for a complaint of `category` at `place`."""
    where = place.split(",")[0]
    draw = rng.random()
    if category not in PHRASES or draw < VAGUE:
        return (
            rng.choice(VAGUE_TITLES).format(where=where),
            rng.choice(VAGUE_BODIES).format(where=where),
        )
    if draw < VAGUE + LIKE_A_NEIGHBOUR:
        category = rng.choice(NEIGHBOURS[category])
    phrases = PHRASES[category]
    title = rng.choice(phrases["titles"]).format(where=where)
    parts = [rng.choice(OPENERS), _problem(rng, phrases, where)]
    if rng.random() < 0.7:
        parts.append(rng.choice(phrases["effects"]))
    if rng.random() < MENTIONS_A_NEIGHBOUR:
        other = PHRASES[rng.choice(NEIGHBOURS[category])]
        parts.append("Selain itu, " + _problem(rng, other, where).lower())
    if rng.random() < 0.6:
        parts.append(rng.choice(phrases["asks"]))
    parts.append(rng.choice(CLOSERS))
    body = " ".join(_sentence(p) for p in parts if p)
    if rng.random() < CHAT:
        title, body = title.lower(), _CHAT_WORDS.sub(lambda m: CHAT_SPELLING[m.group(1)], body)
    return title, body
