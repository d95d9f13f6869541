"""The notification centre (bell, list, mark read, preferences), the admins' outbox and the
development mailbox (/dev/surat)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pengaduan.i18n import _
from pengaduan.notifications import mailbox, outbox_view, services
from pengaduan.notifications.outbox import dead
from pengaduan.settings import Settings
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.templating import HX_VARY, is_partial, render
from pengaduan.web.values import page_number

NO_STORE = {"Cache-Control": "no-store"}
# The bell listens for this (hx-trigger="pengaduan:notification from:body"), as for the
# live stream's event: marking read here refreshes it the same way.
REFRESH_BELL = {"HX-Trigger": "pengaduan:notification"}


def _page(request: Request) -> int:
    return page_number(request.query_params.get("halaman"), last=9_999)


# --- the centre -------------------------------------------------------------------------------


@get("/notifikasi/lonceng", name="notifications:bell", opt={"access": "user"})
async def bell(request: Request) -> Template:
    # The count comes with the session lookup every request makes: no query of its own.
    return Template(
        template_name="notifications/_bell.html",
        context={"count": request.user.unread_notifications},
        headers={**NO_STORE, "Vary": HX_VARY},
    )


async def _list(request: Request, *, status_code: int = 200) -> Template:
    page = _page(request)
    items, has_next = await services.page_of(request.user.id, page)
    return render(
        request,
        "notifications/list.html",
        {"items": items, "page": page, "has_next": has_next},
        fragment="notifications/_list.html",
        status_code=status_code,
        headers=NO_STORE,
    )


@get("/notifikasi", name="notifications:list", opt={"access": "user"})
async def notification_list(request: Request) -> Template:
    return await _list(request)


@get("/notifikasi/{notification_id:int}", name="notifications:show", opt={"access": "user"})
async def show_notification(request: Request, notification_id: FromPath[int]) -> Redirect:
    """Goes to the notification's complaint and changes nothing (a GET: prefetchers, link
    checkers and the back button may ask it); opening it from the list is the POST below."""
    item = await services.own(request.user.id, notification_id)
    if item is None:
        raise NotFoundException()
    return redirect(request, services.opening_link(request.user.role, item["complaint"]))


@post("/notifikasi/{notification_id:int}", name="notifications:open", opt={"access": "user"})
async def open_notification(request: Request, notification_id: FromPath[int]) -> Redirect:
    """Opening a notification (its title in the list is this form's button) marks it read and
    goes to its complaint."""
    item = await services.mark_read(request.user.id, notification_id)
    if item is None:
        raise NotFoundException()
    return redirect(request, services.opening_link(request.user.role, item["complaint"]))


@post("/notifikasi/{notification_id:int}/baca", name="notifications:read", opt={"access": "user"})
async def mark_read(request: Request, notification_id: FromPath[int]) -> Response:
    item = await services.mark_read(request.user.id, notification_id)
    if item is None:
        raise NotFoundException()
    if is_partial(request):
        return Template(
            template_name="notifications/_items.html",
            context={"items": [item]},
            headers={**REFRESH_BELL, **NO_STORE, "Vary": HX_VARY},
        )
    return redirect(request, "/notifikasi")


@post("/notifikasi/baca-semua", name="notifications:read.all", opt={"access": "user"})
async def mark_all_read(request: Request) -> Response:
    await services.mark_all_read(request.user.id)
    if is_partial(request):
        items, has_next = await services.page_of(request.user.id, 1)
        return Template(
            template_name="notifications/_list.html",
            context={"items": items, "page": 1, "has_next": has_next},
            headers={**REFRESH_BELL, **NO_STORE, "Vary": HX_VARY},
        )
    return redirect(request, "/notifikasi", _("All notifications are marked as read."))


# --- preferences ------------------------------------------------------------------------------


async def _preferences_page(
    request: Request, settings: Settings, status_code: int = 200
) -> Template:
    chosen = await services.preferences(request.user.id)
    kinds = services.kinds_for(request.user.role)
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": [(kind, services.kind_label(kind)) for kind in kinds],
            "chosen": chosen,
            "sms_enabled": settings.sms_enabled,
        },
        status_code=status_code,
    )


@get("/notifikasi/pengaturan", name="notifications:preferences", opt={"access": "user"})
async def preferences_page(request: Request, settings: SettingsDep) -> Template:
    return await _preferences_page(request, settings)


@post("/notifikasi/pengaturan", name="notifications:preferences.save", opt={"access": "user"})
async def preferences_save(request: Request, data: Form) -> Response:
    form = read_form(data)
    await services.save_preferences(
        request.user.id,
        request.user.role,
        email=set(form.getall("email")),
        sms_kinds=set(form.getall("sms")),
    )
    return redirect(request, "/notifikasi/pengaturan", _("Your notification choices are saved."))


# --- the outbox (admins) ------------------------------------------------------------------------


@get("/admin/kotak-keluar", name="outbox:dead", opt={"access": "admin"})
async def outbox_list(request: Request, settings: SettingsDep) -> Template:
    state = outbox_view.state_of(request.query_params.get("status"))
    page = page_number(request.query_params.get("halaman"), last=outbox_view.LAST_PAGE)
    rows, has_next = await outbox_view.messages(state, page)
    return render(
        request,
        "notifications/dead.html",
        {
            "rows": rows,
            "state": state,
            "states": outbox_view.STATES,
            "page": page,
            "has_next": has_next,
            "mail_transport": settings.mail_transport,
        },
        headers=NO_STORE,
    )


@post("/admin/kotak-keluar/{outbox_id:int}/ulang", name="outbox:retry", opt={"access": "admin"})
async def retry(request: Request, outbox_id: FromPath[int]) -> Response:
    if not await dead.retry_dead(outbox_id, admin_id=request.user.id, ip=client_ip(request)):
        raise NotFoundException()
    return redirect(
        request, "/admin/kotak-keluar", _("The message will be sent again in a moment.")
    )


# --- the development mailbox ----------------------------------------------------------------


def _development_only(settings: Settings) -> None:
    # Mail holds reset links: in production this page does not exist.
    if settings.is_production:
        raise NotFoundException()


@get("/dev/surat", name="dev:mailbox", opt={"access": "anyone"})
async def dev_mailbox(request: Request, settings: SettingsDep) -> Template:
    _development_only(settings)
    return render(
        request,
        "notifications/dev_mailbox.html",
        {"mails": mailbox.newest(settings), "folder": str(settings.mailbox_dir)},
        headers=NO_STORE,
    )


@get("/dev/surat/{name:str}", name="dev:mail", opt={"access": "anyone"})
async def dev_mail(request: Request, name: FromPath[str], settings: SettingsDep) -> Template:
    _development_only(settings)
    mail = mailbox.read(settings, name)
    if mail is None:
        raise NotFoundException()
    return render(request, "notifications/dev_mail.html", {"mail": mail}, headers=NO_STORE)


ROUTES = [
    bell,
    notification_list,
    show_notification,
    open_notification,
    mark_read,
    mark_all_read,
    preferences_page,
    preferences_save,
    outbox_list,
    retry,
    dev_mailbox,
    dev_mail,
]
