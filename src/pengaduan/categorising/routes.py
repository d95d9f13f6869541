"""The category suggestion on the citizen's complaint form: a small fragment that htmx fetches
while they type (the form works without it; the citizen chooses the category either way)."""

from __future__ import annotations

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from pengaduan.accounts import throttle
from pengaduan.categorising import suggesting
from pengaduan.complaints.pages import CITIZEN
from pengaduan.web.templating import render

# Shown only when the text says something the officers' classifications know, and only the
# categories it makes reasonably likely.
SHOWN = 3
LEAST_SCORE = 0.15


@get("/pengaduan/saran-kategori", name="categorising:suggest", opt=CITIZEN)
async def category_suggestions(
    request: Request, title: FromQuery[str] = "", description: FromQuery[str] = ""
) -> Template:
    suggestions: list[suggesting.Suggestion] = []
    text = f"{title[:500]}\n{description[:5000]}"
    # Typing sends one request per pause; past the hour's allowance the form simply stops
    # suggesting (no error: the citizen is writing, not asking).
    if text.strip() and await throttle.count_request("suggest", f"user:{request.user.id}") is None:
        ranked = await suggesting.rank(text)
        if ranked.known_terms:
            suggestions = [s for s in ranked.suggestions[:SHOWN] if s.score >= LEAST_SCORE]
    return render(request, "complaints/_category_suggestions.html", {"suggestions": suggestions})


ROUTES = [category_suggestions]
