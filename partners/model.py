"""The partner model: one local service a social worker can refer a patient to.

A :class:`Partner` is a plain value (a frozen dataclass). The store gives it a
stable integer ``id`` and keeps every version of it in the history; importers
recognise it again through its ``key`` (``FINESS:010000024``,
``RPPS:10001045367``, ``ADELI:699312345``, ``NOM:CCAS:69383:ccas de lyon 3e``...).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: Partner types and their French labels (extensible with :func:`register_partner_type`).
PARTNER_TYPES: dict[str, str] = {
    "CPTS": "Communauté professionnelle territoriale de santé",
    "HAD": "Hospitalisation à domicile",
    "ERC": "Espace ressources cancer",
    "PSY": "Psychologue (psycho-oncologie)",
    "DAC": "Dispositif d'appui à la coordination",
    "SSIAD": "Service de soins infirmiers à domicile",
    "CCAS": "Centre communal d'action sociale",
    "AUTRE": "Autre partenaire",
}

#: Types whose territory (list of communes) means "this partner covers the commune".
ZONE_TYPES = ("CPTS", "HAD")

#: How precise a position is: geocoded address, the commune's town hall, or just the commune.
PRECISIONS = ("address", "town_hall", "commune")

#: Fields compared to decide whether an import changed a partner (bookkeeping excluded).
DATA_FIELDS = (
    "type", "name", "address", "code_insee", "postal_code", "commune", "lon", "lat",
    "precision", "phone", "email", "website", "finess", "rpps", "adeli", "category",
    "communes", "notes", "source", "source_date", "outside_territory",
)


def register_partner_type(code: str, label: str) -> None:
    """Add a partner type (upper-case code, French label).

    Parameters
    ----------
    code
        Short upper-case code, e.g. ``"EMSP"``.
    label
        French label shown in the app.

    Raises
    ------
    ValueError
        If ``code`` is not an upper-case word.

    Examples
    --------
    >>> register_partner_type("EMSP", "Équipe mobile de soins palliatifs")
    >>> "EMSP" in PARTNER_TYPES
    True
    >>> del PARTNER_TYPES["EMSP"]
    """
    if not isinstance(code, str) or not code.isalnum() or code.upper() != code:
        raise ValueError(f"partner type code: got {code!r}; expected an upper-case word such as 'EMSP'")
    PARTNER_TYPES[code] = label


@dataclass(frozen=True)
class Partner:
    """One partner (a service, an establishment or a practitioner).

    Attributes
    ----------
    type
        A key of :data:`PARTNER_TYPES`.
    name
        Display name.
    key
        Natural key used by imports to recognise the partner again.
    id
        Stable store id (``None`` until saved).
    code_insee
        Sector unit (commune, or Lyon arrondissement) where the partner is.
    lon, lat
        WGS84 position, with its ``precision`` (one of :data:`PRECISIONS`).
    communes
        Codes of the communes it covers (CPTS territory, HAD zone); ``None`` when unknown.
    outside_territory
        True when the partner lies outside the 12 departments.
    """

    type: str
    name: str
    key: str = ""
    id: int | None = None
    address: str = ""
    code_insee: str = ""
    postal_code: str = ""
    commune: str = ""
    lon: float | None = None
    lat: float | None = None
    precision: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    finess: str = ""
    rpps: str = ""
    adeli: str = ""
    category: str = ""
    communes: tuple[str, ...] | None = None
    notes: str = ""
    source: str = ""
    source_date: str = ""
    outside_territory: bool = False
    created_at: str = ""
    updated_at: str = ""
    updated_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict (``communes`` as a list or ``None``)."""
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["communes"] = None if self.communes is None else list(self.communes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Partner":
        """Build a partner from :meth:`to_dict` output (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if values.get("communes") is not None:
            values["communes"] = tuple(values["communes"])
        if "outside_territory" in values:
            values["outside_territory"] = bool(values["outside_territory"])
        return cls(**values)

    def data(self) -> dict[str, Any]:
        """The fields that matter for change detection (see :data:`DATA_FIELDS`)."""
        return {name: getattr(self, name) for name in DATA_FIELDS}

    def replace(self, **changes) -> "Partner":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def merged_with(self, incoming: "Partner") -> "Partner":
        """This partner updated by a newer record of it.

        Non-empty fields of ``incoming`` win; empty ones keep the current value,
        so a FINESS import does not erase an e-mail typed by hand. ``communes``
        is replaced only when ``incoming`` knows them.
        """
        changes = {}
        for name in DATA_FIELDS:
            value = getattr(incoming, name)
            if name == "outside_territory":
                changes[name] = value
            elif name == "communes":
                if value is not None:
                    changes[name] = value
            elif value not in (None, ""):
                changes[name] = value
        return dataclasses.replace(self, **changes)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Partner))


@dataclass(frozen=True)
class Issue:
    """A validation finding: ``level`` is ``"error"`` (row rejected) or ``"warning"``."""

    level: str
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class PartnerRecord:
    """A partner read from a file, before validation: ``row`` is the 1-based line or sheet row."""

    row: int
    partner: Partner
    issues: list[Issue] = field(default_factory=list)
