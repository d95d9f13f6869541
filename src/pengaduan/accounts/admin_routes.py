"""Admin pages for users: list and search, create staff, change role, (de)activate, reset links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.accounts import tokens, user_admin
from pengaduan.audit import services as audit
from pengaduan.errors import Refused
from pengaduan.i18n import _
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.templating import render

ADMIN = {"access": "admin"}


@get("/admin", name="admin:home", opt=ADMIN)
async def admin_home(request: Request) -> Response:
    return redirect(request, request.app.route_reverse("stats:page"))


@get("/admin/pengguna", name="admin:users", opt=ADMIN)
async def users_list(request: Request) -> Template:
    filters = user_admin.UserFilters.from_query(dict(request.query_params))
    rows, total = await user_admin.list_users(filters)
    pages = max(1, -(-total // user_admin.PAGE_SIZE))
    return render(
        request,
        "admin/users.html",
        {
            "users": rows,
            "total": total,
            "pages": pages,
            "filters": filters,
            "units": await user_admin.active_units(),
        },
        fragment="admin/_users_results.html",
    )


@get("/admin/pengguna/baru", name="admin:users.new", opt=ADMIN)
async def user_new_page(request: Request) -> Template:
    return render(
        request,
        "admin/user_new.html",
        {"values": {"role": "officer"}, "errors": {}, "units": await user_admin.active_units()},
    )


@post("/admin/pengguna/baru", name="admin:users.create", opt=ADMIN)
async def user_create(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or (
        await user_admin.create_staff(
            settings, form.values, admin_id=request.user.id, ip=client_ip(request)
        )
    )
    if not result.ok:
        return render(
            request,
            "admin/user_new.html",
            {
                "values": result.values,
                "errors": result.errors,
                "units": await user_admin.active_units(),
            },
            status_code=422,
        )
    return redirect(
        request,
        _detail(request, int(result.values["id"])),
        _(
            "Account created. An invitation to set a password was sent to %(email)s.",
            email=result.values["email"],
        ),
    )


@get("/admin/pengguna/{user_id:int}", name="admin:users.detail", opt=ADMIN)
async def user_detail(request: Request, user_id: FromPath[int]) -> Template:
    user = await user_admin.user_detail(user_id)
    if user is None:
        raise NotFoundException()
    return render(
        request,
        "admin/user_detail.html",
        {
            "user": user,
            "invited": user["password_hash"] == tokens.UNUSABLE_PASSWORD,
            "units": await user_admin.active_units(),
            "audit": await audit.entries_for_target("user", user_id),
        },
    )


def _detail(request: Request, user_id: int) -> str:
    return request.app.route_reverse("admin:users.detail", user_id=user_id)


async def _act(
    request: Request, user_id: int, action: Callable[[], Awaitable[str | None]], success: str
) -> Response:
    """Run an admin action on a user and go back to their page, saying how it went."""
    try:
        result = await action()
    except Refused as refused:
        return redirect(request, _detail(request, user_id), refused.message, "bad")
    return redirect(request, _detail(request, user_id), result or success)


@post("/admin/pengguna/{user_id:int}/peran", name="admin:users.role", opt=ADMIN)
async def user_change_role(request: Request, user_id: FromPath[int], data: Form) -> Response:
    form = read_form(data)
    if form.errors:
        return redirect(request, _detail(request, user_id), form.errors["form"], "bad")
    return await _act(
        request,
        user_id,
        lambda: user_admin.change_role(
            user_id,
            form.get("role"),
            form.get("unit"),
            admin_id=request.user.id,
            ip=client_ip(request),
        ),
        _("The role is changed. The user's sessions have ended."),
    )


@post("/admin/pengguna/{user_id:int}/nonaktifkan", name="admin:users.deactivate", opt=ADMIN)
async def user_deactivate(request: Request, user_id: FromPath[int]) -> Response:
    return await _act(
        request,
        user_id,
        lambda: user_admin.set_active(
            user_id, False, admin_id=request.user.id, ip=client_ip(request)
        ),
        _("The account is deactivated and its sessions have ended."),
    )


@post("/admin/pengguna/{user_id:int}/aktifkan", name="admin:users.reactivate", opt=ADMIN)
async def user_reactivate(request: Request, user_id: FromPath[int]) -> Response:
    return await _act(
        request,
        user_id,
        lambda: user_admin.set_active(
            user_id, True, admin_id=request.user.id, ip=client_ip(request)
        ),
        _("The account is active again."),
    )


@post("/admin/pengguna/{user_id:int}/kirim-reset", name="admin:users.reset", opt=ADMIN)
async def user_send_reset(
    request: Request, settings: SettingsDep, user_id: FromPath[int]
) -> Response:
    return await _act(
        request,
        user_id,
        lambda: user_admin.send_reset_link(
            settings, user_id, admin_id=request.user.id, ip=client_ip(request)
        ),
        "",
    )


ROUTES = [
    admin_home,
    users_list,
    user_new_page,
    user_create,
    user_detail,
    user_change_role,
    user_deactivate,
    user_reactivate,
    user_send_reset,
]
