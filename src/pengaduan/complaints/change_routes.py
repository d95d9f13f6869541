"""The reporter's complaint pages that change it: edit or withdraw it while pending, write to
the officer, rate it, reopen it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency.categories import active_categories
from pengaduan.complaints import conversation, editing, forms
from pengaduan.complaints.pages import CITIZEN, actor_of, detail_page, own, plain_not_found
from pengaduan.errors import CONFLICT, INVALID, Refused
from pengaduan.i18n import _
from pengaduan.web.input import read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.templating import render


def _detail(request: Request, complaint_id: int, anchor: str = "") -> str:
    return request.app.route_reverse("complaints:detail", complaint_id=complaint_id) + anchor


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
        raise Refused(_("A complaint can only be changed while it is pending."), CONFLICT)


@get("/pengaduan/{complaint_id:int}/ubah", name="complaints:edit", opt=CITIZEN)
async def edit_complaint(request: Request, complaint_id: FromPath[int]) -> Template:
    complaint = await own(request, complaint_id)
    _pending_only(complaint)
    return await _edit_page(request, complaint, forms.values_of(complaint), {})


@post("/pengaduan/{complaint_id:int}/ubah", name="complaints:edit.submit", opt=CITIZEN)
async def edit_complaint_submit(request: Request, complaint_id: FromPath[int]) -> Response:
    complaint = await own(request, complaint_id)
    _pending_only(complaint)
    form = read_form(await request.form())
    categories = {c["id"] for c in await active_categories()} | {complaint["category"]}
    parsed = forms.parse_complaint(
        {name: form.get(name, "") for name in forms.TEXT_FIELDS}, categories
    )
    unreadable = form.only(*forms.TEXT_FIELDS)
    if parsed.cleaned is None or unreadable:
        errors = {**parsed.errors, **unreadable}
        return await _edit_page(request, complaint, parsed.values, errors, 422)
    try:
        with plain_not_found():
            await editing.update_complaint(
                complaint_id, request.user.id, parsed.cleaned, ip=client_ip(request)
            )
    except Refused as refused:
        if not refused.field:
            raise
        return await _edit_page(
            request, complaint, parsed.values, {refused.field: refused.message}, 422
        )
    return redirect(request, _detail(request, complaint_id), _("Your changes are saved."))


@get("/pengaduan/{complaint_id:int}/cabut", name="complaints:withdraw.confirm", opt=CITIZEN)
async def withdraw_confirm_page(request: Request, complaint_id: FromPath[int]) -> Template:
    """Are you sure? The step a withdrawal takes without JavaScript (no dialog to ask)."""
    complaint = await own(request, complaint_id)
    _pending_only(complaint)
    return render(request, "complaints/withdraw.html", {"complaint": complaint})


@post("/pengaduan/{complaint_id:int}/cabut", name="complaints:withdraw", opt=CITIZEN)
async def withdraw_complaint(
    request: Request, complaint_id: FromPath[int], settings: SettingsDep
) -> Response:
    form = read_form(await request.form())
    if form.get("confirmed") != "1":
        # Not confirmed yet (a plain form post from the detail page): ask first.
        _pending_only(await own(request, complaint_id))
        return redirect(
            request,
            request.app.route_reverse("complaints:withdraw.confirm", complaint_id=complaint_id),
        )
    with plain_not_found():
        await editing.withdraw(complaint_id, actor_of(request), settings=settings)
    return redirect(request, _detail(request, complaint_id), _("You withdrew the complaint."))


# --- conversation, rating, reopening -----------------------------------------------------------


@post("/pengaduan/{complaint_id:int}/pesan", name="complaints:message", opt=CITIZEN)
async def post_message(
    request: Request, complaint_id: FromPath[int], settings: SettingsDep
) -> Response:
    form = read_form(await request.form())
    body, error = forms.parse_message(form.get("message"))
    if "message" in form.errors:
        error = form.errors["message"]
    if error:
        return await detail_page(
            request,
            complaint_id,
            values={"message": form.get("message")},
            errors={"message": error},
            status_code=422,
        )
    with plain_not_found():
        await conversation.post_message(
            complaint_id,
            request.user.id,
            body,
            ip=client_ip(request),
            idempotency_key=forms.idempotency_key(form.get("idempotency_key")),
            settings=settings,
        )
    return redirect(
        request, _detail(request, complaint_id, "#linimasa"), _("Your message is sent.")
    )


@post("/pengaduan/{complaint_id:int}/nilai", name="complaints:rate", opt=CITIZEN)
async def rate_complaint(
    request: Request, complaint_id: FromPath[int], settings: SettingsDep
) -> Response:
    form = read_form(await request.form())
    rating = forms.parse_rating(form.get("score"), form.get("comment"))
    errors = {**rating.errors, **form.only("comment")}
    if errors or rating.cleaned is None:
        return await detail_page(
            request, complaint_id, values=rating.values, errors=errors, status_code=422
        )
    score, comment = rating.cleaned
    with plain_not_found():
        await conversation.rate(
            complaint_id,
            actor_of(request),
            score,
            comment,
            idempotency_key=forms.idempotency_key(form.get("idempotency_key")),
            settings=settings,
        )
    return redirect(request, _detail(request, complaint_id), _("Thank you for your rating."))


@post("/pengaduan/{complaint_id:int}/buka-kembali", name="complaints:reopen", opt=CITIZEN)
async def reopen_complaint(
    request: Request, complaint_id: FromPath[int], settings: SettingsDep
) -> Response:
    form = read_form(await request.form())
    error = form.errors.get("reason")
    if error is None:
        try:
            with plain_not_found():
                await conversation.reopen(
                    complaint_id, actor_of(request), form.get("reason").strip(), settings=settings
                )
        except Refused as refused:
            if refused.reason != INVALID:
                raise
            error = refused.message
    if error is not None:
        return await detail_page(
            request,
            complaint_id,
            values={"reason": form.get("reason")},
            errors={"reason": error},
            status_code=422,
        )
    return redirect(
        request,
        _detail(request, complaint_id),
        _("Your complaint is open again. The officer will look at it once more."),
    )


ROUTES = [
    edit_complaint,
    edit_complaint_submit,
    withdraw_confirm_page,
    withdraw_complaint,
    post_message,
    rate_complaint,
    reopen_complaint,
]
