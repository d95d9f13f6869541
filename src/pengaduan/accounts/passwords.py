"""Password hashing with bcrypt (cost from settings), run off the event loop."""

from __future__ import annotations

import asyncio

import bcrypt

# bcrypt only reads the first 72 bytes; longer passwords are pre-hashed so every byte counts.
_MAX_BCRYPT_BYTES = 72


def _prepare(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(raw) > _MAX_BCRYPT_BYTES:
        import base64
        import hashlib

        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw


def hash_password_sync(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password_sync(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prepare(password), password_hash.encode("ascii"))
    except ValueError:
        return False


async def hash_password(password: str, rounds: int) -> str:
    return await asyncio.to_thread(hash_password_sync, password, rounds)


async def verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, password_hash)
