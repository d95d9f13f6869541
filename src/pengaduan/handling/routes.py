"""Officer and admin pages for handling complaints: the unit home, the queue, the detail page
with its actions (claim, verify, reject, start, reply, note, forward, resolve, reassign)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan import db
from pengaduan.complaints import lifecycle
from pengaduan.complaints.forms import idempotency_key
from pengaduan.complaints.lifecycle import Actor, ChangedMeanwhile
from pengaduan.complaints.tables import PRIORITIES, STATUSES
from pengaduan.complaints.versions import version_of
from pengaduan.errors import Refused as TransitionRefused  # until handling moves to Refused
from pengaduan.handling import actions, services
from pengaduan.handling.queue import QueueFilters, is_capped, list_complaints, page_count
from pengaduan.handling.services import unit_summary
from pengaduan.i18n import _
from pengaduan.web import pagecache
from pengaduan.web.errors import user_error
from pengaduan.web.flash import flash_cookie
from pengaduan.web.input import Form, FormInput, read_form
from pengaduan.web.kit import client_ip, redirect
from pengaduan.web.templating import HX_VARY, is_partial, render
from pengaduan.web.values import chosen_id, record_id

STAFF = {"access": "staff"}
DETAIL_FRAGMENT = "handling/_detail_main.html"


def _actor(request: Request) -> Actor:
    user = request.user
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, ip=client_ip(request))


def _key(form: FormInput) -> str | None:
    """The form's idempotency key (complaints.repeats), when it is a well-formed one."""
    return idempotency_key(form.get("idempotency_key"))


def _seen(form: FormInput) -> str | None:
    """The version of the complaint the form was filled in on (complaints.versions)."""
    return form.get("version") or None


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _toast(message: str, level: str = "ok") -> dict[str, str]:
    return {"HX-Trigger": json.dumps({"pengaduan:toast": {"level": level, "message": message}})}


# --- officer home and queue --------------------------------------------------------------------


@get("/petugas", name="officer:home", opt={"access": "officer"})
async def officer_home(request: Request) -> Template:
    summary = await unit_summary(request.user.unit_id, request.user.id)
    return render(request, "handling/home.html", {"summary": summary})


def _tabs(is_admin: bool) -> list[tuple[str, str]]:
    if is_admin:
        return [("all", _("All units")), ("unassigned", _("Unassigned"))]
    return [
        ("mine", _("Assigned to me")),
        ("unassigned", _("Unassigned")),
        ("unit", _("All of my unit")),
    ]


@get("/petugas/antrean", name="handling:queue", opt=STAFF)
async def queue_page(request: Request) -> Template | Response:
    """Officers see their unit (three views); admins every unit, narrowed by a unit filter.

    Officers keep this page open all day and it refreshes itself: while nothing it shows has
    changed, the page rendered last time is given again (web.pagecache)."""
    key = pagecache.page_key(request, "queue")
    if (page := pagecache.cached(request, key)) is not None:
        return page
    user = request.user
    is_admin = user.role == "admin"
    filters = QueueFilters.from_query(
        dict(request.query_params), default_view="all" if is_admin else "unit"
    )
    if is_admin:
        unit_id = None
        if filters.view in ("unit", "mine"):
            filters = replace(filters, view="all")
    else:
        unit_id = user.unit_id if user.unit_id is not None else -1
        if filters.view == "all":
            filters = replace(filters, view="unit")
    partial = is_partial(request)
    context: dict[str, Any] = {
        "filters": filters,
        "show_unit": is_admin,
        "queue_path": "/petugas/antrean",
        "tabs": _tabs(is_admin),
        # The tabs outside the list carry the filters: an htmx swap brings them along.
        "tabs_out_of_band": partial,
        "is_admin": is_admin,
    }
    # Officers of a unit on the same view see the same list (but "mine"), and the same filter
    # form: each is rendered once per queue version for all of them (web.pagecache).
    mine = user.id if filters.view == "mine" else None
    list_key = pagecache.shared_key(
        request, "queue-list", unit_id, is_admin, filters, mine, partial
    )
    form_key = pagecache.shared_key(request, "queue-filters", is_admin, filters)
    queue_list = pagecache.shared(list_key)
    form = None if partial else pagecache.shared(form_key)
    # What is not kept comes from the database, on one pool connection.
    async with db.one_connection():
        if queue_list is None:
            rows, total = await list_complaints(filters, officer_id=user.id, unit_id=unit_id)
            list_context = {
                **context,
                "rows": rows,
                "total": total,
                "pages": page_count(total),
                "capped": is_capped(filters, total),
            }
            html = pagecache.render_html(request, "handling/_queue_list.html", list_context)
            queue_list = pagecache.keep_shared(request, list_key, html)
        if partial:  # the list refresh: the list alone
            return pagecache.html_response(queue_list)
        if form is None:
            form_context = {
                **context,
                "categories": await services.active_categories(),
                "units": await services.active_units() if is_admin else [],
                "statuses": STATUSES,
                "priorities": PRIORITIES,
            }
            html = pagecache.render_html(request, "handling/_queue_filters.html", form_context)
            form = pagecache.keep_shared(request, form_key, html)
    context.update(queue_list=queue_list, queue_filters=form)
    return pagecache.render_and_keep(request, key, "handling/queue.html", context)


# --- the detail page ---------------------------------------------------------------------------


async def _visible(request: Request, complaint_id: int) -> dict[str, Any]:
    complaint = await services.complaint_for_staff(complaint_id, _actor(request))
    if complaint is None:
        raise NotFoundException()
    return complaint


async def _detail_context(
    request: Request,
    complaint: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the page shows. Every action form carries the complaint's `version`, and
    `available` says which actions the page offers."""
    user = request.user
    complaint_id = complaint["id"]
    status = complaint["status"]
    is_open = status in ("pending", "verified", "in_progress")
    can_claim = user.role == "officer" and complaint["officer_id"] is None and is_open
    can_reply = status in actions.REPLY_STATUSES
    async with db.one_connection():  # the page's reads: one pool connection
        timeline = await services.staff_timeline(complaint_id)
        lists = await services.detail_lists(
            complaint_id,
            complaint["category_id"],
            complaint["unit_id"],
            # Verifying (pending) and forwarding (open) choose among them.
            with_categories=status in ("pending", "verified", "in_progress"),
        )
    return {
        "c": complaint,
        "values": values or {},
        "errors": errors or {},
        "timeline": timeline,
        "evidence": lists["evidence"],
        "templates": lists["templates"],
        "categories": lists["categories"],
        "units": lists["units"],
        "officers": lists["officers"],
        "version": str(version_of(complaint)),
        "conflict": None,
        # The action form given back with what was typed (live.js leaves it alone).
        "typed_form": None,
        "can_reassign": user.role == "admin" or complaint["officer_id"] in (None, user.id),
        "available": {
            "claim": can_claim,
            "verify": status == "pending",
            "start": status == "verified",
            "resolve": status == "in_progress",
            "reply": can_reply,
            "note": True,
            "forward": is_open,
            "reassign": is_open,
            "reject": status in ("pending", "verified"),
        },
    }


# The text each action's form holds, shown again apart when the fresh page has no such form.
def _typed_fields() -> dict[str, tuple[str, str]]:
    return {
        "reject": ("reason", _("Reason")),
        "resolve": ("response", _("Official response")),
        "reply": ("body", _("Reply to the reporter")),
        "note": ("note", _("Note for staff")),
        "forward": ("forward_note", _("Why that unit")),
    }


def _conflict(
    refusal: ChangedMeanwhile, action: str, form: FormInput | None, context: dict[str, Any]
) -> dict[str, Any]:
    """What the page says about an action refused because the complaint changed meanwhile:
    what changed, and the officer's text when the fresh page has no form to keep it in."""
    kept = None
    field = _typed_fields().get(action)
    if field and form is not None and not context["available"].get(action):
        name, label = field
        if form.get(name, "").strip():
            kept = {"label": label, "text": form[name]}
    return {"message": refusal.message, "changes": refusal.changes, "kept": kept}


@get("/petugas/pengaduan/{complaint_id:int}", name="handling:detail", opt=STAFF)
async def detail_page(request: Request, complaint_id: FromPath[int]) -> Template:
    """The complaint with everything staff may see; `?template=<id>` fills the reply box
    (for htmx with `part=reply`, only the box comes back)."""
    complaint = await _visible(request, complaint_id)
    values: dict[str, str] = {}
    template_id = record_id(request.query_params.get("template"))
    if template_id is not None:
        template = await services.response_template(template_id, complaint["category_id"])
        if template is not None:
            values["body"] = template["body"]
            values["template"] = str(template_id)
    if is_partial(request) and request.query_params.get("part") == "reply":
        return render(
            request,
            "handling/_reply_box.html",
            {"values": values, "errors": {}},
            fragment="handling/_reply_box.html",
            headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
        )
    context = await _detail_context(request, complaint, values)
    return render(
        request,
        "handling/detail.html",
        context,
        fragment=DETAIL_FRAGMENT,
        headers={"Vary": HX_VARY, "Cache-Control": "no-store"},
    )


async def _act(
    request: Request,
    complaint_id: int,
    action: str,
    run: Callable[[Actor], Awaitable[Any]],
    success: str,
    form: FormInput | None = None,
) -> Response:
    """Run an action; answer with the detail (htmx) or a redirect, or the refusal beside its
    field (422), as a toast (htmx) or on the page (409). An action on a complaint that changed
    since the page was opened (409) gets the fresh page saying what changed, with what was
    typed kept, for htmx too (swapped: base.html's htmx config)."""
    await _visible(request, complaint_id)
    actor = _actor(request)
    try:
        if form is not None and form.errors:
            raise TransitionRefused(form.errors["form"], 422, "form")
        await run(actor)
    except TransitionRefused as refusal:
        if refusal.status_code in (403, 404):
            # Not the actor's to handle (e.g. it moved to another unit meanwhile).
            raise NotFoundException() from refusal
        complaint = await _visible(request, complaint_id)
        conflict = refusal if isinstance(refusal, ChangedMeanwhile) else None
        if form is not None and form.errors:
            errors = form.errors
        elif refusal.field and refusal.status_code == 422:
            errors = {refusal.field: refusal.message}
        elif conflict:
            errors = {}
        elif _is_htmx(request):
            raise user_error(refusal.status_code, refusal.message) from refusal
        else:
            errors = {"form": refusal.message}
        context = await _detail_context(request, complaint, dict(form or {}), errors)
        context["typed_form"] = request.url.path.rsplit("/", 1)[-1]
        headers: dict[str, str] = {}
        if conflict:
            context["conflict"] = _conflict(conflict, action, form, context)
            headers = _toast(" ".join([conflict.message, *conflict.changes]), "error")
        return render(
            request,
            "handling/detail.html",
            context,
            fragment=DETAIL_FRAGMENT,
            status_code=refusal.status_code,
            headers=headers,
        )
    complaint = await services.complaint_for_staff(complaint_id, actor)
    if complaint is None:
        # It left the actor's unit (forwarded, or moved by a new category): back to the queue.
        if is_partial(request):
            return Response(
                content="",
                status_code=200,
                headers={"HX-Redirect": "/petugas/antrean", "Vary": HX_VARY},
                cookies=[flash_cookie(request, success, "ok")],
            )
        return redirect(request, "/petugas/antrean", success)
    if is_partial(request):
        context = await _detail_context(request, complaint)
        return render(
            request,
            "handling/detail.html",
            context,
            fragment=DETAIL_FRAGMENT,
            headers=_toast(success),
        )
    return redirect(request, f"/petugas/pengaduan/{complaint_id}", success)


@post("/petugas/pengaduan/{complaint_id:int}/ambil", name="handling:claim", opt=STAFF)
async def claim(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "claim",
        lambda actor: actions.claim(complaint_id, actor, seen=_seen(form)),
        _("You have taken this complaint."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/verifikasi", name="handling:verify", opt=STAFF)
async def verify(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "verify",
        lambda actor: actions.verify(
            complaint_id,
            actor,
            category_id=chosen_id(form.get("category")),
            priority=form.get("priority", ""),
            seen=_seen(form),
        ),
        _("The complaint is verified."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/tolak", name="handling:reject", opt=STAFF)
async def reject(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "reject",
        lambda actor: lifecycle.apply(
            complaint_id, "reject", actor, text=form.get("reason", ""), seen=_seen(form)
        ),
        _("The complaint is rejected; the reporter is told why."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/proses", name="handling:start", opt=STAFF)
async def start(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "start",
        lambda actor: lifecycle.apply(complaint_id, "start", actor, seen=_seen(form)),
        _("The complaint is being handled now."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/selesai", name="handling:resolve", opt=STAFF)
async def resolve(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "resolve",
        lambda actor: lifecycle.apply(
            complaint_id, "resolve", actor, text=form.get("response", ""), seen=_seen(form)
        ),
        _("The complaint is resolved; the reporter has the official response."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/balas", name="handling:reply", opt=STAFF)
async def reply(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "reply",
        lambda actor: actions.reply(
            complaint_id,
            actor,
            form.get("body", ""),
            idempotency_key=_key(form),
            seen=_seen(form),
        ),
        _("Your reply is sent to the reporter."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/catatan", name="handling:note", opt=STAFF)
async def note(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "note",
        lambda actor: actions.add_note(
            complaint_id,
            actor,
            form.get("note", ""),
            idempotency_key=_key(form),
            seen=_seen(form),
        ),
        _("The internal note is saved."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/teruskan", name="handling:forward", opt=STAFF)
async def forward(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "forward",
        lambda actor: actions.forward(
            complaint_id,
            actor,
            chosen_id(form.get("unit")),
            form.get("forward_note", ""),
            chosen_id(form.get("forward_category")),
            seen=_seen(form),
        ),
        _("The complaint is forwarded."),
        form,
    )


@post("/petugas/pengaduan/{complaint_id:int}/tugaskan", name="handling:reassign", opt=STAFF)
async def reassign(request: Request, complaint_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    return await _act(
        request,
        complaint_id,
        "reassign",
        lambda actor: actions.reassign(
            complaint_id, actor, chosen_id(form.get("officer")), seen=_seen(form)
        ),
        _("The complaint is assigned."),
        form,
    )


ROUTES = [
    officer_home,
    queue_page,
    detail_page,
    claim,
    verify,
    reject,
    start,
    resolve,
    reply,
    note,
    forward,
    reassign,
]
