"""Filing a complaint, the pages: the form (with evidence files, kept across a form shown
again), sending it, and the page that says it was sent."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency.categories import active_categories
from pengaduan.complaints import attaching, evidence, filing, forms, imaging, kept_files
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.complaints.pages import CITIZEN, own
from pengaduan.complaints.storage import Storage
from pengaduan.errors import Checked, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings
from pengaduan.web.errors import status_of
from pengaduan.web.input import read_form
from pengaduan.web.kit import SettingsDep, StorageDep, client_ip, redirect, toast
from pengaduan.web.templating import render

log = logging.getLogger(__name__)

# The body of the new-complaint form may carry several photos; the real per-file and
# per-form limits come from the settings and are checked file by file.
MAX_FORM_BYTES = 128 * 1024 * 1024


async def _new_page(
    request: Request,
    settings: Settings,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    kept: list[evidence.StoredEvidence],
    key: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    return render(
        request,
        "complaints/new.html",
        {
            "values": values,
            "errors": errors,
            "categories": await active_categories(),
            "kept": [
                (kept_files.pending_token(settings, request.user.id, stored), stored)
                for stored in kept
            ],
            "idempotency_key": key,
            "max_files": settings.upload_max_files,
            "max_mb": settings.upload_max_bytes // (1024 * 1024),
            "accept": evidence.ACCEPT,
        },
        status_code=status_code,
        headers=headers,
    )


@get("/pengaduan/baru", name="complaints:new", opt=CITIZEN)
async def new_complaint(request: Request, settings: SettingsDep) -> Template:
    return await _new_page(
        request,
        settings,
        values={"urgency": "normal"},
        errors={},
        kept=[],
        key=secrets.token_urlsafe(24),
    )


async def _kept_files(
    request: Request, settings: Settings, storage: Storage, form: Any
) -> tuple[list[evidence.StoredEvidence], list[str]]:
    """The files kept from an earlier try that are still there; a message per lost one."""
    accepted: list[evidence.StoredEvidence] = []
    problems: list[str] = []
    for token in form.getall("kept", []):
        stored = await kept_files.from_pending_token(
            settings, storage, request.user.id, forms.first(token)
        )
        if stored is None:
            problems.append(_("A file you attached earlier has expired; choose it again."))
        elif stored not in accepted:
            accepted.append(stored)
    return accepted, problems


def _has_files(form: Any) -> bool:
    """Whether the form brings files (new ones, or kept from an earlier try)."""
    return bool(form.getall("kept", [])) or any(
        isinstance(item, UploadFile) and item.filename for item in form.getall("evidence", [])
    )


async def _accept_files(
    request: Request, settings: Settings, storage: Storage, form: Any
) -> tuple[list[evidence.StoredEvidence], list[str]]:
    """The files kept from an earlier try plus the new ones that pass; a message per refusal.
    Raises OSError when storage fails, ImageWorkersBusy when no image slot came free."""
    accepted, problems = await _kept_files(request, settings, storage, form)
    uploads = [item for item in form.getall("evidence", []) if isinstance(item, UploadFile)]
    problems += await attaching.attach(
        uploads,
        accepted=accepted,
        workers=request.app.state.image_workers,
        storage=storage,
        settings=settings,
    )
    return accepted, problems


async def _busy_page(
    request: Request,
    settings: Settings,
    storage: Storage,
    form: Any,
    parsed: Checked[ComplaintFields],
    key: str,
) -> Template:
    """Every image slot stayed taken: 503 and Retry-After, nothing saved, the typed values
    and the files kept earlier still in the form. htmx keeps the form as it is (files
    chosen included) and shows the message as a toast."""
    message = _(
        "Many photos are being processed right now. Nothing was saved: please wait a moment "
        "and send the form again."
    )
    kept, _lost = await _kept_files(request, settings, storage, form)
    return await _new_page(
        request,
        settings,
        values=parsed.values,
        errors={**parsed.errors, "form": message},
        kept=kept,
        key=key,
        status_code=503,
        headers={
            "Retry-After": str(imaging.RETRY_AFTER_SECONDS),
            **toast(message, "error"),
        },
    )


def _sent(request: Request, complaint_id: int) -> Response:
    return redirect(
        request, request.app.route_reverse("complaints:sent", complaint_id=complaint_id)
    )


@post(
    "/pengaduan/baru",
    name="complaints:create",
    opt=CITIZEN,
    request_max_body_size=MAX_FORM_BYTES,
)
async def create_complaint(
    request: Request, settings: SettingsDep, storage: StorageDep
) -> Response:
    form = read_form(await request.form())
    user = request.user
    key = forms.idempotency_key(form.get("idempotency_key"))
    values = {name: form.get(name, "") for name in forms.TEXT_FIELDS}
    # A complete form without files is nearly always filed: its read then also takes the new
    # complaint's number (one query less); a refused one leaves a gap, as a rollback does.
    likely = forms.parse_complaint(values, None).cleaned
    # Another person's form key: refused as a conflict (the error page).
    checked = await filing.check_form(
        key,
        user.id,
        likely.category_id if likely else 0,
        numbered=likely is not None and not _has_files(form) and not form.only(*forms.TEXT_FIELDS),
    )
    if checked.existing:
        # A double tap or a resent form: the complaint is there already.
        return _sent(request, checked.existing["id"])
    key = key or secrets.token_urlsafe(24)
    parsed = forms.parse_complaint(values, checked.category_ids)
    unreadable = form.only(*forms.TEXT_FIELDS)
    try:
        accepted, problems = await _accept_files(request, settings, storage, form)
    except imaging.ImageWorkersBusy:
        return await _busy_page(request, settings, storage, form, parsed, key)
    except OSError:
        log.exception("evidence storage failed")
        return await _new_page(
            request,
            settings,
            values=parsed.values,
            errors={
                **parsed.errors,
                "evidence": _(
                    "Your files could not be saved just now. Please try again and choose them "
                    "again."
                ),
            },
            kept=[],
            key=key,
            status_code=503,
        )
    errors = {**parsed.errors, **unreadable}
    if problems:
        errors["evidence"] = " ".join(problems)
    if errors or parsed.cleaned is None:
        return await _new_page(
            request,
            settings,
            values=parsed.values,
            errors=errors,
            kept=accepted,
            key=key,
            status_code=422,
        )
    try:
        submitted = await filing.create_complaint(
            reporter_id=user.id,
            fields=parsed.cleaned,
            evidence=accepted,
            idempotency_key=key,
            ip=client_ip(request),
            checked=checked,
            settings=settings,
        )
    except Refused as refused:
        if refused.field is None:
            raise  # another person's form key: the error page
        # The category was switched off while the form was open.
        return await _new_page(
            request,
            settings,
            values=parsed.values,
            errors={refused.field: refused.message},
            kept=accepted,
            key=key,
            status_code=status_of(refused),
        )
    return _sent(request, submitted.id)


@get("/pengaduan/{complaint_id:int}/terkirim", name="complaints:sent", opt=CITIZEN)
async def complaint_sent(request: Request, complaint_id: FromPath[int]) -> Template:
    complaint = await own(request, complaint_id)
    return render(request, "complaints/sent.html", {"complaint": complaint})


ROUTES = [new_complaint, create_complaint, complaint_sent]
