"""``secteurs app [--port N] [--db DB]``: run the Streamlit app."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.cli import add_db_argument

MAIN = Path(__file__).resolve().parent.parent / "main.py"


def register(subparsers) -> None:
    parser = subparsers.add_parser("app", help="open the application in the browser (Streamlit)")
    parser.add_argument("--port", type=int, default=8501, help="HTTP port (default: 8501)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default: localhost; 0.0.0.0 for the team's network)")
    add_db_argument(parser)
    parser.set_defaults(handler=_run)


def streamlit_command(port: int, address: str = "localhost") -> list[str]:
    """The ``streamlit run`` command line (headless: the user opens the printed URL).

    It goes through :mod:`app.serve`, which is ``streamlit run`` plus a
    background preload of the heavy imports, so the first page opens faster.
    """
    return [sys.executable, "-m", "app.serve", str(MAIN),
            "--server.headless=true", f"--server.port={port}", f"--server.address={address}",
            "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
            "--global.developmentMode=false"]


def warm_up(db: str | None) -> None:
    """Build the on-disk caches the first page needs, so it opens fast.

    The display geometry, the adjacency graph and, for a directory that never
    had a partner, the FICTITIOUS demo directory (as the app itself would).
    """
    import partners
    from geo.adjacency import unit_edges
    from geo.database import connect
    from geo.display import departement_labels, units_geojson

    units_geojson()
    departement_labels()
    unit_edges()
    conn = connect(db)
    try:
        partners.ensure_demo_directory(conn)
    finally:
        conn.close()


def _run(args) -> int:
    from geo.paths import DB_ENV, resolve_db_path

    env = dict(os.environ)
    if args.db:
        env[DB_ENV] = str(resolve_db_path(args.db).resolve())
    print("secteurs: préparation de la carte et de l'annuaire...", flush=True)
    warm_up(env.get(DB_ENV))
    print(f"secteurs: http://{args.address}:{args.port}", flush=True)
    try:
        return subprocess.call(streamlit_command(args.port, args.address), env=env)
    except KeyboardInterrupt:
        return 0
