"""What staff do on a complaint's page (claim, verify, reject, start, resolve, reply, note,
forward, reassign): one route per action, all answered the same way by `_act`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from pengaduan.complaints import lifecycle
from pengaduan.complaints.forms import idempotency_key
from pengaduan.complaints.lifecycle import Actor, ChangedMeanwhile
from pengaduan.errors import FORBIDDEN, INVALID, NOT_FOUND, Refused
from pengaduan.handling import actions, forwarding, messages, services
from pengaduan.handling.detail_routes import (
    DETAIL_FRAGMENT,
    DETAIL_PAGE,
    STAFF,
    actor_of,
    conflict_of,
    detail_context,
    visible_complaint,
    visible_page,
)
from pengaduan.i18n import _
from pengaduan.settings import Settings
from pengaduan.web.errors import status_of
from pengaduan.web.flash import flash_cookie
from pengaduan.web.input import Form, FormInput, read_form
from pengaduan.web.kit import SettingsDep, redirect, toast
from pengaduan.web.templating import HX_VARY, is_htmx, is_partial, render
from pengaduan.web.values import chosen_id


def _key(form: FormInput) -> str | None:
    """The form's idempotency key (complaints.repeats), when it is a well-formed one."""
    return idempotency_key(form.get("idempotency_key"))


def _seen(form: FormInput) -> str | None:
    """The version of the complaint the form was filled in on (complaints.versions)."""
    return form.get("version") or None


@dataclass(frozen=True)
class _Action:
    name: str  # the route is "handling:<name>"; the key in the page's `available`
    segment: str  # the last part of its path
    run: Callable[[int, Actor, FormInput, Settings], Awaitable[Any]]
    success: Callable[[], str]  # the message when it was done (translated when it is)


async def _refused(
    request: Request, complaint_id: int, action: _Action, refusal: Refused, form: FormInput
) -> Response:
    """The page again after a refusal: its message beside its field (422), or on the page or
    as a toast (htmx); for a complaint that changed meanwhile, what changed and what was
    typed (for htmx too: swapped, see base.html's htmx config)."""
    if refusal.reason in (FORBIDDEN, NOT_FOUND):
        # Not the actor's to handle (e.g. it moved to another unit meanwhile).
        raise NotFoundException() from refusal
    complaint = await visible_page(request, complaint_id)
    conflict = refusal if isinstance(refusal, ChangedMeanwhile) else None
    if form.errors:
        errors = form.errors
    elif refusal.field and refusal.reason == INVALID:
        errors = {refusal.field: refusal.message}
    elif conflict:
        errors = {}
    elif is_htmx(request):
        raise refusal
    else:
        errors = {"form": refusal.message}
    context = await detail_context(request, complaint, dict(form), errors)
    context["typed_form"] = action.segment
    headers: dict[str, str] = {}
    if conflict:
        context["conflict"] = conflict_of(conflict, action.name, form, context)
        headers = toast(" ".join([conflict.message, *conflict.changes]), "error")
    return render(
        request,
        DETAIL_PAGE,
        context,
        fragment=DETAIL_FRAGMENT,
        status_code=status_of(refusal),
        headers=headers,
    )


async def _act(
    request: Request, complaint_id: int, action: _Action, form: FormInput, settings: Settings
) -> Response:
    """Run an action; answer with the detail (htmx) or a redirect, or with the page saying
    why it was refused (`_refused`)."""
    await visible_complaint(request, complaint_id)
    actor = actor_of(request)
    try:
        if form.errors:
            raise Refused(form.errors["form"], INVALID, field="form")
        await action.run(complaint_id, actor, form, settings)
    except Refused as refusal:
        return await _refused(request, complaint_id, action, refusal, form)
    success = action.success()
    partial = is_partial(request)
    # The page for htmx, else only whether the complaint is still the actor's to see.
    complaint = await (
        services.staff_page(complaint_id, actor, request.user.queue_version)
        if partial
        else services.complaint_for_staff(complaint_id, actor)
    )
    if complaint is None:
        # It left the actor's unit (forwarded, or moved by a new category): back to the queue.
        queue = request.app.route_reverse("handling:queue")
        if partial:
            return Response(
                content="",
                status_code=200,
                headers={"HX-Redirect": queue, "Vary": HX_VARY},
                cookies=[flash_cookie(request, success, "ok")],
            )
        return redirect(request, queue, success)
    if partial:
        context = await detail_context(request, complaint)
        return render(
            request, DETAIL_PAGE, context, fragment=DETAIL_FRAGMENT, headers=toast(success)
        )
    return redirect(
        request, request.app.route_reverse("handling:detail", complaint_id=complaint_id), success
    )


def _status(action: str, text_field: str | None = None) -> Callable[..., Awaitable[Any]]:
    """A change of status through the lifecycle, with the text of `text_field` if it has one."""

    def run(complaint_id: int, actor: Actor, form: FormInput, settings: Settings) -> Awaitable[Any]:
        text = form.get(text_field, "") if text_field else ""
        return lifecycle.apply(
            complaint_id, action, actor, text=text, seen=_seen(form), settings=settings
        )

    return run


def _message(
    write: Callable[..., Awaitable[Any]], text_field: str, *, tells: bool = False
) -> Callable[..., Any]:
    """A message (reply, note) with the text of `text_field`, written once per form key;
    `tells`: writing it tells someone (it is given the settings)."""

    def run(complaint_id: int, actor: Actor, form: FormInput, settings: Settings) -> Awaitable[Any]:
        text = form.get(text_field, "")
        told = {"settings": settings} if tells else {}
        return write(
            complaint_id, actor, text, idempotency_key=_key(form), seen=_seen(form), **told
        )

    return run


# The forward form's choice of an outside agency (hand-over) rather than a unit.
AGENCY_CHOICE = "luar-"


def _forward(
    complaint_id: int, actor: Actor, form: FormInput, settings: Settings
) -> Awaitable[Any]:
    """To another unit, or (a choice "luar-<id>") handed over to an outside agency."""
    choice = form.get("unit", "")
    if choice.startswith(AGENCY_CHOICE):
        return forwarding.hand_over(
            complaint_id,
            actor,
            chosen_id(choice.removeprefix(AGENCY_CHOICE)),
            form.get("forward_note", ""),
            seen=_seen(form),
            settings=settings,
        )
    return forwarding.forward(
        complaint_id,
        actor,
        chosen_id(choice),
        form.get("forward_note", ""),
        chosen_id(form.get("forward_category")),
        seen=_seen(form),
    )


_ACTIONS = (
    _Action(
        "claim",
        "ambil",
        lambda cid, actor, form, _settings: actions.claim(cid, actor, seen=_seen(form)),
        lambda: _("You have taken this complaint."),
    ),
    _Action(
        "verify",
        "verifikasi",
        lambda cid, actor, form, settings: actions.verify(
            cid,
            actor,
            category_id=chosen_id(form.get("category")),
            priority=form.get("priority", ""),
            seen=_seen(form),
            settings=settings,
        ),
        lambda: _("The complaint is verified."),
    ),
    _Action(
        "reject",
        "tolak",
        _status("reject", "reason"),
        lambda: _("The complaint is rejected; the reporter is told why."),
    ),
    _Action("start", "proses", _status("start"), lambda: _("The complaint is being handled now.")),
    _Action(
        "resolve",
        "selesai",
        _status("resolve", "response"),
        lambda: _("The complaint is resolved; the reporter has the official response."),
    ),
    _Action(
        "reply",
        "balas",
        _message(messages.reply, "body", tells=True),
        lambda: _("Your reply is sent to the reporter."),
    ),
    _Action(
        "note",
        "catatan",
        _message(messages.add_note, "note"),
        lambda: _("The internal note is saved."),
    ),
    _Action(
        "forward",
        "teruskan",
        lambda cid, actor, form, settings: _forward(cid, actor, form, settings),
        lambda: _("The complaint is forwarded."),
    ),
    _Action(
        "reassign",
        "tugaskan",
        lambda cid, actor, form, settings: actions.reassign(
            cid, actor, chosen_id(form.get("officer")), seen=_seen(form), settings=settings
        ),
        lambda: _("The complaint is assigned."),
    ),
)


def _route(action: _Action) -> HTTPRouteHandler:
    async def handler(
        request: Request, complaint_id: FromPath[int], data: Form, settings: SettingsDep
    ) -> Response:
        return await _act(request, complaint_id, action, read_form(data), settings)

    handler.__name__ = handler.__qualname__ = action.name
    return post(
        f"/petugas/pengaduan/{{complaint_id:int}}/{action.segment}",
        name=f"handling:{action.name}",
        opt=STAFF,
    )(handler)


ROUTES = [_route(action) for action in _ACTIONS]
