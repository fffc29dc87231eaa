# ruff: noqa: E501 - a table of sentences: one entry a line reads better than wrapped strings
"""Indonesian (id) translations of every message the API puts in a problem.

Keys are the English source templates: an f-string field is written `{}`. Values use `{0}`,
`{1}`... so that Indonesian word order can differ. Field names (`consent_at`), status codes
(`paid`, `verified`), header names and NIK/KTP/KK stay as they are: they are part of the API.
tests/i18n/test_messages_complete.py fails when the app has a message without an entry here, and
when an entry is no longer produced anywhere.
"""

# Titles of the problem classes (app/errors.py and each domain's subclasses).
TITLES = {
    "Not found": "Tidak ditemukan",
    "Not authenticated": "Belum terautentikasi",
    "Forbidden": "Akses ditolak",
    "Evaluation date for staff only": "Tanggal evaluasi hanya untuk petugas",
    "Conflict": "Konflik",
    "Invalid request": "Permintaan tidak valid",
    "Precondition required": "Prasyarat diperlukan",
    "Precondition failed": "Prasyarat tidak terpenuhi",
    "Too many requests": "Terlalu banyak permintaan",
    "Service unavailable": "Layanan tidak tersedia",
    "Service busy": "Layanan sedang sibuk",
    "Internal server error": "Kesalahan internal server",
    "Content too large": "Konten terlalu besar",
    "Invalid credentials": "Kredensial tidak valid",
    "Too many failed sign-ins": "Terlalu banyak percobaan masuk yang gagal",
    "Unsupported grant type": "Jenis grant tidak didukung",
    "Idempotency key reused": "Idempotency-Key digunakan ulang",
    "Agency not found": "Lembaga tidak ditemukan",
    "Duplicate agency": "Lembaga ganda",
    "Agency in use": "Lembaga masih digunakan",
    "Inactive agency": "Lembaga tidak aktif",
    "Not your agency": "Bukan lembaga Anda",
    "Not your agency's": "Bukan milik lembaga Anda",
    "API client not found": "Klien API tidak ditemukan",
    "User not found": "Pengguna tidak ditemukan",
    "Username taken": "Nama pengguna sudah dipakai",
    "Last administrator": "Administrator terakhir",
    "Region not found": "Wilayah tidak ditemukan",
    "Site not found": "Lokasi tidak ditemukan",
    "Census round not found": "Putaran sensus tidak ditemukan",
    "Person not found": "Orang tidak ditemukan",
    "Duplicate NIK": "NIK ganda",
    "Restricted record": "Data dibatasi",
    "Personal data in the URL": "Data pribadi di URL",
    "Filter not available for your role": "Filter tidak tersedia untuk peran Anda",
    "Person erased": "Data orang telah dihapus",
    "Import rejected": "Impor ditolak",
    "Import conflict": "Konflik impor",
    "Meeting not found": "Rapat tidak ditemukan",
    "Participant not found": "Peserta tidak ditemukan",
    "Agenda item not found": "Butir agenda tidak ditemukan",
    "Action item not found": "Butir tindak lanjut tidak ditemukan",
    "Duplicate participant": "Peserta ganda",
    "Meeting not started": "Rapat belum dimulai",
    "Duplicate agenda number": "Nomor agenda ganda",
    "Still referenced": "Masih dirujuk",
    "Coordination case not found": "Kasus koordinasi tidak ditemukan",
    "Calendar feed not found": "Umpan kalender tidak ditemukan",
    "Correspondence not found": "Korespondensi tidak ditemukan",
    "Duplicate coordination case": "Kasus koordinasi ganda",
    "Case has active batches": "Kasus masih memiliki rombongan aktif",
    "Coordination case finished": "Kasus koordinasi telah selesai",
    "Repatriation batch not found": "Rombongan pemulangan tidak ditemukan",
    "Member not found": "Anggota rombongan tidak ditemukan",
    "Batch no longer planned": "Rombongan tidak lagi dalam tahap rencana",
    "Batch has no members": "Rombongan tidak memiliki anggota",
    "Person cannot join a batch": "Orang tidak dapat bergabung dengan rombongan",
    "Person already in a batch": "Orang sudah tergabung dalam rombongan",
    "Origin is not the batch's region": "Daerah asal bukan wilayah rombongan",
    "A member cannot make the change": "Perubahan tidak dapat diterapkan pada seorang anggota",
    "Assistance record not found": "Data bantuan tidak ditemukan",
    "Illegal status change": "Perubahan status tidak diperbolehkan",
    "Amount settled": "Jumlah sudah final",
    "No eligible determination": "Tidak ada penetapan layak",
    "Program not found": "Program tidak ditemukan",
    "Rule set not found": "Perangkat aturan tidak ditemukan",
    "Determination run not found": "Proses penetapan tidak ditemukan",
    "Rule set cannot change": "Perangkat aturan tidak dapat diubah",
    "No rule set in force": "Tidak ada perangkat aturan yang berlaku",
    "Draft rule set": "Perangkat aturan masih berupa draf",
    "Program inactive": "Program tidak aktif",
    "Change request not found": "Permohonan perubahan tidak ditemukan",
    "Change request already decided": "Permohonan perubahan sudah diputuskan",
    "Webhook not found": "Webhook tidak ditemukan",
    "Delivery not found": "Pengiriman tidak ditemukan",
    "Delivery dropped": "Pengiriman dibatalkan",
    "No agency": "Tidak terhubung dengan lembaga",
    "Metrics token required": "Token metrik diperlukan",
    "Site code taken": "Kode lokasi sudah dipakai",
    "Invalid grant": "Grant tidak valid",
    "Unknown client or redirect URI": "Klien atau URI pengalihan tidak dikenal",
    "Second factor already enrolled": "Faktor kedua sudah terdaftar",
    "Sign in with a second factor first": "Masuk dengan faktor kedua terlebih dahulu",
    "Security key not found": "Kunci keamanan tidak ditemukan",
    "Security key already registered": "Kunci keamanan sudah terdaftar",
    "Security key not accepted": "Kunci keamanan tidak diterima",
    "Session not found": "Sesi tidak ditemukan",
    "Purpose required": "Tujuan akses diperlukan",
    "Second approval required": "Persetujuan kedua diperlukan",
    "Export request not found": "Permintaan ekspor tidak ditemukan",
    "Export request not available": "Permintaan ekspor tidak tersedia",
    "Import request not found": "Permintaan impor tidak ditemukan",
    "Import request not available": "Permintaan impor tidak tersedia",
    "Not the approved import": "Bukan impor yang disetujui",
    "Reads paused": "Pembacaan data dijeda",
}

# Details: the first argument (or `detail=`) of the errors, and the fixed details of app/errors.py.
DETAILS = {
    "Only Dinas Sosial staff may evaluate as of another date than today.": "Hanya petugas Dinas Sosial yang boleh mengevaluasi per tanggal selain hari ini.",
    "A dropped delivery is not sent again: the agency may no longer read it.": "Pengiriman yang dibatalkan tidak dikirim ulang: lembaga tidak lagi berhak membacanya.",
    # platform
    "The resource was changed by someone else; fetch it again and retry.": (
        "Sumber daya telah diubah oleh pihak lain; ambil kembali lalu ulangi permintaan."
    ),
    "The change conflicts with existing data.": "Perubahan ini bertentangan dengan data yang sudah ada.",
    "The database is unavailable; retry shortly.": "Basis data tidak tersedia; coba lagi sesaat lagi.",
    "The service is busy; retry shortly.": "Layanan sedang sibuk; coba lagi sesaat lagi.",
    "A value is out of range.": "Salah satu nilai berada di luar rentang yang diizinkan.",
    "The database does not answer.": "Basis data tidak merespons.",
    "Send If-Match with the resource's ETag to change it.": (
        "Kirimkan header If-Match berisi ETag sumber daya untuk mengubahnya."
    ),
    "The resource was changed since you read it; fetch it again.": (
        "Sumber daya telah diubah sejak Anda membacanya; ambil kembali sumber daya tersebut."
    ),
    "This Idempotency-Key was used with a different request.": (
        "Idempotency-Key ini telah digunakan untuk permintaan yang berbeda."
    ),
    "A request with this Idempotency-Key is still in progress.": (
        "Permintaan dengan Idempotency-Key ini masih diproses."
    ),
    # auth, users, clients
    "A valid bearer token is required.": "Diperlukan bearer token yang valid.",
    "The role {} may not do this.": "Peran {0} tidak diizinkan melakukan tindakan ini.",
    "Calendar feeds belong to people who sign in, not to API clients.": (
        "Umpan kalender milik orang yang masuk, bukan milik klien API."
    ),
    "{} is not available to your role: counts are published as fixed tables.": (
        "{0} tidak tersedia untuk peran Anda: jumlah diterbitkan sebagai tabel tetap."
    ),
    "The credentials are not valid.": "Kredensial yang diberikan tidak valid.",
    "Too many failed sign-ins; retry in {} seconds.": (
        "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam {0} detik."
    ),
    "grant_type must be authorization_code, refresh_token, client_credentials or password.": (
        "grant_type harus berupa authorization_code, refresh_token, client_credentials, atau password."
    ),
    "The grant is not valid.": "Grant yang diberikan tidak valid.",
    "client_id is not registered, or redirect_uri is not one of its redirect URIs.": (
        "client_id tidak terdaftar, atau redirect_uri bukan salah satu URI pengalihan yang terdaftar untuknya."
    ),
    "code_challenge_method must be S256.": "code_challenge_method harus S256.",
    "code_challenge must be 43 characters of base64url (S256).": (
        "code_challenge harus terdiri atas 43 karakter base64url (S256)."
    ),
    "code, code_verifier, client_id and redirect_uri are required.": (
        "code, code_verifier, client_id, dan redirect_uri wajib diisi."
    ),
    "Sign in again with your second factor (an admin's enrolment code enrols a first one).": (
        "Masuk kembali dengan faktor kedua Anda (kode pendaftaran dari administrator mendaftarkan faktor pertama)."
    ),
    "The security key's answer was not accepted; start again.": (
        "Jawaban kunci keamanan tidak diterima; mulai lagi."
    ),
    "This security key is already registered.": "Kunci keamanan ini sudah terdaftar.",
    "Only a signed-in user registers a security key.": (
        "Hanya pengguna yang sudah masuk yang dapat mendaftarkan kunci keamanan."
    ),
    "A second factor is enrolled; an admin can reset it.": (
        "Faktor kedua sudah terdaftar; administrator dapat mengatur ulang faktor tersebut."
    ),
    "This username is taken.": "Nama pengguna ini sudah dipakai.",
    "This is the last active administrator.": "Ini adalah administrator aktif terakhir.",
    "API clients have secrets, not passwords; ask an admin to rotate it.": (
        "Klien API menggunakan secret, bukan kata sandi; mintalah administrator untuk menggantinya."
    ),
    # agencies, regions, sites, censuses
    "An agency with this name already exists in this region.": (
        "Lembaga dengan nama ini sudah ada di wilayah ini."
    ),
    "The agency is still referred to; deactivate it instead.": (
        "Lembaga ini masih dirujuk oleh data lain; nonaktifkan lembaga ini sebagai gantinya."
    ),
    "The agency is inactive; reactivate it first.": "Lembaga tidak aktif; aktifkan kembali terlebih dahulu.",
    "Only an administrator may reactivate an agency.": "Hanya administrator yang boleh mengaktifkan kembali lembaga.",
    "No region has this code.": "Tidak ada wilayah dengan kode ini.",
    "A site with this code exists.": "Lokasi dengan kode ini sudah ada.",
    "This site already has a census round of that name.": (
        "Lokasi ini sudah memiliki putaran sensus dengan nama tersebut."
    ),
    # persons
    "This record is restricted: name the purpose of access in the X-Purpose header ({}).": (
        "Data ini dibatasi: sebutkan kode tujuan akses pada header X-Purpose ({0})."
    ),
    "Name the purpose of access in the X-Purpose header, never in the URL.": (
        "Sebutkan tujuan akses pada header X-Purpose, jangan pernah di URL."
    ),
    "Send a NIK in the body of POST /api/v1/persons/search, never in a URL.": (
        "Kirim NIK di badan permintaan POST /api/v1/persons/search, jangan pernah di URL."
    ),
    "A person with this NIK is already registered.": "Orang dengan NIK ini sudah terdaftar.",
    "The record was erased; it can no longer be changed.": "Data telah dihapus; data ini tidak dapat diubah lagi.",
    "{} cannot change to {}; allowed: {}.": (
        "Status {0} tidak dapat berubah menjadi {1}; yang diperbolehkan: {2}."
    ),
    "Only roles that read the full NIK may search by it.": "Hanya peran yang dapat membaca NIK lengkap yang boleh mencari berdasarkan NIK.",
    "The person is already referred to this agency.": "Orang tersebut sudah dirujuk ke lembaga ini.",
    "The person is not referred to this agency.": "Orang tersebut tidak dirujuk ke lembaga ini.",
    "The record is already restricted.": "Data ini sudah dibatasi.",
    "The record is not restricted.": "Data ini tidak dibatasi.",
    "The file is over the upload limit of {} bytes.": "Berkas melebihi batas unggah sebesar {0} bita.",
    "A person with a NIK in the file was registered while the import ran; nothing was written. Import the file again to see which row.": (
        "Orang dengan NIK yang tercantum dalam berkas telah didaftarkan selama impor berlangsung; tidak ada "
        "data yang disimpan. Impor ulang berkas untuk melihat baris yang dimaksud."
    ),
    "{} error(s) in {} row(s); nothing was written.": (
        "Terdapat {0} kesalahan pada {1} baris; tidak ada data yang disimpan."
    ),
    # meetings
    "The meeting is {}; attendance cannot be recorded.": "Rapat berstatus {0}; kehadiran tidak dapat dicatat.",
    "Attendance can be recorded only once the meeting has started.": (
        "Kehadiran hanya dapat dicatat setelah rapat dimulai."
    ),
    "A {} meeting cannot become {}.": "Rapat berstatus {0} tidak dapat menjadi {1}.",
    "A meeting cannot be held before it starts.": "Rapat tidak dapat dinyatakan terlaksana sebelum dimulai.",
    "The agency already takes part in this meeting.": "Lembaga ini sudah menjadi peserta rapat ini.",
    "Partners may change only their own agency's participation.": (
        "Mitra hanya dapat mengubah keikutsertaan lembaganya sendiri."
    ),
    "The agency has action items of this meeting; reassign them first.": (
        "Lembaga ini memiliki butir tindak lanjut dari rapat ini; alihkan terlebih dahulu."
    ),
    "The agenda already has an item number {}.": "Agenda sudah memiliki butir bernomor {0}.",
    "Action items refer to this agenda item; unlink them first.": (
        "Butir tindak lanjut merujuk ke butir agenda ini; lepaskan tautannya terlebih dahulu."
    ),
    "Partners may change only their own agency's action items.": (
        "Mitra hanya dapat mengubah butir tindak lanjut lembaganya sendiri."
    ),
    "Partners may change only the status of an action item.": (
        "Mitra hanya dapat mengubah status butir tindak lanjut."
    ),
    # coordination, repatriations, assistance
    "This site already has a case for this region.": "Lokasi ini sudah memiliki kasus untuk wilayah ini.",
    "A case {} cannot become {}; allowed: {}.": (
        "Kasus berstatus {0} tidak dapat menjadi {1}; yang diperbolehkan: {2}."
    ),
    "The case still has planned, departed or arrived batches; finish or cancel them first.": (
        "Kasus masih memiliki rombongan yang direncanakan, telah berangkat, atau telah tiba; "
        "selesaikan atau batalkan terlebih dahulu."
    ),
    "The case is {}; reopen it to plan a batch.": (
        "Kasus berstatus {0}; buka kembali kasus ini untuk merencanakan rombongan."
    ),
    "The person's record was erased.": "Data orang tersebut telah dihapus.",
    "The person is {}: only verified or awaiting_return persons can travel.": (
        "Orang tersebut berstatus {0}: hanya orang berstatus verified atau awaiting_return "
        "yang dapat diberangkatkan."
    ),
    "The person is already in a batch that is not cancelled or handed over.": (
        "Orang tersebut sudah tergabung dalam rombongan yang belum dibatalkan atau diserahterimakan."
    ),
    "The person's origin is not {}, the batch's region; send override_reason to add the person anyway.": (
        "Daerah asal orang tersebut bukan {0}, wilayah rombongan; kirimkan override_reason untuk "
        "tetap menambahkannya."
    ),
    "The batch is {}: members change only while it is planned.": (
        "Rombongan berstatus {0}: anggota hanya dapat diubah selama rombongan berstatus planned."
    ),
    "A batch {} cannot become {}; allowed: {}.": (
        "Rombongan berstatus {0} tidak dapat menjadi {1}; yang diperbolehkan: {2}."
    ),
    "A member is {} and cannot become {}; nothing was changed.": (
        "Seorang anggota berstatus {0} dan tidak dapat menjadi {1}; tidak ada yang diubah."
    ),
    "A batch without members cannot depart.": "Rombongan tanpa anggota tidak dapat diberangkatkan.",
    "A partner confirms handovers to its own agency only.": (
        "Mitra hanya dapat mengonfirmasi serah terima kepada lembaganya sendiri."
    ),
    "The person has no current eligible determination for this program.": (
        "Orang tersebut tidak memiliki penetapan layak yang berlaku untuk program ini."
    ),
    "The record was erased; no assistance can be added.": "Data telah dihapus; bantuan tidak dapat ditambahkan.",
    "Assistance {} cannot become {}; allowed: {}.": (
        "Bantuan berstatus {0} tidak dapat menjadi {1}; yang diperbolehkan: {2}."
    ),
    "The amount of {} assistance cannot change.": "Jumlah bantuan berstatus {0} tidak dapat diubah.",
    # eligibility
    "A program with this code exists.": "Program dengan kode ini sudah ada.",
    "This rule set is {}; only drafts change. Create a new version.": (
        "Perangkat aturan ini berstatus {0}; hanya draf yang dapat diubah. Buatlah versi baru."
    ),
    "This rule set is {}; only a draft can be activated.": (
        "Perangkat aturan ini berstatus {0}; hanya draf yang dapat diaktifkan."
    ),
    "The program has no rule set in force on {}.": (
        "Program tidak memiliki perangkat aturan yang berlaku pada {0}."
    ),
    "The record was erased; it is no longer evaluated.": "Data telah dihapus; data ini tidak lagi dievaluasi.",
    "A draft is not in force: simulate it or evaluate one person (dry run).": (
        "Draf belum berlaku: lakukan simulasi atau evaluasi satu orang (dry run)."
    ),
    "The program is inactive: reactivate it to record determinations.": (
        "Program tidak aktif: aktifkan kembali untuk mencatat penetapan."
    ),
    # change requests, webhooks, operations
    "The change request is already {}.": "Permohonan perubahan sudah berstatus {0}.",
    "A partner without an agency cannot subscribe.": "Mitra yang tidak terhubung dengan lembaga tidak dapat berlangganan.",
    "Send the metrics token as `Authorization: Bearer <token>`.": (
        "Kirimkan token metrik sebagai `Authorization: Bearer <token>`."
    ),
    "A site with code {} exists and is not the demo's.": "Lokasi dengan kode {0} sudah ada dan bukan lokasi demo.",
    "There is no such problem type; GET /problems lists them.": (
        "Jenis masalah tersebut tidak ada; daftarnya tersedia di GET /problems."
    ),
    # bulk access that touches NIK
    "{} touches NIK: name its purpose in {} ({}).": (
        "{0} melibatkan NIK: sebutkan kode tujuan akses pada header {1} ({2})."
    ),
    "An export with plain NIK needs a second staff approval: POST /api/v1/export-requests, have another officer or admin approve it, then download it once.": (
        "Ekspor dengan NIK lengkap memerlukan persetujuan kedua dari petugas: kirim POST "
        "/api/v1/export-requests, mintalah officer atau administrator lain untuk menyetujuinya, lalu "
        "unduh ekspor tersebut satu kali."
    ),
    "The approval must come from another staff member.": "Persetujuan harus diberikan oleh petugas lain.",
    "Only a pending, unexpired request can be approved.": (
        "Hanya permintaan yang masih menunggu dan belum kedaluwarsa yang dapat disetujui."
    ),
    "The export is not approved, expired, or was downloaded already.": (
        "Ekspor belum disetujui, sudah kedaluwarsa, atau sudah pernah diunduh."
    ),
    "An import with NIK needs a second staff approval: run it with dry_run=true for the file's file_sha256, POST /api/v1/import-requests with it, have another officer or admin approve it, then import the same file once with import_request=<id>.": (
        "Impor dengan NIK memerlukan persetujuan kedua dari petugas: jalankan dengan dry_run=true "
        "untuk memperoleh file_sha256 berkas, kirim POST /api/v1/import-requests dengan nilai itu, "
        "mintalah officer atau administrator lain untuk menyetujuinya, lalu impor berkas yang sama "
        "satu kali dengan import_request=<id>."
    ),
    "The import request is for another site.": "Permintaan impor tersebut untuk lokasi lain.",
    "The file is not the one the import request approved: its SHA-256 differs. Ask for a new request for this file.": (
        "Berkas ini bukan berkas yang disetujui dalam permintaan impor: SHA-256-nya berbeda. "
        "Ajukan permintaan baru untuk berkas ini."
    ),
    "The import request is not approved, expired, or was used already.": (
        "Permintaan impor belum disetujui, sudah kedaluwarsa, atau sudah pernah digunakan."
    ),
    "This account read more persons this hour than allowed; reads resume next hour.": (
        "Akun ini telah membaca data orang melebihi batas yang diizinkan dalam jam ini; pembacaan "
        "dapat dilanjutkan pada jam berikutnya."
    ),
    # ValueErrors of programming errors the scan reads too (they end in a 500, not in a 422)
    "naive datetime": "tanggal-waktu tanpa zona waktu",
    "start_epoch needs an owner": "start_epoch memerlukan pemilik",
}

# Messages about one field (`errors[].msg` of a 422): InvalidInput, validators, the CSV import.
FIELDS = {
    "may not be null": "tidak boleh bernilai null",
    "is required": "wajib diisi",
    "does not match": "tidak cocok",
    "invalid cursor": "kursor tidak valid",
    "write {} as its IPv4 network": "tulis {0} sebagai jaringan IPv4-nya",
    "may not be in the future": "tidak boleh berada di masa mendatang",
    "must not contain control characters": "tidak boleh mengandung karakter kontrol",
    "must be one line without control characters": "harus satu baris tanpa karakter kontrol",
    "unknown agency": "lembaga tidak dikenal",
    "agency is inactive": "lembaga tidak aktif",
    "unknown site": "lokasi tidak dikenal",
    "unknown meeting": "rapat tidak dikenal",
    "unknown person": "orang tidak dikenal",
    "unknown program": "program tidak dikenal",
    "unknown coordination case": "kasus koordinasi tidak dikenal",
    "unknown region code": "kode wilayah tidak dikenal",
    "must be a {}, not a {}": "harus berupa {0}, bukan {1}",
    "must be a Kemendagri region code such as 53 or 53.71": (
        "harus berupa kode wilayah Kemendagri, misalnya 53 atau 53.71"
    ),
    "required for the partner role": "wajib diisi untuk peran partner",
    "not a person of this site": "bukan orang yang terdaftar di lokasi ini",
    "closed_on is before closure_announced_on": "closed_on lebih awal dari closure_announced_on",
    "is before closure_announced_on": "lebih awal dari closure_announced_on",
    # persons and NIK
    "must be 16 digits": "harus terdiri atas 16 digit",
    "the date part is not a date of birth": "bagian tanggal bukan tanggal lahir",
    "the date part is not a real date": "bagian tanggal bukan tanggal yang sah",
    "the serial part may not be 0000": "bagian nomor urut tidak boleh 0000",
    "the first two digits are not a known province code": "dua digit pertama bukan kode provinsi yang dikenal",
    "consent_at is required when legal_basis is consent": (
        "consent_at wajib diisi jika legal_basis adalah consent"
    ),
    "is required when legal_basis is consent": "wajib diisi jika legal_basis adalah consent",
    # CSV import rows
    "unknown column": "kolom tidak dikenal",
    "required column is missing": "kolom wajib tidak ada",
    "column appears twice": "kolom muncul dua kali",
    "expected {} cells, found {}": "seharusnya {0} sel, ditemukan {1}",
    "malformed CSV: {}": "format CSV rusak: {0}",
    "not a known regency/city code": "bukan kode kabupaten/kota yang dikenal",
    "same NIK as row {}": "NIK sama dengan baris {0}",
    "a person with this NIK is already registered": "orang dengan NIK ini sudah terdaftar",
    "the file is not UTF-8": "berkas tidak berenkode UTF-8",
    "the file has no rows": "berkas tidak memiliki baris",
    "a multipart import needs the CSV in the field `file`": "impor multipart memerlukan CSV di field `file`",
    # meetings
    "must be after from": "harus setelah from",
    "unknown IANA timezone": "zona waktu IANA tidak dikenal",
    "is before starts_at": "lebih awal dari starts_at",
    "agency neither organizes nor takes part in the meeting": (
        "lembaga tidak menyelenggarakan maupun mengikuti rapat ini"
    ),
    "is before the meeting": "lebih awal dari tanggal rapat",
    "not an agenda item of this meeting": "bukan butir agenda rapat ini",
    # coordination
    "must be an agency in province {}, the case's": "harus berupa lembaga di provinsi {0}, provinsi kasus ini",
    "is after the recorded departure": "lebih lambat dari keberangkatan yang tercatat",
    "is before planned_departure_on; change the planned date first": (
        "lebih awal dari planned_departure_on; ubah tanggal rencana terlebih dahulu"
    ),
    "is before the departure": "lebih awal dari keberangkatan",
    "is before the arrival": "lebih awal dari kedatangan",
    "lists a person twice": "mencantumkan orang yang sama dua kali",
    "is required for pem_fund": "wajib diisi untuk pem_fund",
    "is required when status is paid": "wajib diisi jika status adalah paid",
    "is only for paid assistance": "hanya untuk bantuan berstatus paid",
    "paid_on is required when status is paid": "paid_on wajib diisi jika status adalah paid",
    "paid_on is only for paid assistance": "paid_on hanya untuk bantuan berstatus paid",
    "program_id is required for pem_fund": "program_id wajib diisi untuk pem_fund",
    # eligibility: rule sets and the rule grammar
    "effective_to is before effective_from": "effective_to lebih awal dari effective_from",
    "is before effective_from": "lebih awal dari effective_from",
    "a run of this program is needed to filter by change": (
        "penyaringan berdasarkan perubahan memerlukan proses penetapan dari program ini"
    ),
    "the rule has more than {} nodes": "aturan memiliki lebih dari {0} simpul",
    "the rule is nested deeper than {} levels": "aturan bersarang lebih dari {0} tingkat",
    "must be an object with all, any, not, or fact/op/value": (
        "harus berupa objek dengan all, any, not, atau fact/op/value"
    ),
    "must have one of the keys all, any, not, fact": "harus memiliki salah satu kunci all, any, not, fact",
    "unknown key (a {} node has only {})": "kunci tidak dikenal (simpul {0} hanya memiliki {1})",
    "must be a list of nodes": "harus berupa daftar simpul",
    "must not be empty (an empty list would be vacuously true or false)": (
        "tidak boleh kosong (daftar kosong akan selalu bernilai benar atau salah)"
    ),
    "unknown fact (GET /api/v1/eligibility/facts lists them)": (
        "fakta tidak dikenal (daftarnya tersedia di GET /api/v1/eligibility/facts)"
    ),
    "unknown operator (one of {})": "operator tidak dikenal (salah satu dari {0})",
    "{} is not allowed for {} ({}): use {}": "{0} tidak diperbolehkan untuk {1} ({2}): gunakan {3}",
    "{} takes no value": "{0} tidak menerima nilai",
    "{} needs a non-empty list": "{0} memerlukan daftar yang tidak kosong",
    "at most {} values": "paling banyak {0} nilai",
    "must be the start of a region code, e.g. 53 or 53.7": "harus berupa awal kode wilayah, misalnya 53 atau 53.7",
    "must be one of: {}": "harus salah satu dari: {0}",
    "must be an integer": "harus berupa bilangan bulat",
    "must be between -{} and {}": "harus di antara -{0} dan {1}",
    "must be true or false": "harus bernilai true atau false",
    "must be a UUID": "harus berupa UUID",
    "must be a regency/city code such as 53.71": "harus berupa kode kabupaten/kota, misalnya 53.71",
    "must be a regency/city code such as 53.71 (use the *_province_code fact)": (
        "harus berupa kode kabupaten/kota, misalnya 53.71 (gunakan fakta *_province_code)"
    ),
    "must be a province code such as 53": "harus berupa kode provinsi, misalnya 53",
    # change requests
    "propose at least one field": "usulkan sedikitnya satu field",
    "partners may not propose this field": "mitra tidak boleh mengusulkan field ini",
    # webhooks: subscriptions and their target URL
    "must not repeat an event type": "tidak boleh mengulang jenis peristiwa",
    "{} is for staff subscriptions only": "{0} hanya untuk langganan staf",
    "partners subscribe for their own agency only": "mitra hanya dapat berlangganan untuk lembaganya sendiri",
    "is not a valid URL": "bukan URL yang valid",
    "must be an https URL": "harus berupa URL https",
    "must not carry credentials": "tidak boleh memuat kredensial",
    "has no host": "tidak memiliki host",
    "must not have a fragment": "tidak boleh memiliki fragmen",
    "host does not resolve": "nama host tidak dapat diterjemahkan ke alamat IP",
    "resolves to a private, loopback or otherwise internal address": (
        "mengarah ke alamat privat, loopback, atau alamat internal lainnya"
    ),
}

# Words that fill a field of a message, e.g. "allowed: none" or "must be a regency, not a province".
VALUES = {
    "none": "tidak ada",
    "province": "provinsi",
    "regency": "kabupaten/kota",
    # what a bulk access that touches NIK is, in "{} touches NIK: ..."
    "An export with plain NIK": "Ekspor dengan NIK lengkap",
    "An import with NIK": "Impor dengan NIK",
}

# Messages of FastAPI and Starlette themselves (body parsing, multipart forms of the token route).
FRAMEWORK = {
    "There was an error parsing the body": "Isi permintaan tidak dapat diurai",
    "Field exceeded maximum size of {}KB.": "Ukuran field melebihi batas maksimum {0}KB.",
    "Part exceeded maximum size of {}KB.": "Ukuran bagian melebihi batas maksimum {0}KB.",
    "Too many fields. Maximum number of fields is {}.": "Terlalu banyak field. Jumlah field maksimum adalah {0}.",
    "Too many files. Maximum number of files is {}.": "Terlalu banyak berkas. Jumlah berkas maksimum adalah {0}.",
    'The Content-Disposition header field "name" must be provided.': (
        'Field "name" pada header Content-Disposition wajib diisi.'
    ),
    "Missing boundary in multipart.": "Batas (boundary) pada data multipart tidak ada.",
    "Invalid multipart data.": "Data multipart tidak valid.",
}

# HTTP status phrases, the title of problems without a class of their own (unknown route, 405...).
HTTP_STATUS = {
    400: "Permintaan tidak valid",
    401: "Tidak berwenang",
    402: "Pembayaran diperlukan",
    403: "Akses ditolak",
    404: "Tidak ditemukan",
    405: "Metode tidak diizinkan",
    406: "Tidak dapat diterima",
    407: "Autentikasi proksi diperlukan",
    408: "Waktu permintaan habis",
    409: "Konflik",
    410: "Sudah tidak tersedia",
    411: "Panjang konten diperlukan",
    412: "Prasyarat tidak terpenuhi",
    413: "Konten terlalu besar",
    414: "URI terlalu panjang",
    415: "Jenis media tidak didukung",
    416: "Rentang tidak dapat dipenuhi",
    417: "Ekspektasi tidak terpenuhi",
    418: "Saya adalah teko teh",
    421: "Permintaan salah arah",
    422: "Konten tidak dapat diproses",
    423: "Terkunci",
    424: "Dependensi gagal",
    425: "Terlalu dini",
    426: "Pembaruan protokol diperlukan",
    428: "Prasyarat diperlukan",
    429: "Terlalu banyak permintaan",
    431: "Kolom header permintaan terlalu besar",
    451: "Tidak tersedia karena alasan hukum",
    500: "Kesalahan internal server",
    501: "Tidak diimplementasikan",
    502: "Gateway tidak valid",
    503: "Layanan tidak tersedia",
    504: "Waktu gateway habis",
    505: "Versi HTTP tidak didukung",
    506: "Varian juga bernegosiasi",
    507: "Penyimpanan tidak mencukupi",
    508: "Perulangan terdeteksi",
    510: "Tidak diperluas",
    511: "Autentikasi jaringan diperlukan",
}

# pydantic's messages, by error type; fields are pydantic's `ctx` keys. Parser details (`{error}`
# of date_parsing, uuid_parsing...) are left out: they are English and can quote the input.
PYDANTIC = {
    "no_such_attribute": "Objek tidak memiliki atribut '{attribute}'",
    "json_invalid": "JSON tidak valid",
    "json_type": "Masukan JSON harus berupa string, bytes, atau bytearray",
    "needs_python_object": "Tidak dapat memeriksa `{method_name}` saat memvalidasi dari JSON",
    "recursion_loop": "Kesalahan rekursi: terdeteksi rujukan melingkar",
    "recursion_depth_exceeded": "Kesalahan rekursi: kedalaman validasi maksimum terlampaui",
    "missing": "Wajib diisi",
    "frozen_field": "Field ini tidak dapat diubah",
    "frozen_instance": "Instans ini tidak dapat diubah",
    "extra_forbidden": "Field tambahan tidak diperbolehkan",
    "invalid_key": "Kunci harus berupa string",
    "get_attribute_error": "Gagal mengambil atribut",
    "model_type": "Masukan harus berupa objek (dictionary) yang valid atau instans {class_name}",
    "model_attributes_type": "Masukan harus berupa dictionary atau objek yang valid untuk diambil field-nya",
    "dataclass_type": "Masukan harus berupa dictionary atau instans {class_name}",
    "dataclass_exact_type": "Masukan harus berupa instans {class_name}",
    "named_tuple_type": "Masukan harus berupa tuple, list, dictionary, atau instans {class_name}",
    "default_factory_not_called": (
        "Nilai bawaan tidak dapat dibuat karena terjadi sedikitnya satu kesalahan validasi"
    ),
    "none_required": "Masukan harus bernilai null",
    "greater_than": "Masukan harus lebih besar dari {gt}",
    "greater_than_equal": "Masukan harus lebih besar dari atau sama dengan {ge}",
    "less_than": "Masukan harus lebih kecil dari {lt}",
    "less_than_equal": "Masukan harus lebih kecil dari atau sama dengan {le}",
    "multiple_of": "Masukan harus merupakan kelipatan {multiple_of}",
    "finite_number": "Masukan harus berupa bilangan berhingga",
    "too_short": "Harus memiliki paling sedikit {min_length} butir setelah validasi, bukan {actual_length}",
    "too_long": "Harus memiliki paling banyak {max_length} butir setelah validasi, bukan {actual_length}",
    "iterable_type": "Masukan harus dapat diiterasi",
    "iteration_error": "Terjadi kesalahan saat mengiterasi objek",
    "string_type": "Masukan harus berupa teks (string) yang valid",
    "string_unicode": "Masukan harus berupa teks yang valid; data tidak dapat diurai sebagai teks Unicode",
    "string_too_short": "Teks harus memiliki paling sedikit {min_length} karakter",
    "string_too_long": "Teks harus memiliki paling banyak {max_length} karakter",
    "string_pattern_mismatch": "Teks harus sesuai dengan pola '{pattern}'",
    "string_not_ascii": "Teks hanya boleh berisi karakter ASCII",
    "enum": "Masukan harus berupa {expected}",
    "dict_type": "Masukan harus berupa objek (dictionary) yang valid",
    "frozen_dict_type": "Masukan harus berupa frozendict yang valid",
    "ordered_dict_type": "Masukan harus berupa OrderedDict yang valid",
    "counter_type": "Masukan harus berupa Counter yang valid",
    "mapping_type": "Masukan harus berupa mapping yang valid",
    "list_type": "Masukan harus berupa daftar (list) yang valid",
    "deque_type": "Masukan harus berupa deque yang valid",
    "tuple_type": "Masukan harus berupa tuple yang valid",
    "set_type": "Masukan harus berupa set yang valid",
    "set_item_not_hashable": "Anggota set harus dapat di-hash",
    "bool_type": "Masukan harus berupa boolean yang valid",
    "bool_parsing": "Masukan harus berupa boolean yang valid; masukan tidak dapat ditafsirkan",
    "int_type": "Masukan harus berupa bilangan bulat yang valid",
    "int_parsing": "Masukan harus berupa bilangan bulat yang valid; teks tidak dapat diurai sebagai bilangan bulat",
    "int_parsing_size": "Teks masukan tidak dapat diurai sebagai bilangan bulat; ukuran maksimum terlampaui",
    "int_from_float": "Masukan harus berupa bilangan bulat yang valid; diterima bilangan dengan bagian pecahan",
    "float_type": "Masukan harus berupa angka yang valid",
    "float_parsing": "Masukan harus berupa angka yang valid; teks tidak dapat diurai sebagai angka",
    "bytes_type": "Masukan harus berupa bytes yang valid",
    "bytes_too_short": "Data harus memiliki paling sedikit {min_length} bita",
    "bytes_too_long": "Data harus memiliki paling banyak {max_length} bita",
    "bytes_invalid_encoding": "Data harus berupa {encoding} yang valid",
    # The message of a ValueError / assertion of a validator, translated through the catalog.
    "value_error": "{error}",
    "assertion_error": "{error}",
    "literal_error": "Masukan harus berupa {expected}",
    "missing_sentinel_error": "Masukan harus berupa sentinel 'MISSING'",
    "ellipsis_error": "Masukan harus berupa literal 'Ellipsis'",
    "date_type": "Masukan harus berupa tanggal yang valid",
    "date_parsing": "Masukan harus berupa tanggal yang valid dengan format YYYY-MM-DD",
    "date_from_datetime_parsing": "Masukan harus berupa tanggal atau tanggal-waktu yang valid",
    "date_from_datetime_inexact": "Tanggal-waktu yang diberikan sebagai tanggal harus memiliki waktu nol",
    "date_past": "Tanggal harus berada di masa lalu",
    "date_future": "Tanggal harus berada di masa mendatang",
    "time_type": "Masukan harus berupa waktu yang valid",
    "time_parsing": "Masukan harus berupa waktu dengan format yang valid",
    "datetime_type": "Masukan harus berupa tanggal-waktu yang valid",
    "datetime_parsing": "Masukan harus berupa tanggal-waktu yang valid",
    "datetime_object_invalid": "Objek tanggal-waktu tidak valid",
    "datetime_from_date_parsing": "Masukan harus berupa tanggal-waktu atau tanggal yang valid",
    "datetime_past": "Masukan harus berada di masa lalu",
    "datetime_future": "Masukan harus berada di masa mendatang",
    "timezone_naive": "Masukan tidak boleh memiliki informasi zona waktu",
    "timezone_aware": "Masukan harus memiliki informasi zona waktu",
    "timezone_offset": "Selisih zona waktu {tz_expected} diperlukan, diterima {tz_actual}",
    "time_delta_type": "Masukan harus berupa durasi (timedelta) yang valid",
    "time_delta_parsing": "Masukan harus berupa durasi (timedelta) yang valid",
    "frozen_set_type": "Masukan harus berupa frozenset yang valid",
    "is_instance_of": "Masukan harus berupa instans {class}",
    "is_subclass_of": "Masukan harus berupa subkelas {class}",
    "callable_type": "Masukan harus dapat dipanggil (callable)",
    "union_tag_invalid": (
        "Tag masukan '{tag}' yang ditemukan melalui {discriminator} tidak cocok dengan tag yang "
        "diharapkan: {expected_tags}"
    ),
    "union_tag_not_found": "Tag tidak dapat diambil menggunakan diskriminator {discriminator}",
    "arguments_type": "Argumen harus berupa tuple, list, atau dictionary",
    "missing_argument": "Argumen wajib tidak ada",
    "unexpected_keyword_argument": "Argumen kata kunci tidak dikenal",
    "missing_keyword_only_argument": "Argumen wajib khusus kata kunci tidak ada",
    "unexpected_positional_argument": "Argumen posisional tidak dikenal",
    "missing_positional_only_argument": "Argumen wajib khusus posisional tidak ada",
    "multiple_argument_values": "Argumen menerima lebih dari satu nilai",
    "url_type": "Masukan URL harus berupa string atau URL",
    "url_parsing": "Masukan harus berupa URL yang valid",
    "url_syntax_violation": "Masukan melanggar aturan sintaksis URL yang ketat",
    "url_too_long": "URL harus memiliki paling banyak {max_length} karakter",
    "url_scheme": "Skema URL harus {expected_schemes}",
    "uuid_type": "Masukan UUID harus berupa string, bytes, atau objek UUID",
    "uuid_parsing": "Masukan harus berupa UUID yang valid",
    "uuid_version": "Diharapkan UUID versi {expected_version}",
    "decimal_type": "Masukan desimal harus berupa bilangan bulat, float, string, atau objek Decimal",
    "decimal_parsing": "Masukan harus berupa bilangan desimal yang valid",
    "decimal_max_digits": "Masukan desimal tidak boleh memiliki lebih dari {max_digits} digit secara keseluruhan",
    "decimal_max_places": "Masukan desimal tidak boleh memiliki lebih dari {decimal_places} angka di belakang koma",
    "decimal_whole_digits": "Masukan desimal tidak boleh memiliki lebih dari {whole_digits} digit sebelum koma",
    "fraction_type": "Masukan pecahan harus berupa bilangan bulat, float, string, atau objek Fraction",
    "fraction_parsing": "Masukan bukan pecahan yang valid",
    "complex_type": "Masukan harus berupa bilangan kompleks yang valid, angka, atau string bilangan kompleks",
    "complex_str_parsing": "Masukan harus berupa string bilangan kompleks yang valid",
}

# "'a', 'b' or 'c'" in pydantic's `expected` fields.
OR = "atau"
