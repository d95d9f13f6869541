"""What every JSON API operation declares for its schema: the error answers it may give (all
`ErrorBody`) and the bearer-token security scheme."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from pengaduan.api.schemas import ErrorBody

BEARER_SCHEME = "bearerToken"
# On every operation that needs a token (the token from POST /api/v1/login).
BEARER = [{BEARER_SCHEME: []}]
COMPONENTS = Components(
    security_schemes={
        BEARER_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            description="The token from `POST /api/v1/login`; ended by `POST /api/v1/logout`, "
            "by logging out of all devices, or on the account page.",
        )
    }
)

_MEANING = {
    400: "The request is malformed: a field missing or of the wrong type (`fields` says which).",
    401: "No valid token: missing, expired or revoked. Log in again.",
    403: "Not allowed for this account.",
    404: "No such complaint among yours (another person's is not found either).",
    409: "Not possible in the complaint's current state (`message` says why).",
    413: "The request body is larger than allowed.",
    415: "The body is not in the operation's media type.",
    422: "A field breaks a rule (`fields` says which and why, as the website's form would).",
    429: "Too many attempts: wait the seconds in `Retry-After`.",
    503: "Busy or the database is away for a moment: nothing was saved; retry after "
    "`Retry-After` seconds.",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers an operation may give (with 400 and 503, which any may)."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_MEANING[code])
        for code in sorted({400, 503, *codes})
    }
