"""Validation of the Indonesian NIK (Nomor Induk Kependudukan) and what its digits tell."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

from pengaduan.i18n import _

NIK_LENGTH = 16

# Kemendagri province codes (the ones Dukcapil puts in the NIK, not BPS's), 38 provinces.
# 93-96 are the Papua provinces created in 2022; there is no 97.
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

# Women's NIKs carry the day of birth plus 40.
FEMALE_DAY_OFFSET = 40

# People copy the NIK as printed or as they read it aloud in groups: "3171 0123 ...",
# "31.71.01...", "3171-01...". Every kind of dash and space counts.
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")


def normalise_nik(raw: str) -> str:
    """The NIK without spaces, dots and dashes (full-width digits made ASCII)."""
    # NFKC turns full-width digits typed on some phone keyboards into 0-9.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))


def _century_year(yy: int, today: date) -> int:
    # A two-digit year that would lie after this year belongs to the 1900s. The current
    # year itself stays in the 2000s so that a date later this year is reported as
    # lying in the future (a typo far likelier than a centenarian).
    year = 2000 + yy
    return year - 100 if year > today.year else year


def _read_birth_date(digits: str, today: date) -> tuple[date, bool] | None:
    """The birth date and whether the NIK is a woman's, or None when digits 7-12 are no date."""
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day > FEMALE_DAY_OFFSET
    if female:
        day -= FEMALE_DAY_OFFSET
    try:
        return date(_century_year(yy, today), month, day), female
    except ValueError:
        return None


def validate_nik(raw: str, *, today: date | None = None) -> tuple[str, list[str]]:
    """The normalised NIK and a translated message for each problem found (none: valid)."""
    today = today or date.today()
    nik = normalise_nik(raw)
    problems: list[str] = []

    others = sorted({c for c in nik if c not in "0123456789"})
    digit_count = sum(1 for c in nik if c in "0123456789")
    if others:
        problems.append(
            _(
                "The NIK may contain only digits (0 to 9); please remove these characters: "
                "%(characters)s.",
                characters=", ".join(f'"{c}"' for c in others),
            )
        )
    if digit_count != NIK_LENGTH:
        problems.append(
            _("The NIK must have exactly 16 digits; you typed %(count)d.", count=digit_count)
        )
    if problems:
        # The positions below only mean something in a 16-digit NIK.
        return nik, problems

    if len(set(nik)) == 1:
        # Made-up filler: every other check would only echo this one problem.
        return nik, [
            _(
                "The NIK cannot be one digit repeated (%(nik)s); please copy it from your "
                "KTP or Family Card (KK).",
                nik=nik,
            )
        ]

    if nik[0:2] not in PROVINCES:
        problems.append(
            _(
                "The NIK starts with %(code)s, which is not the code of an Indonesian "
                "province; please check the first two digits on your KTP.",
                code=nik[0:2],
            )
        )
    if nik[2:4] == "00":
        problems.append(_("Digits 3 and 4 of the NIK (the regency or city code) cannot be 00."))
    if nik[4:6] == "00":
        problems.append(_("Digits 5 and 6 of the NIK (the district code) cannot be 00."))

    birth = _read_birth_date(nik, today)
    if birth is None:
        problems.append(
            _(
                "Digits 7 to 12 of the NIK (%(digits)s) are not a date of birth written as "
                "DDMMYY; for women the day is increased by 40 (41 to 71).",
                digits=nik[6:12],
            )
        )
    elif birth[0] > today:
        problems.append(
            _(
                "The date of birth in the NIK (%(date)s) is in the future.",
                date=birth[0].strftime("%d-%m-%Y"),
            )
        )
    return nik, problems


def _valid(nik: str, today: date | None) -> tuple[date, bool]:
    digits = normalise_nik(nik)
    today = today or date.today()
    if len(digits) != NIK_LENGTH or not digits.isascii() or not digits.isdigit():
        raise ValueError("not a 16-digit NIK")
    birth = _read_birth_date(digits, today)
    if birth is None:
        raise ValueError("the NIK holds no valid date of birth")
    return birth


def nik_birth_date(nik: str, *, today: date | None = None) -> date:
    """The date of birth encoded in a valid NIK (ValueError when there is none)."""
    return _valid(nik, today)[0]


def nik_sex(nik: str) -> Literal["female", "male"]:
    """The sex encoded in a valid NIK: women's day of birth is increased by 40."""
    return "female" if _valid(nik, None)[1] else "male"
