"""What the JSON API reads and answers, as typed models: Litestar validates requests against
them and writes the OpenAPI schema (/api/v1/openapi.json) from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile
from litestar.params import KwargDefinition

from pengaduan.complaints import forms, statuses

# JSON bodies: generous length bounds (twice the services' own, which answer with a message
# per field, 422, as the website's forms).
# The codes, from where each is defined once.
Urgency = Literal[forms.URGENCIES]  # type: ignore[valid-type]
Status = Literal[statuses.STATUSES]  # type: ignore[valid-type]


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(msgspec.Struct):
    code: Annotated[
        str,
        msgspec.Meta(
            description="what went wrong, for programs: not_found, forbidden, conflict, invalid, "
            "too_many, unavailable, bad_request, unauthorized, ..."
        ),
    ]
    message: Annotated[str, msgspec.Meta(description="for people, in the asked language")]
    fields: Annotated[
        dict[str, str], msgspec.Meta(description="per request field, what is wrong with it")
    ]


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


# --- logging in ---------------------------------------------------------------------------------


class LoginRequest(msgspec.Struct):
    identifier: Annotated[str, msgspec.Meta(max_length=300, description="username or email")]
    password: Annotated[str, msgspec.Meta(max_length=1000)]


class Account(msgspec.Struct):
    id: int
    username: str
    full_name: str
    language: str


class TokenAnswer(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(description="send as `Authorization: Bearer <token>`")]
    token_type: Literal["bearer"]
    expires_at: datetime
    account: Account


# --- categories ---------------------------------------------------------------------------------


class CategoryOut(msgspec.Struct):
    id: int
    name: str
    description: str
    icon: str
    unit_name: str
    deadline_days: int


# --- complaints ---------------------------------------------------------------------------------


@dataclass
class NewComplaint:
    """The website's new-complaint form, field for field (multipart/form-data). The limits
    are said with Litestar's KwargDefinition (msgspec's Meta is not read on a dataclass);
    the filing service checks them (422 per field, as the form)."""

    title: Annotated[
        str,
        KwargDefinition(
            min_length=forms.TITLE_MIN,
            max_length=forms.TITLE_MAX,
            description="a short title (spaces inside are collapsed)",
        ),
    ]
    description: Annotated[
        str, KwargDefinition(min_length=forms.BODY_MIN, max_length=forms.BODY_MAX)
    ]
    category: Annotated[int, KwargDefinition(ge=1, le=2_147_483_647, description="a category's id")]
    location_text: Annotated[str, KwargDefinition(max_length=forms.LOCATION_MAX)] = ""
    latitude: Annotated[float | None, KwargDefinition(ge=-90, le=90)] = None
    longitude: Annotated[float | None, KwargDefinition(ge=-180, le=180)] = None
    urgency: Urgency = "normal"
    anonymous: Annotated[
        bool, KwargDefinition(description="hide the reporter's name from the agency")
    ] = False
    private: Annotated[bool, KwargDefinition(description="keep it out of the public archive")] = (
        False
    )
    evidence: Annotated[
        list[UploadFile],
        KwargDefinition(
            description="photos (JPEG, PNG, WebP) or PDFs; the field may repeat, up to "
            "PENGADUAN_UPLOAD_MAX_FILES files of PENGADUAN_UPLOAD_MAX_BYTES each"
        ),
    ] = field(default_factory=list)


class Summary(msgspec.Struct):
    id: int
    number: str
    title: str
    status: Status
    status_label: str
    category_name: str
    submitted_at: datetime
    due_at: datetime | None
    updated_at: datetime
    overdue: bool
    is_anonymous: bool
    is_public: bool


class SummaryPage(msgspec.Struct):
    items: list[Summary]
    page: int
    page_size: int
    total: Annotated[int, msgspec.Meta(description="counted up to a cap: see total_is_capped")]
    total_is_capped: bool
    has_next: bool


class TimelineEntry(msgspec.Struct):
    """A status change (kind "status") or a public message (kind "message")."""

    kind: Literal["status", "message"]
    at: datetime
    status: Status | None = None
    status_label: str | None = None
    old_status: Status | None = None
    note: str | None = None
    body: str | None = None
    official: bool | None = None
    by_reporter: bool | None = None
    author_role: str | None = None
    author_name: str | None = None


class EvidenceOut(msgspec.Struct):
    id: int
    name: str
    mime_type: str
    size: int


class RatingOut(msgspec.Struct):
    score: int
    comment: str
    rated_at: datetime | None


class Actions(msgspec.Struct):
    """What the reporter may do now (the server checks again when asked)."""

    can_withdraw: bool
    can_message: bool
    can_rate: bool
    can_reopen: bool


class Detail(msgspec.Struct):
    id: int
    number: str
    tracking_code: str
    title: str
    description: str
    category_id: int
    category_name: str
    unit_name: str
    location_text: str
    latitude: float | None
    longitude: float | None
    urgency: Urgency
    status: Status
    status_label: str
    is_anonymous: bool
    is_public: bool
    submitted_at: datetime
    verified_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    updated_at: datetime
    overdue: bool
    rating: RatingOut | None
    actions: Actions
    timeline: list[TimelineEntry]
    evidence: list[EvidenceOut]


class MessageRequest(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(max_length=forms.MESSAGE_MAX * 2)]


class RatingRequest(msgspec.Struct):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=forms.COMMENT_MAX * 2)] = ""


class ReopenRequest(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=forms.BODY_MAX)]
