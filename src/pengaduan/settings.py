"""Settings: read once from the environment (PENGADUAN_* and DATABASE_URL) and validated."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MODES = ("development", "production")
LANGUAGES = ("id", "en")


class SettingsError(Exception):
    """The environment does not describe a runnable configuration."""


def project_root() -> Path:
    """The folder that holds templates/, static/ and migrations/.

    An editable install finds it beside src/; an installed package (the container)
    is told by PENGADUAN_HOME.
    """
    home = os.environ.get("PENGADUAN_HOME")
    if home:
        return Path(home).resolve()
    return Path(__file__).resolve().parents[2]


def _int(env: dict[str, str], name: str, default: int, errors: list[str], minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.append(f"{name} must be a whole number, got {raw!r}")
        return default
    if value < minimum:
        errors.append(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: dict[str, str], name: str, default: bool, errors: list[str]) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    errors.append(f"{name} must be true or false, got {raw!r}")
    return default


@dataclass(frozen=True)
class Settings:
    mode: str = "development"
    secret_key: str = ""
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("var").resolve())
    base_url: str = "http://127.0.0.1:8000"
    default_language: str = "id"
    bcrypt_rounds: int = 12
    db_pool_min: int = 1
    db_pool_max: int = 20
    # How long a starting worker waits for an unreachable database before it gives up.
    db_start_wait_seconds: int = 60
    smtp_host: str = "127.0.0.1"
    # Where mail goes: "smtp" (PENGADUAN_SMTP_HOST is set), "mailbox" (development without
    # one: .eml files under data_dir/mailbox, shown at /dev/surat) or "none" (production
    # without one: mail stays pending in the outbox, nobody is bothered per attempt).
    mail_transport: str = "smtp"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"  # none | starttls | tls
    smtp_timeout: int = 30
    mail_from: str = "Pengaduan <no-reply@localhost>"
    outbox_in_app: bool = True
    # Delivery attempts per outbox message before it is dead (shown to admins), and the
    # wait after the first failure (doubling each time, capped at outbox_max_retry_seconds).
    outbox_max_attempts: int = 12
    outbox_retry_seconds: int = 15
    outbox_max_retry_seconds: int = 3600
    # SMS/WhatsApp through an HTTP gateway (JSON POST with a bearer token); off without a URL.
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_gateway_timeout: int = 10
    # The sender name (or number) the gateway shows, as .env.example documents it.
    sms_sender: str = "Pengaduan"
    sms_channel: str = "sms"  # sms | whatsapp: passed on to the gateway
    session_idle_minutes: int = 60
    session_max_hours: int = 12
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_files: int = 5
    # Evidence photos decoded at once per web worker, each in its own child process.
    image_jobs: int = 2
    # Fernet keys for personal data, newest first: the first encrypts, all decrypt.
    encryption_keys: tuple[str, ...] = ()
    # Key of the keyed hash (blind index) that makes NIKs unique without storing them.
    blind_index_key: str = ""
    # Where evidence files live: "filesystem" (data_dir/uploads, one host) or "s3" (an
    # S3-compatible bucket that several hosts share).
    storage: str = "filesystem"
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_prefix: str = ""

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def secure_cookies(self) -> bool:
        return self.is_production

    @property
    def mailbox_dir(self) -> Path:
        return self.data_dir / "mailbox"

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_gateway_url)


def _development_secret(data_dir: Path) -> str:
    """A random key kept in the data folder, so every worker and restart shares it."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path.read_text().strip()


def _development_keys(data_dir: Path) -> tuple[str, str]:
    """A Fernet key and a blind-index key kept in the data folder (development only)."""
    import base64

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


def _fernet_keys(raw: str, errors: list[str]) -> tuple[str, ...]:
    import base64
    import binascii

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for position, key in enumerate(keys, 1):
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            errors.append(
                f"PENGADUAN_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            )
    return keys


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping, raising SettingsError with every problem."""
    env = dict(os.environ if environ is None else environ)
    errors: list[str] = []

    mode = env.get("PENGADUAN_MODE", "development").strip().lower() or "development"
    if mode not in MODES:
        errors.append(f"PENGADUAN_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        mode = "development"

    data_dir = Path(env.get("PENGADUAN_DATA_DIR") or "var").expanduser().resolve()
    database_url = (env.get("DATABASE_URL") or "").strip() or None
    secret_key = (env.get("PENGADUAN_SECRET_KEY") or "").strip()

    encryption_keys = _fernet_keys(env.get("PENGADUAN_ENCRYPTION_KEYS") or "", errors)
    blind_index_key = (env.get("PENGADUAN_BLIND_INDEX_KEY") or "").strip()

    if mode == "production":
        missing = []
        if not secret_key:
            missing.append("PENGADUAN_SECRET_KEY (a long random string)")
        if not database_url:
            missing.append("DATABASE_URL (postgresql://user:password@host:5432/dbname)")
        if not encryption_keys:
            missing.append("PENGADUAN_ENCRYPTION_KEYS (Fernet keys, newest first)")
        if not blind_index_key:
            missing.append("PENGADUAN_BLIND_INDEX_KEY (a long random string)")
        if missing:
            errors.append(
                "production mode needs " + " and ".join(missing) + "; the embedded database "
                "and generated keys are for development only"
            )
        elif len(secret_key) < 32:
            errors.append("PENGADUAN_SECRET_KEY must be at least 32 characters in production")

    language = (env.get("PENGADUAN_DEFAULT_LANGUAGE") or "id").strip().lower()
    if language not in LANGUAGES:
        errors.append(f"PENGADUAN_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        language = "id"

    smtp_host = (env.get("PENGADUAN_SMTP_HOST") or "").strip()
    if smtp_host:
        mail_transport = "smtp"
    else:
        mail_transport = "none" if mode == "production" else "mailbox"

    smtp_security = (env.get("PENGADUAN_SMTP_SECURITY") or "none").strip().lower()
    if smtp_security not in ("none", "starttls", "tls"):
        errors.append("PENGADUAN_SMTP_SECURITY must be none, starttls or tls")

    bcrypt_rounds = _int(env, "PENGADUAN_BCRYPT_ROUNDS", 12, errors, minimum=4)
    if bcrypt_rounds > 31:
        errors.append("PENGADUAN_BCRYPT_ROUNDS must be at most 31")
    if mode == "production" and bcrypt_rounds < 10:
        errors.append("PENGADUAN_BCRYPT_ROUNDS must be at least 10 in production")

    base_url = (env.get("PENGADUAN_BASE_URL") or "http://127.0.0.1:8000").strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        errors.append("PENGADUAN_BASE_URL must start with http:// or https://")

    sms_gateway_url = (env.get("PENGADUAN_SMS_GATEWAY_URL") or "").strip()
    if sms_gateway_url and not sms_gateway_url.startswith(("http://", "https://")):
        errors.append("PENGADUAN_SMS_GATEWAY_URL must start with http:// or https://")
    sms_channel = (env.get("PENGADUAN_SMS_CHANNEL") or "sms").strip().lower()
    if sms_channel not in ("sms", "whatsapp"):
        errors.append("PENGADUAN_SMS_CHANNEL must be sms or whatsapp")

    storage = (env.get("PENGADUAN_STORAGE") or "filesystem").strip().lower()
    s3 = {
        name: (env.get(f"PENGADUAN_S3_{name.upper()}") or "").strip()
        for name in ("endpoint_url", "bucket", "region", "access_key_id", "secret_access_key")
    }
    if storage not in ("filesystem", "s3"):
        errors.append("PENGADUAN_STORAGE must be filesystem or s3")
    elif storage == "s3":
        missing = []
        if not s3["bucket"]:
            missing.append("PENGADUAN_S3_BUCKET (the bucket's name)")
        if not s3["endpoint_url"] and not s3["region"]:
            missing.append(
                "PENGADUAN_S3_ENDPOINT_URL (your MinIO, Garage or Ceph address) or "
                "PENGADUAN_S3_REGION (for AWS S3)"
            )
        if bool(s3["access_key_id"]) != bool(s3["secret_access_key"]):
            missing.append("both PENGADUAN_S3_ACCESS_KEY_ID and PENGADUAN_S3_SECRET_ACCESS_KEY")
        elif mode == "production" and not s3["access_key_id"] and s3["endpoint_url"]:
            # AWS may hand credentials to the host (instance roles); other stores need keys.
            missing.append("PENGADUAN_S3_ACCESS_KEY_ID and PENGADUAN_S3_SECRET_ACCESS_KEY")
        if missing:
            errors.append("PENGADUAN_STORAGE=s3 needs " + " and ".join(missing))
        if s3["endpoint_url"] and not s3["endpoint_url"].startswith(("http://", "https://")):
            errors.append("PENGADUAN_S3_ENDPOINT_URL must start with http:// or https://")

    settings = Settings(
        mode=mode,
        secret_key=secret_key,
        database_url=database_url,
        data_dir=data_dir,
        base_url=base_url,
        default_language=language,
        bcrypt_rounds=bcrypt_rounds,
        db_pool_min=_int(env, "PENGADUAN_DB_POOL_MIN", 1, errors, minimum=1),
        db_pool_max=_int(env, "PENGADUAN_DB_POOL_MAX", 20, errors, minimum=1),
        db_start_wait_seconds=_int(env, "PENGADUAN_DB_START_WAIT_SECONDS", 60, errors),
        smtp_host=smtp_host or "127.0.0.1",
        mail_transport=mail_transport,
        smtp_port=_int(env, "PENGADUAN_SMTP_PORT", 25, errors, minimum=1),
        smtp_username=env.get("PENGADUAN_SMTP_USERNAME", ""),
        smtp_password=env.get("PENGADUAN_SMTP_PASSWORD", ""),
        smtp_security=smtp_security,
        smtp_timeout=_int(env, "PENGADUAN_SMTP_TIMEOUT", 30, errors, minimum=1),
        mail_from=env.get("PENGADUAN_MAIL_FROM") or "Pengaduan <no-reply@localhost>",
        outbox_in_app=_bool(env, "PENGADUAN_OUTBOX_IN_APP", True, errors),
        outbox_max_attempts=_int(env, "PENGADUAN_OUTBOX_MAX_ATTEMPTS", 12, errors, minimum=1),
        outbox_retry_seconds=_int(env, "PENGADUAN_OUTBOX_RETRY_SECONDS", 15, errors, minimum=1),
        outbox_max_retry_seconds=_int(
            env, "PENGADUAN_OUTBOX_MAX_RETRY_SECONDS", 3600, errors, minimum=1
        ),
        sms_gateway_url=sms_gateway_url,
        sms_gateway_token=env.get("PENGADUAN_SMS_GATEWAY_TOKEN", "").strip(),
        sms_gateway_timeout=_int(env, "PENGADUAN_SMS_GATEWAY_TIMEOUT", 10, errors, minimum=1),
        # Unset or empty: the default .env.example shows (an empty sender was sent before).
        sms_sender=(env.get("PENGADUAN_SMS_SENDER") or "").strip() or "Pengaduan",
        sms_channel=sms_channel,
        session_idle_minutes=_int(env, "PENGADUAN_SESSION_IDLE_MINUTES", 60, errors, minimum=1),
        session_max_hours=_int(env, "PENGADUAN_SESSION_MAX_HOURS", 12, errors, minimum=1),
        upload_max_bytes=_int(env, "PENGADUAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, errors, 1),
        upload_max_files=_int(env, "PENGADUAN_UPLOAD_MAX_FILES", 5, errors, minimum=1),
        image_jobs=_int(env, "PENGADUAN_IMAGE_JOBS", 2, errors, minimum=1),
        encryption_keys=encryption_keys,
        blind_index_key=blind_index_key,
        storage=storage,
        s3_endpoint_url=s3["endpoint_url"],
        s3_bucket=s3["bucket"],
        s3_region=s3["region"],
        s3_access_key_id=s3["access_key_id"],
        s3_secret_access_key=s3["secret_access_key"],
        s3_prefix=(env.get("PENGADUAN_S3_PREFIX") or "").strip(),
    )
    if errors:
        raise SettingsError("Invalid configuration:\n  - " + "\n  - ".join(errors))
    if not settings.secret_key:
        # Development only (production was refused above).
        object.__setattr__(settings, "secret_key", _development_secret(data_dir))
    if not settings.encryption_keys or not settings.blind_index_key:
        fernet, blind = _development_keys(data_dir)
        if not settings.encryption_keys:
            object.__setattr__(settings, "encryption_keys", (fernet,))
        if not settings.blind_index_key:
            object.__setattr__(settings, "blind_index_key", blind)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
