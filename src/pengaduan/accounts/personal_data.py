"""Personal data at rest: Fernet encryption with key rotation, and the NIK's blind index."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from pengaduan.accounts.nik import normalise_nik
from pengaduan.db import ENGINE
from pengaduan.memo import keep
from pengaduan.settings import Settings

# The columns of `users` that hold ciphertext; every one is rotated with the others.
ENCRYPTED_COLUMNS = ("nik_encrypted", "phone_encrypted", "address_encrypted")
# Opened tokens kept per cipher (PersonalDataCipher.decrypt): a few hundred KiB at most.
MAX_OPENED = 4096


class UndecryptableData(Exception):
    """No configured key opens this ciphertext (a key was dropped too early, or it is corrupt)."""


class PersonalDataCipher:
    """Encrypts under the newest key, decrypts under any: keys are given newest first."""

    def __init__(self, keys: Sequence[str], blind_index_key: str) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed (PENGADUAN_ENCRYPTION_KEYS)")
        if not blind_index_key:
            raise ValueError("a blind index key is needed (PENGADUAN_BLIND_INDEX_KEY)")
        fernets = [Fernet(key) for key in keys]
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self._blind_key = blind_index_key.encode("utf-8")
        self._opened: dict[str, str] = {}

    def encrypt(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self._all.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """The plaintext of `token`. A token opens to the same text under the same keys every
        time (each encryption makes a new one), so the last MAX_OPENED opened are kept: the
        account page shows three on every visit, and opening one (an HMAC, then AES) was
        about 5 % of its time under load. This cipher is built per set of keys, so a key
        change starts with none kept."""
        if token is None:
            return None
        text = self._opened.get(token)
        if text is not None:
            return text
        try:
            text = self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise UndecryptableData(
                "personal data cannot be decrypted with any configured key"
            ) from exc
        return keep(self._opened, token, text, MAX_OPENED)

    def kept(self) -> int:
        """How many opened tokens this cipher keeps (tests)."""
        return len(self._opened)

    def rotate(self, token: str) -> str:
        """The same plaintext under the newest key (the original timestamp is kept)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise UndecryptableData(
                "personal data cannot be decrypted with any configured key"
            ) from exc

    def needs_rotation(self, token: str) -> bool:
        # Fernet tokens name no key, so the only test is whether the newest key opens it.
        try:
            self._newest.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return True
        return False

    def blind_index(self, nik: str) -> str:
        """Keyed hash of the NIK: equal NIKs give equal values, which the unique index needs.

        Keyed, because a plain hash of 16 digits with a known structure is brute-forced
        in minutes; without the key the index reveals nothing.
        """
        digits = normalise_nik(nik).encode("ascii")
        return hmac.new(self._blind_key, digits, hashlib.sha256).hexdigest()

    def keyed_hash(self, value: str) -> str:
        """Keyed hash of any identifying text (a contact-only reporter's address), under
        the same key as the NIK's index: found again without being stored in the clear."""
        return hmac.new(self._blind_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


@cache
def _cipher(keys: tuple[str, ...], blind_index_key: str) -> PersonalDataCipher:
    return PersonalDataCipher(keys, blind_index_key)


def cipher_for(settings: Settings) -> PersonalDataCipher:
    """The cipher for the settings' keys, built once per set of keys."""
    return _cipher(tuple(settings.encryption_keys), settings.blind_index_key)


_SELECT_BATCH = f"""
SELECT id, {", ".join(ENCRYPTED_COLUMNS)}
FROM users
WHERE id > $1 AND ({" OR ".join(f"{c} IS NOT NULL" for c in ENCRYPTED_COLUMNS)})
ORDER BY id
LIMIT $2
FOR UPDATE
"""

# updated_at stays: re-encryption changes nothing the user or an officer would call a change.
_UPDATE_ROW = f"""
UPDATE users SET {", ".join(f"{c} = ${i}" for i, c in enumerate(ENCRYPTED_COLUMNS, 2))}
WHERE id = $1
"""


# The outside agencies' shared secrets (agency.outside) are under the same keys: a key can be
# retired only when nothing needs it any more.
_SELECT_SECRETS = "SELECT id, secret_encrypted FROM outside_agencies FOR UPDATE"
_UPDATE_SECRET = "UPDATE outside_agencies SET secret_encrypted = $2 WHERE id = $1"


async def _rotate_secrets(conn: Any, cipher: PersonalDataCipher) -> int:
    changes = []
    for row in await conn.fetch(_SELECT_SECRETS):
        token = row["secret_encrypted"]
        if token and cipher.needs_rotation(token):
            changes.append((row["id"], cipher.rotate(token)))
    if changes:
        await conn.executemany(_UPDATE_SECRET, changes)
    return len(changes)


async def rotate_all(settings: Settings, batch_size: int = 500) -> int:
    """Re-encrypt every user's personal data (and every outside agency's shared secret) under
    the newest key; return the rows rewritten.

    Batches are separate transactions, so the table is never locked as a whole and an
    interrupted run keeps its progress; running it again only finishes the rest.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cipher = cipher_for(settings)
    own_pool = ENGINE.pool is None
    if own_pool:
        await ENGINE.start_connection_pool(min_size=1, max_size=2)
    rewritten = 0
    last_id = 0
    try:
        while True:
            async with ENGINE.pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(_SELECT_BATCH, last_id, batch_size)
                changes = []
                for row in rows:
                    values = [row[c] for c in ENCRYPTED_COLUMNS]
                    if not any(v is not None and cipher.needs_rotation(v) for v in values):
                        continue
                    try:
                        rotated = [
                            cipher.rotate(v) if v is not None and cipher.needs_rotation(v) else v
                            for v in values
                        ]
                    except UndecryptableData as exc:
                        # Stop rather than skip: a value no key opens means a key is missing
                        # from the settings, and the operator must not retire the old one.
                        raise UndecryptableData(
                            f"user {row['id']}: personal data cannot be decrypted with any "
                            "configured key"
                        ) from exc
                    changes.append((row["id"], *rotated))
                if changes:
                    await conn.executemany(_UPDATE_ROW, changes)
                rewritten += len(changes)
            if len(rows) < batch_size:
                async with ENGINE.pool.acquire() as conn, conn.transaction():
                    return rewritten + await _rotate_secrets(conn, cipher)
            last_id = rows[-1]["id"]
    finally:
        if own_pool:
            await ENGINE.close_connection_pool()
