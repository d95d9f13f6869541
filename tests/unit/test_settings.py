"""Settings validation: what the environment may say, and what production insists on."""

from __future__ import annotations

from pathlib import Path

import pytest

from pengaduan.settings import SettingsError, load_settings

FERNET_KEY = "x" * 43 + "="  # 32 bytes, url-safe base64
PRODUCTION_KEYS = {"PENGADUAN_ENCRYPTION_KEYS": FERNET_KEY, "PENGADUAN_BLIND_INDEX_KEY": "b" * 40}


def test_development_defaults(tmp_path: Path) -> None:
    settings = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert settings.mode == "development"
    assert settings.bcrypt_rounds == 12
    assert settings.database_url is None
    assert settings.upload_max_bytes == 10 * 1024 * 1024
    assert settings.pgdata_dir == tmp_path / "pgdata"
    assert not settings.secure_cookies


def test_development_secret_is_generated_once_and_shared(tmp_path: Path) -> None:
    first = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    second = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_without_secret_and_database(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"PENGADUAN_MODE": "production", "PENGADUAN_DATA_DIR": str(tmp_path)})
    message = str(error.value)
    assert "PENGADUAN_SECRET_KEY" in message and "DATABASE_URL" in message
    assert "PENGADUAN_ENCRYPTION_KEYS" in message and "PENGADUAN_BLIND_INDEX_KEY" in message
    assert not (tmp_path / "secret_key").exists()


def test_production_names_only_what_is_missing() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"PENGADUAN_MODE": "production", "PENGADUAN_SECRET_KEY": "x" * 40})
    assert "DATABASE_URL" in str(error.value)
    assert "PENGADUAN_SECRET_KEY (" not in str(error.value)


def test_production_with_everything_given() -> None:
    settings = load_settings(
        {
            "PENGADUAN_MODE": "production",
            "PENGADUAN_SECRET_KEY": "s" * 48,
            "DATABASE_URL": "postgresql://app:pw@db:5432/pengaduan",
            "PENGADUAN_BASE_URL": "https://pengaduan.example.go.id/",
            **PRODUCTION_KEYS,
        }
    )
    assert settings.is_production and settings.secure_cookies
    assert settings.base_url == "https://pengaduan.example.go.id"


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(
            {
                "PENGADUAN_MODE": "production",
                "PENGADUAN_SECRET_KEY": "short",
                "DATABASE_URL": "postgresql://db/x",
                **PRODUCTION_KEYS,
            }
        )


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PENGADUAN_MODE", "staging", "PENGADUAN_MODE must be one of"),
        ("PENGADUAN_BCRYPT_ROUNDS", "twelve", "whole number"),
        ("PENGADUAN_BCRYPT_ROUNDS", "3", "at least 4"),
        ("PENGADUAN_UPLOAD_MAX_BYTES", "0", "at least 1"),
        ("PENGADUAN_SMTP_SECURITY", "ssl3", "none, starttls or tls"),
        ("PENGADUAN_DEFAULT_LANGUAGE", "fr", "PENGADUAN_DEFAULT_LANGUAGE"),
        ("PENGADUAN_BASE_URL", "example.com", "http://"),
        ("PENGADUAN_OUTBOX_IN_APP", "maybe", "true or false"),
        ("PENGADUAN_ENCRYPTION_KEYS", "not-a-key", "key 1 is not a Fernet key"),
        ("PENGADUAN_SMS_GATEWAY_URL", "gateway.local/send", "PENGADUAN_SMS_GATEWAY_URL"),
        ("PENGADUAN_SMS_CHANNEL", "pigeon", "sms or whatsapp"),
        ("PENGADUAN_OUTBOX_MAX_ATTEMPTS", "0", "at least 1"),
    ],
)
def test_invalid_values_are_named(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=fragment):
        load_settings({"PENGADUAN_DATA_DIR": str(tmp_path), name: value})


def test_development_generates_personal_data_keys_once(tmp_path: Path) -> None:
    first = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    second = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert len(first.encryption_keys) == 1 and first.blind_index_key
    assert (first.encryption_keys, first.blind_index_key) == (
        second.encryption_keys,
        second.blind_index_key,
    )


def test_encryption_keys_are_a_newest_first_list(tmp_path: Path) -> None:
    other = "y" * 43 + "="
    settings = load_settings(
        {"PENGADUAN_DATA_DIR": str(tmp_path), "PENGADUAN_ENCRYPTION_KEYS": f"{other}, {FERNET_KEY}"}
    )
    assert settings.encryption_keys == (other, FERNET_KEY)


def test_every_setting_is_documented_in_env_example() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    source = (root / "src" / "pengaduan" / "settings.py").read_text()
    example = (root / ".env.example").read_text()
    names = set(re.findall(r'"((?:PENGADUAN_[A-Z_]+)|DATABASE_URL)"', source))
    names.discard("PENGADUAN_HOME")
    documented = set(re.findall(r"^#?\s*((?:PENGADUAN_[A-Z_]+)|DATABASE_URL)=", example, re.M))
    assert names - documented == set()


def test_compose_file_gives_production_everything_it_refuses_to_start_without() -> None:
    root = Path(__file__).resolve().parents[2]
    compose = (root / "compose.yaml").read_text()
    with pytest.raises(SettingsError) as error:
        load_settings({"PENGADUAN_MODE": "production"})
    required = {
        name
        for name in (
            "PENGADUAN_SECRET_KEY",
            "DATABASE_URL",
            "PENGADUAN_ENCRYPTION_KEYS",
            "PENGADUAN_BLIND_INDEX_KEY",
        )
        if name in str(error.value)
    }
    assert len(required) == 4
    for name in required:
        assert f"      {name}:" in compose, f"compose.yaml does not set {name}"


def test_sms_is_off_without_a_gateway_and_on_with_one(tmp_path: Path) -> None:
    assert not load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)}).sms_enabled
    settings = load_settings(
        {
            "PENGADUAN_DATA_DIR": str(tmp_path),
            "PENGADUAN_SMS_GATEWAY_URL": "https://sms.example/send",
            "PENGADUAN_SMS_GATEWAY_TOKEN": "rahasia",
            "PENGADUAN_OUTBOX_MAX_ATTEMPTS": "5",
        }
    )
    assert settings.sms_enabled and settings.sms_gateway_token == "rahasia"
    assert settings.outbox_max_attempts == 5 and settings.sms_channel == "sms"


def test_image_jobs_per_worker_default_to_two_and_are_at_least_one(tmp_path: Path) -> None:
    assert load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)}).image_jobs == 2
    env = {"PENGADUAN_DATA_DIR": str(tmp_path), "PENGADUAN_IMAGE_JOBS": "4"}
    assert load_settings(env).image_jobs == 4
    with pytest.raises(SettingsError, match="PENGADUAN_IMAGE_JOBS"):
        load_settings({**env, "PENGADUAN_IMAGE_JOBS": "0"})


def test_evidence_storage_defaults_to_the_filesystem(tmp_path: Path) -> None:
    settings = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert settings.storage == "filesystem" and settings.s3_bucket == ""


def test_s3_storage_names_what_is_missing(tmp_path: Path) -> None:
    env = {"PENGADUAN_DATA_DIR": str(tmp_path), "PENGADUAN_STORAGE": "s3"}
    with pytest.raises(SettingsError) as error:
        load_settings(env)
    message = str(error.value)
    assert "PENGADUAN_S3_BUCKET" in message
    assert "PENGADUAN_S3_ENDPOINT_URL" in message and "PENGADUAN_S3_REGION" in message
    with pytest.raises(SettingsError) as error:
        load_settings({**env, "PENGADUAN_S3_BUCKET": "b", "PENGADUAN_S3_ACCESS_KEY_ID": "k"})
    assert "PENGADUAN_S3_SECRET_ACCESS_KEY" in str(error.value)
    with pytest.raises(SettingsError) as error:
        load_settings({**env, "PENGADUAN_STORAGE": "nfs"})
    assert "PENGADUAN_STORAGE must be filesystem or s3" in str(error.value)
    with pytest.raises(SettingsError) as error:
        load_settings(
            {**env, "PENGADUAN_S3_BUCKET": "b", "PENGADUAN_S3_ENDPOINT_URL": "minio:9000"}
        )
    assert "PENGADUAN_S3_ENDPOINT_URL must start with http" in str(error.value)


def test_production_s3_with_an_endpoint_needs_keys_and_aws_may_use_the_hosts_role() -> None:
    production = {
        "PENGADUAN_MODE": "production",
        "PENGADUAN_SECRET_KEY": "s" * 48,
        "DATABASE_URL": "postgresql://app:pw@db:5432/pengaduan",
        **PRODUCTION_KEYS,
        "PENGADUAN_STORAGE": "s3",
        "PENGADUAN_S3_BUCKET": "bukti",
    }
    with pytest.raises(SettingsError) as error:
        load_settings({**production, "PENGADUAN_S3_ENDPOINT_URL": "http://minio:9000"})
    assert "PENGADUAN_S3_ACCESS_KEY_ID and PENGADUAN_S3_SECRET_ACCESS_KEY" in str(error.value)
    minio = load_settings(
        {
            **production,
            "PENGADUAN_S3_ENDPOINT_URL": "http://minio:9000",
            "PENGADUAN_S3_ACCESS_KEY_ID": "pengaduan",
            "PENGADUAN_S3_SECRET_ACCESS_KEY": "rahasia-panjang",
        }
    )
    assert minio.storage == "s3" and minio.s3_endpoint_url == "http://minio:9000"
    aws = load_settings({**production, "PENGADUAN_S3_REGION": "ap-southeast-3"})
    assert aws.s3_region == "ap-southeast-3" and aws.s3_access_key_id == ""


def _example_settings() -> dict[str, str]:
    """The settings .env.example sets (its commented-out lines left out)."""
    example = Path(__file__).resolve().parents[2] / ".env.example"
    pairs = {}
    for line in example.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def test_env_example_names_settings_the_code_reads_with_the_values_it_uses_unset(
    tmp_path: Path,
) -> None:
    """Copying .env.example changes nothing: every value it shows is the default the code
    uses when the setting is not given (the SMS sender was empty in code, "Pengaduan" here),
    and every name in it is one the code reads."""
    example = _example_settings()
    assert "PENGADUAN_SMS_SENDER" in example
    package = Path(__file__).resolve().parents[2] / "src/pengaduan"
    # The table and its groups (settings_channels.py, ...).
    source = "".join(p.read_text() for p in sorted(package.glob("settings*.py")))

    def read(name: str) -> bool:
        if f'"{name}"' in source:
            return True
        # Most S3 settings are read as f"PENGADUAN_S3_{name.upper()}".
        suffix = name.removeprefix("PENGADUAN_S3_")
        return suffix != name and f'"{suffix.lower()}"' in source

    unread = [name for name in example if not read(name)]
    assert unread == []
    example["PENGADUAN_DATA_DIR"] = str(tmp_path)
    from_example = load_settings(example)
    unset = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert from_example == unset
    assert unset.sms_sender == example["PENGADUAN_SMS_SENDER"] == "Pengaduan"


def test_where_mail_goes_follows_the_smtp_host_and_the_mode(tmp_path: Path) -> None:
    development = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert development.mail_transport == "mailbox"
    assert development.mailbox_dir == tmp_path / "mailbox"
    production = load_settings(
        {
            "PENGADUAN_MODE": "production",
            "PENGADUAN_DATA_DIR": str(tmp_path),
            "PENGADUAN_SECRET_KEY": "s" * 40,
            "DATABASE_URL": "postgresql://u:p@db/x",
            **PRODUCTION_KEYS,
        }
    )
    assert production.mail_transport == "none"
    for mode_env in ({}, {"PENGADUAN_MODE": "production"}):
        env = {"PENGADUAN_DATA_DIR": str(tmp_path), "PENGADUAN_SMTP_HOST": "mail.example"}
        if mode_env:
            env |= {
                **mode_env,
                "PENGADUAN_SECRET_KEY": "s" * 40,
                "DATABASE_URL": "postgresql://u:p@db/x",
                **PRODUCTION_KEYS,
            }
        smtp = load_settings(env)
        assert smtp.mail_transport == "smtp" and smtp.smtp_host == "mail.example"


def test_every_setting_in_the_table_has_a_purpose_and_is_in_env_example() -> None:
    import re

    from pengaduan.settings import described

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*((?:PENGADUAN_[A-Z0-9_]+)|DATABASE_URL)=", example, re.M))
    rows = list(described())
    package = Path(__file__).resolve().parents[2] / "src/pengaduan"
    source = "".join(p.read_text() for p in package.glob("settings*.py"))
    # Every setting of the table and its groups (67 with the channels', mail intake's, map's
    # and app tokens' settings) is listed.
    assert len(rows) == 67 and all(f'"{name}"' in source for name, _d, _p in rows)
    assert all(purpose for _name, _default, purpose in rows)
    assert {name for name, _default, _purpose in rows} - documented == set()
