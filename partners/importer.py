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
from typing import Callable

from geo.access import require_acting
from geo.database import transaction
from geo.errors import SecteursError
from geo.reading import atomic_write
from geo.safe_export import safe_rows
from partners.io import as_source, read_partners
from partners.model import NEIGHBOUR_KM, ZONE_TYPES, Issue, Partner
from partners.store import (DuplicateError, default_author, find_partner, get_partner, partner_key,
                            prepare_partner, save_checked)
from partners.validation import ValidationError, normalize_name, validate_finess

#: What to do with partners outside the 12 departments: ``neighbours`` keeps those within
#: ``neighbour_km`` of the border (flagged) and sets the farther ones aside unless asked for by key;
#: ``flag`` keeps them all (flagged); ``skip`` keeps none.
OUTSIDE_CHOICES = ("neighbours", "flag", "skip")
#: Default per format: establishments across the border may serve a patient near it; the national
#: Annuaire Santé lists every psychologist of France, positioned only at their commune, and only
#: those of the territory are wanted.
DEFAULT_OUTSIDE = {"finess": "neighbours", "rpps": "skip", "csv": "neighbours", "zones": "neighbours"}

#: An Annuaire Santé extract with more psychologists of the territory than this is a national or
#: regional one: importing them all would put thousands of identical points at commune centres;
#: the network's members' list is asked for instead (or ``all_psychologists=True``).
RPPS_WITHOUT_NETWORK_MAX = 300

#: What happens to a row: the store's actions, plus rejected, set aside (outside, farther than the
#: neighbour distance, not asked for) and skipped (not wanted: other category, not in the network...).
ROW_ACTIONS = ("created", "updated", "unchanged", "rejected", "set_aside", "skipped")
#: Flags a row can carry.
ROW_FLAGS = ("neighbour", "far", "no_position", "duplicate", "network", "warning")


@dataclass
class Reject:
    """One line of the report: ``level`` is error (row rejected) or warning (row imported).

    ``code`` and ``params`` name the reason for the French catalogue; ``reason`` is the English line.
    ``issues`` holds every finding when a row has several (``code`` is then the first one's).
    """

    row: int
    level: str
    reason: str
    name: str = ""
    key: str = ""
    code: str = ""
    params: dict = field(default_factory=dict)
    issues: tuple = ()


@dataclass
class RowOutcome:
    """What an import does (or would do, in a preview) with one row of the file.

    Attributes
    ----------
    action
        One of :data:`ROW_ACTIONS`.
    flags
        Some of :data:`ROW_FLAGS`.
    border_km
        Distance to the territory for a partner outside it (``None`` without position).
    changes
        For ``updated``: the fields that change.
    code, params, reason
        Why a row is rejected, set aside or skipped (catalogue code and English line).
    """

    row: int
    action: str
    type: str = ""
    name: str = ""
    commune: str = ""
    code_insee: str = ""
    key: str = ""
    flags: tuple = ()
    border_km: float | None = None
    changes: tuple = ()
    code: str = ""
    params: dict = field(default_factory=dict)
    reason: str = ""


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
        Partners imported flagged ``outside_territory`` (neighbours, and farther ones asked for).
    neighbours
        Of those, the ones within the neighbour distance of the border.
    set_aside
        Partners outside the territory, farther than the neighbour distance (or without position),
        not imported because not asked for (their keys in ``far_keys``).
    skipped
        Rows left out on purpose, by reason code (``other_category``, ``other_profession``,
        ``outside_territory``, ``not_in_network``).
    rows
        One :class:`RowOutcome` per row of the file that became a partner or was refused.
    offer_demo_purge
        This import created real partners while the directory still holds the FICTITIOUS demo
        partners (the app then offers to remove the demo).
    """

    path: str
    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    outside_territory: int = 0
    neighbours: int = 0
    set_aside: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)
    far_keys: list[str] = field(default_factory=list)
    encoding: str = ""
    neighbour_km: float = NEIGHBOUR_KM
    offer_demo_purge: bool = False

    def reject(self, row: int, reason: str, name: str = "", key: str = "", code: str = "", params=None,
               outcome: RowOutcome | None = None, issues=()) -> None:
        self.rejected += 1
        self.rejects.append(Reject(row, "error", reason, name, key, code, dict(params or {}), tuple(issues)))
        outcome = outcome or RowOutcome(row, "rejected", name=name, key=key)
        outcome.action, outcome.reason, outcome.code, outcome.params = "rejected", reason, code, dict(params or {})
        self.rows.append(outcome)

    def warn(self, row: int, reason: str, name: str = "", key: str = "", code: str = "", params=None) -> None:
        self.rejects.append(Reject(row, "warning", reason, name, key, code, dict(params or {})))

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def counts(self) -> dict:
        """The figures printed by the CLI."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "outside_territory": self.outside_territory,
                "neighbours": self.neighbours, "set_aside": self.set_aside,
                "skipped": dict(self.skipped), "warnings": sum(r.level == "warning" for r in self.rejects)}

    def summary(self) -> str:
        """One line: ``created 3, updated 0, unchanged 5, rejected 2 (...)``."""
        text = (f"{self.path}: created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"rejected {self.rejected}")
        if self.outside_territory:
            text += f", outside territory (imported, flagged) {self.outside_territory}"
        if self.set_aside:
            text += f", set aside (outside, farther than {self.neighbour_km:g} km) {self.set_aside}"
        for reason, count in sorted(self.skipped.items()):
            text += f", skipped ({reason}) {count}"
        return text

    def frame(self):
        """The rows as a table: ``row, action, type, name, commune, code_insee, flags, border_km,
        changes, code, params, reason, key`` (``flags`` and ``changes`` joined by ``"; "``), by row."""
        import pandas as pd

        columns = ["row", "action", "type", "name", "commune", "code_insee", "flags", "border_km", "changes",
                   "code", "params", "reason", "key"]
        records = [{"row": r.row, "action": r.action, "type": r.type, "name": r.name, "commune": r.commune,
                    "code_insee": r.code_insee, "flags": "; ".join(r.flags), "border_km": r.border_km,
                    "changes": "; ".join(r.changes), "code": r.code, "params": r.params, "reason": r.reason,
                    "key": r.key} for r in sorted(self.rows, key=lambda r: r.row)]
        return pd.DataFrame(records, columns=columns)

    def write(self, path: str | Path, render: Callable[[Reject], str] | None = None) -> Path:
        """Write the rejected rows and warnings as CSV (row; level; code; reason; name; key), sorted by row.

        Parameters
        ----------
        path : str or Path
            Written through a temporary file (a full disk leaves no half file).
        render : callable, optional
            ``render(reject) -> str``: the ``reason`` text (the CLI gives the French
            sentence, ``app.messages.render_issue``); default the English line.
            ``code`` is the catalogue code (the first one's for a row with several findings).
        """
        path = Path(path)
        render = render or (lambda item: item.reason)
        with atomic_write(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(["row", "level", "code", "reason", "name", "key"])
            rows = [[item.row, item.level, item.code, render(item), item.name, item.key]
                    for item in sorted(self.rejects, key=lambda r: (r.row, r.level))]
            writer.writerows(safe_rows(rows))
        return path


def import_partners(conn: sqlite3.Connection, source, format: str, *, filename: str | None = None,
                    author: str | None = None, places=None, categories=None, outside: str | None = None, report: str | Path | None = None,
                    batch_size: int = 200, neighbour_km: float = NEIGHBOUR_KM, include_far=(),
                    network=None, all_psychologists: bool = False) -> ImportReport:
    """Import a partner file into the directory.

    Parameters
    ----------
    conn
        Open database.
    source
        The file: a path, its bytes with ``filename`` (an upload; nothing is copied to disk) or an
        uploaded file.
    format
        ``finess``, ``rpps``, ``zones`` or ``csv`` (see :mod:`partners.io`).
    filename
        The file's name, with bytes.
    author
        Recorded in the history (default: the login name).
    places
        The territory (the committed one by default).
    categories
        FINESS categories to import (default 127 HAD, 604 CPTS, 606 DAC, 354 SSIAD).
    outside
        Partners outside the 12 departments (:data:`OUTSIDE_CHOICES`): ``neighbours`` (default,
        except ``skip`` for ``rpps``) imports those within ``neighbour_km`` of the border and sets
        the farther ones aside unless their key is in ``include_far``; ``flag`` imports them all;
        ``skip`` none.
    report
        Where to write the rejected rows (CSV), if given.
    batch_size
        Rows saved per transaction.
    neighbour_km
        Distance to the border (km) within which an outside partner is a neighbour.
    include_far
        Keys (``FINESS:750001166``...) of farther partners to import anyway (ticked in the preview).
    network
        A :class:`partners.network.Network` (or its members' list: a path or an upload): only its members
        are imported, with its label (for a national Annuaire Santé extract: the psycho-oncology
        network's psychologists, not every psychologist of the region).
    all_psychologists
        Import every psychologist of an Annuaire Santé extract even when there are more than
        :data:`RPPS_WITHOUT_NETWORK_MAX` in the territory and no ``network`` is given.

    Returns
    -------
    ImportReport

    Raises
    ------
    SecteursError
        Unknown format (``partners.unknown_format``) or ``outside`` value (``partners.bad_outside``),
        a file not of that format, or unreadable (``files.*``).
    ValidationError
        ``partners.rpps_needs_network``: a national or regional Annuaire Santé extract without the
        network's list (see ``all_psychologists``).
    """
    require_acting("partners.edit")

    from partners.places import default_places
    from partners.store import count_demo_partners

    if format not in DEFAULT_OUTSIDE:
        raise SecteursError("partners.unknown_format", format=format, formats=list(DEFAULT_OUTSIDE))
    if outside is None:
        outside = DEFAULT_OUTSIDE[format]
    if outside not in OUTSIDE_CHOICES:  # the CLI's --outside
        raise SecteursError("partners.bad_outside", value=str(outside), choices=list(OUTSIDE_CHOICES))
    if not (isinstance(batch_size, int) and batch_size >= 1):  # our own setting, never a person's
        raise TypeError(f"batch_size {batch_size!r}: expected a positive int")
    source = as_source(source, filename)
    places = places or default_places()
    author = author or default_author()
    if network is not None and not hasattr(network, "matches"):
        from partners.network import read_network

        network = read_network(network, places=places)
    read = read_partners(source, format, categories=categories if format == "finess" else None)
    if format == "rpps" and network is None and not all_psychologists:
        inside = sum(1 for r in read.records
                     if places.in_departements(str(r.partner.code_insee or r.partner.postal_code).strip().zfill(5)))
        if inside > RPPS_WITHOUT_NETWORK_MAX:
            raise ValidationError("network", inside,
                                  f"{source.name}: {inside} psychologists in the territory; import the "
                                  "psycho-oncology network's members (network list) rather than all of them",
                                  code="partners.rpps_needs_network", count=inside, path=source.name,
                                  limit=RPPS_WITHOUT_NETWORK_MAX)
    result = ImportReport(path=str(source), format=format, skipped=dict(read.skipped), encoding=read.encoding,
                          neighbour_km=float(neighbour_km))
    demo_present = count_demo_partners(conn) > 0
    for row, issue in read.rejects:
        result.reject(row, issue.message, code=issue.code, params=issue.params)
    reason = f"import {format} {source.name}"
    if format == "zones":
        _import_zones(conn, read.zones, result, places, author, reason, batch_size)
    else:
        _import_records(conn, read.records, result, places, author, reason, outside, batch_size,
                        float(neighbour_km), set(include_far or ()), network)
    result.offer_demo_purge = demo_present and result.created > 0
    if report:
        result.write(report)
    return result


def _outcome(row: int, partner: Partner, action: str = "", flags=()) -> RowOutcome:
    return RowOutcome(row, action, partner.type, partner.name, partner.commune, partner.code_insee,
                      partner.key, tuple(flags), partner.border_km)


def _import_records(conn, records, result: ImportReport, places, author, reason, outside, batch_size,
                    neighbour_km: float, include_far: set, network) -> None:
    ready: list[tuple[int, Partner, list[Issue], RowOutcome]] = []
    seen: dict[str, int] = {}
    for record in records:
        raw = record.partner
        if network is not None:
            member = network.member(raw.replace(code_insee=str(raw.code_insee).strip().upper().zfill(5)
                                                if raw.code_insee else ""))
            if member is None:
                result.skip("not_in_network")
                continue
            raw = raw.replace(labels=(network.label,))
        if (outside == "skip" and raw.lon in (None, "") and raw.code_insee
                and not places.in_departements(str(raw.code_insee).strip().upper().zfill(5))):
            result.skip("outside_territory")
            continue
        partner, issues = prepare_partner(raw, places)
        errors = [i for i in issues if i.level == "error"]
        label = record.partner.name
        outcome = _outcome(record.row, partner)
        if errors:
            result.reject(record.row, "; ".join(e.message for e in errors), label, code=errors[0].code,
                          params=errors[0].params, outcome=outcome, issues=errors if len(errors) > 1 else ())
            continue
        flags = []
        if partner.outside_territory:
            if outside == "skip":
                result.skip("outside_territory")
                continue
            near = partner.border_km is not None and partner.border_km <= neighbour_km
            key = partner_key(partner)
            if near:
                flags.append("neighbour")
            else:
                flags.append("far" if partner.border_km is not None else "no_position")
                if outside == "neighbours" and key not in include_far:
                    result.set_aside += 1
                    result.far_keys.append(key)
                    outcome = _outcome(record.row, partner.replace(key=key), "set_aside", flags)
                    outcome.code = "partners.import.far" if partner.border_km is not None else \
                        "partners.import.outside_no_position"
                    outcome.params = {"km": partner.border_km, "limit": neighbour_km}
                    outcome.reason = (f"outside the territory, {partner.border_km} km from it (more than "
                                      f"{neighbour_km:g} km): not imported unless asked for"
                                      if partner.border_km is not None else
                                      "outside the territory, without position: not imported unless asked for")
                    result.rows.append(outcome)
                    continue
        if any(i.field == "lon" and i.code == "partners.no_position" for i in issues) and "no_position" not in flags:
            flags.append("no_position")
        if network is not None:
            flags.append("network")
        key = partner_key(partner)
        outcome = _outcome(record.row, partner.replace(key=key), flags=flags)
        finess_key = f"FINESS:{partner.finess}" if partner.finess else None
        if key in seen:
            outcome.flags += ("duplicate",)
            result.reject(record.row, f"duplicate of row {seen[key]} (same {_what(key)})", label, key,
                          "partners.import.duplicate_row", {"row": seen[key], "kind": key.split(":")[0],
                                                            "key": key}, outcome)
            continue
        if finess_key in seen:
            outcome.flags += ("duplicate",)
            result.reject(record.row, f"duplicate of row {seen[finess_key]} (same FINESS {partner.finess})",
                          label, key, "partners.import.duplicate_row",
                          {"row": seen[finess_key], "kind": "FINESS", "key": finess_key}, outcome)
            continue
        seen[key] = record.row
        if finess_key:
            seen.setdefault(finess_key, record.row)
        ready.append((record.row, partner.replace(key=key), issues, outcome))

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
    for row, partner, issues, outcome in batch:
        before = find_partner(conn, partner.key)
        try:
            saved = save_checked(conn, partner, author=author, reason=reason, merge=True)
        except (DuplicateError, ValidationError) as exc:
            outcome.flags += ("duplicate",) if isinstance(exc, DuplicateError) else ()
            result.reject(row, str(exc), partner.name, partner.key, exc.code or "", exc.params, outcome)
            continue
        setattr(result, saved.action, getattr(result, saved.action) + 1)
        if saved.partner.outside_territory:
            result.outside_territory += 1
            if saved.partner.neighbour:
                result.neighbours += 1
        outcome.action = saved.action
        if saved.action == "updated" and before is not None:
            from partners.history import changed_fields

            outcome.changes = tuple(f for f, _, _ in changed_fields(before.to_dict(), saved.partner.to_dict()))
        for issue in issues + saved.issues:
            if issue.code == "partners.likely_duplicate":
                if "duplicate" not in outcome.flags:
                    outcome.flags += ("duplicate",)
            elif issue.code != "partners.no_position" and "warning" not in outcome.flags:
                outcome.flags += ("warning",)
            result.warn(row, issue.message, partner.name, partner.key, issue.code, issue.params)
        result.rows.append(outcome)


# ---------------------------------------------------------------------- zones

def resolve_partner(conn: sqlite3.Connection, reference: str, type: str = "") -> tuple[int | None, str, str, dict]:
    """The partner a zone row refers to: its id, FINESS number or name (with its type).

    Returns
    -------
    tuple
        ``(id, "", "", {})`` or ``(None, reason, code, params)``.
    """
    reference = reference.strip()
    if reference.isdigit() and len(reference) < 9:
        partner = get_partner(conn, int(reference))
        return (partner.id, "", "", {}) if partner else (None, f"no partner with id {reference}",
                                                          "partners.zone_no_id", {"id": reference})
    try:
        finess = validate_finess(reference) if len(reference.replace(" ", "")) == 9 else ""
    except ValidationError:
        finess = ""
    if finess:
        partner = find_partner(conn, f"FINESS:{finess}")
        if partner is None:
            row = conn.execute("SELECT id FROM partners WHERE finess = ?", (finess,)).fetchone()
            return (row[0], "", "", {}) if row else (None, f"no partner with FINESS {finess}",
                                                     "partners.zone_no_finess", {"finess": finess})
        return partner.id, "", "", {}
    sql, params = "SELECT id, type FROM partners WHERE name_norm = ?", [normalize_name(reference)]
    if type:
        sql += " AND type = ?"
        params.append(type)
    rows = conn.execute(sql, params).fetchall()
    if len(rows) == 1:
        return rows[0][0], "", "", {}
    what = f"{type} " if type else ""
    if not rows:
        return None, f"no {what}partner named {reference!r}", "partners.zone_no_name", {"name": reference,
                                                                                       "type": type}
    ids = [r[0] for r in rows]
    return (None, f"{len(rows)} {what}partners are named {reference!r} (ids {', '.join(str(i) for i in ids)}); "
                  "use the id", "partners.zone_several_names", {"name": reference, "type": type, "ids": ids})


def _import_zones(conn, zones, result: ImportReport, places, author, reason, batch_size) -> None:
    by_partner: dict[int, list[str]] = {}
    first_row: dict[int, int] = {}
    cache: dict[tuple[str, str], tuple] = {}
    for zone in zones:
        if zone.type and zone.type not in ZONE_TYPES:
            result.warn(zone.row, f"type {zone.type!r}: zones are meant for {', '.join(ZONE_TYPES)}",
                        code="partners.zone_type", params={"type": zone.type, "types": list(ZONE_TYPES)})
        lookup = (zone.partner, zone.type)
        if lookup not in cache:
            cache[lookup] = resolve_partner(conn, zone.partner, zone.type)
        partner_id, why, code, params = cache[lookup]
        if partner_id is None:
            result.reject(zone.row, why, zone.partner, code=code, params=params)
            continue
        code = zone.code_insee.upper().zfill(5) if zone.code_insee.isdigit() else zone.code_insee.upper()
        units = places.by_code(code) if places.in_departements(code) else []
        if not units:
            result.reject(zone.row, f"unknown commune: INSEE code {zone.code_insee!r} is not a commune of the "
                                    "territory", zone.partner, code="partners.zone_unknown_commune",
                          params={"code": zone.code_insee})
            continue
        by_partner.setdefault(partner_id, []).extend(units)
        first_row.setdefault(partner_id, zone.row)

    items = sorted(by_partner.items())

    def work(c, batch):
        for partner_id, codes in batch:
            current = get_partner(c, partner_id)
            if current is None:  # deleted meanwhile
                result.reject(first_row[partner_id], f"partner #{partner_id} was deleted during the import",
                              code="partners.zone_partner_deleted", params={"id": partner_id})
                continue
            saved = save_checked(c, current.replace(communes=tuple(sorted(set(codes)))), author=author,
                                 reason=reason, merge=True)
            setattr(result, saved.action, getattr(result, saved.action) + 1)
            outcome = _outcome(first_row[partner_id], saved.partner, saved.action)
            if saved.action == "updated":
                outcome.changes = ("communes",)
            result.rows.append(outcome)

    for start in range(0, len(items), batch_size):
        transaction(conn, lambda c, batch=items[start:start + batch_size]: work(c, batch))
