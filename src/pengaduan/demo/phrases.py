"""What generated complaints say, per category: titles, the things complained about, what is
wrong with them, what it causes, what is asked; and the phrases any complaint may use. Words
overlap between categories as they do in real complaints (a flooded road, rubbish blocking a
drain, a fee asked at the registry). No code: demo.texts composes them."""

from __future__ import annotations

# Per category: titles ({where} is a short place), subjects, problems, effects, asks.
PHRASES: dict[str, dict[str, list[str]]] = {
    "Jalan Rusak": {
        "titles": [
            "Jalan berlubang di {where}",
            "Aspal rusak parah di {where}",
            "Jalan amblas dekat {where}",
            "Lubang besar di tengah jalan",
            "Perbaikan jalan terbengkalai",
            "Jalan retak dan bergelombang",
            "Tambalan jalan sudah rusak lagi",
            "Jalan rusak belum diperbaiki",
        ],
        "subjects": [
            "Jalan di {where}",
            "Aspal jalan di {where}",
            "Ruas jalan menuju {where}",
            "Badan jalan dekat {where}",
            "Jalan lingkungan di {where}",
        ],
        "problems": [
            "berlubang cukup dalam dan lebar",
            "retak dan amblas sebagian",
            "aspalnya mengelupas dan berbatu",
            "bergelombang sehingga kendaraan oleng",
            "digali untuk pipa lalu tidak ditutup kembali",
            "tambalannya lepas lagi setelah hujan",
            "rusak karena sering dilewati truk bermuatan berat",
        ],
        "effects": [
            "Sudah beberapa pengendara motor terjatuh.",
            "Kendaraan harus melambat dan terjadi kemacetan.",
            "Saat hujan lubangnya tergenang dan tidak terlihat.",
            "Ban mobil warga sampai pecah.",
            "Anak sekolah yang bersepeda sangat berisiko.",
        ],
        "asks": [
            "Mohon jalan segera diperbaiki atau ditambal.",
            "Mohon diaspal ulang sebelum ada korban.",
            "Mohon dipasang tanda bahaya sementara.",
        ],
    },
    "Drainase dan Banjir": {
        "titles": [
            "Saluran air tersumbat di {where}",
            "Banjir setiap hujan di {where}",
            "Selokan mampet dan meluap",
            "Genangan air tidak surut",
            "Gorong-gorong tersumbat lumpur",
            "Drainase tidak berfungsi",
            "Air meluap ke rumah warga",
        ],
        "subjects": [
            "Selokan di {where}",
            "Saluran drainase dekat {where}",
            "Gorong-gorong di {where}",
            "Permukiman di {where}",
            "Got depan rumah kami di {where}",
        ],
        "problems": [
            "tersumbat lumpur dan sampah",
            "meluap setiap hujan deras",
            "tergenang air setinggi lutut",
            "tidak mengalir karena tertutup bangunan",
            "dangkal sehingga air tidak tertampung",
            "banjir hampir setiap musim hujan",
        ],
        "effects": [
            "Air masuk ke rumah warga setinggi mata kaki.",
            "Genangan baru surut setelah dua hari.",
            "Jalan tergenang dan licin.",
            "Nyamuk berkembang biak di air yang menggenang.",
            "Perabot rumah warga rusak terendam.",
        ],
        "asks": [
            "Mohon saluran dinormalisasi dan dikeruk.",
            "Mohon dibuatkan sumur resapan.",
            "Mohon gorong-gorong diperbesar.",
        ],
    },
    "Sampah dan Kebersihan": {
        "titles": [
            "Sampah menumpuk di {where}",
            "Sampah tidak diangkut berhari-hari",
            "Pembuangan sampah liar di {where}",
            "TPS penuh dan berbau",
            "Truk sampah tidak datang",
            "Sampah dibakar di lahan kosong",
            "Kebersihan taman tidak terjaga",
        ],
        "subjects": [
            "Sampah di TPS {where}",
            "Tumpukan sampah dekat {where}",
            "Tempat pembuangan sampah liar di {where}",
            "Sampah rumah tangga di {where}",
            "Taman di {where}",
        ],
        "problems": [
            "sudah seminggu tidak diangkut",
            "menumpuk sampai ke badan jalan",
            "dibuang sembarangan pada malam hari",
            "dibakar sehingga asapnya masuk ke rumah",
            "berserakan dan tidak pernah disapu",
            "dikerumuni lalat dan tikus",
        ],
        "effects": [
            "Baunya menyengat sampai ke permukiman.",
            "Banyak lalat dan anak-anak mulai diare.",
            "Air lindi mengalir ke selokan.",
            "Pemandangan kotor di dekat sekolah.",
        ],
        "asks": [
            "Mohon sampah segera diangkut.",
            "Mohon jadwal pengangkutan sampah ditambah.",
            "Mohon dipasang larangan membuang sampah.",
        ],
    },
    "Administrasi Kependudukan": {
        "titles": [
            "KTP-el belum jadi",
            "Pengurusan Kartu Keluarga berbelit",
            "Akta kelahiran lama selesai",
            "Data kependudukan salah",
            "Pindah datang tidak diproses",
            "Antrean disdukcapil sangat panjang",
            "Blanko KTP habis terus",
        ],
        "subjects": [
            "Pengurusan KTP-el saya di {where}",
            "Perubahan Kartu Keluarga di {where}",
            "Permohonan akta kelahiran anak saya",
            "Surat pindah datang keluarga kami",
            "Data NIK saya",
            "Pelayanan di kantor disdukcapil",
        ],
        "problems": [
            "belum selesai setelah tiga bulan",
            "ditolak karena berkas dianggap kurang tanpa penjelasan",
            "salah cetak nama dan tanggal lahir",
            "tidak terdaftar di sistem padahal sudah rekam",
            "harus bolak-balik dengan persyaratan berbeda",
            "antreannya dibatasi sehingga banyak warga pulang",
        ],
        "effects": [
            "Saya tidak bisa mendaftar BPJS dan sekolah anak.",
            "Saya terpaksa izin kerja berkali-kali.",
            "Pencairan bantuan sosial tertunda.",
            "Rekening bank tidak bisa dibuka tanpa KTP.",
        ],
        "asks": [
            "Mohon kepastian kapan dokumen selesai.",
            "Mohon data diperbaiki.",
            "Mohon pelayanan dipercepat dan persyaratan dijelaskan.",
        ],
    },
    "Lampu Jalan": {
        "titles": [
            "Lampu jalan mati di {where}",
            "Penerangan jalan umum padam",
            "PJU mati sejak lama",
            "Lampu jalan berkedip",
            "Tiang lampu miring hampir roboh",
            "Jalan gelap gulita di malam hari",
        ],
        "subjects": [
            "Lampu penerangan jalan di {where}",
            "Lampu PJU sepanjang {where}",
            "Tiang lampu dekat {where}",
            "Lampu jalan di gang {where}",
        ],
        "problems": [
            "mati semua sejak dua minggu",
            "berkedip lalu padam",
            "menyala siang hari dan mati malam hari",
            "kabelnya putus dan menjuntai",
            "bohlamnya pecah dan belum diganti",
            "miring dan hampir roboh",
        ],
        "effects": [
            "Jalan menjadi sangat gelap dan rawan kejahatan.",
            "Sudah ada warga dijambret di malam hari.",
            "Pengendara tidak melihat lubang di jalan.",
            "Warga takut pulang malam.",
        ],
        "asks": [
            "Mohon lampu segera diganti.",
            "Mohon penerangan diperbaiki.",
            "Mohon tiang lampu diperiksa sebelum roboh.",
        ],
    },
    "Transportasi Umum": {
        "titles": [
            "Halte rusak di {where}",
            "Angkot ngetem sembarangan",
            "Bus kota jarang lewat",
            "Sopir angkot ugal-ugalan",
            "Terminal kotor dan tidak terawat",
            "Tarif angkutan tidak sesuai",
        ],
        "subjects": [
            "Halte bus di {where}",
            "Angkutan kota jurusan {where}",
            "Bus kota rute {where}",
            "Terminal {where}",
            "Sopir angkot di {where}",
        ],
        "problems": [
            "atapnya bocor dan bangkunya rusak",
            "sering ngetem lama dan menurunkan penumpang di tengah jalan",
            "datang hanya tiap satu jam",
            "menarik tarif lebih mahal dari ketentuan",
            "mengemudi ugal-ugalan dan merokok",
            "tidak punya jadwal yang jelas",
        ],
        "effects": [
            "Penumpang kehujanan saat menunggu bus.",
            "Pelajar sering terlambat ke sekolah.",
            "Lansia kesulitan naik karena tidak ada tempat duduk.",
            "Penumpang merasa tidak aman.",
        ],
        "asks": [
            "Mohon halte diperbaiki.",
            "Mohon armada bus ditambah.",
            "Mohon sopir ditertibkan oleh dinas perhubungan.",
        ],
    },
    "Layanan Kesehatan": {
        "titles": [
            "Antrean puskesmas sangat panjang",
            "Obat di puskesmas kosong",
            "Petugas puskesmas tidak ramah",
            "Dokter jarang ada di tempat",
            "Pasien BPJS ditolak",
            "Ambulans lama datang",
        ],
        "subjects": [
            "Pelayanan di puskesmas {where}",
            "Pendaftaran pasien di puskesmas {where}",
            "Apotek puskesmas {where}",
            "Rumah sakit daerah dekat {where}",
            "Petugas kesehatan di {where}",
        ],
        "problems": [
            "antreannya dimulai subuh dan loket baru dibuka jam delapan",
            "kehabisan obat untuk pasien hipertensi",
            "menolak pasien BPJS dengan alasan kuota penuh",
            "dokternya sering tidak hadir",
            "petugasnya membentak pasien lansia",
            "imunisasi anak ditunda tanpa pemberitahuan",
        ],
        "effects": [
            "Lansia harus berdiri lama tanpa tempat duduk.",
            "Pasien terpaksa membeli obat sendiri di apotek luar.",
            "Anak saya yang demam tidak segera diperiksa.",
            "Warga kecewa dan memilih berobat ke luar kota.",
        ],
        "asks": [
            "Mohon pelayanan kesehatan diperbaiki.",
            "Mohon stok obat dipenuhi.",
            "Mohon petugas dibina.",
        ],
    },
    "Ketertiban Umum": {
        "titles": [
            "PKL menutup trotoar di {where}",
            "Bangunan liar di bantaran sungai",
            "Parkir liar di {where}",
            "Kebisingan hiburan malam",
            "Pengamen dan manusia gerobak di perempatan",
            "Balapan liar setiap malam minggu",
        ],
        "subjects": [
            "Pedagang kaki lima di {where}",
            "Bangunan liar di {where}",
            "Juru parkir liar di {where}",
            "Tempat hiburan malam dekat {where}",
            "Sekelompok remaja di {where}",
        ],
        "problems": [
            "menutup seluruh trotoar",
            "berdiri tanpa izin di lahan milik pemerintah",
            "memungut parkir tanpa karcis",
            "memutar musik keras sampai dini hari",
            "melakukan balapan liar dan membuat keributan",
            "berjualan sampai ke badan jalan",
        ],
        "effects": [
            "Pejalan kaki harus berjalan di badan jalan.",
            "Warga tidak bisa beristirahat di malam hari.",
            "Arus lalu lintas tersendat.",
            "Lingkungan menjadi kumuh dan tidak tertib.",
        ],
        "asks": [
            "Mohon ditertibkan oleh Satpol PP.",
            "Mohon penegakan peraturan daerah.",
            "Mohon dilakukan patroli rutin.",
        ],
    },
    "Pungutan Liar": {
        "titles": [
            "Diminta uang tambahan saat mengurus surat",
            "Pungli di kantor kelurahan",
            "Biaya tidak resmi pembuatan dokumen",
            "Oknum petugas minta uang rokok",
            "Pungutan di sekolah negeri",
            "Calo di kantor pelayanan",
        ],
        "subjects": [
            "Oknum petugas di {where}",
            "Petugas loket di kantor {where}",
            "Pegawai kelurahan {where}",
            "Calo di kantor pelayanan {where}",
            "Pihak sekolah di {where}",
        ],
        "problems": [
            "meminta uang Rp50.000 tanpa kuitansi",
            "meminta uang pelicin agar berkas cepat selesai",
            "memungut biaya untuk layanan yang seharusnya gratis",
            "menawarkan jalur cepat dengan membayar",
            "meminta sumbangan wajib yang tidak jelas dasarnya",
        ],
        "effects": [
            "Warga yang tidak membayar dipersulit.",
            "Kami merasa diperas.",
            "Praktik ini sudah berlangsung lama dan terang-terangan.",
        ],
        "asks": [
            "Mohon oknum tersebut diperiksa dan ditindak.",
            "Mohon diberantas pungutan liar ini.",
            "Mohon inspektorat turun tangan.",
        ],
    },
}

# Where a category's complaints are easily confused: a complaint of one may read like one of
# these (and mention them).
NEIGHBOURS = {
    "Jalan Rusak": ["Drainase dan Banjir", "Lampu Jalan"],
    "Drainase dan Banjir": ["Jalan Rusak", "Sampah dan Kebersihan"],
    "Sampah dan Kebersihan": ["Drainase dan Banjir", "Ketertiban Umum"],
    "Administrasi Kependudukan": ["Pungutan Liar", "Layanan Kesehatan"],
    "Lampu Jalan": ["Jalan Rusak", "Transportasi Umum"],
    "Transportasi Umum": ["Ketertiban Umum", "Lampu Jalan"],
    "Layanan Kesehatan": ["Pungutan Liar", "Administrasi Kependudukan"],
    "Ketertiban Umum": ["Transportasi Umum", "Sampah dan Kebersihan"],
    "Pungutan Liar": ["Administrasi Kependudukan", "Layanan Kesehatan"],
}

OPENERS = [
    "",
    "",
    "Selamat pagi.",
    "Assalamualaikum, saya warga setempat.",
    "Lapor,",
    "Dengan hormat,",
    "Saya ingin menyampaikan keluhan.",
]
TIMES = [
    "sejak dua minggu lalu",
    "sudah lebih dari sebulan",
    "sejak awal tahun",
    "sejak musim hujan",
    "hampir setiap hari",
    "sudah berkali-kali",
]
CLOSERS = [
    "",
    "Terima kasih.",
    "Mohon segera ditindaklanjuti.",
    "Warga sudah resah.",
    "Sudah pernah dilaporkan tetapi belum ada tanggapan.",
    "Terima kasih atas perhatiannya.",
]
# Complaints that say little about what they are about.
VAGUE_TITLES = [
    "Mohon ditindaklanjuti",
    "Keluhan warga",
    "Laporan masalah di {where}",
    "Tolong dibantu",
    "Belum ada tanggapan",
]
VAGUE_BODIES = [
    "Masalah di {where} belum juga ditangani. Mohon segera ada tindakan dari dinas terkait.",
    "Sudah lama kami menunggu tanpa kejelasan. Warga di {where} sangat dirugikan.",
    "Mohon bantuannya, kondisi di {where} makin parah dan belum ada petugas yang datang.",
]
# The chat spelling some citizens write in (applied to whole words).
CHAT_SPELLING = {
    "yang": "yg",
    "tidak": "gak",
    "dengan": "dgn",
    "sudah": "udah",
    "jalan": "jln",
    "untuk": "utk",
    "belum": "blm",
    "karena": "krn",
}
