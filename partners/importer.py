"""Importing partner files into the directory: idempotent, row by row, with a report.

:func:`import_partners` reads a file (:func:`partners.io.read_partners`),
checks and locates every row, and saves the good ones in batches (one
transaction each, history included). A bad row is rejected with its reason
and never stops the import; rows already saved stay saved. Importing the same
file again changes nothing; a newer file updates what changed.
"""
from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from geo.database import transaction
from geo.safe_export import safe_rows
from partners.io import read_partners
from partners.model import ZONE_TYPES, Issue, Partner
from partners.store import (DuplicateError, default_author, find_partner, get_partner, partner_key,
                            prepare_partner, save_checked)
from partners.validation import ValidationError, normalize_name, validate_finess

#: What to do with partners outside the 12 departments.
OUTSIDE_CHOICES = ("flag", "skip")
#: Default per format: FINESS establishments are kept and flagged (a HAD across the border may
#: still serve a patient); the national Annuaire Santé lists every psychologist of France, only
#: those of the territory are wanted (and those outside would have no position).
DEFAULT_OUTSIDE = {"finess": "flag", "rpps": "skip", "csv": "flag", "zones": "flag"}


@dataclass
class Reject:
    """One line of the report: ``level`` is error (row rejected) or warning (row imported)."""

    row: int
    level: str
    reason: str
    name: str = ""
    key: str = ""


@dataclass
class ImportReport:
    """Counts and details of one import.

    Attributes
    ----------
    created, updated, unchanged
        Partners (for ``zones``: partners whose zone was set, changed, or already so).
    rejected
        Rows rejected (each listed in ``rejects`` with its reason).
    outside_territory
        Partners imported flagged ``outside_territory``.
    skipped
        Rows left out on purpose, by reason (other categories, outside the territory with ``--outside skip``).
    """

    path: str
    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    outside_territory: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    encoding: str = ""

    def reject(self, row: int, reason: str, name: str = "", key: str = "") -> None:
        self.rejected += 1
        self.rejects.append(Reject(row, "error", reason, name, key))

    def warn(self, row: int, reason: str, name: str = "", key: str = "") -> None:
        self.rejects.append(Reject(row, "warning", reason, name, key))

    def counts(self) -> dict:
        """The figures printed by the CLI."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "outside_territory": self.outside_territory,
                "skipped": dict(self.skipped), "warnings": sum(r.level == "warning" for r in self.rejects)}

    def summary(self) -> str:
        """One line: ``created 3, updated 0, unchanged 5, rejected 2 (...)``."""
        text = (f"{self.path}: created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"rejected {self.rejected}")
        if self.outside_territory:
            text += f", outside territory (imported, flagged) {self.outside_territory}"
        for reason, count in sorted(self.skipped.items()):
            text += f", skipped ({reason}) {count}"
        return text

    def write(self, path: str | Path) -> Path:
        """Write the rejected rows and warnings as CSV (row; level; reason; name; key), sorted by row."""
        path = Path(path)
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["row", "level", "reason", "name", "key"])
            rows = [[item.row, item.level, item.reason, item.name, item.key]
                    for item in sorted(self.rejects, key=lambda r: (r.row, r.level))]
            writer.writerows(safe_rows(rows))
        return path


def import_partners(conn: sqlite3.Connection, path: str | Path, format: str, *, author: str | None = None,
                    places=None, categories=None, outside: str | None = None, report: str | Path | None = None,
                    batch_size: int = 200) -> ImportReport:
    """Import a partner file into the directory.

    Parameters
    ----------
    conn
        Open database.
    path
        The file.
    format
        ``finess``, ``rpps``, ``zones`` or ``csv`` (see :mod:`partners.io`).
    author
        Recorded in the history (default: the login name).
    places
        The territory (the committed one by default).
    categories
        FINESS categories to import (default 127 HAD, 604 CPTS, 606 DAC, 354 SSIAD).
    outside
        ``flag`` imports partners outside the 12 departments flagged
        ``outside_territory``; ``skip`` leaves them out (counted). Default:
        :data:`DEFAULT_OUTSIDE` (flag, except skip for ``rpps``).
    report
        Where to write the rejected rows (CSV), if given.
    batch_size
        Rows saved per transaction.

    Returns
    -------
    ImportReport

    Raises
    ------
    ValueError
        Unknown format or ``outside`` value, or a file not of that format.
    """
    from partners.places import default_places

    if format in DEFAULT_OUTSIDE and outside is None:
        outside = DEFAULT_OUTSIDE[format]
    if outside not in OUTSIDE_CHOICES:
        raise ValueError(f"outside {outside!r}: expected one of {', '.join(OUTSIDE_CHOICES)}")
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size}: expected a positive number")
    places = places or default_places()
    author = author or default_author()
    read = read_partners(path, format, categories=categories if format == "finess" else None)
    result = ImportReport(path=str(path), format=format, skipped=dict(read.skipped), encoding=read.encoding)
    for row, issue in read.rejects:
        result.reject(row, issue.message)
    reason = f"import {format} {Path(path).name}"
    if format == "zones":
        _import_zones(conn, read.zones, result, places, author, reason, batch_size)
    else:
        _import_records(conn, read.records, result, places, author, reason, outside, batch_size)
    if report:
        result.write(report)
    return result


def _import_records(conn, records, result: ImportReport, places, author, reason, outside, batch_size) -> None:
    ready: list[tuple[int, Partner, list[Issue]]] = []
    seen: dict[str, int] = {}
    for record in records:
        raw = record.partner
        if (outside == "skip" and raw.lon in (None, "") and raw.code_insee
                and not places.in_departements(str(raw.code_insee).strip().upper().zfill(5))):
            result.skipped["outside territory"] = result.skipped.get("outside territory", 0) + 1
            continue
        partner, issues = prepare_partner(raw, places)
        errors = [i for i in issues if i.level == "error"]
        label = record.partner.name
        if errors:
            result.reject(record.row, "; ".join(e.message for e in errors), label)
            continue
        if partner.outside_territory and outside == "skip":
            result.skipped["outside territory"] = result.skipped.get("outside territory", 0) + 1
            continue
        key = partner_key(partner)
        finess_key = f"FINESS:{partner.finess}" if partner.finess else None
        if key in seen:
            result.reject(record.row, f"duplicate of row {seen[key]} (same {_what(key)})", label, key)
            continue
        if finess_key in seen:
            result.reject(record.row, f"duplicate of row {seen[finess_key]} (same FINESS {partner.finess})",
                          label, key)
            continue
        seen[key] = record.row
        if finess_key:
            seen.setdefault(finess_key, record.row)
        ready.append((record.row, partner.replace(key=key), issues))

    for start in range(0, len(ready), batch_size):
        transaction(conn, lambda c, batch=ready[start:start + batch_size]: _save_batch(c, batch, result, author,
                                                                                        reason))


def _what(key: str) -> str:
    if key.startswith("FINESS:"):
        return f"FINESS {key[7:]}"
    if key.startswith(("RPPS:", "ADELI:")):
        return f"practitioner and commune, {key}"
    return f"type, commune and name, {key}"


def _save_batch(conn, batch, result: ImportReport, author, reason) -> None:
    for row, partner, issues in batch:
        try:
            saved = save_checked(conn, partner, author=author, reason=reason, merge=True)
        except (DuplicateError, ValidationError) as exc:
            result.reject(row, str(exc), partner.name, partner.key)
            continue
        setattr(result, saved.action, getattr(result, saved.action) + 1)
        if saved.partner.outside_territory:
            result.outside_territory += 1
        for issue in issues + saved.issues:
            result.warn(row, issue.message, partner.name, partner.key)


# ---------------------------------------------------------------------- zones

def resolve_partner(conn: sqlite3.Connection, reference: str, type: str = "") -> tuple[int | None, str]:
    """The partner a zone row refers to: its id, FINESS number or name (with its type).

    Returns
    -------
    tuple
        ``(id, "")`` or ``(None, reason)``.
    """
    reference = reference.strip()
    if reference.isdigit() and len(reference) < 9:
        partner = get_partner(conn, int(reference))
        return (partner.id, "") if partner else (None, f"no partner with id {reference}")
    try:
        finess = validate_finess(reference) if len(reference.replace(" ", "")) == 9 else ""
    except ValidationError:
        finess = ""
    if finess:
        partner = find_partner(conn, f"FINESS:{finess}")
        if partner is None:
            row = conn.execute("SELECT id FROM partners WHERE finess = ?", (finess,)).fetchone()
            return (row[0], "") if row else (None, f"no partner with FINESS {finess}")
        return partner.id, ""
    sql, params = "SELECT id, type FROM partners WHERE name_norm = ?", [normalize_name(reference)]
    if type:
        sql += " AND type = ?"
        params.append(type)
    rows = conn.execute(sql, params).fetchall()
    if len(rows) == 1:
        return rows[0][0], ""
    what = f"{type} " if type else ""
    if not rows:
        return None, f"no {what}partner named {reference!r}"
    return None, f"{len(rows)} {what}partners are named {reference!r} (ids {', '.join(str(r[0]) for r in rows)}); use the id"


def _import_zones(conn, zones, result: ImportReport, places, author, reason, batch_size) -> None:
    by_partner: dict[int, list[str]] = {}
    first_row: dict[int, int] = {}
    cache: dict[tuple[str, str], tuple[int | None, str]] = {}
    for zone in zones:
        if zone.type and zone.type not in ZONE_TYPES:
            result.warn(zone.row, f"type {zone.type!r}: zones are meant for {', '.join(ZONE_TYPES)}")
        lookup = (zone.partner, zone.type)
        if lookup not in cache:
            cache[lookup] = resolve_partner(conn, zone.partner, zone.type)
        partner_id, why = cache[lookup]
        if partner_id is None:
            result.reject(zone.row, why, zone.partner)
            continue
        code = zone.code_insee.upper().zfill(5) if zone.code_insee.isdigit() else zone.code_insee.upper()
        units = places.by_code(code) if places.in_departements(code) else []
        if not units:
            result.reject(zone.row, f"unknown commune: INSEE code {zone.code_insee!r} is not a commune of the "
                                    "territory", zone.partner)
            continue
        by_partner.setdefault(partner_id, []).extend(units)
        first_row.setdefault(partner_id, zone.row)

    items = sorted(by_partner.items())

    def work(c, batch):
        for partner_id, codes in batch:
            current = get_partner(c, partner_id)
            if current is None:  # deleted meanwhile
                result.reject(first_row[partner_id], f"partner #{partner_id} was deleted during the import")
                continue
            saved = save_checked(c, current.replace(communes=tuple(sorted(set(codes)))), author=author,
                                 reason=reason, merge=True)
            setattr(result, saved.action, getattr(result, saved.action) + 1)

    for start in range(0, len(items), batch_size):
        transaction(conn, lambda c, batch=items[start:start + batch_size]: work(c, batch))
