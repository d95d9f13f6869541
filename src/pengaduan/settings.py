"""Settings, each described once: the `Settings` dataclass says per setting its environment
variable (PENGADUAN_* or DATABASE_URL), default, how its text is read and checked, and what it
is for; `load_settings` reads them all from the environment that way, then checks the rules
that tie several together (production's requirements, S3), and `described` lists them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pengaduan.settings_channels import ChannelSettings
from pengaduan.settings_development import fill_development_secrets
from pengaduan.settings_intake import MailIntakeSettings
from pengaduan.settings_reading import (
    Choice,
    FernetKeys,
    Folder,
    MapView,
    Switch,
    Url,
    Verbatim,
    Whole,
    default_of,
    environment_fields,
    read_environment,
    setting,
)

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


@dataclass(frozen=True)
class Settings(ChannelSettings, MailIntakeSettings):
    mode: str = setting(
        "PENGADUAN_MODE",
        "development",
        "development or production (Secure cookies, no embedded database, secrets required)",
        read=Choice(
            options=MODES,
            problem="{name} must be one of {listed}, got {value!r}",
            blank_is_unset=True,
        ),
    )
    secret_key: str = setting(
        "PENGADUAN_SECRET_KEY",
        "",
        "signs sessions; generated once into the data folder in development",
        production="PENGADUAN_SECRET_KEY (a long random string)",
    )
    database_url: str | None = setting(
        "DATABASE_URL",
        None,
        "the PostgreSQL server (14 or newer); without it an embedded one in the data folder",
        production="DATABASE_URL (postgresql://user:password@host:5432/dbname)",
    )
    # (A Path is immutable; ruff knows only some types are.)
    data_dir: Path = setting(  # noqa: RUF009
        "PENGADUAN_DATA_DIR",
        help="the embedded database, uploaded evidence and development keys",
        read=Folder(),
        factory=lambda: Path("var").resolve(),
    )
    base_url: str = setting(
        "PENGADUAN_BASE_URL",
        "http://127.0.0.1:8000",
        "the address people use to reach the site (links in mails and SMS)",
        read=Url(trailing_slash=False),
    )
    default_language: str = setting(
        "PENGADUAN_DEFAULT_LANGUAGE",
        "id",
        "language for visitors whose browser prefers neither: id or en",
        read=Choice(options=LANGUAGES, problem="{name} must be one of {listed}"),
    )
    bcrypt_rounds: int = setting(
        "PENGADUAN_BCRYPT_ROUNDS",
        12,
        "bcrypt cost for passwords (4-31; at least 10 in production)",
        read=Whole(minimum=4, maximum=31),
    )
    db_pool_min: int = setting(
        "PENGADUAN_DB_POOL_MIN",
        1,
        "database connections per worker, at least",
        read=Whole(minimum=1),
    )
    db_pool_max: int = setting(
        "PENGADUAN_DB_POOL_MAX",
        20,
        "database connections per worker, at most",
        read=Whole(minimum=1),
    )
    db_start_wait_seconds: int = setting(
        "PENGADUAN_DB_START_WAIT_SECONDS",
        60,
        "how long a starting worker waits for an unreachable database before it gives up",
        read=Whole(),
    )
    gc_every_seconds: int = setting(
        "PENGADUAN_GC_EVERY_SECONDS",
        1,
        "how often a serving worker collects reference cycles (pengaduan.collector);"
        " 0: whenever CPython's allocation counts say",
        read=Whole(),
    )
    page_cache: bool = setting(
        "PENGADUAN_PAGE_CACHE", True, "keep staff pages rendered (web.pagecache)", read=Switch()
    )
    smtp_host: str = setting(
        "PENGADUAN_SMTP_HOST",
        "127.0.0.1",
        "the mail server; without one mail goes to the mailbox folder (development) or waits",
    )
    # Where mail goes (not a setting of its own: follows PENGADUAN_SMTP_HOST and the mode):
    # "smtp" (a host is set), "mailbox" (development without one: .eml files under
    # data_dir/mailbox, shown at /dev/surat) or "none" (production without one: mail stays
    # pending in the outbox, nobody is bothered per attempt).
    mail_transport: str = "smtp"
    smtp_port: int = setting(
        "PENGADUAN_SMTP_PORT", 25, "the mail server's port", read=Whole(minimum=1)
    )
    smtp_username: str = setting(
        "PENGADUAN_SMTP_USERNAME", "", "the mail server's login", read=Verbatim()
    )
    smtp_password: str = setting(
        "PENGADUAN_SMTP_PASSWORD", "", "the mail server's password", read=Verbatim()
    )
    smtp_security: str = setting(
        "PENGADUAN_SMTP_SECURITY",
        "none",
        "none, starttls or tls",
        read=Choice(options=("none", "starttls", "tls")),
    )
    smtp_timeout: int = setting(
        "PENGADUAN_SMTP_TIMEOUT", 30, "seconds per mail server conversation", read=Whole(minimum=1)
    )
    mail_from: str = setting(
        "PENGADUAN_MAIL_FROM",
        "Pengaduan <no-reply@localhost>",
        "the sender of every mail",
        read=Verbatim(),
    )
    outbox_in_app: bool = setting(
        "PENGADUAN_OUTBOX_IN_APP",
        True,
        "deliver the outbox from each app worker (true) or only from `pengaduan worker`",
        read=Switch(),
    )
    outbox_max_attempts: int = setting(
        "PENGADUAN_OUTBOX_MAX_ATTEMPTS",
        12,
        "delivery attempts per outbox message before it is dead (shown to admins)",
        read=Whole(minimum=1),
    )
    outbox_retry_seconds: int = setting(
        "PENGADUAN_OUTBOX_RETRY_SECONDS",
        15,
        "the wait after the first failed delivery (doubling each time)",
        read=Whole(minimum=1),
    )
    outbox_max_retry_seconds: int = setting(
        "PENGADUAN_OUTBOX_MAX_RETRY_SECONDS",
        3600,
        "the longest wait between delivery attempts",
        read=Whole(minimum=1),
    )
    sms_gateway_url: str = setting(
        "PENGADUAN_SMS_GATEWAY_URL",
        "",
        "SMS/WhatsApp through an HTTP gateway (JSON POST with a bearer token); off without",
        read=Url(blank_is_unset=True),
    )
    sms_gateway_token: str = setting("PENGADUAN_SMS_GATEWAY_TOKEN", "", "the gateway's token")
    sms_gateway_timeout: int = setting(
        "PENGADUAN_SMS_GATEWAY_TIMEOUT", 10, "seconds per gateway request", read=Whole(minimum=1)
    )
    sms_sender: str = setting(
        "PENGADUAN_SMS_SENDER",
        "Pengaduan",
        "the sender name (or number) the gateway shows on each message",
    )
    sms_channel: str = setting(
        "PENGADUAN_SMS_CHANNEL",
        "sms",
        "sms or whatsapp: passed on to the gateway",
        read=Choice(options=("sms", "whatsapp")),
    )
    session_idle_minutes: int = setting(
        "PENGADUAN_SESSION_IDLE_MINUTES", 60, "a session's idle timeout", read=Whole(minimum=1)
    )
    session_max_hours: int = setting(
        "PENGADUAN_SESSION_MAX_HOURS", 12, "a session's absolute lifetime", read=Whole(minimum=1)
    )
    app_token_days: int = setting(
        "PENGADUAN_APP_TOKEN_DAYS", 30, "a mobile app token's lifetime", read=Whole(minimum=1)
    )
    upload_max_bytes: int = setting(
        "PENGADUAN_UPLOAD_MAX_BYTES",
        10 * 1024 * 1024,
        "bytes per evidence file",
        read=Whole(minimum=1),
    )
    upload_max_files: int = setting(
        "PENGADUAN_UPLOAD_MAX_FILES", 5, "evidence files per complaint", read=Whole(minimum=1)
    )
    image_jobs: int = setting(
        "PENGADUAN_IMAGE_JOBS",
        2,
        "evidence photos decoded at once per web worker, each in its own child process",
        read=Whole(minimum=1),
    )
    encryption_keys: tuple[str, ...] = setting(
        "PENGADUAN_ENCRYPTION_KEYS",
        (),
        "Fernet keys for personal data, newest first: the first encrypts, all decrypt",
        read=FernetKeys(),
        production="PENGADUAN_ENCRYPTION_KEYS (Fernet keys, newest first)",
    )
    blind_index_key: str = setting(
        "PENGADUAN_BLIND_INDEX_KEY",
        "",
        "key of the keyed hash (blind index) that makes NIKs unique without storing them",
        production="PENGADUAN_BLIND_INDEX_KEY (a long random string)",
    )
    backup_key: str = setting(
        "PENGADUAN_BACKUP_KEY",
        "",
        "encrypts backup archives (keep it apart from them); generated into the data folder "
        "in development",
    )
    backup_schedule: str = setting(
        "PENGADUAN_BACKUP_SCHEDULE",
        "off",
        "daily: the scheduler writes a backup a day into PENGADUAN_BACKUP_DIR; off: none",
        read=Choice(options=("daily", "off")),
    )
    backup_dir: Path | None = setting(  # noqa: RUF009
        "PENGADUAN_BACKUP_DIR", None, "scheduled backups (default data_dir/backups)", read=Folder()
    )
    backup_keep_daily: int = setting(
        "PENGADUAN_BACKUP_KEEP_DAILY", 7, "scheduled backups kept, days", read=Whole(minimum=1)
    )
    backup_keep_weekly: int = setting(
        "PENGADUAN_BACKUP_KEEP_WEEKLY", 4, "and weeks beyond them", read=Whole()
    )
    storage: str = setting(
        "PENGADUAN_STORAGE",
        "filesystem",
        "where evidence files live: filesystem (data_dir/uploads, one host) or s3 (shared)",
        read=Choice(options=("filesystem", "s3")),
    )
    s3_endpoint_url: str = setting(
        "PENGADUAN_S3_ENDPOINT_URL", "", "MinIO, Garage or Ceph address (empty for AWS S3)"
    )
    s3_bucket: str = setting("PENGADUAN_S3_BUCKET", "", "the bucket's name")
    s3_region: str = setting("PENGADUAN_S3_REGION", "", "the bucket's region")
    s3_access_key_id: str = setting("PENGADUAN_S3_ACCESS_KEY_ID", "", "the S3 key's id")
    s3_secret_access_key: str = setting("PENGADUAN_S3_SECRET_ACCESS_KEY", "", "the S3 key")
    s3_prefix: str = setting(
        "PENGADUAN_S3_PREFIX", "", "a prefix for object names (agencies sharing a bucket)"
    )
    map_tile_url: str = setting(
        "PENGADUAN_MAP_TILE_URL",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "map tiles ({z}/{x}/{y}); its address is allowed in the pages' image sources",
        read=Url(),
    )
    map_attribution: str = setting(
        "PENGADUAN_MAP_ATTRIBUTION",
        '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "the tiles' credit line, shown on every map (HTML)",
    )
    map_view: tuple[float, float, int] = setting(
        "PENGADUAN_MAP_VIEW", (-6.914, 107.609, 12), "where maps open: lat,lon,zoom", read=MapView()
    )

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


def described() -> Iterator[tuple[str, Any, str]]:
    """Each setting's environment variable, default and purpose, in the order of the table."""
    for f in environment_fields(Settings):
        yield f.metadata["env"], default_of(f), f.metadata["help"]


def _production_needs(values: dict[str, Any], errors: list[str]) -> None:
    if values["mode"] != "production":
        return
    missing = [
        f.metadata["production"]
        for f in environment_fields(Settings)
        if f.metadata["production"] and not values[f.name]
    ]
    if missing:
        errors.append(
            "production mode needs " + " and ".join(missing) + "; the embedded database "
            "and generated keys are for development only"
        )
    elif len(values["secret_key"]) < 32:
        errors.append("PENGADUAN_SECRET_KEY must be at least 32 characters in production")
    if values["bcrypt_rounds"] < 10:
        errors.append("PENGADUAN_BCRYPT_ROUNDS must be at least 10 in production")


def _mail_transport(values: dict[str, Any], given: set[str]) -> str:
    if "smtp_host" in given:
        return "smtp"
    return "none" if values["mode"] == "production" else "mailbox"


def _s3_needs(values: dict[str, Any], errors: list[str]) -> None:
    if values["storage"] != "s3":
        return
    missing = []
    if not values["s3_bucket"]:
        missing.append("PENGADUAN_S3_BUCKET (the bucket's name)")
    if not values["s3_endpoint_url"] and not values["s3_region"]:
        missing.append(
            "PENGADUAN_S3_ENDPOINT_URL (your MinIO, Garage or Ceph address) or "
            "PENGADUAN_S3_REGION (for AWS S3)"
        )
    key, secret = values["s3_access_key_id"], values["s3_secret_access_key"]
    if bool(key) != bool(secret):
        missing.append("both PENGADUAN_S3_ACCESS_KEY_ID and PENGADUAN_S3_SECRET_ACCESS_KEY")
    elif values["mode"] == "production" and not key and values["s3_endpoint_url"]:
        # AWS may hand credentials to the host (instance roles); other stores need keys.
        missing.append("PENGADUAN_S3_ACCESS_KEY_ID and PENGADUAN_S3_SECRET_ACCESS_KEY")
    if missing:
        errors.append("PENGADUAN_STORAGE=s3 needs " + " and ".join(missing))
    endpoint = values["s3_endpoint_url"]
    if endpoint and not endpoint.startswith(("http://", "https://")):
        errors.append("PENGADUAN_S3_ENDPOINT_URL must start with http:// or https://")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping, raising SettingsError with every problem."""
    env = dict(os.environ if environ is None else environ)
    errors: list[str] = []
    values, given = read_environment(Settings, env, errors)
    _production_needs(values, errors)
    _s3_needs(values, errors)
    if errors:
        raise SettingsError("Invalid configuration:\n  - " + "\n  - ".join(errors))
    values["mail_transport"] = _mail_transport(values, given)
    values["backup_dir"] = values["backup_dir"] or values["data_dir"] / "backups"
    fill_development_secrets(values)
    return Settings(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (for the entry points: the CLI and the app factory;
    everything else is given them)."""
    return load_settings()
