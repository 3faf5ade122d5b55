"""The directory as the app shows it: a filtered table, a partner as form fields and back.

:func:`filter_partners`
    Rows of :func:`partners.list_partners` matching a free text (name,
    commune, FINESS, RPPS, postal code; case and accents ignored), types,
    departments and a sector.
:func:`form_values`, :func:`from_form`
    A partner as the text of a form's fields (decimal comma, communes
    separated by spaces), and the edited partner from those fields.
:func:`form_errors`
    The errors of an edited partner, by field (what :func:`partners.save_partner`
    would refuse), to show each one next to its field.
"""
from __future__ import annotations

import pandas as pd

from partners.model import Partner, clean_labels

#: The partner fields a form edits (besides the type), in display order.
FORM_FIELDS = ("name", "address", "code_insee", "postal_code", "commune", "phone", "email", "website", "finess",
               "rpps", "adeli", "lon", "lat", "communes", "labels", "notes")


def display_name(type: str, name: str) -> str:
    """A partner's name as a list shows it after its type: the type is not repeated when the name
    already starts with it ("CPTS (fictive) Bourg" stays, "Bourg" becomes "CPTS Bourg").

    Examples
    --------
    >>> display_name("CPTS", "CPTS (fictive) Bourg-en-Bresse et environs")
    'CPTS (fictive) Bourg-en-Bresse et environs'
    >>> display_name("HAD", "Soins et santé")
    'HAD Soins et santé'
    """
    from partners.validation import normalize_name

    words = normalize_name(name).split()
    if words and words[0] == normalize_name(type):
        return str(name)
    return f"{type} {name}"


def labels_of(table: pd.DataFrame) -> list[str]:
    """Every label used in a :func:`partners.list_partners` table, sorted."""
    found = set()
    for text in table["labels"].fillna(""):
        found.update(clean_labels(text))
    return sorted(found)


def _degrees(value) -> str:
    return "" if value is None else f"{value:g}".replace(".", ",")


def form_values(partner: Partner) -> dict[str, str]:
    """Each :data:`FORM_FIELDS` of a partner as the text a form shows.

    Examples
    --------
    >>> form_values(Partner(type="HAD", name="HAD", lon=4.85, lat=45.75, communes=("69383", "69388")))["lon"]
    '4,85'
    """
    values = {}
    for field in FORM_FIELDS:
        value = getattr(partner, field)
        if field in ("lon", "lat"):
            values[field] = _degrees(value)
        elif field == "communes":
            values[field] = " ".join(value or ())
        elif field == "labels":
            values[field] = "; ".join(value or ())
        else:
            values[field] = str(value or "")
    return values


def from_form(base: Partner, type: str, values: dict[str, str]) -> Partner:
    """The partner ``base`` edited with a form's text fields (a new one when ``base.id`` is None).

    A position typed or changed is an address position; a position cleared
    lets the store place the partner at its commune's point; an untouched one
    keeps its precision. An emptied zone means "covers no commune"; a zone
    never known stays unknown.

    Examples
    --------
    >>> base = Partner(type="CCAS", name="CCAS", code_insee="69383", lon=4.85, lat=45.76, precision="town_hall")
    >>> edited = from_form(base, "CCAS", {**form_values(base), "phone": "0472112233"})
    >>> edited.precision, edited.phone, edited.lon
    ('town_hall', '0472112233', 4.85)
    """
    values = {field: str(values.get(field, "") or "").strip() for field in FORM_FIELDS}
    lon, lat = values.pop("lon"), values.pop("lat")
    zone = tuple(values.pop("communes").replace(",", " ").replace(";", " ").split())
    labels = clean_labels(values.pop("labels"))
    moved = (lon, lat) != (_degrees(base.lon), _degrees(base.lat))
    if moved:
        precision = "address" if lon or lat else ""
        position = {"lon": lon or None, "lat": lat or None}
    else:
        precision, position = base.precision, {"lon": base.lon, "lat": base.lat}
    communes = zone if zone else (None if base.communes is None else ())
    return base.replace(type=type, precision=precision, communes=communes, labels=labels, **position, **values)


def form_errors(partner: Partner, places=None) -> dict[str, list]:
    """The errors that would stop :func:`partners.save_partner`, by field (``""``: not tied to a field).

    Each error is an :class:`~partners.model.Issue` (its ``code`` and ``params`` give the French
    message, ``params["candidates"]`` the communes a town name could mean)."""
    from partners.store import prepare_partner

    _, issues = prepare_partner(partner, places)
    errors: dict[str, list[str]] = {}
    for issue in issues:
        if issue.level == "error":
            errors.setdefault(issue.field if issue.field in FORM_FIELDS + ("type",) else "", []).append(issue)
    return errors


def filter_partners(table: pd.DataFrame, text: str = "", types=(), departements=(),
                    sectors: dict[str, str] | None = None, sector: str | None = None, labels=()) -> pd.DataFrame:
    """The rows of a :func:`partners.list_partners` table that match every filter given.

    Parameters
    ----------
    table
        The directory table.
    text
        Every word of it is searched in the name, commune, FINESS, RPPS and
        postal code (case, accents, hyphens and "St"/"Ste" ignored).
    types, departements
        Keep these types / departments (of the partner's unit) only; empty: all.
    sectors
        ``{code_insee: sector}`` of a plan; adds a ``sector`` column.
    sector
        Keep the partners of this sector only (needs ``sectors``).
    labels
        Keep the partners carrying every one of these labels.

    Returns
    -------
    pandas.DataFrame
        The matching rows with a ``departement`` column (and ``sector``).
    """
    from geo.lookup import normalize_name

    view = table.copy()
    view["departement"] = view["code_insee"].fillna("").str[:2]
    if sectors is not None:
        view["sector"] = view["code_insee"].map(sectors).fillna("")
    if str(text or "").strip():
        haystack = (view["name"].fillna("") + " " + view["commune"].fillna("") + " " + view["finess"].fillna("")
                    + " " + view["rpps"].fillna("") + " " + view["postal_code"].fillna("")).map(normalize_name)
        keep = pd.Series(True, index=view.index)
        for word in normalize_name(text).split():
            keep &= haystack.str.contains(word, regex=False)
        view = view[keep]
    if len(types):
        view = view[view["type"].isin(list(types))]
    if len(departements):
        view = view[view["departement"].isin(list(departements))]
    for label in clean_labels(labels):
        view = view[view["labels"].fillna("").map(lambda text, label=label: label in clean_labels(text))]
    if sector:
        if sectors is None:
            raise TypeError("sector: give the plan's sectors ({code_insee: sector}) to filter by sector")
        view = view[view["sector"] == sector]
    return view
