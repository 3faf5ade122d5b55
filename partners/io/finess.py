"""Reader of the public FINESS establishment extract (etalab ``cs1100507`` stock).

Layout (``;`` separated, no header row):

* line 1, a marker: ``finess;etalab;<version>;<date>``;
* ``structureet`` lines, 32 fields: structureet, nofinesset, nofinessej, rs,
  rslongue, complrs, compldistrib, numvoie, typvoie, voie, compvoie,
  lieuditbp, commune (3 digits), departement, libdepartement,
  ligneacheminement (``69003 LYON``), telephone, telecopie, categetab,
  libcategetab, categagretab, libcategagretab, siret, codeape, codemft,
  libmft, codesph, libsph, dateouv, dateautor, datemaj, numuai;
* ``geolocalisation`` lines: geolocalisation, nofinesset, coordxet, coordyet,
  sourcecoordet, datemaj.

Older files are Windows-1252, newer ones UTF-8 (detected). Coordinates are
Lambert-93 in metropolitan France (UTM zones overseas) and converted to WGS84
with pyproj; ``sourcecoordet`` (``1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93``
and its variants) gives the projection and the precision.
"""
from __future__ import annotations

import re

import numpy as np

from geo.errors import SecteursError
from geo.reading import csv_rows, text_lines
from partners.io._common import ReadResult, as_source, decode, error, iso_date
from partners.model import Partner, PartnerRecord

STRUCTURE_FIELDS = (
    "structureet", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie",
    "typvoie", "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement",
    "ligneacheminement", "telephone", "telecopie", "categetab", "libcategetab", "categagretab",
    "libcategagretab", "siret", "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv",
    "dateautor", "datemaj", "numuai",
)
GEO_FIELDS = ("geolocalisation", "nofinesset", "coordxet", "coordyet", "sourcecoordet", "datemaj")

#: ``source`` of the partners read (the extract's date goes to ``source_date``).
SOURCE = "FINESS (extraction etalab)"

#: FINESS establishment categories imported by default, and the partner type of each.
DEFAULT_CATEGORIES = {"127": "HAD", "604": "CPTS", "606": "DAC", "354": "SSIAD"}

#: FINESS overseas department letters -> INSEE department prefix.
OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}

#: Projections named in ``sourcecoordet`` (normalised token -> CRS).
PROJECTIONS = {
    "LAMBERT93": "EPSG:2154", "L93": "EPSG:2154", "EPSG2154": "EPSG:2154", "2154": "EPSG:2154",
    "RGF93": "EPSG:2154",
    "UTMN20": "EPSG:5490", "UTM20N": "EPSG:5490",     # Guadeloupe, Martinique (RGAF09)
    "UTMN22": "EPSG:2972", "UTM22N": "EPSG:2972",     # Guyane (RGFG95)
    "UTMS40": "EPSG:2975", "UTM40S": "EPSG:2975",     # La Réunion (RGR92)
    "UTMS38": "EPSG:4471", "UTM38S": "EPSG:4471",     # Mayotte (RGM04)
    "UTMN21": "EPSG:4467", "UTM21N": "EPSG:4467",     # Saint-Pierre-et-Miquelon (RGSPM06)
    "WGS84": "EPSG:4326", "EPSG4326": "EPSG:4326", "4326": "EPSG:4326",
}
#: Default projection by INSEE department prefix when ``sourcecoordet`` names none.
DEFAULT_PROJECTION = {"971": "EPSG:5490", "972": "EPSG:5490", "973": "EPSG:2972", "974": "EPSG:2975",
                      "976": "EPSG:4471", "975": "EPSG:4467"}
#: Words of ``sourcecoordet`` meaning the point is only the commune's (centroid, chief town).
_COMMUNE_WORDS = ("COMMUNE", "CENTROID", "CENTROIDE", "CHEF_LIEU", "CHEFLIEU", "MAIRIE", "LOCALITE")


def parse_coordinate_source(text: str) -> tuple[str, str | None]:
    """Precision and projection named by a FINESS ``sourcecoordet`` value.

    The field lists a quality code, the geocoder, a score, the reference data,
    its version and the projection, e.g. ``1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93``.
    Separators (``,`` ``|`` ``/`` spaces), case and the projection's spelling
    (``LAMBERT_93``, ``LAMBERT-93``, ``Lambert 93``, ``EPSG:2154``) vary
    between files. Quality 1-2 (house number, street) or address reference
    data mean ``address``; quality 3 and above, or commune-level reference
    data (chief town, centroid), mean ``commune``.

    Returns
    -------
    tuple
        ``(precision, crs)``; ``crs`` is ``None`` when no projection is named.

    Examples
    --------
    >>> parse_coordinate_source("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93")
    ('address', 'EPSG:2154')
    >>> parse_coordinate_source("3|atlasante|40|insee|chef_lieu|2019|epsg:2154")
    ('commune', 'EPSG:2154')
    """
    upper = (text or "").upper()
    compact = re.sub(r"[\s_\-:.]", "", upper)
    crs = None
    for token in sorted(PROJECTIONS, key=len, reverse=True):
        if token in compact and not (token.isdigit() and not re.search(rf"(?<!\d){token}(?!\d)", compact)):
            crs = PROJECTIONS[token]
            break
    tokens = [t for t in re.split(r"[,|/;\s]+", upper) if t]
    quality = next((int(t) for t in tokens if t.isdigit() and len(t) == 1), None)
    commune_level = any(word in upper.replace("-", "_").replace(" ", "_") for word in _COMMUNE_WORDS)
    if commune_level or (quality is not None and quality >= 3):
        precision = "commune"
    else:
        precision = "address"
    return precision, crs


def insee_code(departement: str, commune: str) -> str:
    """INSEE code of a FINESS (departement, 3-digit commune) pair.

    ``01`` + ``451`` -> ``01451``; ``2A`` + ``004`` -> ``2A004``; overseas the
    3-digit commune already carries the department's last digit: ``9A`` +
    ``101`` -> ``97101``.
    """
    departement = departement.strip().upper()
    commune = commune.strip()
    if not commune:
        return ""
    commune = commune.zfill(3)
    if departement in OVERSEAS or departement.startswith("97"):
        return "97" + commune
    return departement.zfill(2) + commune


def read_finess(source, categories=None, *, filename: str | None = None) -> ReadResult:
    """Read the establishments of chosen categories from a FINESS extract.

    Parameters
    ----------
    source
        The extract (``etalab-cs1100507-stock-*.csv``): a path, bytes with ``filename`` or an upload.
    categories
        FINESS category codes to keep (iterable of str) or a mapping code ->
        partner type; default :data:`DEFAULT_CATEGORIES`. Codes outside the
        default mapping become type ``AUTRE``.

    Returns
    -------
    ReadResult

    Raises
    ------
    SecteursError
        ``partners.not_finess``: the first line is not the ``finess;etalab`` marker.
    """
    source = as_source(source, filename)
    mapping = _category_mapping(categories)
    text, encoding = decode(source.read(), source.name)
    lines = text.splitlines()
    result = ReadResult(format="finess", encoding=encoding)
    if not lines or not lines[0].lower().startswith("finess;"):
        first = lines[0][:60] if lines else ""
        raise SecteursError("partners.not_finess", file=source.name, first=first[:60])
    marker = lines[0].split(";")
    result.source_date = iso_date(marker[3]) if len(marker) > 3 else ""
    structures: list[tuple[int, dict]] = []
    geo: dict[str, tuple[int, dict]] = {}
    for number, fields in csv_rows(text_lines("\n".join(lines[1:])), source.name, delimiter=";", first_line=2):
        if not fields or not "".join(fields).strip():
            continue
        kind = fields[0].strip().lower()
        if kind == "structureet":
            if fields and fields[-1] == "" and len(fields) == len(STRUCTURE_FIELDS) + 1:
                fields = fields[:-1]
            if len(fields) < len(STRUCTURE_FIELDS) - 1:
                result.rejects.append(error(number, f"structureet line has {len(fields)} fields, "
                                                    f"expected {len(STRUCTURE_FIELDS)}", "partners.finess_short_line",
                                                    fields=len(fields), expected=len(STRUCTURE_FIELDS)))
                continue
            structures.append((number, dict(zip(STRUCTURE_FIELDS, (f.strip() for f in fields)))))
        elif kind == "geolocalisation":
            if len(fields) < 4:
                result.rejects.append(error(number, f"geolocalisation line has {len(fields)} fields, expected 6",
                                                    "partners.finess_short_geo", fields=len(fields)))
                continue
            values = dict(zip(GEO_FIELDS, (f.strip() for f in fields)))
            geo[values["nofinesset"]] = (number, values)
        else:
            result.rejects.append(error(number, f"unknown line type {fields[0][:30]!r}; "
                                                "expected structureet or geolocalisation", "partners.finess_line_type",
                                                    kind=fields[0][:30]))
    positions = _positions(structures, geo, result)
    for number, values in structures:
        category = values["categetab"]
        if category not in mapping:
            result.skip("other_category")
            continue
        lon, lat, precision = positions.get(values["nofinesset"], (None, None, ""))
        acheminement = values["ligneacheminement"]
        match = re.match(r"(\d{5})\s*(.*)", acheminement)
        postal_code, commune = (match.group(1), match.group(2)) if match else ("", acheminement)
        commune = re.sub(r"\s+CEDEX(\s+\d+)?$", "", commune, flags=re.I).strip()
        address = " ".join(v for v in (values["numvoie"], values["typvoie"], values["voie"], values["compvoie"]) if v)
        if values["lieuditbp"]:
            address = f"{address}, {values['lieuditbp']}" if address else values["lieuditbp"]
        partner = Partner(
            type=mapping[category],
            name=values["rslongue"] or values["rs"],
            address=address,
            code_insee=insee_code(values["departement"], values["commune"]),
            postal_code=postal_code,
            commune=commune.title() if commune.isupper() else commune,
            lon=lon, lat=lat, precision=precision,
            phone=values["telephone"],
            finess=values["nofinesset"],
            category=category,
            notes=values["libcategetab"],
            source=SOURCE,
            source_date=iso_date(values["datemaj"]) or result.source_date,
        )
        result.records.append(PartnerRecord(number, partner))
    return result


def _category_mapping(categories) -> dict[str, str]:
    if categories is None:
        return dict(DEFAULT_CATEGORIES)
    if isinstance(categories, str):
        categories = [c for c in re.split(r"[,\s]+", categories) if c]
    if isinstance(categories, dict):
        return {str(k): v for k, v in categories.items()}
    return {str(code): DEFAULT_CATEGORIES.get(str(code), "AUTRE") for code in categories}


def _positions(structures, geo, result: ReadResult) -> dict[str, tuple[float, float, str]]:
    """WGS84 positions of the establishments, converted in one pyproj call per projection."""
    from partners.places import to_wgs84

    by_crs: dict[str, list[tuple[str, float, float, str]]] = {}
    wanted = {values["nofinesset"]: values for _, values in structures}
    for finess, (number, values) in geo.items():
        if finess not in wanted:
            continue
        try:
            x = float(values["coordxet"].replace(",", "."))
            y = float(values["coordyet"].replace(",", "."))
        except ValueError:
            if values["coordxet"] or values["coordyet"]:
                result.rejects.append(error(number, f"FINESS {finess}: coordinates "
                                                    f"{values['coordxet']!r}, {values['coordyet']!r} are not numbers; "
                                                    "position ignored", "partners.finess_bad_coordinates",
                                                    finess=finess, x=values["coordxet"], y=values["coordyet"]))
            continue
        precision, crs = parse_coordinate_source(values.get("sourcecoordet", ""))
        if crs is None:
            departement = insee_code(wanted[finess]["departement"], wanted[finess]["commune"])[:3]
            crs = DEFAULT_PROJECTION.get(departement, "EPSG:2154")
        by_crs.setdefault(crs, []).append((finess, x, y, precision))
    positions = {}
    for crs, items in by_crs.items():
        xy = np.array([(x, y) for _, x, y, _ in items], dtype=float)
        lonlat = xy if crs == "EPSG:4326" else to_wgs84(xy, crs)
        for (finess, _, _, precision), (lon, lat) in zip(items, lonlat):
            positions[finess] = (round(float(lon), 6), round(float(lat), 6), precision)
    return positions
