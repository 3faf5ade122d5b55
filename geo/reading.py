"""Bounded input and safe output for every file secteurs reads or writes.

Hostile or broken files must end in an error a person can act on (file, row,
reason), never in a traceback or a memory blow-up. Every reader goes through
these helpers:

* :func:`read_bytes` reads a path or an upload with a size limit, and turns a
  directory, a missing or unreadable file into :class:`FileReadError` codes;
* :func:`check_workbook` refuses a ``.xlsx`` that is not a zip or whose
  uncompressed size is above the limit (a 400 KB zip bomb expands to GBs),
  *before* openpyxl or pandas open it;
* :func:`capped_lines` streams a text file line by line, each line read with
  a length cap (a 200 MB single-line file costs at most the cap);
* :func:`csv_rows` parses delimited text with the field limit and names the
  row of a malformed line;
* :func:`atomic_write` writes to a temporary file in the same folder and
  renames it, so a full disk never leaves a truncated or empty output.

Limits can be raised for a big site through the environment
(``SECTEURS_MAX_FILE_MB``, ``SECTEURS_MAX_LINE_KB``).
"""
from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

from geo.errors import SecteursError


class FileReadError(SecteursError):
    """A file that cannot be read or written as asked (code ``files.*``)."""


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def max_file_bytes() -> int:
    """Largest file read whole (hospital exports, plans, counts, teams, lists): 64 MB by default."""
    return _env_int("SECTEURS_MAX_FILE_MB", 64) << 20


def max_line_chars() -> int:
    """Longest line or field of delimited text: 1 MB by default."""
    return _env_int("SECTEURS_MAX_LINE_KB", 1024) << 10


#: Largest uncompressed size of a workbook, as a multiple of :func:`max_file_bytes`.
WORKBOOK_EXPANSION = 4
#: Largest compression ratio of one member of a workbook (real ones stay below ~30).
WORKBOOK_MAX_RATIO = 200


def display_name(source, filename: str | None = None) -> str:
    """The file's base name for messages (never a full server path)."""
    name = filename or (str(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", ""))
    return Path(str(name or "fichier")).name or "fichier"


def check_path(path: str | os.PathLike) -> Path:
    """``path`` if it is a readable regular file, else :class:`FileReadError` (missing, folder)."""
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise FileReadError("files.is_directory", file=name)
    if not path.exists():
        raise FileReadError("files.missing", file=name)
    if not os.access(path, os.R_OK):
        raise FileReadError("files.unreadable", file=name, reason="permission refusée")
    return path


def read_bytes(source, filename: str | None = None, *, limit: int | None = None) -> tuple[bytes, str]:
    """The bytes and name of a path, bytes or upload (``getvalue()``/``read()``), at most ``limit`` bytes.

    Raises
    ------
    FileReadError
        ``files.missing``, ``files.is_directory``, ``files.unreadable``, ``files.too_large``.
    """
    limit = max_file_bytes() if limit is None else limit
    name = display_name(source, filename)
    if isinstance(source, (str, os.PathLike)):
        path = check_path(source)
        size = path.stat().st_size
        if size > limit:
            raise FileReadError("files.too_large", file=name, size_mb=_mb(size), limit_mb=_mb(limit))
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise FileReadError("files.unreadable", file=name, reason=os_reason(exc)) from None
        return data, filename or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "getvalue"):
        data = source.getvalue()
    else:
        data = source.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    if len(data) > limit:
        raise FileReadError("files.too_large", file=name, size_mb=_mb(len(data)), limit_mb=_mb(limit))
    return data, str(filename or getattr(source, "name", "") or "")


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f}".replace(".", ",")


def os_reason(exc: OSError) -> str:
    """A short French reason for an operating-system error (no path)."""
    reasons = {errno.ENOSPC: "disque plein", errno.EACCES: "permission refusée", errno.EPERM: "permission refusée",
               errno.EROFS: "système de fichiers en lecture seule", errno.EISDIR: "c'est un dossier",
               errno.ENOENT: "fichier ou dossier introuvable", errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
               errno.EDQUOT: "quota disque dépassé", errno.EIO: "erreur d'entrée-sortie"}
    return reasons.get(exc.errno, exc.strerror or type(exc).__name__)


def is_workbook(data: bytes, name: str) -> bool:
    """Whether ``data`` should be read as XLSX (zip signature or ``.xlsx``/``.xlsm`` name)."""
    return data[:4] == b"PK\x03\x04" or Path(name).suffix.lower() in (".xlsx", ".xlsm")


def check_workbook(data: bytes, name: str, *, limit: int | None = None) -> None:
    """Refuse a workbook that is not a zip, or that would expand beyond the limit, before opening it.

    Raises
    ------
    FileReadError
        ``files.not_xlsx`` or ``files.xlsx_too_large``.
    """
    limit = max_file_bytes() * WORKBOOK_EXPANSION if limit is None else limit
    shown = display_name(name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise FileReadError("files.not_xlsx", file=shown) from None
    total = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > limit or ratio > WORKBOOK_MAX_RATIO:
        raise FileReadError("files.xlsx_too_large", file=shown, size_mb=_mb(total), limit_mb=_mb(limit))


@contextlib.contextmanager
def workbook_errors(name: str):
    """Turn any error of openpyxl/pandas opening a checked workbook into ``files.not_xlsx``."""
    try:
        yield
    except SecteursError:
        raise
    except (MemoryError, RecursionError):
        raise FileReadError("files.xlsx_too_large", file=display_name(name), size_mb="?",
                            limit_mb=_mb(max_file_bytes() * WORKBOOK_EXPANSION)) from None
    except Exception:  # zip, XML, openpyxl or pandas errors: all mean "not a readable workbook"
        raise FileReadError("files.not_xlsx", file=display_name(name)) from None


def capped_lines(handle, name: str, *, max_chars: int | None = None, first_line: int = 1) -> Iterator[str]:
    """The lines of a text handle, each read with a length cap.

    Raises
    ------
    FileReadError
        ``files.line_too_long`` with the line number when a line exceeds the cap.
    """
    max_chars = max_line_chars() if max_chars is None else max_chars
    number = first_line
    while True:
        line = handle.readline(max_chars + 1)
        if not line:
            return
        if len(line) > max_chars and not line.endswith(("\n", "\r")):
            raise FileReadError("files.line_too_long", file=display_name(name), row=number,
                                limit_kb=max_chars >> 10)
        yield line
        number += 1


def csv_rows(lines: Iterable[str], name: str, *, delimiter: str, first_line: int = 1,
             **options) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of delimited text, with the field limit and the row of a bad line.

    Line numbers are those of the first physical line of each record.
    """
    limit = max_line_chars()
    if csv.field_size_limit() != limit:
        csv.field_size_limit(limit)
    reader = csv.reader(lines, delimiter=delimiter, **options)
    previous = first_line - 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = previous + 1
            if "field larger" in str(exc):
                raise FileReadError("files.line_too_long", file=display_name(name), row=row,
                                    limit_kb=limit >> 10) from None
            raise FileReadError("files.bad_csv", file=display_name(name), row=row) from None
        yield previous + 1, cells
        previous = first_line - 1 + reader.line_num


def text_lines(text: str) -> list[str]:
    """``text`` split in lines keeping their ends (for :func:`csv_rows` on decoded text)."""
    return io.StringIO(text, newline="").readlines()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **options):
    """Open a temporary file next to ``path`` for writing; rename it over ``path`` only on success.

    A full disk or any error leaves ``path`` as it was (no 0-byte or truncated output).

    Raises
    ------
    FileReadError
        ``files.cannot_write`` with the reason (disk full, permission, folder missing).
    """
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise FileReadError("files.cannot_write", file=name, reason="c'est un dossier")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as exc:
        raise FileReadError("files.cannot_write", file=name, reason=os_reason(exc)) from None
    try:
        with os.fdopen(descriptor, mode, **options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise FileReadError("files.cannot_write", file=name, reason=os_reason(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as handle:
        handle.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return write_bytes(path, text.encode(encoding))
