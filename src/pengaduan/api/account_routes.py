"""The JSON API's login and logout: a username-or-email and password (the website's login
service, with its throttle and lockout) for a bearer token; logging out revokes it."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import JSONBody

from pengaduan.accounts import app_tokens, login, sessions
from pengaduan.api import schemas
from pengaduan.api.specs import BEARER, errors
from pengaduan.errors import FORBIDDEN, INVALID, Refused
from pengaduan.i18n import _
from pengaduan.web.errors import api_error
from pengaduan.web.kit import SettingsDep, client_ip
from pengaduan.web.values import readable, unreadable_message

ANYONE = {"access": "anyone"}
CITIZEN = {"access": "citizen"}


@post(
    "/login",
    name="api:login",
    opt=ANYONE,
    status_code=201,
    security=[],
    responses=errors(403, 415, 422, 429),
    summary="Log in for a token",
    description="A citizen's username or email and password, as on the website's login page "
    "(the same throttle: after repeated failures the account or address waits, 429). The "
    "token lasts `PENGADUAN_APP_TOKEN_DAYS` days unless revoked; the account page lists it "
    "among the sessions.",
    tags=["account"],
)
async def api_login(
    request: Request, settings: SettingsDep, data: JSONBody[schemas.LoginRequest]
) -> Response[schemas.TokenAnswer]:
    unreadable = {
        name: unreadable_message()
        for name, value in (("identifier", data.identifier), ("password", data.password))
        if not readable(value)
    }
    if unreadable:
        # JSON can carry what no text column holds (a NUL, a lone surrogate): never a query.
        return api_error(
            422, _("Some of what you sent is not valid."), code=INVALID, fields=unreadable
        )
    user = await login.authenticate(settings, data.identifier, data.password, ip=client_ip(request))
    if user["role"] != "citizen":
        raise Refused(
            _("The app is for citizens: officers and administrators use the website."),
            FORBIDDEN,
        )
    token, expires_at = await app_tokens.issue(
        settings,
        user["id"],
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    account = await app_tokens.user_for(settings, token)
    assert account is not None  # issued just now
    answer = schemas.TokenAnswer(
        token=token,
        token_type="bearer",
        expires_at=expires_at,
        account=schemas.Account(
            id=account.id,
            username=account.username,
            full_name=account.full_name,
            language=account.language,
        ),
    )
    return Response(answer, status_code=201)


@post(
    "/logout",
    name="api:logout",
    opt=CITIZEN,
    status_code=204,
    security=BEARER,
    responses=errors(401, 403),
    summary="Log out: revoke this token",
    tags=["account"],
)
async def api_logout(request: Request) -> None:
    await sessions.end_session(request.user.session_hash)


ROUTES = [api_login, api_logout]
