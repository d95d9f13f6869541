"""How settings are read from the environment: `setting` makes a field of `settings.Settings`
that says, in one place, its environment variable, default, reader and purpose; the readers
(Text, Verbatim, Url, Choice, Whole, Switch, Folder, FernetKeys) turn its text into a value or say what
is wrong with it; `read_environment` reads every such field."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Invalid(Exception):
    """The text of a setting is wrong; each argument is one problem. `value`: what it says all
    the same, for the checks across settings (a bcrypt cost below the minimum is below
    production's too; keys that are malformed are not missing); else the default is used."""

    def __init__(self, *problems: str, value: Any = dataclasses.MISSING) -> None:
        super().__init__(*problems)
        self.value = value


@dataclass(frozen=True, kw_only=True)
class Text:
    """Text without its surrounding spaces. Unset or empty means the default; so does a value
    of only spaces where `blank_is_unset` (kinds that refused one before say so)."""

    strip: bool = True
    blank_is_unset: bool = True

    def __call__(self, name: str, raw: str) -> Any:
        return raw.strip() if self.strip else raw


@dataclass(frozen=True, kw_only=True)
class Url(Text):
    trailing_slash: bool = True
    blank_is_unset: bool = False

    def __call__(self, name: str, raw: str) -> str:
        value = raw.strip() if self.trailing_slash else raw.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise Invalid(f"{name} must start with http:// or https://")
        return value


@dataclass(frozen=True, kw_only=True)
class MapView(Text):
    """`latitude,longitude,zoom`: where a map opens."""

    def __call__(self, name: str, raw: str) -> tuple[float, float, int]:
        try:
            lat, lon, zoom = raw.split(",")
            view = (float(lat), float(lon), int(zoom))
        except ValueError:
            raise Invalid(
                f"{name} must be latitude,longitude,zoom (e.g. -6.91,107.61,12)"
            ) from None
        if not (-85 <= view[0] <= 85 and -180 <= view[1] <= 180 and 0 <= view[2] <= 19):
            raise Invalid(f"{name}: latitude -85..85, longitude -180..180, zoom 0..19")
        return view


@dataclass(frozen=True, kw_only=True)
class Choice(Text):
    """One of `options`, in any case. `problem` says it otherwise: {name}, {options} (a, b or
    c), {listed} (a, b, c) and {value} are filled in."""

    options: tuple[str, ...] = ()
    problem: str = "{name} must be {options}"
    blank_is_unset: bool = False

    def __call__(self, name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in self.options:
            *others, last = self.options
            raise Invalid(
                self.problem.format(
                    name=name,
                    options=f"{', '.join(others)} or {last}",
                    listed=", ".join(self.options),
                    value=value,
                )
            )
        return value


@dataclass(frozen=True, kw_only=True)
class Whole(Text):
    minimum: int = 0
    maximum: int | None = None

    def __call__(self, name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise Invalid(f"{name} must be a whole number, got {raw!r}") from None
        if value < self.minimum:
            raise Invalid(f"{name} must be at least {self.minimum}, got {value}", value=value)
        if self.maximum is not None and value > self.maximum:
            raise Invalid(f"{name} must be at most {self.maximum}", value=value)
        return value


@dataclass(frozen=True, kw_only=True)
class Switch(Text):
    def __call__(self, name: str, raw: str) -> bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise Invalid(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, kw_only=True)
class Verbatim(Text):
    """Text exactly as given, spaces and all (a password may have them)."""

    strip: bool = False
    blank_is_unset: bool = False


@dataclass(frozen=True, kw_only=True)
class Folder(Verbatim):
    def __call__(self, name: str, raw: str) -> Path:
        return Path(raw).expanduser().resolve()


@dataclass(frozen=True, kw_only=True)
class FernetKeys(Text):
    """A comma-separated list of Fernet keys (32 url-safe base64-encoded bytes each)."""

    def __call__(self, name: str, raw: str) -> tuple[str, ...]:
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        problems = []
        for position, key in enumerate(keys, 1):
            try:
                if len(base64.urlsafe_b64decode(key.encode())) != 32:
                    raise ValueError
            except (ValueError, binascii.Error):
                problems.append(
                    f"{name}: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                )
        if problems:
            raise Invalid(*problems, value=keys)
        return keys


def setting(
    env: str,
    default: Any = "",
    help: str = "",
    *,
    read: Text = Text(),
    factory: Callable[[], Any] | None = None,
    production: str = "",
) -> Any:
    """A field of `Settings` read from the environment variable `env`. `production`: what it
    is, when production refuses to start without it."""
    metadata = {"env": env, "read": read, "help": help, "production": production}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def environment_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of a settings dataclass that are read from the environment."""
    return [f for f in dataclasses.fields(cls) if "env" in f.metadata]


def default_of(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def read_environment(
    cls: type, env: dict[str, str], errors: list[str]
) -> tuple[dict[str, Any], set[str]]:
    """Every setting's value (its default when unset, blank or refused: the problems go to
    `errors`) and the names of those given."""
    values: dict[str, Any] = {}
    given: set[str] = set()
    for f in environment_fields(cls):
        name, read = f.metadata["env"], f.metadata["read"]
        raw = env.get(name)
        if raw is None or raw == "" or (read.blank_is_unset and raw.strip() == ""):
            values[f.name] = default_of(f)
            continue
        try:
            values[f.name] = read(name, raw)
            given.add(f.name)
        except Invalid as problem:
            errors.extend(problem.args)
            values[f.name] = (
                default_of(f) if problem.value is dataclasses.MISSING else problem.value
            )
    return values, given
