"""Spreadsheet formula neutralisation for every CSV and XLSX that secteurs writes.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is run as a formula by Excel and LibreOffice (CSV/formula injection):
a partner named ``=HYPERLINK("http://...")`` would turn an export into a
phishing link, or worse. Such texts get a leading ``'``, which spreadsheets
read as "this is text" and do not show. Numbers are left as numbers (a
negative count stays a number); only text cells are changed.

Examples
--------
>>> safe_cell('=1+2'), safe_cell('+33 4 78 00 00 00'), safe_cell('Lyon'), safe_cell(-3)
("'=1+2", "'+33 4 78 00 00 00", 'Lyon', -3)
"""
from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


#: Control characters XML (hence XLSX) cannot hold; openpyxl refuses them (IllegalCharacterError).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value):
    """``value`` with a ``'`` prefix if it is text a spreadsheet would run as a formula.

    Control characters (other than tab and line ends) become U+FFFD, so that a
    stray byte in a referral list can be written to XLSX and is visible as such.
    """
    if isinstance(value, str):
        if _CONTROL.search(value):
            value = _CONTROL.sub("\ufffd", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised (numbers untouched)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[column] = series.map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def safe_rows(rows: Iterable[Iterable]) -> list[list]:
    """Rows of cells (``csv.writer`` or ``openpyxl`` ``append``) with every cell neutralised."""
    return [[safe_cell(v) for v in row] for row in rows]


def safe_dicts(rows: Iterable[dict]) -> list[dict]:
    """Rows as dicts (``csv.DictWriter``) with every value neutralised."""
    return [{k: safe_cell(v) for k, v in row.items()} for row in rows]
