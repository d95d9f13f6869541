"""Settings of the channels other systems and people use besides the web form (Open311, the
app's API, mail and WhatsApp/SMS intake, hand-over). `Settings` inherits them, so each is
read, checked and listed like every other setting; a group per module keeps settings.py
readable."""

from __future__ import annotations

from dataclasses import dataclass

from pengaduan.settings_reading import Switch, setting


@dataclass(frozen=True)
class ChannelSettings:
    fetch_private_hosts: bool = setting(
        "PENGADUAN_FETCH_PRIVATE_HOSTS",
        False,
        "let media links (Open311 media_url, WhatsApp photos) point at private or loopback "
        "addresses; off so a link cannot make the server read the internal network",
        read=Switch(),
    )
