"""The admin page of scheduled backups: the archives in the backup folder with size and age,
and the last failed run when no archive came after it."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_timedelta
from litestar import Request, get
from litestar.response import Template

from pengaduan import i18n
from pengaduan.backup import schedule
from pengaduan.web.kit import SettingsDep
from pengaduan.web.templating import render


@get("/admin/cadangan", name="backup:list", opt={"access": "admin"})
async def backup_list(request: Request, settings: SettingsDep) -> Template:
    folder = schedule.folder_of(settings)
    found = schedule.archives(folder)
    now = datetime.now(UTC)
    rows = [
        {
            "name": a.path.name,
            "made": a.made,
            "age": format_timedelta(now - a.made, locale=i18n.get_locale()),
            "megabytes": round(a.size / 1_048_576, 1),
        }
        for a in found
    ]
    return render(
        request,
        "admin/backups.html",
        {
            "rows": rows,
            "folder": str(folder),
            "scheduled": settings.backup_schedule == "daily",
            "failure": await schedule.last_failure(found[0].finished if found else None),
            "keep_daily": settings.backup_keep_daily,
            "keep_weekly": settings.backup_keep_weekly,
        },
    )


ROUTES = [backup_list]
