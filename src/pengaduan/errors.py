"""What services say when they cannot do what was asked, without knowing about HTTP.

`Refused` is the one domain error: a message for the person (already translated), a `reason`
in the domain's words, and the form `field` it is about, if any. web/errors.py maps each
reason to an HTTP status in one table. `Checked` is the one field-error collector: the values
as typed (to show the form again), per field the first thing wrong, and the cleaned result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

# Why something was refused (web/errors.py: HTTP_STATUS maps these).
NOT_FOUND = "not_found"  # no such thing, or not one this person may see
FORBIDDEN = "forbidden"  # exists, but this person may not do this
CONFLICT = "conflict"  # not in this state (already done, closed, changed meanwhile)
INVALID = "invalid"  # what was sent is wrong; `field` or `Checked.errors` say where
TOO_MANY = "too_many"  # too many attempts; `retry_after` seconds
UNAVAILABLE = "unavailable"  # a service it needs is away for now


class Refused(Exception):
    """Nothing was done: `message` says why, for the person; `reason` is one of the above."""

    def __init__(
        self,
        message: str,
        reason: str = CONFLICT,
        *,
        field: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.field = field
        self.retry_after = retry_after


@dataclass
class Checked(Generic[T]):
    """A form checked by a service: what was typed, what is wrong per field, what it means."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: T | None = None
    # Set when refused for too many attempts: try again after this many seconds.
    wait_seconds: int | None = None

    def error(self, name: str, message: str) -> None:
        """Note what is wrong with field `name`; the first message for a field is kept."""
        self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors
