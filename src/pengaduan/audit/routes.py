"""The audit log browser for admins: who did what, to what, when and from where."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pengaduan.audit import services
from pengaduan.web.templating import render


@get("/admin/audit", name="audit:browse", opt={"access": "admin"})
async def audit_browser(request: Request) -> Template:
    filters = services.AuditFilters.from_query(dict(request.query_params))
    rows, has_next = await services.browse(filters)
    return render(
        request,
        "audit/log.html",
        {
            "entries": rows,
            "has_next": has_next,
            "filters": filters,
            "errors": services.filter_problems(filters),
            "target_types": services.TARGET_TYPES,
        },
        fragment="audit/_results.html",
    )


ROUTES = [audit_browser]
