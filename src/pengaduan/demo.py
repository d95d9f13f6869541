"""Demo data: realistic Indonesian units, categories, accounts and complaints (development only).

`seed` writes the base set once (units, categories, accounts, about fifty complaints in every
status with their history and messages) and, with `bulk_complaints`, adds that many generated
complaints through COPY, fast enough for 100,000 in well under a minute.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from pengaduan.accounts.fields import normalise_phone
from pengaduan.accounts.passwords import hash_password_sync
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.complaints.numbering import NUMBER_PATTERN, SYNC_NUMBERS_SQL
from pengaduan.settings import Settings

# The accounts are listed in the README (development only).
DEMO_ACCOUNTS = [
    # username, password, role, full name, unit (for officers)
    ("admin", "pengaduan-admin-demo", "admin", "Administrator Demo", None),
    ("petugas.pupr", "pengaduan-petugas-demo", "officer", "Budi Santoso", "pupr"),
    ("petugas.dlh", "pengaduan-petugas-demo", "officer", "Siti Rahmawati", "dlh"),
    ("petugas.dukcapil", "pengaduan-petugas-demo", "officer", "Agus Wijaya", "dukcapil"),
    ("petugas.dishub", "pengaduan-petugas-demo", "officer", "Dewi Lestari", "dishub"),
    ("petugas.dinkes", "pengaduan-petugas-demo", "officer", "Rina Kartika", "dinkes"),
    ("petugas.satpolpp", "pengaduan-petugas-demo", "officer", "Hendra Gunawan", "satpolpp"),
    ("petugas.inspektorat", "pengaduan-petugas-demo", "officer", "Yusuf Hidayat", "inspektorat"),
    ("warga", "pengaduan-warga-demo", "citizen", "Andi Pratama", None),
    ("warga2", "pengaduan-warga-demo", "citizen", "Nur Aisyah", None),
    ("warga3", "pengaduan-warga-demo", "citizen", "Rudi Hartono", None),
    ("warga4", "pengaduan-warga-demo", "citizen", "Maya Sari", None),
]
# The citizens' phone and address (registration asks both, and so does the profile form).
DEMO_CONTACTS = {
    "warga": ("081234560001", "Jl. Merdeka No. 12, RT 03/RW 05, Kel. Sukajadi, Kota Bandung"),
    "warga2": ("081234560002", "Jl. Diponegoro No. 45, Kel. Citarum, Kota Bandung"),
    "warga3": ("081234560003", "Perum Griya Asri Blok C2 No. 7, Kec. Cimahi Utara, Cimahi"),
    "warga4": ("081234560004", "Jl. Pahlawan No. 3, RT 01/RW 02, Kel. Cihaurgeulis, Bandung"),
}

UNITS = {
    "pupr": (
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "Jalan, jembatan, drainase dan tata ruang.",
    ),
    "dlh": ("Dinas Lingkungan Hidup", "Sampah, kebersihan, taman dan pencemaran."),
    "dukcapil": (
        "Dinas Kependudukan dan Pencatatan Sipil",
        "KTP-el, Kartu Keluarga, akta dan dokumen kependudukan.",
    ),
    "dishub": ("Dinas Perhubungan", "Lampu jalan, rambu, parkir dan angkutan umum."),
    "dinkes": ("Dinas Kesehatan", "Puskesmas, rumah sakit daerah dan layanan kesehatan."),
    "satpolpp": ("Satuan Polisi Pamong Praja", "Ketertiban umum dan penegakan peraturan daerah."),
    "inspektorat": (
        "Inspektorat Daerah",
        "Pungutan liar, penyalahgunaan wewenang, pelayanan buruk.",
    ),
}

# name, icon, description, unit, deadline days
CATEGORIES = [
    ("Jalan Rusak", "🛣️", "Jalan berlubang, retak atau amblas.", "pupr", 14),
    ("Drainase dan Banjir", "🌊", "Saluran tersumbat, genangan dan banjir.", "pupr", 7),
    ("Sampah dan Kebersihan", "🗑️", "Sampah menumpuk, TPS liar, kebersihan lingkungan.", "dlh", 3),
    (
        "Administrasi Kependudukan",
        "🪪",
        "KTP-el, KK, akta kelahiran dan pindah datang.",
        "dukcapil",
        5,
    ),
    ("Lampu Jalan", "💡", "Lampu penerangan jalan umum mati atau rusak.", "dishub", 7),
    ("Transportasi Umum", "🚌", "Angkutan kota, halte dan terminal.", "dishub", 14),
    ("Layanan Kesehatan", "🏥", "Puskesmas, antrean, obat dan petugas kesehatan.", "dinkes", 5),
    ("Ketertiban Umum", "🚨", "PKL liar, bangunan liar, gangguan ketertiban.", "satpolpp", 3),
    ("Pungutan Liar", "💰", "Permintaan uang di luar ketentuan resmi.", "inspektorat", 10),
]

PLACES = [
    "Jl. Merdeka, Kel. Babakan Ciamis, Kec. Sumur Bandung",
    "Jl. Ahmad Yani No. 45, Kel. Cicadas, Kec. Cibeunying Kidul",
    "Jl. Soekarno-Hatta dekat Pasar Kordon, Kec. Buahbatu",
    "Gg. Mawar RT 03/RW 05, Kel. Sukajadi, Kec. Sukajadi",
    "Jl. Diponegoro depan Gedung Sate, Kec. Bandung Wetan",
    "Jl. Pasteur, Kel. Pasteur, Kec. Sukajadi",
    "Perumahan Griya Asri Blok C, Kel. Cisaranten Kulon, Kec. Arcamanik",
    "Jl. Cibaduyut Raya, Kel. Cibaduyut, Kec. Bojongloa Kidul",
    "Terminal Leuwipanjang, Kec. Bojongloa Kidul",
    "Puskesmas Garuda, Jl. Dadali No. 81, Kec. Andir",
    "Kantor Kecamatan Coblong, Jl. Sangkuriang",
    "Jl. Setiabudi dekat Terminal Ledeng, Kec. Sukasari",
]

# Per category: (title, body) templates; {place} is filled in.
STORIES: dict[str, list[tuple[str, str]]] = {
    "Jalan Rusak": [
        (
            "Jalan berlubang besar membahayakan pengendara",
            "Di {place} ada lubang sekitar satu meter dengan kedalaman 20 cm. Sudah dua "
            "pengendara motor terjatuh minggu ini, terutama malam hari karena tidak terlihat.",
        ),
        (
            "Aspal mengelupas setelah hujan deras",
            "Aspal di {place} mengelupas sepanjang kurang lebih 50 meter sejak hujan deras "
            "minggu lalu. Kendaraan harus melambat dan sering terjadi kemacetan.",
        ),
    ],
    "Drainase dan Banjir": [
        (
            "Saluran air tersumbat, jalan tergenang",
            "Selokan di {place} tersumbat sampah dan lumpur. Setiap hujan air meluap ke jalan "
            "dan masuk ke rumah warga setinggi mata kaki.",
        ),
        (
            "Banjir setiap hujan di permukiman warga",
            "Permukiman di {place} selalu banjir setiap hujan lebih dari satu jam. Mohon "
            "normalisasi saluran dan pembuatan sumur resapan.",
        ),
    ],
    "Sampah dan Kebersihan": [
        (
            "Sampah menumpuk di TPS tidak diangkut",
            "Sampah di TPS {place} sudah lima hari tidak diangkut. Baunya menyengat dan mulai "
            "dikerumuni lalat, dekat dengan sekolah dasar.",
        ),
        (
            "Pembuangan sampah liar di pinggir sungai",
            "Ada tempat pembuangan sampah liar di pinggir sungai dekat {place}. Warga dari "
            "luar daerah membuang sampah pada malam hari.",
        ),
    ],
    "Administrasi Kependudukan": [
        (
            "KTP-el belum jadi setelah tiga bulan",
            "Saya merekam KTP-el di {place} tiga bulan lalu, tetapi sampai sekarang belum "
            "dicetak dengan alasan blanko habis. Mohon kepastian waktunya.",
        ),
        (
            "Pengurusan Kartu Keluarga berbelit",
            "Saat mengurus perubahan Kartu Keluarga di {place}, saya diminta kembali tiga "
            "kali dengan persyaratan yang berbeda-beda.",
        ),
    ],
    "Lampu Jalan": [
        (
            "Lampu penerangan jalan mati sepanjang satu kilometer",
            "Lampu PJU di {place} mati semua sejak dua minggu. Jalan menjadi sangat gelap "
            "dan rawan kejahatan.",
        ),
    ],
    "Transportasi Umum": [
        (
            "Halte rusak dan tidak ada atap",
            "Halte di {place} atapnya hilang dan bangkunya rusak. Penumpang kehujanan saat "
            "menunggu bus.",
        ),
    ],
    "Layanan Kesehatan": [
        (
            "Antrean puskesmas sangat panjang",
            "Di {place} antrean pendaftaran dimulai jam 5 pagi dan loket baru dibuka jam 8. "
            "Lansia harus berdiri lama tanpa tempat duduk.",
        ),
    ],
    "Ketertiban Umum": [
        (
            "PKL menutup trotoar",
            "Pedagang kaki lima di {place} menutup seluruh trotoar sehingga pejalan kaki "
            "harus berjalan di badan jalan.",
        ),
    ],
    "Pungutan Liar": [
        (
            "Diminta uang tambahan saat mengurus surat",
            "Saat mengurus surat keterangan di {place}, petugas meminta uang Rp50.000 "
            "tanpa kuitansi, padahal layanan tersebut gratis.",
        ),
    ],
}

STATUS_WEIGHTS = {
    "pending": 10,
    "verified": 10,
    "in_progress": 20,
    "resolved": 20,
    "closed": 28,
    "rejected": 10,
    "withdrawn": 2,
}
PRIORITY_WEIGHTS = {"low": 20, "normal": 55, "high": 20, "urgent": 5}
OFFICER_REPLIES = [
    "Terima kasih atas laporannya. Tim kami akan meninjau lokasi dalam waktu dekat.",
    "Laporan sudah kami teruskan ke bidang teknis untuk ditindaklanjuti.",
    "Mohon kirimkan foto tambahan dari sudut yang lebih jelas agar kami dapat menilai kerusakan.",
]
CITIZEN_REPLIES = [
    "Terima kasih, mohon segera ditangani karena sudah membahayakan.",
    "Kondisinya makin parah setelah hujan semalam.",
]
INTERNAL_NOTES = [
    "Sudah koordinasi dengan kepala seksi, masuk jadwal pekerjaan minggu depan.",
    "Anggaran pemeliharaan tersedia, tinggal menunggu tim lapangan.",
]
OFFICIAL_RESPONSES = [
    "Perbaikan telah selesai dilaksanakan oleh tim lapangan. Terima kasih atas partisipasi "
    "Bapak/Ibu dalam menjaga fasilitas umum.",
    "Permasalahan telah ditindaklanjuti dan petugas terkait telah diberi pembinaan.",
]
REJECT_REASONS = [
    "Laporan bukan kewenangan pemerintah kota; silakan hubungi pengelola jalan nasional.",
    "Informasi lokasi tidak cukup jelas dan pelapor tidak menanggapi permintaan klarifikasi.",
]

COMPLAINT_COLUMNS = [
    "number",
    "tracking_code",
    "reporter",
    "category",
    "unit",
    "officer",
    "title",
    "body",
    "location_text",
    "latitude",
    "longitude",
    "status",
    "priority",
    "citizen_urgency",
    "is_anonymous",
    "is_public",
    "submitted_at",
    "verified_at",
    "resolved_at",
    "closed_at",
    "due_at",
    "updated_at",
]
HISTORY_COLUMNS = ["complaint", "old_status", "new_status", "changed_by", "note", "changed_at"]


@dataclass
class Base:
    """What generated complaints refer to."""

    categories: list[dict[str, Any]]
    citizens: list[int]
    officers_by_unit: dict[int, list[int]]
    admin_id: int


def tracking_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(
        f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} ({rate:,.0f}/s)"
    )
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


async def _ensure_base(conn: asyncpg.Connection, settings: Settings) -> bool:
    """Write units, categories and accounts unless they are there; True when written now."""
    if await conn.fetchval("SELECT count(*) FROM users WHERE username = 'admin'"):
        return False
    now = datetime.now(UTC)
    unit_ids: dict[str, int] = {}
    for key, (name, description) in UNITS.items():
        unit_ids[key] = await conn.fetchval(
            "INSERT INTO units (name, description, is_active, auto_assign, created_at, updated_at)"
            " VALUES ($1, $2, true, $3, $4, $4)"
            " ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description RETURNING id",
            name,
            description,
            key == "dlh",
            now,
        )
    for name, icon, description, unit, days in CATEGORIES:
        await conn.execute(
            "INSERT INTO categories (name, description, icon, is_active, default_unit,"
            " deadline_days, created_at, updated_at) VALUES ($1, $2, $3, true, $4, $5, $6, $6)"
            " ON CONFLICT (name) DO NOTHING",
            name,
            description,
            icon,
            unit_ids[unit],
            days,
            now,
        )
    # One bcrypt hash per distinct password (they are slow on purpose).
    hashes = {
        password: await asyncio.to_thread(hash_password_sync, password, settings.bcrypt_rounds)
        for password in {a[1] for a in DEMO_ACCOUNTS}
    }
    for position, (username, password, role, full_name, unit) in enumerate(DEMO_ACCOUNTS):
        await conn.execute(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'id', true, $9, $9)"
            " ON CONFLICT (username) DO NOTHING",
            username,
            f"{username}@demo.pengaduan.test",
            now,
            hashes[password],
            full_name,
            role,
            unit_ids[unit] if unit else None,
            f"19850101201001{position:04d}" if role == "officer" else None,
            now,
        )
    return True


async def _ensure_contacts(conn: asyncpg.Connection, settings: Settings) -> None:
    """Give the demo citizens their phone and address, also in a demo database written
    before they had them (their first profile edit failed without)."""
    cipher = cipher_for(settings)
    for username, (phone, address) in DEMO_CONTACTS.items():
        await conn.execute(
            "UPDATE users SET phone_encrypted = coalesce(phone_encrypted, $2),"
            " address_encrypted = coalesce(address_encrypted, $3)"
            " WHERE username = $1 AND role = 'citizen'"
            " AND (phone_encrypted IS NULL OR address_encrypted IS NULL)",
            username,
            cipher.encrypt(normalise_phone(phone)),
            cipher.encrypt(address),
        )


async def _load_base(conn: asyncpg.Connection) -> Base:
    categories = [
        dict(r)
        for r in await conn.fetch(
            "SELECT id, name, default_unit AS unit, deadline_days FROM categories ORDER BY id"
        )
    ]
    citizens = [
        r["id"] for r in await conn.fetch("SELECT id FROM users WHERE role = 'citizen' ORDER BY id")
    ]
    officers: dict[int, list[int]] = {}
    for r in await conn.fetch("SELECT id, unit FROM users WHERE role = 'officer' ORDER BY id"):
        officers.setdefault(r["unit"], []).append(r["id"])
    admin_id = await conn.fetchval("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
    return Base(categories, citizens, officers, admin_id)


async def _next_numbers(conn: asyncpg.Connection) -> dict[int, int]:
    """The last sequence number used per year, so new numbers never collide."""
    rows = await conn.fetch(
        "SELECT split_part(number, '-', 2)::int AS year, max(split_part(number, '-', 3)::int) AS n"
        " FROM complaints WHERE number ~ '^ADU-[0-9]{4}-[0-9]+$' GROUP BY 1"
    )
    return {r["year"]: r["n"] for r in rows}


def _lifecycle(
    rng: random.Random, status: str, submitted: datetime, deadline_days: int
) -> dict[str, Any]:
    """Timestamps and history steps that lead to `status`."""
    steps: list[tuple[str | None, str, timedelta]] = [(None, "pending", timedelta(0))]
    verified = resolved = closed = None
    t = timedelta(0)
    if status == "rejected":
        t += timedelta(hours=rng.randint(2, 72))
        steps.append(("pending", "rejected", t))
        closed = submitted + t
    elif status == "withdrawn":
        t += timedelta(hours=rng.randint(1, 24))
        steps.append(("pending", "withdrawn", t))
        closed = submitted + t
    elif status != "pending":
        t += timedelta(hours=rng.randint(1, 48))
        verified = submitted + t
        steps.append(("pending", "verified", t))
        if status in ("in_progress", "resolved", "closed"):
            t += timedelta(hours=rng.randint(2, 96))
            steps.append(("verified", "in_progress", t))
        if status in ("resolved", "closed"):
            t += timedelta(hours=rng.randint(12, 24 * deadline_days + 72))
            resolved = submitted + t
            steps.append(("in_progress", "resolved", t))
        if status == "closed":
            t += timedelta(days=rng.randint(1, 14))
            closed = submitted + t
            steps.append(("resolved", "closed", t))
    return {
        "steps": steps,
        "verified_at": verified,
        "resolved_at": resolved,
        "closed_at": closed,
        "updated_at": submitted + t,
    }


def _generate(
    rng: random.Random, base: Base, numbers: dict[int, int], now: datetime, days_back: int
) -> tuple[tuple, list[tuple], str]:
    """One complaint row (without id) and its history rows (complaint id filled in later)."""
    category = rng.choice(base.categories)
    title, body = rng.choice(STORIES.get(category["name"], STORIES["Jalan Rusak"]))
    place = rng.choice(PLACES)
    submitted = now - timedelta(seconds=rng.randint(3600, days_back * 86400))
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    # Recent complaints are rarely already closed.
    if (now - submitted).days < 10 and status == "closed":
        status = "in_progress"
    life = _lifecycle(rng, status, submitted, category["deadline_days"])
    year = submitted.year
    numbers[year] = numbers.get(year, 0) + 1
    officers = base.officers_by_unit.get(category["unit"], [])
    officer = rng.choice(officers) if officers and status not in ("pending", "withdrawn") else None
    lat = -6.9 + rng.uniform(-0.05, 0.05) if rng.random() < 0.6 else None
    lon = 107.6 + rng.uniform(-0.05, 0.05) if lat is not None else None
    row = (
        f"ADU-{year}-{numbers[year]:06d}",
        tracking_code(),
        rng.choice(base.citizens),
        category["id"],
        category["unit"],
        officer,
        title,
        body.format(place=place),
        place,
        lat,
        lon,
        status,
        rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0],
        rng.choices(["low", "normal", "high"], weights=[2, 6, 2])[0],
        rng.random() < 0.1,
        rng.random() > 0.15,
        submitted,
        life["verified_at"],
        life["resolved_at"],
        life["closed_at"],
        submitted + timedelta(days=category["deadline_days"]),
        life["updated_at"],
    )
    actor = officer or base.admin_id
    history = []
    for old, new, offset in life["steps"]:
        note = ""
        if new == "rejected":
            note = rng.choice(REJECT_REASONS)
        changed_by = row[2] if new in ("pending", "withdrawn") else actor
        history.append((old, new, changed_by, note, submitted + offset))
    return row, history, status


async def _insert_realistic(conn: asyncpg.Connection, base: Base, rng: random.Random) -> int:
    """About fifty complaints, at least two in every status, with messages and ratings."""
    now = datetime.now(UTC)
    numbers = await _next_numbers(conn)
    count = 0
    wanted = [s for s in STATUS_WEIGHTS for _ in range(2)]
    for i in range(48):
        while True:
            row, history, status = _generate(rng, base, numbers, now, 120)
            if i >= len(wanted) or status == wanted[i]:
                break
            year = row[16].year
            numbers[year] -= 1
        complaint_id = await conn.fetchval(
            f"INSERT INTO complaints ({', '.join(COMPLAINT_COLUMNS)}) VALUES "
            f"({', '.join(f'${n + 1}' for n in range(len(COMPLAINT_COLUMNS)))}) RETURNING id",
            *row,
        )
        await conn.executemany(
            "INSERT INTO status_history (complaint, old_status, new_status, changed_by, note,"
            " changed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [(complaint_id, *h) for h in history],
        )
        officer, reporter, submitted = row[5], row[2], row[16]
        messages: list[tuple] = []
        if officer and status in ("verified", "in_progress", "resolved", "closed"):
            messages.append(
                (officer, rng.choice(OFFICER_REPLIES), "public", False, submitted + timedelta(1))
            )
            messages.append(
                (
                    reporter,
                    rng.choice(CITIZEN_REPLIES),
                    "public",
                    False,
                    submitted + timedelta(days=1, hours=3),
                )
            )
            messages.append(
                (officer, rng.choice(INTERNAL_NOTES), "internal", False, submitted + timedelta(2))
            )
        if officer and status in ("resolved", "closed"):
            messages.append((officer, rng.choice(OFFICIAL_RESPONSES), "public", True, row[18]))
        await conn.executemany(
            "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [(complaint_id, *m) for m in messages],
        )
        if status == "closed" and rng.random() < 0.7:
            await conn.execute(
                "INSERT INTO ratings (complaint, score, comment, created_at) VALUES ($1, $2, $3, $4)",
                complaint_id,
                rng.choice([3, 4, 4, 5, 5]),
                rng.choice(["Terima kasih, cepat ditangani.", "Sudah baik.", ""]),
                row[19],
            )
        await conn.execute(
            'INSERT INTO notifications ("user", kind, title, body, params, complaint, is_read,'
            " created_at) VALUES ($1, 'submitted', $2, $3, $4::jsonb, $5, $6, $7)",
            reporter,
            f"Pengaduan {row[0]} diterima",
            row[6],
            # As the app writes it: shown in each reader's language (notifications.texts).
            json.dumps({"number": row[0], "title": row[6]}),
            complaint_id,
            status != "pending",
            submitted,
        )
        # As the app writes it: the reporter of an anonymous complaint unnamed, no address.
        anonymous = row[COMPLAINT_COLUMNS.index("is_anonymous")]
        await conn.execute(
            "INSERT INTO audit_log (actor, action, target_type, target_id, data, at, ip,"
            " by_anonymous_reporter) VALUES ($1, 'complaint.submit', 'complaint', $2, $3, $4,"
            " $5, $6)",
            None if anonymous else reporter,
            str(complaint_id),
            json.dumps({"number": row[0]}),
            submitted,
            "" if anonymous else "127.0.0.1",
            anonymous,
        )
        count += 1
    return count


async def _insert_bulk(conn: asyncpg.Connection, base: Base, total: int, seed: int) -> None:
    """`total` generated complaints and their history, through COPY in batches."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    numbers = await _next_numbers(conn)
    batch = 20_000
    started = time.monotonic()
    done = 0
    _progress(0, total, started)
    while done < total:
        size = min(batch, total - done)
        rows, histories = [], []
        for _ in range(size):
            row, history, _status = _generate(rng, base, numbers, now, 730)
            rows.append(row)
            histories.append(history)
        async with conn.transaction():
            first_id = await conn.fetchval(
                "SELECT nextval(pg_get_serial_sequence('complaints', 'id'))"
            )
            # Reserve a contiguous block of ids so history rows can point at them.
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('complaints', 'id'), $1)", first_id + size
            )
            ids = range(first_id, first_id + size)
            await conn.copy_records_to_table(
                "complaints",
                records=[(cid, *row) for cid, row in zip(ids, rows, strict=True)],
                columns=["id", *COMPLAINT_COLUMNS],
            )
            await conn.copy_records_to_table(
                "status_history",
                records=[
                    (cid, *h) for cid, history in zip(ids, histories, strict=True) for h in history
                ],
                columns=HISTORY_COLUMNS,
            )
        done += size
        _progress(done, total, started)


async def seed(settings: Settings, dsn: str, bulk_complaints: int = 0) -> None:
    """Write the demo set (once) and optionally `bulk_complaints` more complaints."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            # One seeder at a time: a second concurrent run waits, then finds the data.
            await conn.execute("SELECT pg_advisory_xact_lock(727001)")
            created = await _ensure_base(conn, settings)
            await _ensure_contacts(conn, settings)
            base = await _load_base(conn)
            if created:
                n = await _insert_realistic(conn, base, random.Random(2026))
                # The numbers were written here, around the sequence: move it past them.
                await conn.execute(SYNC_NUMBERS_SQL, NUMBER_PATTERN)
                print(
                    f"Demo data written: {len(UNITS)} units, {len(CATEGORIES)} categories, "
                    f"{len(DEMO_ACCOUNTS)} accounts, {n} complaints."
                )
            else:
                print("Demo data is already present.")
        if bulk_complaints > 0:
            started = time.monotonic()
            print(f"Writing {bulk_complaints:,} generated complaints...")
            await _insert_bulk(conn, base, bulk_complaints, seed=time.time_ns())
            await conn.execute(SYNC_NUMBERS_SQL, NUMBER_PATTERN)
            await conn.execute("ANALYZE complaints; ANALYZE status_history")
            print(f"Done in {time.monotonic() - started:.1f} s.")
    finally:
        await conn.close()
    print_accounts()


def print_accounts() -> None:
    print("\nDemo accounts (development only):")
    seen = set()
    for username, password, role, _name, _unit in DEMO_ACCOUNTS:
        if role in seen:
            continue
        seen.add(role)
        extra = {
            "officer": "  (also petugas.dlh, petugas.dukcapil, ...: one per unit)",
            "citizen": "  (also warga2, warga3, warga4)",
        }.get(role, "")
        print(f"  {role:8} {username:18} {password}{extra}")
