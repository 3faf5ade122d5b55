"""An ARS person signed in finds no patient count of 1 to 10 anywhere: page, tables, map tooltips, files.

The app is served with local accounts (``--auth local``, AppTest on the real
pages) on a database of its own whose counts hold small cells on purpose:
Cantal (15) has 7 patients, split 4 / 3 between the two sectors, and one
commune of Haute-Loire (43) has a single patient. The ARS person lands on
Couverture (the only page of the role); for every map indicator the page's
tables, metrics and texts, the map's tooltips and legend (the paint sent to
the browser) and every file the page offers (XLSX, CSV zip, PDF) are read.
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from app.serving import AUTH_ENV

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
from apptest_helpers import MAIN, assert_no_error, map_data, pages_on_database  # noqa: E402

PASSWORD = "mot de passe assez long"
#: A number followed by "patient": a count as a sentence gives it (not the rule's "de 1 à 10 patients").
COUNT_IN_TEXT = re.compile(r"(?<![\d,])(?<!à )(\d[\d\u202f\u00a0 ]*)\s*patient", re.IGNORECASE)


def _small(value) -> bool:
    text = str(value).replace("\u202f", "").replace("\u00a0", "").strip()
    return bool(re.fullmatch(r"\d+(\.0)?", text)) and 1 <= float(text) <= 10


def _counts(units) -> pd.DataFrame:
    """Large counts in Rhône and Isère; 7 in Cantal (4 and 3), 1 in Haute-Loire: cells to mask."""
    codes = units.set_index("code_insee")["departement"].astype(str)
    big = [c for c in codes.index if codes[c] in ("69", "38")][:300]
    cantal = [c for c in codes.index if codes[c] == "15"][:2]
    haute_loire = [c for c in codes.index if codes[c] == "43"][:1]
    return pd.DataFrame({"code_insee": big + cantal + haute_loire,
                         "patients": [12 + i % 30 for i in range(len(big))] + [4, 3, 1]})


@pytest.fixture(scope="module")
def ars_page(tmp_path_factory, units):
    """Couverture as the ARS person sees it, and the files its download buttons hold."""
    from geo.access import act_as, local_user
    from services import accounts, workspace
    from services.storage import open_database

    counts = _counts(units)
    cantal = counts["code_insee"][counts["code_insee"].str.startswith("15")].tolist()
    departement = units["departement"].astype(str)
    # Métropole: Rhône and one Cantal commune (a cell of 4); Région: the rest (Cantal's other 3)
    sector = ["Métropole" if d == "69" or c == cantal[0] else "Région"
              for c, d in zip(units["code_insee"], departement)]
    db = tmp_path_factory.mktemp("ars") / "secteurs.sqlite"
    conn = open_database(db)
    with act_as(local_user()):
        accounts.add_user(conn, "ars", "ARS", password=PASSWORD, name="Agence régionale")
        workspace.set_counts(conn, counts, "export_test.csv")
        workspace.save_version(conn, "Plan ARS (test)",
                               pd.DataFrame({"code_insee": units["code_insee"], "sector": sector}))
    conn.close()
    files: dict[str, bytes] = {}
    keep = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        """The real storage, with a copy of each download's bytes kept for the test."""
        if filename and isinstance(path_or_data, bytes):
            files[filename] = path_or_data
        return keep(self, path_or_data, mimetype, kind, filename)

    deferred: dict[str, object] = {}
    keep_deferred = MediaFileManager.add_deferred

    def register(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        """The real registration, with the callable kept: the test makes the file as a click would."""
        if file_name:
            deferred[file_name] = data_callable
        return keep_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    def offered() -> dict[str, bytes]:
        """Every file the page offers: those stored with the page, and those made when clicked."""
        made = {name: make() for name, make in deferred.items()}
        return {**files, **{name: data if isinstance(data, bytes) else data.encode() for name, data in made.items()}}

    import geo.access

    with pages_on_database(db, **{AUTH_ENV: "local"}) as patch:
        patch.setitem(geo.access._RESOLVER, "resolve", None)  # the gate sets it for the process
        patch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
        patch.setattr(MediaFileManager, "add_deferred", register)
        at = AppTest.from_file(str(MAIN), default_timeout=300).run()
        at.text_input(key="login_name").input("ars")
        at.text_input(key="login_password").input(PASSWORD)
        yield at.button[0].click().run(), offered


def _paint(at: AppTest) -> dict:
    """The paint the map component receives (fills, tooltips, legend)."""
    return map_data(at)["paint"]


def _texts(at: AppTest) -> list[str]:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success]
    parts += [f"{m.value} {m.label}" for m in at.metric]
    return [str(p) for p in parts]


def _assert_no_small_count(at: AppTest, where: str) -> None:
    for frame in (d.value.reset_index() for d in at.dataframe):
        columns = [c for c in frame.columns if "atient" in str(c)]
        if "Département" in frame.columns and not columns and "Secteur" not in frame.columns:
            columns = [c for c in frame.columns if c not in ("Département", "index")]  # the department x sector grid
        for column in columns:
            bad = [v for v in frame[column] if _small(v)]
            assert not bad, (where, column, bad[:5])
    for text in _texts(at):
        assert not [n for n in COUNT_IN_TEXT.findall(text) if _small(n)], (where, text)
    paint = _paint(at)
    for code, tip in (paint.get("tips") or {}).items():
        assert not [n for n in COUNT_IN_TEXT.findall(tip) if _small(n)], (where, code, tip)
    legend = paint.get("legend") or {}
    for item in legend.get("items", []):
        assert not _small(item[1]), (where, item)


def test_the_ars_person_sees_couverture_only_with_the_mode_forced(ars_page):
    at, _ = ars_page
    assert_no_error(at)
    assert at.title[0].value == "Couverture"
    toggle = at.toggle(key="couverture_ars")
    assert toggle.value is True and toggle.disabled
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/secteurs.py")  # not a page of this session


def test_no_count_of_1_to_10_in_the_page_or_the_map_for_any_indicator(ars_page):
    at, _ = ars_page
    options = at.selectbox(key="couverture_indicator").options
    assert len(options) >= 10
    seen_masked = False
    for option in options:
        at.selectbox(key="couverture_indicator").select(option).run()
        assert_no_error(at)
        _assert_no_small_count(at, option)
        tips = " ".join((_paint(at).get("tips") or {}).values())
        seen_masked = seen_masked or "< 11" in tips or "masqué" in tips
    assert seen_masked  # the tooltips do speak of patients, masked
    # the small cells exist and were masked, not absent: the department table says "< 11" for Cantal
    departements = at.dataframe[0].value.reset_index()
    row = departements[departements["Département"].astype(str).str.startswith("15")]
    assert row["Patients"].astype(str).tolist() == ["< 11"]


def test_no_count_of_1_to_10_in_any_file_offered(ars_page):
    at, offered = ars_page
    at.button(key="couverture_pdf_prepare").click().run()
    assert_no_error(at)
    files = offered()
    names = set(files)
    assert {n for n in names if n.endswith(".xlsx")} and {n for n in names if n.endswith(".zip")}
    assert {n for n in names if n.endswith(".pdf")}
    for name, data in files.items():
        if name.endswith(".xlsx"):
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            for sheet in book.worksheets:
                rows = list(sheet.iter_rows(values_only=True))
                if not rows:
                    continue
                for i in [i for i, h in enumerate(rows[0]) if "patient" in str(h).lower()]:
                    assert not [r[i] for r in rows[1:] if _small(r[i])], (name, sheet.title, rows[0][i])
        elif name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    table = pd.read_csv(archive.open(member), sep=";", dtype=str, comment=None)
                    for column in [c for c in table.columns if "patient" in c.lower()]:
                        assert not [v for v in table[column] if _small(v)], (member, column)
        elif name.endswith(".pdf"):
            from pypdf import PdfReader

            text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
            assert "< 11" in text
            assert not [n for n in COUNT_IN_TEXT.findall(text) if _small(n)], name
