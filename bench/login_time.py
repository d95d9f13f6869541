"""Login time at the default bcrypt cost: the median of full login requests (form post →
session created), and the same for a wrong password and an unknown user, which must take
about as long (no account enumeration by timing). Then the same for a password-reset request
for a known account and an unknown name: the time until the answer's last byte is sent (what
a prober sees) and until the work after it (lookup, mail) is done.

    .venv/bin/python bench/login_time.py [--rounds 12] [--samples 15]

Runs the app in-process against the embedded PostgreSQL in var/bench-pgdata.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package


async def main(rounds: int, samples: int) -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ["PENGADUAN_DATA_DIR"] = str(ROOT / "var" / "bench")
    os.environ["PENGADUAN_BCRYPT_ROUNDS"] = str(rounds)
    import httpx

    from pengaduan import db
    from pengaduan.accounts.passwords import hash_password
    from pengaduan.accounts.tables import LoginThrottle, User
    from pengaduan.app import create_app
    from pengaduan.db import embedded, migrations
    from pengaduan.notifications.tables import Outbox
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), "bench")
    await migrations.migrate(dsn)
    settings = settings_for(
        dsn, PENGADUAN_BCRYPT_ROUNDS=str(rounds), PENGADUAN_OUTBOX_IN_APP="false"
    )
    app = create_app(settings)
    async with app.lifespan():
        await User.insert(
            User(
                username="pengukur",
                full_name="Pengukur",
                role="citizen",
                password_hash=await hash_password("kata-sandi-benar-1", rounds),
                email="pengukur@bench.test",
                email_confirmed_at=datetime.now(UTC),
            )
        )
        answered: list[float] = []

        async def noting_answer(scope: dict, receive: Any, send: Any) -> None:
            """The app, noting when each answer's last byte is sent (background work follows)."""

            async def noting(message: dict) -> None:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    answered.append(time.perf_counter())

            await app(scope, receive, noting)

        transport = httpx.ASGITransport(app=noting_answer)

        async def one(identifier: str, password: str) -> float:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                await c.get("/masuk")
                token = c.cookies["csrftoken"]
                started = time.perf_counter()
                r = await c.post(
                    "/masuk",
                    data={"identifier": identifier, "password": password},
                    headers={"x-csrftoken": token},
                )
                elapsed = time.perf_counter() - started
            # Keep the throttle out of the measurement.
            await LoginThrottle.delete(force=True)
            assert r.status_code in (303, 422), r.status_code
            return elapsed

        cases = {
            "correct password": ("pengukur", "kata-sandi-benar-1"),
            "wrong password": ("pengukur", "kata-sandi-salah-1"),
            "unknown user": ("tidak-ada", "kata-sandi-salah-1"),
        }
        await one(*cases["correct password"])  # warm-up
        print(f"login request time, bcrypt cost {rounds}, {samples} samples each")
        for name, (identifier, password) in cases.items():
            times = [await one(identifier, password) for _ in range(samples)]
            print(
                f"  {name:17} median {statistics.median(times) * 1000:7.1f} ms   "
                f"min {min(times) * 1000:7.1f}   max {max(times) * 1000:7.1f}"
            )

        async def reset(identifier: str) -> tuple[float, float]:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                await c.get("/lupa-sandi")
                token = c.cookies["csrftoken"]
                started = time.perf_counter()
                r = await c.post(
                    "/lupa-sandi", data={"identifier": identifier}, headers={"x-csrftoken": token}
                )
                done = time.perf_counter()
            await LoginThrottle.delete(force=True)
            await Outbox.delete(force=True)  # the per-recipient mail limit would cut the work short
            assert r.status_code == 200, r.status_code
            return answered[-1] - started, done - started

        print(f"password-reset request, {samples} samples each: answer sent / work done")
        await reset("pengukur")  # warm-up
        for name, identifier in (("known account", "pengukur"), ("unknown name", "tidak-ada")):
            times = [await reset(identifier) for _ in range(samples)]
            answer = statistics.median(t[0] for t in times) * 1000
            work = statistics.median(t[1] for t in times) * 1000
            print(f"  {name:17} median {answer:7.1f} ms   work done {work:7.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.samples))
