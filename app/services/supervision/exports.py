"""Tables that leave the app as CSV or XLSX files: one writer for every export.

Every cell goes through `safe_cell`, so a value typed by a resident or a party (a case title such as
`=HYPERLINK(...)`) reaches a supervisor's spreadsheet as text, never as a formula (CSV injection).
"""
import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

# A spreadsheet program treats a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | bool | datetime | None


def safe_cell(value: Cell) -> Cell:
    """The value as a spreadsheet should store it: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """CSV with a BOM, so spreadsheet programs read the Chinese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return out.getvalue()


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """One worksheet; cells are stored as values (strings stay strings, never formulas)."""
    # Imported here: openpyxl is ~175 modules (~0.3 s of CPU a process), which only the XLSX downloads need.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
