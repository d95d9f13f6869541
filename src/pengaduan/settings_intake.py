"""The settings of complaints by email (`pengaduan mail-intake`), a group of their own that
`settings.Settings` takes in: the complaints addresses, the SMTP/LMTP listener, the IMAP
mailbox it can poll instead, and the limits on what one sender may send."""

from __future__ import annotations

from dataclasses import dataclass

from pengaduan.settings_reading import Choice, Verbatim, Whole, setting


@dataclass(frozen=True)
class MailIntakeSettings:
    mail_intake_addresses: str = setting(
        "PENGADUAN_MAIL_INTAKE_ADDRESSES",
        "",
        "the complaints addresses, comma-separated (the first also gives each complaint its "
        "reply address, local+code@domain); empty: the listener takes any recipient",
    )
    mail_intake_host: str = setting(
        "PENGADUAN_MAIL_INTAKE_HOST", "127.0.0.1", "where the mail intake listener listens"
    )
    mail_intake_port: int = setting(
        "PENGADUAN_MAIL_INTAKE_PORT",
        2525,
        "the mail intake listener's port",
        read=Whole(minimum=1, maximum=65535),
    )
    mail_intake_protocol: str = setting(
        "PENGADUAN_MAIL_INTAKE_PROTOCOL",
        "smtp",
        "smtp or lmtp: what the mail server speaks to the listener",
        read=Choice(options=("smtp", "lmtp")),
    )
    mail_intake_max_bytes: int = setting(
        "PENGADUAN_MAIL_INTAKE_MAX_BYTES",
        25 * 1024 * 1024,
        "the largest mail taken (the SMTP SIZE limit; larger is refused with 552)",
        read=Whole(minimum=1024),
    )
    mail_intake_per_hour: int = setting(
        "PENGADUAN_MAIL_INTAKE_PER_HOUR",
        10,
        "mails taken from one sender in an hour; more wait (4xx) or are left unread",
        read=Whole(minimum=1),
    )
    mail_intake_authserv_id: str = setting(
        "PENGADUAN_MAIL_INTAKE_AUTHSERV_ID",
        "",
        "the name your mail server writes first in Authentication-Results: mail whose From it "
        "did not verify (DMARC, or DKIM/SPF of that domain) is refused; empty: not checked",
    )
    mail_intake_imap_host: str = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_HOST",
        "",
        "poll this IMAP server instead of listening (a hosted mailbox)",
    )
    mail_intake_imap_port: int = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_PORT",
        993,
        "the IMAP server's port",
        read=Whole(minimum=1, maximum=65535),
    )
    mail_intake_imap_security: str = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_SECURITY",
        "tls",
        "tls or none (none only for a server on this machine)",
        read=Choice(options=("tls", "none")),
    )
    mail_intake_imap_user: str = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_USER", "", "the mailbox's login", read=Verbatim()
    )
    mail_intake_imap_password: str = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_PASSWORD", "", "the mailbox's password", read=Verbatim()
    )
    mail_intake_imap_folder: str = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_FOLDER", "INBOX", "the folder the complaints arrive in"
    )
    mail_intake_imap_interval: int = setting(
        "PENGADUAN_MAIL_INTAKE_IMAP_INTERVAL",
        60,
        "seconds between looks at the mailbox",
        read=Whole(minimum=1),
    )

    @property
    def mail_intake_address_list(self) -> tuple[str, ...]:
        """The complaints addresses, lower case."""
        return tuple(a.strip().lower() for a in self.mail_intake_addresses.split(",") if a.strip())
