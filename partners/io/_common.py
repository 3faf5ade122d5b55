"""Shared reading helpers: encoding detection, delimited text and XLSX tables."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from geo.reading import (FileReadError, check_path, check_workbook, csv_rows, display_name, is_workbook,
                         max_file_bytes, os_reason, read_bytes, text_lines, workbook_errors)
from partners.model import Issue

#: Largest partner file read whole (FINESS extract, template, zones), as a multiple of the
#: general limit: the national FINESS extract is larger than any hospital export.
PARTNER_FILE_FACTOR = 4


def partner_file_limit() -> int:
    """Largest partner file read whole (256 MB by default)."""
    return max_file_bytes() * PARTNER_FILE_FACTOR


@dataclass(frozen=True)
class Source:
    """A partner file: a path on disk, or its bytes with the file's name (an upload).

    Built by :func:`as_source`; readers take their bytes (:meth:`read`) or a
    binary stream (:meth:`open`, for the national Annuaire Santé extract that
    is too big to hold twice) and name the file in messages by :attr:`name`.
    """

    name: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)  # never in logs or tracebacks

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.name

    def read(self, limit: int | None = None) -> bytes:
        """The whole file, at most ``limit`` bytes (:func:`partner_file_limit` by default).

        Raises
        ------
        geo.reading.FileReadError
            ``files.too_large``, ``files.unreadable``.
        """
        limit = partner_file_limit() if limit is None else limit
        data, _ = read_bytes(self.path if self.path is not None else self.data, self.name, limit=limit)
        return data

    def open(self) -> BinaryIO:
        """A binary stream of the file (a file handle, or the bytes in memory)."""
        if self.path is not None:
            try:
                return open(self.path, "rb")
            except OSError as exc:
                raise FileReadError("files.unreadable", file=self.name, reason=os_reason(exc)) from None
        return io.BytesIO(self.data)


def as_source(source, filename: str | None = None) -> Source:
    """Check a reader's input and make it a :class:`Source`, before any reading.

    Parameters
    ----------
    source : str, path, bytes, uploaded file (``getvalue()`` and ``name``) or Source
        The file.
    filename : str, optional
        The file's name; required with bytes (its suffix picks CSV or XLSX, and
        messages name it). With a path, the path's name by default.

    Raises
    ------
    TypeError
        ``source`` of another type, or bytes without ``filename`` (the caller's mistake).
    geo.reading.FileReadError
        ``files.missing``, ``files.is_directory``, ``files.unreadable`` for a path.
    """
    if isinstance(source, Source):
        return source if filename is None else Source(display_name(filename), source.path, source.data)
    if isinstance(source, (str, os.PathLike)):
        path = check_path(source)
        return Source(display_name(filename or path.name), path=path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not filename:
            raise TypeError("filename: required with bytes (the file's name, e.g. 'partenaires.xlsx')")
        return Source(display_name(filename), data=bytes(source))
    if hasattr(source, "getvalue") and (filename or getattr(source, "name", None)):
        data = source.getvalue()
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return Source(display_name(filename or source.name), data=data)
    raise TypeError(f"source: expected a path, bytes with a filename or an uploaded file, "
                    f"got {type(source).__name__}")


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text of a file's bytes and its encoding: UTF-8 (with or without BOM) if it decodes, else Windows-1252.

    Older public extracts (FINESS before 2022) are Windows-1252, newer ones UTF-8;
    a Windows-1252 file almost never decodes as UTF-8 by accident.

    Raises
    ------
    geo.reading.FileReadError
        ``files.not_text`` for a binary file.
    """
    if b"\0" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileReadError("files.not_text", file=name)
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "cp1252"


def read_text(source, filename: str | None = None) -> tuple[str, str]:
    """The file's text and its encoding (see :func:`decode`); ``source`` as for :func:`as_source`.

    Raises
    ------
    geo.reading.FileReadError
        Missing, folder, unreadable, larger than :func:`partner_file_limit`, binary.
    """
    source = as_source(source, filename)
    return decode(source.read(), source.name)


def detect_encoding(source, sample_bytes: int = 1 << 20) -> str:
    """``utf-8`` if the first megabyte decodes as UTF-8, else ``cp1252`` (for files too big to read whole)."""
    source = as_source(source)
    with source.open() as handle:
        sample = handle.read(sample_bytes)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


def sniff_delimiter(header_line: str, candidates: str = ";|,\t") -> str:
    """The delimiter that splits the header line into the most fields."""
    return max(candidates, key=lambda c: header_line.count(c))


def read_table(source, delimiters: str = ";|,\t", *, filename: str | None = None
               ) -> tuple[list[str], list[tuple[int, dict]]]:
    """Read a CSV/TXT (delimiter sniffed) or XLSX (first sheet) table with a header row.

    ``source`` is a path, bytes with ``filename``, an upload or a :class:`Source`.

    Returns
    -------
    tuple
        ``(header, rows)`` where each row is ``(line_number, {column: text})``;
        line numbers are 1-based and count the header (line 1). Empty rows and
        rows whose first cell starts with ``#`` (comments) are left out.
    """
    source = as_source(source, filename)
    data = source.read()
    if is_workbook(data, source.name):
        records = _read_xlsx(data, source.name)
    else:
        text, _ = decode(data, source.name)
        first = text.split("\n", 1)[0]
        records = list(csv_rows(text_lines(text), source.name, delimiter=sniff_delimiter(first, delimiters)))
    if not records:
        raise FileReadError("files.empty", file=source.name)
    header = [str(h or "").strip() for h in records[0][1]]
    rows = []
    for number, values in records[1:]:
        cells = ["" if v is None else str(v).strip() for v in values]
        if not any(cells) or cells[0].startswith("#"):
            continue
        rows.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}))
    return header, rows


def _read_xlsx(data: bytes, name: str) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    check_workbook(data, name)
    with workbook_errors(name):
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        records = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            records.append((number, [_cell_text(v) for v in values]))
        workbook.close()
    return records


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
    return str(value)


def pick_column(header: list[str], aliases: tuple[str, ...]) -> str | None:
    """The first header matching one of ``aliases`` (case, accents and spaces ignored)."""
    from partners.validation import normalize_name

    normalised = {normalize_name(h).replace(" ", "_"): h for h in header}
    for alias in aliases:
        key = normalize_name(alias).replace(" ", "_")
        if key in normalised:
            return normalised[key]
    return None


def error(row: int, message: str, code: str = "", **params) -> tuple[int, Issue]:
    """A rejected row: the English line and its code for the French catalogue."""
    return row, Issue("error", "row", message, code, params)


def iso_date(text: str) -> str:
    """``2020-02-04`` or ``04/02/2020`` (or ``20200204``) as ISO ``2020-02-04``; ``""`` otherwise."""
    import re

    text = (text or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?", text):
        return "-".join(m.groups())
    if m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text):
        return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text):
        return "-".join(m.groups())
    return ""


from partners.model import PartnerRecord  # noqa: E402


@dataclass
class ZoneRecord:
    """One row of a zone table: ``partner`` is an id, a FINESS number or a name."""

    row: int
    type: str
    partner: str
    code_insee: str


@dataclass
class ReadResult:
    """What a reader found in a file.

    Attributes
    ----------
    records
        Partners read (not yet validated).
    zones
        Zone rows (``zones`` format only).
    rejects
        ``(row, Issue)`` for rows that could not be read.
    skipped
        Rows left out on purpose, counted by reason (e.g. other FINESS categories).
    encoding
        Detected text encoding.
    source_date
        Date of the extract when the file says it (ISO).
    """

    format: str
    records: list[PartnerRecord] = field(default_factory=list)
    zones: list[ZoneRecord] = field(default_factory=list)
    rejects: list[tuple[int, Issue]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    encoding: str = ""
    source_date: str = ""

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count
