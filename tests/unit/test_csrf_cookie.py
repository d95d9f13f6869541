"""The CSRF cookie's Set-Cookie value, built once per cookie name (web.csrf), is exactly what
Litestar's Cookie renders for it, in development and in production."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from litestar.datastructures import Cookie

from pengaduan.web import csrf


@pytest.mark.parametrize("secure", [False, True])
def test_the_cookie_header_is_litestars_rendering(secure: bool) -> None:
    settings = SimpleNamespace(secure_cookies=secure)
    for token in (csrf.visitor_token(), csrf.session_token("k" * 40, "h" * 64)):
        expected = Cookie(
            key="__Host-csrftoken" if secure else "csrftoken",
            value=token,
            path="/",
            secure=secure,
            httponly=False,
            samesite="lax",
        ).to_header(header="")
        assert csrf.csrf_cookie_header(settings, token) == expected  # type: ignore[arg-type]
