"""complaint_tallies also count the public complaints of each category per status (scope
"pub:<status>", key the category): the public archive counted its matches for a status or a
category from the complaints, up to 1,001 of them, through two indexes as large as the table
(a category and a status: 35 ms of PostgreSQL at a million complaints against 3 ms at ten
thousand), and the home page summed the daily aggregate of all time (11 ms against 4 ms).
The triggers and the rebuild of migration 2026-12-05T13:00 gain the new scope, which reads
whether a complaint is public; then the tallies are rebuilt from the complaints.

"pub:in_progress", the longest, fits the scope column's 16 characters.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint_tallies: public complaints per category and status"


class RawSQL(Table, tablename="complaint_tallies"):
    pass


def _load(name: str) -> ModuleType:
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What migration 2026-12-05T13:00 counted each row `r` for, and the columns it read of a row.
KEYS = "('unit:' || r.status, r.unit)"
WITH_PUBLIC = f"{KEYS}, ('pub:' || r.status, CASE WHEN r.is_public THEN r.category END)"
COLUMNS = "officer, unit, category, status FROM"
WITH_IS_PUBLIC = "officer, unit, category, status, is_public FROM"


def _statements() -> list[str]:
    """The two functions as migration 2026-12-05T13:00 made them, with the new scope (a
    private complaint's key is NULL, which the functions skip), then the rebuild."""
    earlier = _load("pengaduan_2026_12_05t13_00_00_000000.py")
    functions = [s for s in earlier._statements() if s.startswith("\nCREATE OR REPLACE FUNCTION")]
    assert len(functions) == 2
    out = []
    for function in functions:
        assert KEYS in function and COLUMNS in function and "WHERE k.key IS NOT NULL" in function
        out.append(function.replace(KEYS, WITH_PUBLIC).replace(COLUMNS, WITH_IS_PUBLIC))
    return [*out, "SELECT complaint_tallies_rebuild()"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in _statements():
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
