"""The fixed demo set: the agency's units and categories, the demo accounts, and the places,
stories and replies generated complaints are made of (development only; README lists the
accounts). No code: generation.py draws from these, loading.py writes them."""

from __future__ import annotations

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

# How often generated complaints are in each status (every status in complaints.statuses:
# generation.py checks). The order is the draw's: the seeded demo set depends on it.
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
