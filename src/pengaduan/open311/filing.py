"""Filing a service request (Open311 POST requests): the client's key, then the arguments as
the specification names them, then the lead's intake (`complaints.intake.file_from_channel`,
channel "open311"): the web form's rules, the upload's checks on a media_url's file, the same
numbering, lifecycle, history, audit and notifications.

The reporter is the person the client names (`accounts.contacts.reporter_for`: their account
when the email is an account's confirmed address, else a contact-only reporter), so an email
or a phone number is needed. The title is the description's start (intake does that). No
category asks for attributes, so any `attribute[...]` is refused as unknown. The submission's
audit entry, written in its transaction, names the client's key (`via`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pengaduan.accounts import contacts
from pengaduan.apikeys.services import ClientKey
from pengaduan.complaints import imaging, intake, remote_media
from pengaduan.complaints.storage import Storage
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _, get_locale
from pengaduan.open311.reading import active_category
from pengaduan.settings import Settings
from pengaduan.web.values import readable

NAME_PARTS_MAX = 100


@dataclass(frozen=True)
class Filed:
    number: str
    notice: str


def _coordinate(args: Mapping[str, str], name: str, bound: float) -> float | None:
    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and -bound <= value <= bound):
        raise Refused(
            _("%(name)s must be a number from -%(max)s to %(max)s.", name=name, max=int(bound)),
            INVALID,
            field=name,
        )
    return value


def _location(args: Mapping[str, str]) -> tuple[float | None, float | None, str]:
    """lat and long (both or neither), or address_string: the specification needs one."""
    latitude = _coordinate(args, "lat", 90)
    longitude = _coordinate(args, "long", 180)
    address = " ".join(args.get("address_string", "").split())
    if (latitude is None) != (longitude is None):
        raise Refused(_("Give both lat and long, or neither."), INVALID, field="lat")
    if latitude is None and not address:
        raise Refused(
            _("A location is required: lat and long, or address_string."), INVALID, field="lat"
        )
    return latitude, longitude, address


async def file_request(
    args: Mapping[str, str],
    *,
    key: ClientKey,
    ip: str,
    settings: Settings,
    storage: Storage,
    images: imaging.ImageWorkers | None,
) -> Filed:
    """File the request `args` describe for the client holding `key`; Refused(INVALID) with
    the specification's argument name for what is missing or wrong."""
    for name, value in args.items():
        if not readable(name) or not readable(value):
            raise Refused(_("%(name)s holds unreadable characters.", name=name[:40]), INVALID)
    code = args.get("service_code", "").strip()
    if not code:
        raise Refused(_("service_code was not provided."), INVALID, field="service_code")
    try:
        category = await active_category(code)
    except Refused as refused:  # not found among the services: a bad argument here (400)
        raise Refused(refused.message, INVALID, field="service_code") from None
    unknown = sorted(name for name in args if name.startswith("attribute["))
    if unknown:
        raise Refused(
            _("%(name)s is not an attribute of this service.", name=unknown[0][:60]), INVALID
        )
    latitude, longitude, address = _location(args)
    description = args.get("description", "")
    if not description.strip():
        raise Refused(_("description was not provided."), INVALID, field="description")
    name = " ".join(
        part[:NAME_PARTS_MAX]
        for part in (args.get("first_name", "").strip(), args.get("last_name", "").strip())
        if part
    )
    email, phone = args.get("email", "").strip(), args.get("phone", "").strip()
    if not email and not phone:
        raise Refused(
            _("email or phone is required, so that the reporter hears back."),
            INVALID,
            field="email",
        )
    attachments = []
    media_url = args.get("media_url", "").strip()
    if media_url:
        attachments.append(await remote_media.fetch(media_url, settings=settings))
    reporter = await contacts.reporter_for(
        email=email or None,
        phone=phone or None,
        name=name,
        language=get_locale(),
        settings=settings,
    )
    try:
        submitted = await intake.file_from_channel(
            channel="open311",
            reporter_id=reporter.user_id,
            title="",
            body=description,
            category_id=category,
            latitude=latitude,
            longitude=longitude,
            location_text=address,
            attachments=attachments,
            ip=ip,
            via=key.name,
            settings=settings,
            storage=storage,
            images=images,
        )
    except Refused:
        # Nothing filed: a reporter made just now for it is not kept.
        await contacts.discard_unused(reporter)
        raise
    notice = _(
        "Registered as %(number)s. The agency handles it from here; the reporter hears of "
        "every change of status by email or SMS.",
        number=submitted.number,
    )
    return Filed(number=submitted.number, notice=notice)
