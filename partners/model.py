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
    "communes", "notes", "source", "source_date", "outside_territory", "labels",
)

#: ``source`` of every partner of the FICTITIOUS demo directory (see :mod:`partners.demo`).
DEMO_SOURCE = "DÉMO FICTIVE"

#: Labels offered in the app (any other short text is accepted too).
KNOWN_LABELS = ("réseau psycho-oncologie", "convention", "contact privilégié")
#: The label of the psycho-oncology network (what "réseau seulement" filters on).
NETWORK_LABEL = "réseau psycho-oncologie"

#: Partners outside the 12 departments but at most this far (km) from their border are neighbours:
#: kept, shown as such and used by nearest searches and coverage.
NEIGHBOUR_KM = 60.0


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
    border_km
        Distance (km, Lambert-93) from the partner's position to the territory: 0 inside,
        ``None`` when it has no position.
    labels
        Free labels (``"réseau psycho-oncologie"``, ``"convention"``...), sorted, no duplicates.
    version
        Stored version, raised by every write; an edit based on an older version is refused.
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
    border_km: float | None = None
    labels: tuple[str, ...] = ()
    version: int = 0
    created_at: str = ""
    updated_at: str = ""
    updated_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict (``communes`` as a list or ``None``)."""
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["communes"] = None if self.communes is None else list(self.communes)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Partner":
        """Build a partner from :meth:`to_dict` output (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if values.get("communes") is not None:
            values["communes"] = tuple(values["communes"])
        values["labels"] = tuple(values.get("labels") or ())
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
            elif name == "labels":
                changes[name] = tuple(sorted(set(self.labels) | set(value)))
            elif name == "communes":
                if value is not None:
                    changes[name] = value
            elif value not in (None, ""):
                changes[name] = value
        if incoming.border_km is not None or incoming.lon is not None:
            changes["border_km"] = incoming.border_km
        return dataclasses.replace(self, **changes)

    @property
    def is_demo(self) -> bool:
        """True for a partner of the FICTITIOUS demo directory."""
        return self.source == DEMO_SOURCE or self.key.startswith("DEMO:")

    @property
    def neighbour(self) -> bool:
        """Outside the 12 departments but within :data:`NEIGHBOUR_KM` of their border."""
        return self.outside_territory and self.border_km is not None and self.border_km <= NEIGHBOUR_KM


def clean_labels(labels) -> tuple[str, ...]:
    """Labels as stored: trimmed, lower case, sorted, no duplicates, no empty ones.

    Examples
    --------
    >>> clean_labels(["Convention", " réseau psycho-oncologie ", "convention", ""])
    ('convention', 'réseau psycho-oncologie')
    """
    if isinstance(labels, str):
        labels = labels.replace(",", ";").split(";")
    return tuple(sorted({" ".join(str(x).split()).lower() for x in labels or () if str(x).strip()}))


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Partner))


@dataclass(frozen=True)
class Issue:
    """A validation finding: ``level`` is ``"error"`` (row rejected) or ``"warning"``.

    ``code`` and ``params`` name it for the French catalogue (``app.messages.partners``);
    ``message`` is the English line for logs (and the text shown when there is no code).
    """

    level: str
    field: str
    message: str
    code: str = ""
    params: dict = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.message


@dataclass
class PartnerRecord:
    """A partner read from a file, before validation: ``row`` is the 1-based line or sheet row."""

    row: int
    partner: Partner
    issues: list[Issue] = field(default_factory=list)
