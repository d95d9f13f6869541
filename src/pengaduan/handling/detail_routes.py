"""The staff's page of one complaint: what it shows, and which actions it offers (the actions
themselves: handling.action_routes, which answers with this page)."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.agency.response_templates import template_for_category
from pengaduan.complaints import statuses
from pengaduan.complaints.lifecycle import Actor, ChangedMeanwhile
from pengaduan.complaints.versions import version_of
from pengaduan.handling import action_region, services
from pengaduan.handling.messages import REPLY_STATUSES
from pengaduan.i18n import _
from pengaduan.memo import keep
from pengaduan.web.input import FormInput
from pengaduan.web.kit import client_ip
from pengaduan.web.templating import HX_VARY, is_partial, render
from pengaduan.web.values import record_id

STAFF = {"access": "staff"}
DETAIL_PAGE = "handling/detail.html"
DETAIL_FRAGMENT = "handling/_detail_main.html"


def actor_of(request: Request) -> Actor:
    """The staff member asking, as the lifecycle and the actions take them."""
    user = request.user
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, ip=client_ip(request))


async def visible_complaint(request: Request, complaint_id: int) -> dict[str, Any]:
    """The complaint, if the person asking may see it as staff (else 404)."""
    complaint = await services.complaint_for_staff(complaint_id, actor_of(request))
    if complaint is None:
        raise NotFoundException()
    return complaint


async def visible_page(request: Request, complaint_id: int) -> dict[str, Any]:
    """The complaint with its timeline and lists (`services.staff_page`), if the person
    asking may see it as staff (else 404)."""
    page = await services.staff_page(complaint_id, actor_of(request), request.user.queue_version)
    if page is None:
        raise NotFoundException()
    return page


# The timeline kept rendered per process, by the language and its JSON text as the page's
# read gives it (every entry in its order: the text is all the timeline shows, so the same
# text is the same timeline; a new message or change is a new text). A long one (past
# TIMELINE_KEPT_CHARS) is rendered every time: what is kept stays small.
TIMELINE_ENTRY = "handling/_timeline_entry.html"
TIMELINES_MAX = 512
TIMELINE_KEPT_CHARS = 16_384
_TIMELINES: dict[tuple[str, str], Markup] = {}


@pass_context
def staff_timeline(context: Any, text: str) -> Markup:
    """`{{ staff_timeline(timeline) }}`: the entries (templates/handling/_timeline_entry.html)
    of a `services.staff_page` timeline text."""
    key = (i18n.get_locale(), text)
    html = _TIMELINES.get(key)
    if html is None:
        template = context.environment.get_template(TIMELINE_ENTRY)
        entries = services.timeline_entries(text)
        html = Markup("\n".join(template.render(t=entry) for entry in entries))
        if len(text) <= TIMELINE_KEPT_CHARS:
            keep(_TIMELINES, key, html, TIMELINES_MAX)
    return html


async def detail_context(
    request: Request,
    complaint: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the page shows of the complaint read by `visible_page` (with its timeline and
    lists). Every action form carries the complaint's `version`, and `available` says which
    actions the page offers."""
    user = request.user
    status = complaint["status"]
    is_open = statuses.is_open(status)
    can_claim = user.role == "officer" and complaint["officer_id"] is None and is_open
    lists = dict(complaint["lists"])
    return {
        "c": complaint,
        "values": values or {},
        "errors": errors or {},
        "timeline": complaint["timeline"],
        "staff_timeline": staff_timeline,
        "evidence": lists.pop("evidence"),
        # The menus' lists as JSON text, read by the actions region (handling.action_region).
        "lists": lists,
        "actions_region": action_region.actions_region,
        "is_admin": user.role == "admin",
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
            "reply": status in REPLY_STATUSES,
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


def conflict_of(
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
    box_only = is_partial(request) and request.query_params.get("part") == "reply"
    read = visible_complaint if box_only else visible_page
    complaint = await read(request, complaint_id)
    values: dict[str, str] = {}
    template_id = record_id(request.query_params.get("template"))
    if template_id is not None:
        template = await template_for_category(template_id, complaint["category_id"])
        if template is not None:
            values["body"] = template["body"]
            values["template"] = str(template_id)
    if box_only:
        return render(
            request,
            "handling/_reply_box.html",
            {"values": values, "errors": {}},
            fragment="handling/_reply_box.html",
            headers={"Vary": "HX-Request", "Cache-Control": "no-store"},
        )
    context = await detail_context(request, complaint, values)
    return render(
        request,
        DETAIL_PAGE,
        context,
        fragment=DETAIL_FRAGMENT,
        headers={"Vary": HX_VARY, "Cache-Control": "no-store"},
    )


ROUTES = [detail_page]
