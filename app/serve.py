"""The app's server process: ``streamlit run`` with the first page's work done in advance.

Streamlit runs a page's script only when a browser connects, so the first
visitor would wait for geopandas and the partner package to import
(about 2.5 s), the territory to load and, on a first start, the display
geometry to be built and the FICTITIOUS demo directory to be loaded into an
empty database. This entry point starts that work in a background thread
while Streamlit's own command line starts the server: by the time the first
browser connects, it is done (or the page waits for the rest of it).

It also puts the security headers (:mod:`app.security_headers`) on every
HTTP response of the server, before it starts.

Usage: ``python -m app.serve app/main.py [streamlit options]`` (what
``secteurs app`` runs).
"""
from __future__ import annotations

import gc
import sys
import threading


def preload() -> None:
    """Import and load what every page needs (errors are left for the page to report)."""
    # Not app.map: a component declared outside a script run is not registered, and the
    # map's files would then not be served.
    try:
        import partners
        from services.storage import open_database
        from geo.display import departement_labels, units_geojson
        from geo.territory import territory

        land = territory()  # the process-wide territory every page then uses
        land.units
        units_geojson(land)
        departement_labels(land)
        conn = open_database()  # $SECTEURS_DB, set by ``secteurs app --db``
        try:
            partners.ensure_demo_directory(conn)  # what the app does on its first connection
        finally:
            conn.close()
    except Exception:  # pragma: no cover - the page shows the error with its context
        pass
    # What is loaded now lives as long as the server: out of the collector's sight, the
    # collections that pages' allocations trigger stay short (a full one walked all of it).
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    from app.security_headers import install

    install()  # before Streamlit builds its server
    threading.Thread(target=preload, name="secteurs-preload", daemon=True).start()
    from streamlit.web import cli

    cli.main(args=["run", *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":
    main()
