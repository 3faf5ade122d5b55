"""Exports of the directory (CSV/XLSX re-importable, GeoJSON) and the import preview (dry run)."""
from __future__ import annotations

import io
import json

import pandas as pd
from partner_files import FINESS_2019, TEMPLATE, ZONES

from partners.export import export_bytes, export_frame
from partners.importer import import_partners
from partners.preview import preview_import
from partners.store import list_partners, partner_history


def counts(report):
    return {k: getattr(report, k) for k in ("created", "updated", "unchanged", "rejected")}


def test_preview_gives_the_real_report_and_writes_nothing(conn, places):
    import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    before, history = list_partners(conn), len(partner_history(conn))
    preview = preview_import(conn, ZONES, "zones", author="a", places=places)
    assert counts(preview) == dict(created=0, updated=2, unchanged=0, rejected=2)
    pd.testing.assert_frame_equal(list_partners(conn), before)
    assert len(partner_history(conn)) == history
    real = import_partners(conn, ZONES, "zones", author="a", places=places)
    assert counts(real) == counts(preview)
    assert [(r.row, r.reason) for r in real.rejects] == [(r.row, r.reason) for r in preview.rejects]
    fresh = preview_import(conn, TEMPLATE, "csv", places=places)
    assert fresh.created == 3 and len(list_partners(conn)) == len(before)


def test_exports_round_trip(conn, places, tmp_path):
    import_partners(conn, FINESS_2019, "finess", author="a", places=places)
    import_partners(conn, ZONES, "zones", author="a", places=places)
    frame = export_frame(conn)
    assert frame.columns.tolist()[:3] == ["type", "nom", "adresse"] and frame.columns[-1] == "id"
    assert len(frame) == len(list_partners(conn))
    assert (frame["communes_couvertes"] != "").sum() == 2
    path = tmp_path / "annuaire.csv"
    path.write_bytes(export_bytes(conn, "csv"))
    again = import_partners(conn, path, "csv", author="a", places=places)
    assert (again.created, again.updated, again.rejected) == (0, 0, 0)
    xlsx = pd.read_excel(io.BytesIO(export_bytes(conn, "xlsx")), dtype=str)
    assert xlsx["nom"].tolist() == frame["nom"].tolist()
    geo = json.loads(export_bytes(conn, "geojson"))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(frame)
    located = [f for f in geo["features"] if f["geometry"]]
    assert located and all(-6 < f["geometry"]["coordinates"][0] < 10 for f in located)
    subset = export_frame(conn, list_partners(conn, type="HAD"))
    assert set(subset["type"]) == {"HAD"}
