"""Category suggestion (issue 15): it places texts it never saw from what officers classified,
learns from a classification at once (no restart), follows a forward to another category, and
its recount from history gives exactly what the classifications added one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from litestar import Litestar

from pengaduan.categorising import learning, suggest
from pengaduan.categorising.suggesting import rank
from pengaduan.complaints.lifecycle import Actor
from pengaduan.handling import actions, forwarding
from pengaduan.settings import Settings
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.support.databases import fetch_rows

# A small labelled set: what officers classified (title, body) per category.
TRAINING = {
    "Jalan Rusak": [
        ("Jalan berlubang di depan pasar", "Lubang besar, motor sering jatuh."),
        ("Aspal mengelupas", "Aspal jalan rusak parah sejak musim hujan."),
        ("Jalan amblas dekat jembatan", "Badan jalan retak dan amblas, berbahaya."),
        ("Lubang jalan makin lebar", "Sudah ada pengendara terjatuh karena lubang."),
        ("Perbaikan jalan tidak selesai", "Jalan dibongkar lalu ditinggal, aspal belum ditambal."),
    ],
    "Sampah": [
        ("Sampah menumpuk di TPS", "Sampah tidak diangkut seminggu, bau menyengat."),
        ("Truk sampah tidak datang", "Petugas kebersihan tidak mengangkut sampah rumah tangga."),
        ("Pembuangan sampah liar", "Warga membuang sampah di pinggir sungai, banyak lalat."),
        ("Tong sampah penuh", "Tempat sampah di taman penuh dan berserakan."),
        ("Bau busuk dari tumpukan sampah", "Sampah plastik dibakar, asap dan bau ke rumah."),
    ],
    "Lampu Jalan": [
        ("Lampu jalan mati", "Lampu penerangan jalan mati sejak seminggu, gelap di malam hari."),
        ("PJU padam di gang", "Lampu PJU padam, rawan kejahatan malam hari."),
        ("Lampu jalan berkedip", "Lampu penerangan berkedip dan sering padam."),
        ("Tiang lampu miring", "Tiang lampu penerangan miring hampir roboh."),
        ("Gelap gulita tanpa lampu", "Tidak ada penerangan, lampu mati semua."),
    ],
}
HELD_OUT = [
    ("Ada lubang besar di jalan", "Aspal rusak, pengendara motor jatuh.", "Jalan Rusak"),
    ("Sampah belum diangkut", "Tumpukan sampah di TPS bau sekali.", "Sampah"),
    ("Lampunya mati semua", "Jalan gelap di malam hari, lampu PJU padam.", "Lampu Jalan"),
    ("Jalan retak", "Jalan amblas dan berlubang setelah hujan.", "Jalan Rusak"),
    ("Lalat dari sampah", "Sampah berserakan di pinggir sungai.", "Sampah"),
    ("Penerangan jalan kurang", "Lampu penerangan berkedip lalu padam.", "Lampu Jalan"),
]


@pytest.fixture
async def world(app: Litestar) -> dict[str, int]:
    public_works, environment = await make_unit("Dinas PU"), await make_unit("Dinas LH")
    return {
        "public_works": public_works,
        "environment": environment,
        "citizen": await make_user("citizen", "warga"),
        "officer": await make_user("officer", "petugas", unit=public_works),
        "Jalan Rusak": await make_category(public_works, "Jalan Rusak"),
        "Lampu Jalan": await make_category(public_works, "Lampu Jalan"),
        "Sampah": await make_category(environment, "Sampah"),
    }


async def _classified(world: dict[str, int], category: str, title: str, body: str) -> int:
    """A complaint an officer verified in `category` (written as the app leaves it)."""
    unit = world["environment"] if category == "Sampah" else world["public_works"]
    return await make_complaint(
        reporter=world["citizen"],
        unit=unit,
        category=world[category],
        title=title,
        body=body,
        status="verified",
        verified_at=datetime.now(UTC),
    )


async def _learn_training_set(world: dict[str, int]) -> None:
    for category, texts in TRAINING.items():
        for title, body in texts:
            await _classified(world, category, title, body)
    assert await learning.rebuild() == sum(len(t) for t in TRAINING.values())


async def test_suggests_the_category_of_texts_it_never_saw(world: dict[str, int]) -> None:
    await _learn_training_set(world)
    names = {world[name]: name for name in TRAINING}
    for title, body, expected in HELD_OUT:
        suggestions = await suggest(f"{title}\n{body}")
        assert names[suggestions[0].category_id] == expected, (title, suggestions)
        assert len(suggestions) == 3 and suggestions[0].name == expected
        assert suggestions[0].score > 0.5 and sum(s.score for s in suggestions) == pytest.approx(1)
    assert len(await suggest("jalan berlubang", limit=1)) == 1


async def test_before_any_classification_every_active_category_is_alike(
    world: dict[str, int],
) -> None:
    """A complaint by mail still gets a category (complaints.intake takes the first)."""
    await make_complaint(
        reporter=world["citizen"], unit=world["public_works"], category=world["Jalan Rusak"]
    )
    ranked = await rank("Jalan berlubang di depan pasar")
    assert ranked.known_terms == 0 and len(ranked.suggestions) == 3
    assert {round(s.score, 6) for s in ranked.suggestions} == {round(1 / 3, 6)}


async def test_inactive_categories_are_never_suggested(world: dict[str, int]) -> None:
    await _learn_training_set(world)
    from pengaduan.agency.tables import Category

    await Category.update({Category.is_active: False}).where(Category.id == world["Sampah"])
    ranked = await rank("Sampah menumpuk di TPS, bau")
    assert world["Sampah"] not in [s.category_id for s in ranked.suggestions]
    assert len(ranked.suggestions) == 2


async def test_an_officers_classification_teaches_the_next_suggestion_at_once(
    world: dict[str, int], settings: Settings
) -> None:
    """Through the verify action itself: no rebuild, no restart."""
    await _learn_training_set(world)
    text = "Kabel listrik menjuntai dari tiang lampu"
    before = await rank(text)
    assert before.suggestions[0].category_id != world["Jalan Rusak"]
    officer = Actor(user_id=world["officer"], role="officer", unit_id=world["public_works"])
    for title in ("Kabel menjuntai", "Kabel listrik putus", "Kabel tiang menjuntai rendah"):
        complaint = await make_complaint(
            reporter=world["citizen"],
            unit=world["public_works"],
            category=world["Lampu Jalan"],
            title=title,
            body="Kabel menjuntai di atas jalan, berbahaya.",
        )
        # The citizen chose Lampu Jalan; the officer classifies it as Jalan Rusak.
        await actions.verify(
            complaint,
            officer,
            category_id=world["Jalan Rusak"],
            priority="normal",
            settings=settings,
        )
    after = await rank(text)
    assert after.suggestions[0].category_id == world["Jalan Rusak"]
    assert after.known_terms > before.known_terms  # "kabel", "menjuntai" are known now


async def test_forwarding_a_verified_complaint_moves_what_it_taught(
    world: dict[str, int], db_dsn: str
) -> None:
    await _learn_training_set(world)
    complaint = await _classified(
        world, "Jalan Rusak", "Genangan oli bekas", "Oli bekas dibuang ke selokan warga."
    )
    await learning.classified(complaint)
    officer = Actor(user_id=world["officer"], role="officer", unit_id=world["public_works"])
    await forwarding.forward(
        complaint, officer, world["environment"], "Pencemaran, bukan jalan.", world["Sampah"]
    )
    rows = await fetch_rows(
        db_dsn,
        "SELECT category, sum(documents) AS n FROM category_terms WHERE term = 'oli'"
        " GROUP BY category",
    )
    assert {r["category"]: r["n"] for r in rows} == {world["Jalan Rusak"]: 0, world["Sampah"]: 1}
    # Counted one by one it is what the recount from the complaints finds.
    incremental = await _statistics(db_dsn)
    await learning.rebuild()
    assert await _statistics(db_dsn) == incremental


async def test_a_pending_complaint_forwarded_waits_for_its_verification_unmarked(
    world: dict[str, int], db_dsn: str
) -> None:
    complaint = await make_complaint(
        reporter=world["citizen"],
        unit=world["public_works"],
        category=world["Jalan Rusak"],
        title="Oli bekas di selokan",
        channel="email",
        category_suggested=True,
    )
    officer = Actor(user_id=world["officer"], role="officer", unit_id=world["public_works"])
    await forwarding.forward(complaint, officer, world["environment"], "Pencemaran.")
    assert await _statistics(db_dsn) == {}
    # The officer decided where it belongs: its category is no longer a suggestion.
    (row,) = await fetch_rows(
        db_dsn, "SELECT category, category_suggested FROM complaints WHERE id = $1", complaint
    )
    assert row["category"] == world["Sampah"] and row["category_suggested"] is False


async def _statistics(db_dsn: str) -> dict:
    """Every (term, category) count and every category's totals, summed over the shards,
    zeros left out."""
    terms = await fetch_rows(
        db_dsn,
        "SELECT term, category, sum(documents) AS n FROM category_terms"
        " GROUP BY 1, 2 HAVING sum(documents) > 0",
    )
    counts = await fetch_rows(
        db_dsn,
        "SELECT category, sum(documents) AS n, sum(terms) AS t FROM category_counts"
        " GROUP BY 1 HAVING sum(documents) > 0",
    )
    found = {(r["term"], r["category"]): r["n"] for r in terms}
    found.update({("", r["category"]): (r["n"], r["t"]) for r in counts})
    return found


async def test_the_rebuild_command_learns_what_an_existing_database_classified(
    world: dict[str, int], db_dsn: str
) -> None:
    """Complaints classified before the suggestion existed (or imported) count once the
    operator runs `pengaduan categorise rebuild`."""
    import asyncio
    import os
    import subprocess
    import sys

    for category, texts in TRAINING.items():
        for title, body in texts:
            await _classified(world, category, title, body)
    assert await _statistics(db_dsn) == {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.update(DATABASE_URL=db_dsn, PENGADUAN_DATA_DIR="var/test")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "pengaduan.cli", "categorise", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "relearned from 15 classified complaint(s)" in result.stdout
    top = (await suggest("Sampah menumpuk dan bau"))[0]
    assert top.category_id == world["Sampah"]
