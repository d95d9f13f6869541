"""What other domains read with the session: one statement, the same whatever the order the
domains registered in, and no name read twice in two ways."""

from __future__ import annotations

import pytest

from pengaduan.accounts import sessions


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    fresh: dict[str, str] = {}
    monkeypatch.setattr(sessions, "_ALSO", fresh)
    return fresh


def test_the_lookup_is_the_same_whatever_the_order_of_registration(
    registry: dict[str, str],
) -> None:
    sessions.also_read("b_count", "(SELECT 2)")
    sessions.also_read("a_flag", "(SELECT true)")
    first = sessions._lookup()
    registry.clear()
    sessions.also_read("a_flag", "(SELECT true)")
    sessions.also_read("b_count", "(SELECT 2)")
    assert sessions._lookup() == first
    assert first[1] == ("a_flag", "b_count")
    assert "(SELECT true) AS a_flag" in first[0] and "(SELECT 2) AS b_count" in first[0]


def test_a_name_is_read_one_way_only(registry: dict[str, str]) -> None:
    sessions.also_read("a_flag", "(SELECT true)")
    sessions.also_read("a_flag", "(SELECT true)")  # the same again: a module imported twice
    with pytest.raises(ValueError):
        sessions.also_read("a_flag", "(SELECT false)")


@pytest.mark.parametrize("name", ["role", "is_admin", "also", "Bad-Name", "x; DROP"])
def test_names_of_the_user_record_or_not_sql_names_are_refused(
    registry: dict[str, str], name: str
) -> None:
    with pytest.raises(ValueError):
        sessions.also_read(name, "(SELECT 1)")


def test_what_was_read_is_an_attribute_of_the_current_user() -> None:
    user = sessions.CurrentUser(
        id=1,
        username="siti",
        full_name="Siti",
        role="officer",
        language="id",
        unit_id=2,
        email=None,
        email_confirmed=False,
        session_hash="h",
        also=(("queue_version", 7),),
    )
    assert user.queue_version == 7
    assert hash(user)  # web.layout keys the page header by the whole record
    with pytest.raises(AttributeError):
        _ = user.unread_notifications
