"""Officer pages."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pengaduan.handling.services import unit_summary
from pengaduan.web.templating import render


@get("/petugas", name="officer:home", opt={"access": "officer"})
async def officer_home(request: Request) -> Template:
    summary = await unit_summary(request.user.unit_id, request.user.id)
    return render(request, "handling/home.html", {"summary": summary})


ROUTES = [officer_home]
