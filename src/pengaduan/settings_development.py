"""Secrets a development setup leaves unset, generated once into the data folder so every
worker and restart shares them (production refuses to start without them instead)."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any


def development_secret(data_dir: Path, name: str = "secret_key") -> str:
    """A random key kept in the data folder, so every worker and restart shares it."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path.read_text().strip()


def development_keys(data_dir: Path) -> tuple[str, str]:
    """A Fernet key and a blind-index key kept in the data folder (development only)."""
    path = data_dir / "personal_data_keys"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{fernet}\n{secrets.token_urlsafe(32)}\n")
        os.chmod(tmp, 0o600)
        if not path.exists():
            os.replace(tmp, path)
    fernet, blind = path.read_text().split()[:2]
    return fernet, blind


def fill_development_secrets(values: dict[str, Any]) -> None:
    """Secrets not given, generated once into the data folder (production was refused)."""
    if not values["secret_key"]:
        values["secret_key"] = development_secret(values["data_dir"])
    if not values["encryption_keys"] or not values["blind_index_key"]:
        fernet, blind = development_keys(values["data_dir"])
        values["encryption_keys"] = values["encryption_keys"] or (fernet,)
        values["blind_index_key"] = values["blind_index_key"] or blind
    if not values["backup_key"]:
        values["backup_key"] = development_secret(values["data_dir"], "backup_key")
