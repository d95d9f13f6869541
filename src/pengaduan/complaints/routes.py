"""The citizen's complaint pages: file one (with evidence), see it sent, follow it in "My
complaints", edit or withdraw it while pending, talk with the officer, rate or reopen it, and
track any complaint by number and tracking code without an account."""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream, Template

from pengaduan import db
from pengaduan.agency.categories import active_categories
from pengaduan.complaints import evidence, forms, imaging, services
from pengaduan.complaints.lifecycle import Actor, TransitionRefused
from pengaduan.complaints.storage import InvalidKey, Storage
from pengaduan.complaints.tables import STATUSES
from pengaduan.i18n import _
from pengaduan.web import publiccache
from pengaduan.web.errors import user_error
from pengaduan.web.input import FormInput, read_form
from pengaduan.web.kit import client_ip, redirect, settings_of
from pengaduan.web.templating import HX_VARY, render
from pengaduan.web.values import page_number, shown, text, unreadable_message

log = logging.getLogger(__name__)

ANYONE = {"access": "anyone"}
USER = {"access": "user"}
CITIZEN = {"access": "citizen"}
# The body of the new-complaint form may carry several photos; the real per-file and
# per-form limits come from the settings and are checked file by file.
MAX_FORM_BYTES = 128 * 1024 * 1024


def storage_of(request: Request) -> Storage:
    """The app's evidence storage (tests may put another one on the app's state)."""
    return getattr(request.app.state, "storage", None) or evidence.storage_for(settings_of(request))


def actor_of(request: Request) -> Actor:
    user = request.user
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, ip=client_ip(request))


def refusal(error: TransitionRefused) -> Exception:
    """A lifecycle refusal as an HTTP error for the person (404 stays a plain 404)."""
    if error.status_code == 404:
        return NotFoundException()
    return user_error(error.status_code, error.message)


async def _form(request: Request) -> FormInput:
    return read_form(await request.form())


# --- filing a complaint ----------------------------------------------------------------------


async def _new_page(
    request: Request,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    kept: list[evidence.StoredEvidence],
    key: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    settings = settings_of(request)
    return render(
        request,
        "complaints/new.html",
        {
            "values": values,
            "errors": errors,
            "categories": await active_categories(),
            "kept": [
                (evidence.pending_token(settings, request.user.id, stored), stored)
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
async def new_complaint(request: Request) -> Template:
    return await _new_page(
        request,
        values={"urgency": "normal"},
        errors={},
        kept=[],
        key=secrets.token_urlsafe(24),
    )


async def _kept_files(
    request: Request, form: Any
) -> tuple[list[evidence.StoredEvidence], list[str]]:
    """The files kept from an earlier try that are still there; a message per lost one."""
    settings = settings_of(request)
    storage = storage_of(request)
    accepted: list[evidence.StoredEvidence] = []
    problems: list[str] = []
    for token in form.getall("kept", []):
        stored = await evidence.from_pending_token(
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
    request: Request, form: Any
) -> tuple[list[evidence.StoredEvidence], list[str]]:
    """The files kept from an earlier try plus the new ones that pass; a message per refusal.
    Raises OSError when storage fails, ImageWorkersBusy when no image slot came free."""
    settings = settings_of(request)
    storage = storage_of(request)
    accepted, problems = await _kept_files(request, form)
    uploads = [
        item
        for item in form.getall("evidence", [])
        if isinstance(item, UploadFile) and item.filename
    ]
    room = max(settings.upload_max_files - len(accepted), 0)
    if len(uploads) > room:
        problems.append(
            _(
                "You can attach at most %(max)d files. Not attached: %(names)s.",
                max=settings.upload_max_files,
                names=", ".join(evidence.clean_name(u.filename) for u in uploads[room:]),
            )
        )
        uploads = uploads[:room]
    if not uploads:
        return accepted, problems
    workers: imaging.ImageWorkers = request.app.state.image_workers
    # One slot for the whole form: its files are decoded one after the other.
    async with workers.slot():
        for upload in uploads:
            # Never read more than the limit (plus one byte, to know it was over).
            data = await upload.read(settings.upload_max_bytes + 1)
            try:
                prepared = await workers.prepare(upload.filename, data, settings.upload_max_bytes)
            except evidence.EvidenceRefused as refused:
                problems.append(str(refused))
                continue
            stored = await evidence.store(storage, prepared)
            if stored not in accepted:
                accepted.append(stored)
    return accepted, problems


async def _busy_page(request: Request, form: Any, parsed: forms.ParsedForm, key: str) -> Template:
    """Every image slot stayed taken: 503 and Retry-After, nothing saved, the typed values
    and the files kept earlier still in the form. htmx keeps the form as it is (files
    chosen included) and shows the message as a toast."""
    message = _(
        "Many photos are being processed right now. Nothing was saved: please wait a moment "
        "and send the form again."
    )
    kept, _lost = await _kept_files(request, form)
    return await _new_page(
        request,
        values=parsed.values,
        errors={**parsed.errors, "form": message},
        kept=kept,
        key=key,
        status_code=503,
        headers={
            "Retry-After": str(imaging.RETRY_AFTER_SECONDS),
            "HX-Trigger": json.dumps({"pengaduan:toast": {"level": "error", "message": message}}),
        },
    )


@post(
    "/pengaduan/baru",
    name="complaints:create",
    opt=CITIZEN,
    request_max_body_size=MAX_FORM_BYTES,
)
async def create_complaint(request: Request) -> Response:
    form = await _form(request)
    user = request.user
    key = forms.idempotency_key(form.get("idempotency_key"))
    values = {name: form.get(name, "") for name in forms.TEXT_FIELDS}
    # A complete form without files is nearly always filed: its read then also takes the new
    # complaint's number (one query less); a refused one leaves a gap, as a rollback does.
    likely = forms.parse_complaint(values, None).fields
    try:
        checked = await services.check_form(
            key,
            user.id,
            likely.category_id if likely else 0,
            numbered=likely is not None
            and not _has_files(form)
            and not form.only(*forms.TEXT_FIELDS),
        )
    except services.IdempotencyConflict:
        raise user_error(409, _("This form cannot be sent. Open a new form.")) from None
    if checked.existing:
        # A double tap or a resent form: the complaint is there already.
        return redirect(request, f"/pengaduan/{checked.existing['id']}/terkirim")
    key = key or secrets.token_urlsafe(24)
    parsed = forms.parse_complaint(values, checked.category_ids)
    unreadable = form.only(*forms.TEXT_FIELDS)
    try:
        accepted, problems = await _accept_files(request, form)
    except imaging.ImageWorkersBusy:
        return await _busy_page(request, form, parsed, key)
    except OSError:
        log.exception("evidence storage failed")
        return await _new_page(
            request,
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
    if errors or parsed.fields is None:
        return await _new_page(
            request,
            values=parsed.values,
            errors=errors,
            kept=accepted,
            key=key,
            status_code=422,
        )
    try:
        submitted = await services.create_complaint(
            reporter_id=user.id,
            fields=parsed.fields,
            evidence=accepted,
            idempotency_key=key,
            ip=client_ip(request),
            checked=checked,
        )
    except services.IdempotencyConflict:
        raise user_error(409, _("This form cannot be sent. Open a new form.")) from None
    except TransitionRefused as refused:
        # The category was switched off while the form was open.
        return await _new_page(
            request,
            values=parsed.values,
            errors={refused.field or "form": refused.message},
            kept=accepted,
            key=key,
            status_code=refused.status_code,
        )
    return redirect(request, f"/pengaduan/{submitted.id}/terkirim")


@get("/pengaduan/{complaint_id:int}/terkirim", name="complaints:sent", opt=CITIZEN)
async def complaint_sent(request: Request, complaint_id: FromPath[int]) -> Template:
    complaint = await _own(request, complaint_id)
    return render(request, "complaints/sent.html", {"complaint": complaint})


# --- My complaints -----------------------------------------------------------------------------


@get("/pengaduan-saya", name="complaints:mine", opt=CITIZEN)
async def my_complaints(request: Request) -> Template:
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    page = page_number(request.query_params.get("halaman"), last=99_999)
    rows, total = await services.my_complaints(request.user.id, status=status, page=page)
    return render(
        request,
        "complaints/mine.html",
        {
            "complaints": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // services.PAGE_SIZE)),
            "status": status,
            "statuses": STATUSES,
        },
        fragment="complaints/_mine_results.html",
    )


# --- one complaint -----------------------------------------------------------------------------


async def _own(request: Request, complaint_id: int) -> dict[str, Any]:
    """The complaint if the person asking reported it; 404 for everybody else (staff have
    their own handling pages)."""
    complaint = await services.complaint_for_reporter(complaint_id, request.user.id)
    if complaint is None:
        raise NotFoundException()
    return complaint


async def _detail_page(
    request: Request,
    complaint_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    async with db.one_connection():  # the page's reads: one pool connection
        complaint = await _own(request, complaint_id)
        timeline = await services.public_timeline(complaint_id, request.user.id)
        files = await services.evidence_of(complaint_id)
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "timeline": timeline,
            "audience": "reporter",
            "files": files,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@get("/pengaduan/{complaint_id:int}", name="complaints:detail", opt=USER)
async def complaint_detail(request: Request, complaint_id: FromPath[int]) -> Template:
    return await _detail_page(request, complaint_id)


def _fragment(name: str, context: dict[str, Any]) -> Template:
    return Template(
        template_name=name,
        context=context,
        headers={"Vary": HX_VARY, "Cache-Control": "no-store"},
    )


@get("/pengaduan/{complaint_id:int}/status", name="complaints:status", opt=USER)
async def complaint_status(request: Request, complaint_id: FromPath[int]) -> Template:
    """Only the status badge (for live updates)."""
    status = await services.complaint_status(complaint_id, request.user.id)
    if status is None:
        raise NotFoundException()
    return _fragment(
        "complaints/_status_badge.html", {"status": status, "badge_id": "complaint-status"}
    )


@get("/pengaduan/{complaint_id:int}/linimasa", name="complaints:timeline", opt=USER)
async def complaint_timeline(request: Request, complaint_id: FromPath[int]) -> Template:
    """Only the timeline (for live updates)."""
    if await services.complaint_status(complaint_id, request.user.id) is None:
        raise NotFoundException()
    timeline = await services.public_timeline(complaint_id, request.user.id)
    return _fragment("complaints/_timeline.html", {"timeline": timeline, "audience": "reporter"})


def _download_name(original: str, mime: str) -> tuple[str, str]:
    """An ASCII fallback and the UTF-8 name, with the extension of what we actually serve."""
    stem = original.rsplit(".", 1)[0] if "." in original else original
    extension = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(mime, "")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "bukti"
    return ascii_stem[:100] + extension, (stem[:100] or "bukti") + extension


@get(
    "/pengaduan/{complaint_id:int}/bukti/{file_id:int}",
    name="complaints:evidence",
    # Photos and PDFs are compressed already; a known length lets the body stream as it is.
    opt={**USER, "skip_compression": True},
)
async def evidence_file(
    request: Request, complaint_id: FromPath[int], file_id: FromPath[int]
) -> Response:
    """An evidence file (or `?ukuran=kecil`: its thumbnail) for the reporter and the staff
    handling it; never for the public. Streamed from storage (the disk or the bucket)."""
    user = request.user
    row = await services.evidence_for_viewer(
        complaint_id, file_id, user_id=user.id, role=user.role, unit_id=user.unit_id
    )
    if row is None:
        raise NotFoundException()
    small = request.query_params.get("ukuran") == "kecil"
    key = row["thumbnail_key"] if small else row["storage_key"]
    mime = "image/jpeg" if small else row["mime_type"]
    if not key:
        raise NotFoundException()
    try:
        blob = await storage_of(request).open(key)
    except (FileNotFoundError, InvalidKey):
        log.error("evidence %s of complaint %s is missing from storage", file_id, complaint_id)
        raise NotFoundException() from None
    fallback, full = _download_name(row["original_name"], mime)
    disposition = "inline" if mime.startswith("image/") else "attachment"
    return Stream(
        blob.chunks,
        media_type=mime,
        headers={
            "Content-Length": str(blob.size),
            "Content-Disposition": f'{disposition}; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(full)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


# --- edit and withdraw (while pending) ---------------------------------------------------------


async def _edit_page(
    request: Request,
    complaint: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    categories = await active_categories()
    if complaint["category"] not in {c["id"] for c in categories}:
        # Its category was switched off since: it may stay, but no other inactive one.
        categories = [
            {
                "id": complaint["category"],
                "name": complaint["category_name"],
                "icon": complaint["category_icon"],
                "unit_name": complaint["unit_name"],
                "deadline_days": None,
                "description": "",
            },
            *categories,
        ]
    return render(
        request,
        "complaints/edit.html",
        {"complaint": complaint, "values": values, "errors": errors, "categories": categories},
        status_code=status_code,
    )


def _pending_only(complaint: dict[str, Any]) -> None:
    if complaint["status"] != "pending":
        raise user_error(409, _("A complaint can only be changed while it is pending."))


@get("/pengaduan/{complaint_id:int}/ubah", name="complaints:edit", opt=CITIZEN)
async def edit_complaint(request: Request, complaint_id: FromPath[int]) -> Template:
    complaint = await _own(request, complaint_id)
    _pending_only(complaint)
    return await _edit_page(request, complaint, forms.values_of(complaint), {})


@post("/pengaduan/{complaint_id:int}/ubah", name="complaints:edit.submit", opt=CITIZEN)
async def edit_complaint_submit(request: Request, complaint_id: FromPath[int]) -> Response:
    complaint = await _own(request, complaint_id)
    _pending_only(complaint)
    form = await _form(request)
    categories = {c["id"] for c in await active_categories()} | {complaint["category"]}
    parsed = forms.parse_complaint(
        {name: form.get(name, "") for name in forms.TEXT_FIELDS}, categories
    )
    unreadable = form.only(*forms.TEXT_FIELDS)
    if parsed.fields is None or unreadable:
        errors = {**parsed.errors, **unreadable}
        return await _edit_page(request, complaint, parsed.values, errors, 422)
    try:
        await services.update_complaint(
            complaint_id, request.user.id, parsed.fields, ip=client_ip(request)
        )
    except TransitionRefused as refused:
        if refused.field:
            return await _edit_page(
                request, complaint, parsed.values, {refused.field: refused.message}, 422
            )
        raise refusal(refused) from None
    return redirect(request, f"/pengaduan/{complaint_id}", _("Your changes are saved."))


@get("/pengaduan/{complaint_id:int}/cabut", name="complaints:withdraw.confirm", opt=CITIZEN)
async def withdraw_confirm_page(request: Request, complaint_id: FromPath[int]) -> Template:
    """Are you sure? The step a withdrawal takes without JavaScript (no dialog to ask)."""
    complaint = await _own(request, complaint_id)
    _pending_only(complaint)
    return render(request, "complaints/withdraw.html", {"complaint": complaint})


@post("/pengaduan/{complaint_id:int}/cabut", name="complaints:withdraw", opt=CITIZEN)
async def withdraw_complaint(request: Request, complaint_id: FromPath[int]) -> Response:
    form = await _form(request)
    if form.get("confirmed") != "1":
        # Not confirmed yet (a plain form post from the detail page): ask first.
        _pending_only(await _own(request, complaint_id))
        return redirect(request, f"/pengaduan/{complaint_id}/cabut")
    try:
        await services.withdraw(complaint_id, actor_of(request))
    except TransitionRefused as refused:
        raise refusal(refused) from None
    return redirect(request, f"/pengaduan/{complaint_id}", _("You withdrew the complaint."))


# --- conversation, rating, reopening -----------------------------------------------------------


@post("/pengaduan/{complaint_id:int}/pesan", name="complaints:message", opt=CITIZEN)
async def post_message(request: Request, complaint_id: FromPath[int]) -> Response:
    form = await _form(request)
    body = form.get("message").strip().replace("\r\n", "\n")
    error = None
    if "message" in form.errors:
        error = form.errors["message"]
    elif not body:
        error = _("Write your message.")
    elif len(body) > forms.MESSAGE_MAX:
        error = _("The message is too long (at most %(max)d characters).", max=forms.MESSAGE_MAX)
    if error:
        return await _detail_page(
            request,
            complaint_id,
            values={"message": form.get("message")},
            errors={"message": error},
            status_code=422,
        )
    try:
        await services.post_message(
            complaint_id,
            request.user.id,
            body,
            ip=client_ip(request),
            idempotency_key=forms.idempotency_key(form.get("idempotency_key")),
        )
    except TransitionRefused as refused:
        raise refusal(refused) from None
    return redirect(request, f"/pengaduan/{complaint_id}#linimasa", _("Your message is sent."))


@post("/pengaduan/{complaint_id:int}/nilai", name="complaints:rate", opt=CITIZEN)
async def rate_complaint(request: Request, complaint_id: FromPath[int]) -> Response:
    form = await _form(request)
    raw_score, comment = form.get("score").strip(), form.get("comment").strip()
    errors = form.only("comment")
    if raw_score not in ("1", "2", "3", "4", "5"):
        errors["score"] = _("Choose from 1 (very bad) to 5 (very good).")
    if len(comment) > forms.COMMENT_MAX:
        errors["comment"] = _(
            "The comment is too long (at most %(max)d characters).", max=forms.COMMENT_MAX
        )
    if errors:
        return await _detail_page(
            request,
            complaint_id,
            values={"score": raw_score, "comment": form.get("comment")},
            errors=errors,
            status_code=422,
        )
    try:
        await services.rate(
            complaint_id,
            actor_of(request),
            int(raw_score),
            comment,
            idempotency_key=forms.idempotency_key(form.get("idempotency_key")),
        )
    except TransitionRefused as refused:
        raise refusal(refused) from None
    return redirect(request, f"/pengaduan/{complaint_id}", _("Thank you for your rating."))


@post("/pengaduan/{complaint_id:int}/buka-kembali", name="complaints:reopen", opt=CITIZEN)
async def reopen_complaint(request: Request, complaint_id: FromPath[int]) -> Response:
    form = await _form(request)
    reason = form.get("reason").strip()
    try:
        if "reason" in form.errors:
            raise TransitionRefused(form.errors["reason"], 422, "reason")
        await services.reopen(complaint_id, actor_of(request), reason)
    except TransitionRefused as refused:
        if refused.status_code == 422:
            return await _detail_page(
                request,
                complaint_id,
                values={"reason": form.get("reason")},
                errors={"reason": refused.message},
                status_code=422,
            )
        raise refusal(refused) from None
    return redirect(
        request,
        f"/pengaduan/{complaint_id}",
        _("Your complaint is open again. The officer will look at it once more."),
    )


# --- tracking without an account ----------------------------------------------------------------

NO_STORE = {"Cache-Control": "no-store"}


@get("/lacak", name="complaints:track", opt=ANYONE)
async def track_page(request: Request) -> Response:
    """The tracking form, filled in from ?nomor= (the link in an SMS) and ?kode=; the result
    straight away with both, or for the complaint's own reporter, logged in, with the number."""
    query = request.query_params
    if not query:
        # The empty form, the same for everyone but the token: kept (web.publiccache), private.
        async def empty() -> tuple[dict[str, Any], int]:
            return {"values": {"number": "", "code": ""}, "errors": {}, "result": None}, 200

        return await publiccache.respond(request, "complaints/track.html", empty, shared=False)
    typed = {"number": query.get("nomor", "")[:40], "code": query.get("kode", "")[:40]}
    errors = {name: unreadable_message() for name, value in typed.items() if text(value) is None}
    number, code = shown(typed["number"]), shown(typed["code"])
    result = None
    if number.strip() and not errors:
        user = request.scope.get("user")
        if code.strip():
            result = await services.track(number, code)
            if result is None:
                errors["form"] = _(
                    "No complaint matches this number and tracking code. Check both and try again."
                )
        elif user is not None and user.role == "citizen":
            result = await services.track_own(number, user.id)
    return render(
        request,
        "complaints/track.html",
        {"values": {"number": number, "code": code}, "errors": errors, "result": result},
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


@post("/lacak", name="complaints:track.submit", opt=ANYONE)
async def track_submit(request: Request) -> Template:
    form = await _form(request)
    values = {"number": form.get("number")[:40], "code": form.get("code")[:40]}
    errors = form.only("number", "code")
    if not values["number"].strip():
        errors["number"] = _("Enter the complaint number, e.g. ADU-2026-000123.")
    if not values["code"].strip():
        errors["code"] = _("Enter the tracking code you received.")
    result = None
    if not errors:
        result = await services.track(values["number"], values["code"])
        if result is None:
            # The same words whichever part is wrong: nothing to learn about what exists.
            errors["form"] = _(
                "No complaint matches this number and tracking code. Check both and try again."
            )
    if errors:
        return render(
            request,
            "complaints/track.html",
            {"values": values, "errors": errors, "result": None},
            status_code=422,
            headers=NO_STORE,
        )
    return render(
        request,
        "complaints/track.html",
        {"values": {"number": values["number"]}, "errors": {}, "result": result},
        headers=NO_STORE,
    )


ROUTES = [
    new_complaint,
    create_complaint,
    complaint_sent,
    my_complaints,
    complaint_detail,
    complaint_status,
    complaint_timeline,
    evidence_file,
    edit_complaint,
    edit_complaint_submit,
    withdraw_confirm_page,
    withdraw_complaint,
    post_message,
    rate_complaint,
    reopen_complaint,
    track_page,
    track_submit,
]
