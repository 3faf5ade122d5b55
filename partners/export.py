"""Exporting the directory: CSV and XLSX in the template's columns (re-importable), GeoJSON points.

The CSV and XLSX files have the columns of the hand-kept template
(:data:`partners.io.template.COLUMNS`, ``id`` included), so a file exported,
edited in a spreadsheet and imported back with format ``csv`` updates the
same partners. The GeoJSON has one Point feature per partner (``null``
geometry when the position is unknown), in WGS84.
"""
from __future__ import annotations

import io
import json
import math
import sqlite3

import pandas as pd

from geo.safe_export import safe_frame
from partners.io.template import COLUMNS
from partners.store import list_partners

#: Export formats and their file suffix and MIME type.
EXPORT_FORMATS = {
    "csv": (".csv", "text/csv"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "geojson": (".geojson", "application/geo+json"),
}


def _communes(conn: sqlite3.Connection) -> dict[int, str]:
    rows = conn.execute("SELECT partner_id, group_concat(code_insee, ' ') FROM "
                        "(SELECT partner_id, code_insee FROM partner_communes ORDER BY partner_id, code_insee) "
                        "GROUP BY partner_id").fetchall()
    return {int(r[0]): r[1] for r in rows}


def export_frame(conn: sqlite3.Connection, partners: pd.DataFrame | None = None) -> pd.DataFrame:
    """The directory in the template's columns (French headers), one row per partner.

    Parameters
    ----------
    conn
        Open database.
    partners
        A subset of :func:`partners.store.list_partners` rows (e.g. the
        filtered table shown to the user); default: every partner.

    Returns
    -------
    pandas.DataFrame
        Columns ``type, nom, adresse, ... communes_couvertes, notes, source, id``.

    Examples
    --------
    >>> export_frame(conn).columns[:3].tolist()  # doctest: +SKIP
    ['type', 'nom', 'adresse']
    """
    frame = list_partners(conn) if partners is None else partners
    communes = _communes(conn)
    out = pd.DataFrame(index=frame.index)
    for header, field, _, _ in COLUMNS:
        if field == "communes":
            out[header] = [communes.get(int(i), "") for i in frame["id"]]
        elif field == "id":
            out[header] = frame["id"].astype(int)
        elif field in ("lon", "lat"):
            out[header] = frame[field].astype(float)
        else:
            out[header] = frame[field].fillna("").astype(str)
    return out.reset_index(drop=True)


def export_bytes(conn: sqlite3.Connection, format: str, partners: pd.DataFrame | None = None) -> bytes:
    """The directory as a file's bytes: ``csv`` (``;``, UTF-8 with BOM), ``xlsx`` or ``geojson``.

    Raises
    ------
    ValueError
        Unknown format.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format {format!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    frame = export_frame(conn, partners)
    if format in ("csv", "xlsx"):
        frame = safe_frame(frame)  # a name starting with "=" must not run as a formula
    if format == "csv":
        return ("\ufeff" + frame.to_csv(index=False, sep=";", lineterminator="\n")).encode("utf-8")
    if format == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name="Partenaires", index=False)
        return buffer.getvalue()
    return json.dumps(to_geojson(frame), ensure_ascii=False).encode("utf-8")


def to_geojson(frame: pd.DataFrame) -> dict:
    """A FeatureCollection of an :func:`export_frame` table (WGS84 points, ``null`` without position)."""
    features = []
    for record in frame.to_dict("records"):
        lon, lat = record.pop("lon"), record.pop("lat")
        located = not (lon is None or lat is None or math.isnan(lon) or math.isnan(lat))
        geometry = {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]} if located else None
        record["id"] = int(record["id"])
        features.append({"type": "Feature", "id": record["id"], "geometry": geometry, "properties": record})
    return {"type": "FeatureCollection", "features": features}
