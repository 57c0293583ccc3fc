"""Demo round KLA 2025 for the four seed cities: district evaluations, teams, site lists and claims.

Kota Tangerang self-assesses 771 (Nindya), as its DP3AP2KB head said before the hybrid field
verification of 22 May; indicator I08 (Puspaga) claims 34 with four site-item claims on the
Puspaga and I04 (birth certificates) claims 38 for 92.5 %, so KLA.md's worked example
(771 -> 754.35) can be reproduced once findings are recorded. Serang, Pasuruan and Palembang
have stood at Pratama for years and aim for Madya. Names are real places; site codes, NPSNs,
coordinates and addresses are plausible stand-ins, not official data.

Idempotent: what exists is left as it is (an admin may have corrected it); only what is missing
is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fieldvisit import db
from fieldvisit.accounts.tables import User
from fieldvisit.catalogue.tables import CatalogueVersion
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round
from fieldvisit.sites.tables import Site

ROUND_NAME = "KLA 2025"
CATALOGUE = "perpres-25-2021"

# Plausible maximum scores per indicator (the ministry's weights are not public); they sum to 1000.
MAX_SCORES = {
    "I01": 40, "I02": 50, "I03": 30, "I04": 40, "I05": 35, "I06": 35, "I07": 45, "I08": 40, "I09": 35, "I10": 40,
    "I11": 40, "I12": 35, "I13": 45, "I14": 35, "I15": 40, "I16": 35, "I17": 40, "I18": 45, "I19": 50, "I20": 35,
    "I21": 60, "I22": 50, "I23": 50, "I24": 50,
}


@dataclass(frozen=True)
class Claim:
    score: str
    kind: str = "number"  # number | percent | yesno
    value: str | None = None
    unit: str = ""
    documents: tuple[tuple[str, str], ...] = ()


# Kota Tangerang's self-assessment: 771 in all.
TANGERANG_CLAIMS = {
    "I01": Claim("34", "yesno", "1", documents=(("Perda Kota Tangerang tentang Penyelenggaraan Kota Layak Anak",
                                               "perda-kla-kota-tangerang.pdf"),)),
    "I02": Claim("42", "yesno", "1", documents=(("SK Wali Kota tentang Gugus Tugas KLA 2025", "sk-gugus-tugas-kla-2025.pdf"),
                                               ("RAD KLA Kota Tangerang 2024-2026", "rad-kla-2024-2026.pdf"))),
    "I03": Claim("22", "number", "14", "lembaga dan perusahaan (APSAI, media)"),
    "I04": Claim("38", "percent", "92.5", "%", (("Data Disdukcapil: anak berakta kelahiran, Desember 2024",
                                                "akta-kelahiran-anak-2024.xlsx"),)),
    "I05": Claim("28", "number", "6", "PISA / perpustakaan ramah anak"),
    "I06": Claim("27", "number", "104", "forum anak kelurahan"),
    "I07": Claim("33", "percent", "0.8", "%"),
    "I08": Claim("34", "yesno", "1", documents=(("SK Pembentukan Puspaga Kota Tangerang", "sk-puspaga.pdf"),
                                               ("Laporan layanan konseling Puspaga 2024", "laporan-puspaga-2024.pdf"))),
    "I09": Claim("24", "number", "12", "LKSA terakreditasi"),
    "I10": Claim("29", "number", "210", "lembaga PAUD-HI"),
    "I11": Claim("32", "number", "12", "ruang bermain ramah anak"),
    "I12": Claim("31", "percent", "99.1", "%"),
    "I13": Claim("32", "percent", "8.3", "%"),
    "I14": Claim("26", "percent", "71.4", "%"),
    "I15": Claim("33", "number", "32", "puskesmas ramah anak"),
    "I16": Claim("27", "percent", "96.2", "%"),
    "I17": Claim("28", "yesno", "1", documents=(("Perda Kawasan Tanpa Rokok", "perda-ktr.pdf"),)),
    "I18": Claim("36", "percent", "97.3", "%"),
    "I19": Claim("41", "number", "486", "sekolah ramah anak", (("SK Wali Kota tentang Sekolah Ramah Anak",
                                                                "sk-sra-2024.pdf"),
                                                               ("Program angkutan sekolah gratis",
                                                                "angkutan-sekolah-gratis.pdf"))),
    "I20": Claim("26", "number", "8", "pusat kreativitas anak"),
    "I21": Claim("45", "percent", "100", "%", (("Rekap kasus UPTD PPA 2024 (SIMFONI PPA)", "rekap-simfoni-2024.xlsx"),)),
    "I22": Claim("34", "yesno", "1"),
    "I23": Claim("32", "number", "27", "sekolah inklusi"),
    "I24": Claim("37", "percent", "100", "%"),
}

# Other cities: totals spread over the indicators by their maximum scores.
TOTALS = {"36.73": 588, "35.75": 612, "16.71": 596}

# (district code, stage, field mode, field dates, team)
EVALUATIONS = [
    ("36.71", "verifikasi_lapangan", "hybrid", date(2025, 5, 22), date(2025, 5, 22), True),
    ("36.73", "verifikasi_lapangan", "kunjungan", date(2025, 5, 27), date(2025, 5, 28), True),
    ("35.75", "verifikasi_administrasi", "kunjungan", None, None, False),
    ("16.71", "evaluasi_mandiri", "kunjungan", None, None, False),
]

TEAM = [("verifier@demo.fieldvisit.id", "verifier"), ("notetaker@demo.fieldvisit.id", "notetaker")]

# code, name, site type, address, kelurahan, kecamatan, latitude, longitude, contact, phone
SiteRow = tuple[str, str, str, str, str, str, float, float, str, str]

SITES: dict[str, list[SiteRow]] = {
    "36.71": [
        ("PUSPAGA-KTG", "Puspaga Kota Tangerang", "PUSPAGA",
         "Gedung Pusat Pemerintahan Kota Tangerang, Jl. Satria Sudirman No. 1", "Sukaasih", "Tangerang",
         -6.17664, 106.63185, "Koordinator Puspaga", "021-5581234"),
        ("UPTD-PPA-KTG", "UPTD Perlindungan Perempuan dan Anak Kota Tangerang", "UPTD_PPA",
         "Jl. Perintis Kemerdekaan II", "Babakan", "Tangerang", -6.18421, 106.63512, "Kepala UPTD PPA", "021-5582345"),
        ("PERPUSDA-KTG", "Perpustakaan Umum Kota Tangerang (Layanan Anak)", "PISA_PERPUS",
         "Jl. Taman Makam Pahlawan Taruna No. 1", "Sukarasa", "Tangerang", -6.17902, 106.63411, "", "021-5583456"),
        ("RBRA-POTRET", "Taman Potret", "RBRA", "Jl. Perintis Kemerdekaan, Cikokol", "Cikokol", "Tangerang",
         -6.19240, 106.63470, "Dinas Perumahan, Permukiman dan Pertanahan", ""),
        ("RBRA-GAJAHTUNGGAL", "Taman Gajah Tunggal", "RBRA", "Jl. Gatot Subroto Km 7", "Pasir Jaya", "Jatiuwung",
         -6.19735, 106.58812, "", ""),
        ("RBRA-ELEKTRIK", "Taman Elektrik", "RBRA", "Jl. Jenderal Sudirman", "Cikokol", "Tangerang",
         -6.19018, 106.63921, "", ""),
        ("RBRA-CIPONDOH", "RBRA Cipondoh Indah", "RBRA", "Jl. KH Hasyim Ashari", "Cipondoh Indah", "Cipondoh",
         -6.19102, 106.68430, "", ""),
        ("RBRA-KUNCIRAN", "RBRA Kunciran", "RBRA", "Jl. Raya Kunciran", "Kunciran", "Pinang",
         -6.21480, 106.66210, "", ""),
        ("P3671010201", "Puskesmas Tangerang", "PUSKESMAS_RA", "Jl. Kisamaun No. 2", "Sukasari", "Tangerang",
         -6.17815, 106.62701, "Kepala Puskesmas", "021-5522110"),
        ("P3671020101", "Puskesmas Karawaci Baru", "PUSKESMAS_RA", "Jl. Bugis Raya", "Karawaci Baru", "Karawaci",
         -6.18810, 106.60892, "Kepala Puskesmas", "021-5523220"),
        ("P3671040101", "Puskesmas Cibodas", "PUSKESMAS_RA", "Jl. Kutai Raya", "Cibodas Baru", "Cibodas",
         -6.20120, 106.60405, "Kepala Puskesmas", "021-5524330"),
        ("P3671090101", "Puskesmas Cipondoh", "PUSKESMAS_RA", "Jl. KH Hasyim Ashari No. 25", "Cipondoh", "Cipondoh",
         -6.18702, 106.67811, "Kepala Puskesmas", "021-5525440"),
        ("P3671130101", "Puskesmas Larangan Utara", "PUSKESMAS_RA", "Jl. Inpres Raya", "Larangan Utara", "Larangan",
         -6.22590, 106.73220, "Kepala Puskesmas", "021-5526550"),
        ("20606412", "SD Negeri Cipondoh 1", "SRA", "Jl. KH Hasyim Ashari Gg. Masjid", "Cipondoh", "Cipondoh",
         -6.18345, 106.68190, "Kepala Sekolah", ""),
        ("20606178", "SD Negeri Karawaci 3", "SRA", "Jl. Imam Bonjol", "Karawaci", "Karawaci",
         -6.18230, 106.61640, "Kepala Sekolah", ""),
        ("20606305", "SD Negeri Tanah Tinggi 2", "SRA", "Jl. Sudirman Gg. Sekolah", "Tanah Tinggi", "Tangerang",
         -6.17450, 106.64020, "Kepala Sekolah", ""),
        ("20606511", "SD Negeri Larangan Utara 1", "SRA", "Jl. Inpres Raya Gg. Masjid", "Larangan Utara", "Larangan",
         -6.22410, 106.73050, "Kepala Sekolah", ""),
        ("20606277", "SD Negeri Periuk 2", "SRA", "Jl. Raya Periuk", "Periuk", "Periuk",
         -6.17390, 106.58720, "Kepala Sekolah", ""),
        ("20606039", "SMP Negeri 1 Kota Tangerang", "SRA", "Jl. Daan Mogot No. 51", "Sukarasa", "Tangerang",
         -6.17560, 106.63050, "Kepala Sekolah", "021-5521001"),
        ("20606042", "SMP Negeri 4 Kota Tangerang", "SRA", "Jl. Kisamaun", "Sukasari", "Tangerang",
         -6.17960, 106.62420, "Kepala Sekolah", ""),
        ("20606049", "SMP Negeri 11 Kota Tangerang", "SRA", "Jl. Raya Benda", "Belendung", "Benda",
         -6.13210, 106.67120, "Kepala Sekolah", ""),
        ("20606001", "SMA Negeri 2 Kota Tangerang", "SRA", "Jl. Jenderal Sudirman No. 38", "Sukasari", "Tangerang",
         -6.18120, 106.63510, "Kepala Sekolah", "021-5521002"),
        ("60705121", "MI Negeri 1 Kota Tangerang", "SRA", "Jl. Pembangunan", "Batuceper", "Batuceper",
         -6.15890, 106.65730, "Kepala Madrasah", ""),
        ("ANGSEK-KTG", "Angkutan Sekolah Gratis (pool Dishub)", "ZOSS_RASS", "Jl. Dr. Sitanala", "Karang Sari",
         "Neglasari", -6.14820, 106.62950, "Dinas Perhubungan", ""),
        ("ASI-PUSPEM", "Ruang Laktasi Pusat Pemerintahan", "RUANG_ASI",
         "Gedung Pusat Pemerintahan Kota Tangerang, Lantai 1", "Sukaasih", "Tangerang", -6.17690, 106.63150, "", ""),
        ("FA-KTG", "Sekretariat Forum Anak Kota Tangerang", "FORUM_ANAK", "Jl. Satria Sudirman No. 1", "Sukaasih",
         "Tangerang", -6.17640, 106.63210, "Pembina Forum Anak", ""),
        ("GT-KLA-KTG", "Sekretariat Gugus Tugas KLA (DP3AP2KB)", "GUGUS_TUGAS_KLA",
         "Gedung Pusat Pemerintahan Kota Tangerang, Lantai 3", "Sukaasih", "Tangerang", -6.17672, 106.63190,
         "Sekretaris Gugus Tugas", "021-5581000"),
    ],
    "36.73": [
        ("PUSPAGA-SRG", "Puspaga Kota Serang", "PUSPAGA", "Jl. Jenderal Sudirman No. 5", "Sumurpecung", "Serang",
         -6.11840, 106.15710, "Koordinator Puspaga", ""),
        ("UPTD-PPA-SRG", "UPTD PPA Kota Serang", "UPTD_PPA", "Jl. Ki Mas Jong", "Kotabaru", "Serang",
         -6.11420, 106.15220, "Kepala UPTD PPA", ""),
        ("20603101", "SD Negeri 1 Serang", "SRA", "Jl. Maulana Hasanuddin", "Cipare", "Serang",
         -6.11930, 106.14980, "Kepala Sekolah", ""),
        ("20603210", "SMP Negeri 2 Kota Serang", "SRA", "Jl. KH Abdul Fatah Hasan", "Cipocok Jaya", "Cipocok Jaya",
         -6.13810, 106.17640, "Kepala Sekolah", ""),
        ("RBRA-ALUNALUN", "Alun-alun Kota Serang (area bermain anak)", "RBRA", "Jl. Alun-alun Barat", "Kotabaru",
         "Serang", -6.12020, 106.15030, "", ""),
        ("P3673030101", "Puskesmas Kasemen", "PUSKESMAS_RA", "Jl. Raya Banten", "Kasemen", "Kasemen",
         -6.07480, 106.17210, "Kepala Puskesmas", ""),
        ("P3673050101", "Puskesmas Walantaka", "PUSKESMAS_RA", "Jl. Raya Walantaka", "Walantaka", "Walantaka",
         -6.15010, 106.21940, "Kepala Puskesmas", ""),
        ("PERPUS-SRG", "Perpustakaan Kota Serang (Pojok Anak)", "PISA_PERPUS", "Jl. Tb. Suwandi", "Lontarbaru",
         "Serang", -6.12410, 106.16180, "", ""),
    ],
    "35.75": [
        ("PUSPAGA-PSR", "Puspaga Kota Pasuruan", "PUSPAGA", "Jl. Pahlawan No. 28", "Pekuncen", "Panggungrejo",
         -7.64180, 112.90810, "Koordinator Puspaga", ""),
        ("RBRA-PURUTREJO", "Taman Kelurahan Purutrejo", "RBRA", "Jl. Hasanudin", "Purutrejo", "Purworejo",
         -7.65210, 112.90470, "Lurah Purutrejo", ""),
        ("20535012", "SD Negeri Purutrejo", "SRA", "Jl. Hasanudin Gg. 2", "Purutrejo", "Purworejo",
         -7.65120, 112.90330, "Kepala Sekolah", ""),
        ("20535101", "SMP Negeri 1 Pasuruan", "SRA", "Jl. Soekarno-Hatta", "Kebonsari", "Panggungrejo",
         -7.64020, 112.91120, "Kepala Sekolah", ""),
        ("P3575030101", "Puskesmas Bugul Kidul", "PUSKESMAS_RA", "Jl. Sultan Agung", "Bugul Kidul", "Bugul Kidul",
         -7.65620, 112.92410, "Kepala Puskesmas", ""),
        ("UPTD-PPA-PSR", "UPTD PPA Kota Pasuruan", "UPTD_PPA", "Jl. Panglima Sudirman", "Gadingrejo", "Gadingrejo",
         -7.64910, 112.89410, "Kepala UPTD PPA", ""),
        ("PERPUS-PSR", "Perpustakaan Umum Kota Pasuruan (Layanan Anak)", "PISA_PERPUS", "Jl. Balaikota",
         "Pekuncen", "Panggungrejo", -7.64330, 112.90640, "", ""),
    ],
    "16.71": [
        ("PUSPAGA-PLG", "Puspaga Kota Palembang", "PUSPAGA", "Jl. Merdeka No. 1", "19 Ilir", "Bukit Kecil",
         -2.98930, 104.75610, "Koordinator Puspaga", ""),
        ("RBRA-KAMBANGIWAK", "Taman Kambang Iwak Besak", "RBRA", "Jl. Tasik", "Talang Semut", "Bukit Kecil",
         -2.98490, 104.74970, "", ""),
        ("10603001", "SD Negeri 1 Palembang", "SRA", "Jl. Jenderal Sudirman", "20 Ilir D I", "Ilir Timur I",
         -2.97560, 104.75830, "Kepala Sekolah", ""),
        ("10603110", "SMP Negeri 1 Palembang", "SRA", "Jl. Jenderal Sudirman No. 480", "20 Ilir D IV", "Ilir Timur I",
         -2.97030, 104.75410, "Kepala Sekolah", ""),
        ("P1671010101", "Puskesmas Dempo", "PUSKESMAS_RA", "Jl. Dempo Dalam", "15 Ilir", "Ilir Timur I",
         -2.98220, 104.76110, "Kepala Puskesmas", ""),
        ("P1671120101", "Puskesmas Plaju", "PUSKESMAS_RA", "Jl. Kapten Abdullah", "Plaju Ulu", "Plaju",
         -3.00520, 104.81010, "Kepala Puskesmas", ""),
        ("UPTD-PPA-PLG", "UPTD PPA Kota Palembang", "UPTD_PPA", "Jl. Kapten A. Rivai", "Sungai Pangeran",
         "Ilir Timur I", -2.97710, 104.74650, "Kepala UPTD PPA", ""),
        ("PERPUS-PLG", "Perpustakaan Kota Palembang (Ruang Baca Anak)", "PISA_PERPUS", "Jl. Demang Lebar Daun",
         "Lorok Pakjo", "Ilir Barat I", -2.97460, 104.72640, "", ""),
    ],
}

# district code -> site code -> [(item code, claimed status)]
ITEM_CLAIMS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "36.71": {
        # The four claims of KLA.md's worked example (to be found met, met, partial, not met).
        "PUSPAGA-KTG": [("PUSPAGA-02", "met"), ("PUSPAGA-04", "met"), ("PUSPAGA-10", "met"), ("PUSPAGA-14", "met")],
        "20606412": [("SRA-05", "met"), ("SRA-12", "met"), ("SRA-20", "met"), ("SRA-25", "met")],
        "20606039": [("SRA-05", "met"), ("SRA-11", "met"), ("SRA-21", "not_met")],
        "RBRA-POTRET": [("RBRA-04", "met"), ("RBRA-07", "met"), ("RBRA-10", "met")],
        "P3671040101": [("PKM-04", "met"), ("PKM-07", "met"), ("PKM-08", "met")],
        "PERPUSDA-KTG": [("PISA-09", "met"), ("PISA-10", "met")],
        "UPTD-PPA-KTG": [("UPTD-02", "met"), ("UPTD-05", "met")],
        "ANGSEK-KTG": [("ZOSS-09", "met")],
    },
    "36.73": {
        "PUSPAGA-SRG": [("PUSPAGA-02", "met"), ("PUSPAGA-04", "met")],
        "20603101": [("SRA-05", "met"), ("SRA-12", "not_met")],
        "RBRA-ALUNALUN": [("RBRA-07", "met")],
    },
    "35.75": {"RBRA-PURUTREJO": [("RBRA-04", "met"), ("RBRA-16", "met")]},
    "16.71": {"RBRA-KAMBANGIWAK": [("RBRA-07", "met")]},
}


def spread(total: int) -> dict[str, Claim]:
    """Integer scores proportional to each indicator's maximum, summing exactly to ``total``."""
    whole = sum(MAX_SCORES.values())
    scores = {code: total * m // whole for code, m in MAX_SCORES.items()}
    short = total - sum(scores.values())
    for code in list(MAX_SCORES)[:short]:
        scores[code] += 1
    return {code: Claim(str(score)) for code, score in scores.items()}


def claims_for(code: str) -> dict[str, Claim]:
    return TANGERANG_CLAIMS if code == "36.71" else spread(TOTALS[code])


async def load() -> list[str]:
    version = await CatalogueVersion.select(CatalogueVersion.id).where(CatalogueVersion.code == CATALOGUE).first()
    regions = {r["code"]: r["id"] for r in await Region.select(Region.id, Region.code).where(
        Region.code.is_in([e[0] for e in EVALUATIONS]))}
    if version is None or len(regions) < len(EVALUATIONS):
        return ["Demo round skipped: the catalogue or the demo regions are missing."]
    team = {r["email"]: r["id"] for r in await User.select(User.id, User.email).where(
        User.email.is_in([email for email, _role in TEAM]))}
    async with db.transaction():
        round_id = await _round(version["id"])
        for code, stage, mode, starts, ends, with_team in EVALUATIONS:
            district = regions[code]
            evaluation_id = await _evaluation(round_id, district, stage, mode, starts, ends)
            if with_team:
                for email, role in TEAM:
                    if email in team:
                        await _assign(evaluation_id, team[email], role)
            sites = await _sites(district, SITES[code])
            await _indicator_claims(evaluation_id, claims_for(code))
            await _item_claims(evaluation_id, sites, ITEM_CLAIMS.get(code, {}))
    total = sum(Decimal(c.score) for c in TANGERANG_CLAIMS.values())
    return [f"{ROUND_NAME}: {len(EVALUATIONS)} district evaluations; Kota Tangerang self-assessed {total} (Nindya)."]


async def _round(version_id: int) -> int:
    row = await Round.select(Round.id).where(Round.name == ROUND_NAME).first()
    if row is not None:
        return int(row["id"])
    [row] = await Round.insert(Round(name=ROUND_NAME, year=2025, catalogue_version=version_id,
                                     starts_on=date(2025, 1, 13), ends_on=date(2025, 7, 23), response_days=14,
                                     notetakers_may_promote=False)).returning(Round.id)
    return int(row["id"])


async def _evaluation(round_id: int, district: int, stage: str, mode: str, starts: date | None,
                      ends: date | None) -> int:
    row = await DistrictEvaluation.select(DistrictEvaluation.id).where(
        (DistrictEvaluation.round == round_id) & (DistrictEvaluation.district == district)).first()
    if row is not None:
        return int(row["id"])
    [row] = await DistrictEvaluation.insert(DistrictEvaluation(
        round=round_id, district=district, stage=stage, field_mode=mode, field_starts_on=starts,
        field_ends_on=ends)).returning(DistrictEvaluation.id)
    return int(row["id"])


async def _assign(evaluation_id: int, user_id: int, role: str) -> None:
    if not await Assignment.exists().where((Assignment.district_evaluation == evaluation_id)
                                           & (Assignment.user == user_id)):
        await Assignment.insert(Assignment(district_evaluation=evaluation_id, user=user_id, role=role))


async def _sites(district: int, rows: list[SiteRow]) -> dict[str, int]:
    existing = {r["code"]: r["id"] for r in await Site.select(Site.id, Site.code).where(Site.district == district)}
    missing = [Site(district=district, code=code, name=name, site_type=site_type, address=address, kelurahan=kelurahan,
                    kecamatan=kecamatan, latitude=lat, longitude=lon, contact_person=contact, phone=phone)
               for code, name, site_type, address, kelurahan, kecamatan, lat, lon, contact, phone in rows
               if code not in existing]
    if missing:
        for row in await Site.insert(*missing).returning(Site.id, Site.code):
            existing[row["code"]] = row["id"]
    return existing


async def _indicator_claims(evaluation_id: int, claims: dict[str, Claim]) -> None:
    present = {r["indicator_code"] for r in await IndicatorClaim.select(IndicatorClaim.indicator_code).where(
        IndicatorClaim.district_evaluation == evaluation_id)}
    missing = [IndicatorClaim(
        district_evaluation=evaluation_id, indicator_code=code, value_kind=c.kind,
        value=Decimal(c.value) if c.value is not None else None, unit=c.unit, claimed_score=Decimal(c.score),
        max_score=Decimal(MAX_SCORES[code]), documents=[{"title": t, "link": link} for t, link in c.documents])
        for code, c in claims.items() if code not in present]
    if missing:
        await IndicatorClaim.insert(*missing)


async def _item_claims(evaluation_id: int, sites: dict[str, int],
                       claims: dict[str, list[tuple[str, str]]]) -> None:
    present = {(r["site"], r["item_code"]) for r in await SiteItemClaim.select(
        SiteItemClaim.site, SiteItemClaim.item_code).where(SiteItemClaim.district_evaluation == evaluation_id)}
    missing = [SiteItemClaim(district_evaluation=evaluation_id, site=sites[site_code], item_code=item,
                             claimed_status=status)
               for site_code, items in claims.items() for item, status in items
               if (sites[site_code], item) not in present]
    if missing:
        await SiteItemClaim.insert(*missing)
