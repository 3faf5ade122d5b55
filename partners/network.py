"""Networks of partners: the members' list of a network (the psycho-oncology network) and its label.

A network publishes who its members are, as RPPS numbers or names and communes. This module
reads such a list (CSV or XLSX, one member a row) and matches it against psychologists:

:func:`read_network`
    The list: columns ``rpps`` and/or ``nom`` (+ optional ``prenom``) with ``code_insee``,
    ``code_postal`` or ``commune``. A row that cannot identify anybody is rejected with its reason.
:func:`tag_network`
    Give the network's label to the matching partners of the directory (one undoable change),
    and say which members were not found.
:class:`Network`
    ``matches(partner)``: whether a partner read from a file is a member (used by the importer
    to keep only the network's psychologists of a national Annuaire Santé extract).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from partners.io._common import as_source, pick_column, read_table
from partners.model import NETWORK_LABEL, Issue, Partner, clean_labels
from partners.validation import ValidationError, normalize_name, validate_rpps

_RPPS = ("rpps", "numero rpps", "n rpps", "identifiant pp", "identifiant")
_NAME = ("nom", "nom d exercice", "name", "psychologue")
_FIRST = ("prenom", "prenom d exercice", "first name")
_CODE = ("code_insee", "code insee", "insee", "code commune")
_POSTAL = ("code_postal", "code postal", "cp")
_COMMUNE = ("commune", "ville", "libelle commune")


def name_words(*parts: str) -> frozenset:
    """The words of a person's name, order and case ignored ("MARTIN Claire" == "Claire Martin").

    Examples
    --------
    >>> name_words("MARTIN", "Claire") == name_words("Claire Martin")
    True
    """
    return frozenset(w for p in parts for w in normalize_name(p).split())


@dataclass(frozen=True)
class Member:
    """One member of a network list: ``row`` of the file, RPPS number or name words and unit."""

    row: int
    rpps: str = ""
    words: frozenset = frozenset()
    code_insee: str = ""
    label: str = ""


@dataclass
class Network:
    """A network's members (see :func:`read_network`), with the label they get."""

    label: str = NETWORK_LABEL
    members: list[Member] = field(default_factory=list)
    rejects: list[tuple[int, Issue]] = field(default_factory=list)
    path: str = ""

    def __post_init__(self):
        self._by_rpps = {m.rpps: m for m in self.members if m.rpps}
        self._by_name = {(m.words, m.code_insee): m for m in self.members if m.words and m.code_insee}

    def member(self, partner: Partner) -> Member | None:
        """The member a partner is (by RPPS number, else by name and commune), or ``None``."""
        if partner.rpps and partner.rpps in self._by_rpps:
            return self._by_rpps[partner.rpps]
        return self._by_name.get((name_words(partner.name), partner.code_insee))

    def matches(self, partner: Partner) -> bool:
        """Whether a partner is a member."""
        return self.member(partner) is not None


def read_network(source, label: str = NETWORK_LABEL, places=None, *, filename: str | None = None) -> Network:
    """Read a network's list of members.

    Parameters
    ----------
    source
        A path, bytes with ``filename`` or an upload: CSV (any usual separator) or XLSX with a header row: ``rpps``, or ``nom`` (and
        ``prenom``) with the commune as ``code_insee``, ``code_postal`` and/or ``commune``.
    label
        The label the members get (default "réseau psycho-oncologie").
    places
        The territory (to resolve communes).
    filename
        The file's name, with bytes.

    Returns
    -------
    Network

    Raises
    ------
    ValidationError
        ``partners.network_columns``: neither an RPPS nor a name column.
    """
    from partners.places import default_places

    source = as_source(source, filename)
    places = places or default_places()
    header, rows = read_table(source)
    col_rpps, col_name, col_first = (pick_column(header, a) for a in (_RPPS, _NAME, _FIRST))
    col_code, col_postal, col_commune = (pick_column(header, a) for a in (_CODE, _POSTAL, _COMMUNE))
    if not col_rpps and not col_name:
        raise ValidationError("columns", header, f"{source.name}: a network list needs an 'rpps' or a 'nom' column",
                              code="partners.network_columns", path=source.name, columns=header)
    rejects: list[tuple[int, Issue]] = []
    members = []
    for number, row in rows:
        rpps = (row.get(col_rpps) or "").strip() if col_rpps else ""
        if rpps:
            try:
                members.append(Member(number, rpps=validate_rpps(rpps)))
            except ValidationError as exc:
                rejects.append((number, Issue("error", "rpps", str(exc), exc.code or "", dict(exc.params))))
            continue
        words = name_words(row.get(col_name, "") if col_name else "", row.get(col_first, "") if col_first else "")
        if not words:
            rejects.append((number, Issue("error", "row", "neither an RPPS number nor a name",
                                          "partners.network_row_empty", {})))
            continue
        found = places.resolve((row.get(col_code) or "").strip().zfill(5) if col_code and row.get(col_code) else "",
                               (row.get(col_postal) or "").strip() if col_postal else "",
                               (row.get(col_commune) or "").strip() if col_commune else "")
        if found.error or found.code not in places.index:
            rejects.append((number, Issue("error", "commune", found.error or "commune outside the territory",
                                          found.error_code or "partners.network_commune_outside",
                                          dict(found.params))))
            continue
        members.append(Member(number, words=words, code_insee=found.code))
    cleaned = clean_labels([label])
    return Network(label=cleaned[0] if cleaned else NETWORK_LABEL, members=members, rejects=rejects, path=str(source))


@dataclass
class TagReport:
    """Outcome of :func:`tag_network`: partners tagged, already tagged, members not found."""

    label: str
    tagged: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    not_found: list[Member] = field(default_factory=list)
    rejects: list[tuple[int, Issue]] = field(default_factory=list)
    change: int | None = None


def tag_network(conn: sqlite3.Connection, network: Network, *, author: str | None = None,
                types=("PSY",)) -> TagReport:
    """Give the network's label to every partner of ``types`` that is a member.

    All the changes form one history action (one undo takes them back).

    Returns
    -------
    TagReport
    """
    from partners.store import label_partners, members_by_type

    report = TagReport(label=network.label, rejects=list(network.rejects))
    found: dict[int, list[int]] = {}
    for partner in members_by_type(conn, types):
        member = network.member(partner)
        if member is not None:
            found.setdefault(member.row, []).append(int(partner.id))
    report.not_found = [m for m in network.members if m.row not in found]
    done = label_partners(conn, [i for ids in found.values() for i in ids], network.label, author=author,
                          reason=f"liste du réseau « {network.label} »")
    report.tagged, report.already, report.change = done["tagged"], done["already"], done["change"]
    return report
