"""What Open311 clients read: our categories as services, and public complaints as service
requests (GET requests, GET requests/{id}).

Which complaints appear is the public archive's rule (`archive.services.PUBLIC`, in SQL before
any LIMIT): private and withdrawn complaints never do. Nothing personal is given: no reporter
(the specification has no field for one), no contact data, no evidence (no evidence is public,
so `media_url` stays empty), and of the timeline only what the archive shows (a rejection's
reason, the agency's public official responses).

GET requests walks the index on submitted_at backwards within the period and stops at the
limit: the 1,000 newest cost the same at any size of the table, and nothing is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.archive.services import PUBLIC
from pengaduan.clock import JAKARTA
from pengaduan.complaints.statuses import OPEN_SQL, is_open
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.i18n import _
from pengaduan.open311.documents import w3c
from pengaduan.web.values import FIRST_DAY, LAST_DAY, readable, record_id

# The specification's defaults: the last 90 days, at most 1,000 requests.
DEFAULT_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
# GET requests' arguments besides jurisdiction_id and api_key (the specification's).
REQUEST_ARGUMENTS = ("service_request_id", "service_code", "start_date", "end_date", "status")
SERVICE_TYPE = "realtime"  # a request is a complaint (and has its number) as soon as it is filed


# --- services ----------------------------------------------------------------------------------


async def services() -> list[dict[str, Any]]:
    """Active categories as services (group: the unit a category's complaints go to)."""
    rows = await db.fetch(
        "SELECT c.id, c.name, c.description, u.name AS unit_name FROM categories c"
        " JOIN units u ON u.id = c.default_unit WHERE c.is_active ORDER BY c.name, c.id"
    )
    return [
        {
            "service_code": str(row["id"]),
            "service_name": row["name"],
            "description": row["description"] or None,
            "metadata": False,  # no category asks for more than the request's own fields
            "type": SERVICE_TYPE,
            "keywords": None,
            "group": row["unit_name"],
        }
        for row in rows
    ]


async def active_category(code: str) -> int:
    """The active category whose service_code is `code`; Refused(NOT_FOUND) otherwise."""
    category_id = record_id(code)
    found = category_id and await db.fetchval(
        "SELECT id FROM categories WHERE id = $1 AND is_active", category_id
    )
    if not found:
        raise Refused(_("service_code %(code)s was not found.", code=code[:40]), NOT_FOUND)
    return int(found)


async def service_definition(code: str) -> dict[str, Any]:
    """A service's definition: its attributes (none: every category's metadata is false)."""
    await active_category(code)
    return {"service_code": code, "attributes": []}


# --- requests: what was asked ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' arguments, checked."""

    numbers: tuple[str, ...] = ()
    categories: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()  # "open" and/or "closed"; empty: both


def _moment(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Refused(
            _("%(name)s must be a W3C date-time such as 2010-01-01T00:00:00Z.", name=name),
            INVALID,
            field=name,
        ) from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise Refused(
            _(
                "%(name)s must be between %(first)s and %(last)s.",
                name=name,
                first=FIRST_DAY,
                last=LAST_DAY,
            ),
            INVALID,
            field=name,
        )
    # Without an offset (not allowed, but common): the jurisdiction's own time.
    return moment if moment.tzinfo else moment.replace(tzinfo=JAKARTA)


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def request_query(args: Mapping[str, str], now: datetime | None = None) -> RequestQuery:
    """The arguments as the specification reads them: service_request_id overrides the rest;
    without dates the last 90 days; a period may not span more than 90 days."""
    for name, value in args.items():
        if not readable(value):
            raise Refused(_("%(name)s holds unreadable characters.", name=name), INVALID)
    if args.get("service_request_id", "").strip():
        numbers = _list(args["service_request_id"])
        if len(numbers) > MAX_REQUESTS:
            raise Refused(
                _("Ask for at most %(n)s service_request_id at once.", n=MAX_REQUESTS), INVALID
            )
        return RequestQuery(numbers=tuple(n[:40] for n in numbers))
    categories = []
    for code in _list(args.get("service_code", "")):
        category_id = record_id(code)
        if category_id is None:
            raise Refused(_("service_code %(code)s was not found.", code=code[:40]), INVALID)
        categories.append(category_id)
    statuses = _list(args.get("status", "").lower())
    if any(s not in ("open", "closed") for s in statuses):
        raise Refused(_("status must be open or closed (or both, comma delimited)."), INVALID)
    now = now or datetime.now(UTC)
    start_text, end_text = args.get("start_date", ""), args.get("end_date", "")
    start = _moment("start_date", start_text) if start_text.strip() else None
    end = _moment("end_date", end_text) if end_text.strip() else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - DEFAULT_SPAN  # type: ignore[operator]
    if end is None:
        end = start + DEFAULT_SPAN
    if end < start:
        raise Refused(_("end_date is before start_date."), INVALID)
    if end - start > DEFAULT_SPAN:
        raise Refused(
            _("start_date and end_date may not span more than %(days)s days.", days=90), INVALID
        )
    return RequestQuery(
        categories=tuple(categories),
        start=start,
        end=end,
        statuses=tuple(sorted(set(statuses))) if len(set(statuses)) == 1 else (),
    )


# --- requests: the rows ------------------------------------------------------------------------

# status_notes: a rejection's reason (as the archive's timeline shows it), else the agency's
# newest public official response. Evaluated only for the rows returned (after the LIMIT).
_COLUMNS = """
    c.number, c.title, c.body, c.status, c.category, c.submitted_at, c.updated_at, c.due_at,
    c.location_text, c.latitude, c.longitude,
    cat.name AS service_name, u.name AS unit_name,
    CASE WHEN c.status = 'rejected' THEN (
        SELECT h.note FROM status_history h
        WHERE h.complaint = c.id AND h.new_status = 'rejected'
        ORDER BY h.changed_at DESC, h.id DESC LIMIT 1
    ) END AS rejection_note,
    (SELECT m.body FROM messages m
     WHERE m.complaint = c.id AND m.visibility = 'public' AND m.is_official_response
     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS response
"""
_FROM = """
    FROM complaints c
    LEFT JOIN categories cat ON cat.id = c.category
    LEFT JOIN units u ON u.id = c.unit
"""


def description_of(title: str, body: str) -> str:
    """The request's description: the body, after the title unless the body starts with it
    (as it does for a request filed through Open311, whose title is cut from it: spaces
    joined, and a long one ending in "…")."""
    start = title.removesuffix("…")
    return body if " ".join(body.split()).startswith(start) else f"{title}\n\n{body}"


def as_request(row: Mapping[str, Any]) -> dict[str, Any]:
    """A public complaint as a GeoReport service request (the specification's fields, in
    its order)."""
    notes = row["rejection_note"] or row["response"] or None
    still_open = is_open(row["status"])
    return {
        "service_request_id": row["number"],
        "status": "open" if still_open else "closed",
        "status_notes": notes,
        "service_name": row["service_name"],
        "service_code": str(row["category"]),
        "description": description_of(row["title"], row["body"]),
        "agency_responsible": row["unit_name"],
        "service_notice": None,
        "requested_datetime": w3c(row["submitted_at"]),
        "updated_datetime": w3c(row["updated_at"]),
        "expected_datetime": w3c(row["due_at"]) if still_open else None,
        "address": row["location_text"] or None,
        "address_id": None,
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": None,  # evidence is never public (archive.services)
    }


def requests_sql(query: RequestQuery) -> tuple[str, list[Any]]:
    """The rows query for `query` and its arguments (newest first, at most MAX_REQUESTS)."""
    where = db.Where().add(PUBLIC)
    if query.numbers:
        where.add("c.number = ANY({})", list(query.numbers))
    else:
        where.add("c.submitted_at >= {}", query.start)
        where.add("c.submitted_at < {}", query.end)
        if query.categories:
            where.add("c.category = ANY({})", list(query.categories))
        if query.statuses == ("open",):
            where.add(f"c.status IN ({OPEN_SQL})")
        elif query.statuses == ("closed",):
            where.add(f"c.status NOT IN ({OPEN_SQL})")
    limit = where.param(MAX_REQUESTS)
    sql = f"SELECT {_COLUMNS} {_FROM} {where} ORDER BY c.submitted_at DESC, c.id DESC LIMIT {limit}"
    return sql, where.args


async def service_requests(query: RequestQuery) -> list[dict[str, Any]]:
    sql, args = requests_sql(query)
    return [as_request(row) for row in await db.fetch(sql, *args)]


async def service_request(number: str) -> dict[str, Any]:
    """One public complaint by number; Refused(NOT_FOUND) for any other (private ones too)."""
    if len(number) > 40 or not readable(number):
        rows = []
    else:
        rows = await service_requests(RequestQuery(numbers=(number,)))
    if not rows:
        raise Refused(_("service_request_id %(id)s was not found.", id=number[:40]), NOT_FOUND)
    return rows[0]
