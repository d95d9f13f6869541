"""The JSON API's complaints: the categories to choose from, filing one with photos, the
citizen's own list and each one with its public timeline, and what the reporter may do with
it (write, rate, reopen, withdraw). Every rule is the website's: the same services."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import (
    HeaderParameter,
    JSONBody,
    MultipartBody,
    PathParameter,
    QueryParameter,
)
from litestar.response import Stream

from pengaduan.agency.categories import active_categories
from pengaduan.api import schemas, views
from pengaduan.api.specs import BEARER, errors
from pengaduan.complaints import (
    attaching,
    conversation,
    editing,
    evidence,
    filing,
    forms,
    imaging,
    reading,
)
from pengaduan.complaints.pages import actor_of, evidence_stream
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.i18n import _
from pengaduan.web.errors import api_error
from pengaduan.web.kit import SettingsDep, StorageDep, client_ip
from pengaduan.web.values import readable, unreadable_message

log = logging.getLogger(__name__)

CITIZEN = {"access": "citizen"}
# As the website's form: several photos; the real limits are the settings', file by file.
MAX_FORM_BYTES = 128 * 1024 * 1024
PAGES = 99_999

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        pattern=forms.KEY_PATTERN.pattern,
        description="16-64 letters, digits, - or _: the same key sent again (a retried "
        "request) does nothing twice and answers as the first time",
    ),
]
ComplaintId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
COMMON = {"opt": CITIZEN, "security": BEARER, "tags": ["complaints"]}


def invalid(fields: dict[str, str]) -> Response:
    return api_error(
        422, _("Some of what you entered is not valid. Please check it."), fields=fields
    )


@get(
    "/categories",
    name="api:categories",
    responses=errors(401, 403),
    summary="The categories a complaint may be filed in",
    **COMMON,
)
async def api_categories() -> list[schemas.CategoryOut]:
    return [views.category(row) for row in await active_categories()]


def _form_values(data: schemas.NewComplaint) -> dict[str, str]:
    """The typed request as the website's form sends it (what forms.parse_complaint reads)."""

    def coordinate(value: float | None) -> str:
        return "" if value is None else repr(value)

    return {
        "title": data.title,
        "description": data.description,
        "category": str(data.category),
        "location_text": data.location_text,
        "latitude": coordinate(data.latitude),
        "longitude": coordinate(data.longitude),
        "urgency": data.urgency,
        "anonymous": "1" if data.anonymous else "",
        "private": "1" if data.private else "",
    }


@post(
    "/complaints",
    name="api:complaints.create",
    status_code=201,
    request_max_body_size=MAX_FORM_BYTES,
    responses={
        200: ResponseSpec(
            data_container=schemas.Detail,
            description="Sent again with the same Idempotency-Key: the complaint filed then.",
        ),
        **errors(401, 403, 409, 413, 422),
    },
    summary="File a complaint (with photos)",
    description="The website's new-complaint form, field for field, as multipart/form-data; "
    "`evidence` may be given several times (JPEG, PNG, WebP photos or PDF, checked and "
    "cleaned as on the website). With an `Idempotency-Key`, sending the same request again "
    "(say, after a dropped connection) files nothing new and answers 200 with the complaint "
    "filed the first time.",
    **COMMON,
)
async def api_file_complaint(
    request: Request,
    settings: SettingsDep,
    storage: StorageDep,
    data: MultipartBody[schemas.NewComplaint],
    idempotency_key: IdempotencyKey = None,
) -> Response[schemas.Detail]:
    user = request.user
    values = _form_values(data)
    unreadable = {name: unreadable_message() for name, v in values.items() if not readable(v)}
    uploads = [u for u in data.evidence if u.filename]
    likely = forms.parse_complaint(values, None).cleaned
    checked = await filing.check_form(
        idempotency_key,
        user.id,
        likely.category_id if likely else 0,
        numbered=likely is not None and not uploads and not unreadable,
    )
    if checked.existing:
        # A retried request: the complaint is there already.
        return Response(await views.detail(checked.existing["id"], user.id), status_code=200)
    parsed = forms.parse_complaint(values, checked.category_ids)
    if parsed.cleaned is None or unreadable:
        return invalid({**parsed.errors, **unreadable})
    accepted: list[evidence.StoredEvidence] = []
    try:
        problems = await attaching.attach(
            uploads,
            accepted=accepted,
            workers=request.app.state.image_workers,
            storage=storage,
            settings=settings,
        )
    except imaging.ImageWorkersBusy:
        return api_error(
            503,
            _(
                "Many photos are being processed right now. Nothing was saved: please wait a "
                "moment and send it again."
            ),
            headers={"Retry-After": str(imaging.RETRY_AFTER_SECONDS)},
        )
    except OSError:
        log.exception("evidence storage failed")
        return api_error(
            503, _("Your files could not be saved just now. Please try again."), code="unavailable"
        )
    if problems:
        return invalid({"evidence": " ".join(problems)})
    submitted = await filing.create_complaint(
        reporter_id=user.id,
        fields=parsed.cleaned,
        evidence=accepted,
        idempotency_key=idempotency_key,
        ip=client_ip(request),
        checked=checked,
        settings=settings,
    )
    return Response(
        await views.detail(submitted.id, user.id), status_code=201 if submitted.created else 200
    )


@get(
    "/complaints",
    name="api:complaints.mine",
    responses=errors(401, 403),
    summary="My complaints, newest first, a page at a time",
    **COMMON,
)
async def api_my_complaints(
    request: Request,
    status: Annotated[schemas.Status | None, QueryParameter(required=False)] = None,
    page: Annotated[int, QueryParameter(ge=1, le=PAGES)] = 1,
) -> schemas.SummaryPage:
    rows, total, capped = await reading.my_complaints(
        request.user.id, status=status or "", page=page
    )
    return schemas.SummaryPage(
        items=[views.summary(row) for row in rows],
        page=page,
        page_size=reading.PAGE_SIZE,
        total=total,
        total_is_capped=capped,
        has_next=capped or page * reading.PAGE_SIZE < total,
    )


@get(
    "/complaints/{complaint_id:int}",
    name="api:complaints.detail",
    responses=errors(401, 403, 404),
    summary="One of my complaints, with its public timeline and messages",
    **COMMON,
)
async def api_complaint(request: Request, complaint_id: ComplaintId) -> schemas.Detail:
    return await views.detail(complaint_id, request.user.id)


@get(
    "/complaints/{complaint_id:int}/evidence/{file_id:int}",
    name="api:complaints.evidence",
    responses={
        200: ResponseSpec(
            data_container=bytes,
            media_type="*/*",
            generate_examples=False,
            description="The file (image/jpeg, image/png, image/webp or application/pdf), "
            "or with `size=small` a JPEG thumbnail of a photo.",
        ),
        **errors(401, 403, 404),
    },
    summary="An evidence file of one of my complaints",
    # Photos and PDFs are compressed already.
    opt={**CITIZEN, "skip_compression": True},
    security=BEARER,
    tags=["complaints"],
)
async def api_evidence(
    request: Request,
    storage: StorageDep,
    complaint_id: ComplaintId,
    file_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)],
    size: Annotated[Literal["full", "small"], QueryParameter(required=False)] = "full",
) -> Stream:
    user = request.user
    row = await reading.evidence_for_viewer(
        complaint_id, file_id, user_id=user.id, role=user.role, unit_id=user.unit_id
    )
    if row is None:
        raise Refused(_("This file does not exist."), NOT_FOUND)
    return await evidence_stream(storage, row, complaint_id, small=size == "small")


@post(
    "/complaints/{complaint_id:int}/messages",
    name="api:complaints.message",
    status_code=201,
    responses=errors(401, 403, 404, 409, 415, 422),
    summary="Write to the officer handling it",
    description="A public message on the complaint's timeline; refused (409) once the "
    "complaint is over. Answers the complaint as it is now.",
    **COMMON,
)
async def api_post_message(
    request: Request,
    settings: SettingsDep,
    complaint_id: ComplaintId,
    data: JSONBody[schemas.MessageRequest],
    idempotency_key: IdempotencyKey = None,
) -> Response[schemas.Detail]:
    body, error = forms.parse_message(data.body)
    if error is None and not readable(body):
        error = unreadable_message()
    if error:
        return invalid({"body": error})
    await conversation.post_message(
        complaint_id,
        request.user.id,
        body,
        ip=client_ip(request),
        idempotency_key=idempotency_key,
        settings=settings,
    )
    return Response(await views.detail(complaint_id, request.user.id), status_code=201)


@post(
    "/complaints/{complaint_id:int}/rating",
    name="api:complaints.rate",
    status_code=200,
    responses=errors(401, 403, 404, 409, 415, 422),
    summary="Rate the handling (once, after it is resolved; this closes it)",
    **COMMON,
)
async def api_rate(
    request: Request,
    settings: SettingsDep,
    complaint_id: ComplaintId,
    data: JSONBody[schemas.RatingRequest],
    idempotency_key: IdempotencyKey = None,
) -> Response[schemas.Detail]:
    rating = forms.parse_rating(str(data.score), data.comment)
    if not readable(data.comment):
        rating.error("comment", unreadable_message())
    if rating.cleaned is None or not rating.ok:
        return invalid(rating.errors)
    score, comment = rating.cleaned
    await conversation.rate(
        complaint_id,
        actor_of(request),
        score,
        comment,
        idempotency_key=idempotency_key,
        settings=settings,
    )
    return Response(await views.detail(complaint_id, request.user.id))


@post(
    "/complaints/{complaint_id:int}/reopen",
    name="api:complaints.reopen",
    status_code=200,
    responses=errors(401, 403, 404, 409, 415, 422),
    summary="Not satisfied: open it again (within the days after its resolution), with a reason",
    **COMMON,
)
async def api_reopen(
    request: Request,
    settings: SettingsDep,
    complaint_id: ComplaintId,
    data: JSONBody[schemas.ReopenRequest],
) -> Response[schemas.Detail]:
    if not readable(data.reason):
        return invalid({"reason": unreadable_message()})
    try:
        await conversation.reopen(
            complaint_id, actor_of(request), data.reason.strip(), settings=settings
        )
    except Refused as refused:
        if refused.reason != INVALID:
            raise
        return invalid({refused.field or "reason": refused.message})
    return Response(await views.detail(complaint_id, request.user.id))


@post(
    "/complaints/{complaint_id:int}/withdraw",
    name="api:complaints.withdraw",
    status_code=200,
    responses=errors(401, 403, 404, 409),
    summary="Withdraw it (only while it is pending)",
    **COMMON,
)
async def api_withdraw(
    request: Request, settings: SettingsDep, complaint_id: ComplaintId
) -> schemas.Detail:
    await editing.withdraw(complaint_id, actor_of(request), settings=settings)
    return await views.detail(complaint_id, request.user.id)


ROUTES = [
    api_categories,
    api_file_complaint,
    api_my_complaints,
    api_complaint,
    api_evidence,
    api_post_message,
    api_rate,
    api_reopen,
    api_withdraw,
]
