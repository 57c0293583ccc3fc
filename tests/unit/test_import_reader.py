"""The forgiving reader: what Excel and people produce, read; what is not a table, refused."""

from __future__ import annotations

import codecs
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from fieldvisit.imports import reader
from fieldvisit.imports.domain import SITE_COLUMNS
from fieldvisit.imports.reader import ReadError, find_table, parse_number, parse_yes_no, read_sheets

LIMIT = 1024 * 1024


@pytest.mark.parametrize(("text", "expected"), [
    ("92,5", "92.5"),
    ("92.5", "92.5"),
    ("1.234,5", "1234.5"),
    ("1,234.5", "1234.5"),
    ("1.234.567", "1234567"),
    ("1,234,567", "1234567"),
    ("1,5", "1.5"),
    ("-6,1783", "-6.1783"),
    ("−6,1783", "-6.1783"),  # a typographic minus
    (" 106,6319 ", "106.6319"),
    ("12 345", "12345"),
    ("0", "0"),
    (".5", "0.5"),
])
def test_numbers_are_read_the_indonesian_and_the_english_way(text, expected):
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3,4,5", "12%", "1e5", "--1", "1,2,3"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("ya", True), ("Ya", True), ("yes", True), ("ada", True), ("tidak", False), ("Tidak Ada", False),
    ("no", False), ("belum", False), ("mungkin", None), ("", None),
])
def test_yes_and_no_in_both_languages(text, expected):
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize(("raw", "delimiter_cells"), [
    (b"kode,nama,jenis\nA,B,SRA\n", ["A", "B", "SRA"]),
    (b"kode;nama;jenis\nA;B;SRA\n", ["A", "B", "SRA"]),
    (b"kode\tnama\tjenis\nA\tB\tSRA\n", ["A", "B", "SRA"]),
    (b"\xef\xbb\xbfkode;nama;jenis\r\nA;B;SRA\r\n", ["A", "B", "SRA"]),  # UTF-8 with BOM, CRLF
    (b"kode;nama;lintang\nA;B;-6,17\nC;D;-6,18\n", ["A", "B", "-6,17"]),  # decimal commas inside ; rows
    (b"kode,nama,alamat\nA,B,\"Jl. Satu, No. 2\"\n", ["A", "B", "Jl. Satu, No. 2"]),
    (b"kode;nama;jenis\rA;B;SRA\r", ["A", "B", "SRA"]),  # classic Mac line ends
])
def test_csv_delimiters_and_line_ends_are_detected(raw, delimiter_cells):
    [sheet] = read_sheets(raw, "x.csv", max_bytes=LIMIT)
    assert sheet.rows[1] == (2, delimiter_cells)


def test_a_windows_1252_file_falls_back_from_utf8():
    raw = "kode;alamat\nA;Jl. Cikokol – Tangerang, café\n".encode("cp1252")
    [sheet] = read_sheets(raw, "x.csv", max_bytes=LIMIT)
    assert sheet.rows[1][1][1] == "Jl. Cikokol – Tangerang, café"


def test_excels_unicode_text_export_is_read():
    raw = codecs.BOM_UTF16_LE + "kode\tnama\nA\tBé\n".encode("utf-16-le")
    [sheet] = read_sheets(raw, "x.txt", max_bytes=LIMIT)
    assert sheet.rows[1] == (2, ["A", "Bé"])


@pytest.mark.parametrize(("raw", "name", "message"), [
    (b"", "x.csv", "The file is empty."),
    (b"   \r\n\r\n", "x.csv", "The file is empty."),
    (codecs.BOM_UTF8, "x.csv", "The file is empty."),
    (b"%PDF-1.4\n...", "sites.csv", "This is a PDF document, not a table."),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "sites.csv", "This is an image, not a table."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "sites.xls", "This is an old Excel file (.xls)"),
    (b"PK\x03\x04not really a zip", "sites.xlsx", "This file is not a readable Excel workbook (.xlsx)."),
    (b"kode\x00nama\x00", "sites.csv", "This file is not a CSV or XLSX table (it holds binary data)."),
])
def test_what_is_not_a_table_is_refused_with_a_clear_message(raw, name, message):
    with pytest.raises(ReadError) as caught:
        read_sheets(raw, name, max_bytes=LIMIT)
    assert caught.value.text().startswith(message)


def test_a_file_over_the_limit_is_refused_before_parsing_with_the_limit_named(monkeypatch):
    monkeypatch.setattr(reader, "sniff", lambda *a: pytest.fail("the file was parsed"))
    with pytest.raises(ReadError) as caught:
        read_sheets(b"x" * (50 * 1024 * 1024), "big.csv", max_bytes=20 * 1024 * 1024)
    assert caught.value.text() == "The file is 50 MB; the limit is 20 MB. Split it into smaller files."


def _sheet(*rows: list[str]) -> reader.Sheet:
    return reader.Sheet("", [(n, list(r)) for n, r in enumerate(rows, start=1)])


@pytest.mark.parametrize("header", [
    ["Kode Lokasi", "Nama", "Jenis", "Kab/Kota"],
    ["KODE_LOKASI", "NAMA", "JENIS LOKASI", "KODE KAB/KOTA"],
    ["site code", "Name", "Site Type", "District Code"],
    ["npsn", "nama sekolah", "kode jenis", "kode wilayah"],
    ["Kode (NPSN)", "Nama", "Jenis [kode]", "Kab/kota"],
])
def test_headers_are_matched_in_any_case_with_indonesian_and_english_names(header):
    table = find_table(_sheet(header, ["A", "B", "SRA", "36.71"]), SITE_COLUMNS)
    assert table.columns == {"code": 0, "name": 1, "site_type": 2, "district": 3}


def test_the_header_may_sit_below_a_title_and_unknown_columns_are_ignored():
    table = find_table(_sheet(["Daftar lokasi KLA"], ["", "Kode", "Nama", "Jenis", "Kab/Kota", "Catatan"],
                              ["", "A", "B", "SRA", "36.71", "x"]), SITE_COLUMNS)
    assert table.header_line == 2 and table.ignored == ["Catatan"]
    assert [line for line, _cells in table.rows] == [3]


def test_a_missing_required_column_is_named():
    with pytest.raises(ReadError) as caught:
        find_table(_sheet(["kode", "nama", "kab/kota"], ["A", "B", "36.71"]), SITE_COLUMNS)
    assert caught.value.text().startswith("Missing column: site type code. Accepted headers: jenis lokasi, jenis,")


def test_two_columns_meaning_the_same_are_refused():
    with pytest.raises(ReadError) as caught:
        find_table(_sheet(["kode", "npsn", "nama", "jenis", "kab/kota"]), SITE_COLUMNS)
    assert "“kode” and “npsn” both mean site code" in caught.value.text()


def _xlsx(build) -> bytes:
    book = Workbook()
    build(book.active)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_formulas_stay_text_and_percent_cells_read_as_percent():
    def build(ws):
        ws.append(["kode", "nilai", "tautan", "angka", "tanggal"])
        ws.append(["A", 0.925, '=HYPERLINK("https://x.go.id/a.pdf","A")', 20603123, None])
        ws["B2"].number_format = "0.0%"
        ws.append([None, None, None, None, None])  # an empty row is skipped
        ws.append(["B", 92.5, "=1/0", -6.1783, True])

    [sheet] = read_sheets(_xlsx(build), "x.xlsx", max_bytes=LIMIT)
    assert sheet.rows[1] == (2, ["A", "92.5%", '=HYPERLINK("https://x.go.id/a.pdf","A")', "20603123"])
    assert sheet.rows[2] == (4, ["B", "92.5", "=1/0", "-6.1783", "yes"])
