"""``secteurs app [--port N] [--address A] [--auth local|oidc] [--db DB]``: run the Streamlit app.

On localhost it needs nothing; on any other address it refuses to start
without authentication (see :mod:`app.serving`).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.cli import add_db_argument

MAIN = Path(__file__).resolve().parent.parent / "main.py"


def register(subparsers) -> None:
    parser = subparsers.add_parser("app", help="ouvrir l'application dans le navigateur (Streamlit)")
    parser.add_argument("--port", type=int, default=8501, help="port HTTP (par défaut : 8501)")
    parser.add_argument("--address", default="localhost",
                        help="adresse d'écoute (par défaut : localhost ; 0.0.0.0 pour le réseau de l'équipe, "
                             "qui demande --auth)")
    parser.add_argument("--auth", choices=("local", "oidc"),
                        help="connexion : local = comptes de la base (secteurs users add), "
                             "oidc = le fournisseur d'identité de l'hôpital (demande --secrets)")
    parser.add_argument("--secrets", help="secrets.toml avec la section [auth] du fournisseur d'identité "
                                          "(--auth oidc)")
    parser.add_argument("--base-url-path", default="",
                        help="chemin d'URL derrière un proxy inverse, par ex. secteurs pour https://intranet/secteurs/")
    add_db_argument(parser)
    parser.set_defaults(handler=_run)


def streamlit_command(port: int, address: str = "localhost", extra: list[str] = ()) -> list[str]:
    """The ``streamlit run`` command line (headless: the user opens the printed URL).

    It goes through :mod:`app.serve`, which is ``streamlit run`` plus a
    background preload of the heavy imports, so the first page opens faster.
    """
    return [sys.executable, "-m", "app.serve", str(MAIN),
            "--server.headless=true", f"--server.port={port}", f"--server.address={address}",
            "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
            "--global.developmentMode=false",
            "--client.toolbarMode=viewer",  # no "Deploy" button for hospital staff
            # Streamlit collects the whole heap (territory, pandas...) after every script run by default:
            # ~0.1 s holding the GIL per page, more than most pages' own work (issue 15, 12 sessions)
            "--runner.postScriptGC=false",
            *extra]


def _run(args) -> int:
    from app.serving import serving_options
    from geo.paths import DB_ENV, resolve_db_path

    env = dict(os.environ)
    db_path = resolve_db_path(args.db).resolve()
    if args.db:
        env[DB_ENV] = str(db_path)
    options, auth_env = serving_options(args.address, args.auth, db_path=db_path, secrets=args.secrets)
    env.update(auth_env)
    print(f"secteurs: http://{args.address}:{args.port}", flush=True)
    if args.base_url_path.strip("/"):
        options.append(f"--server.baseUrlPath={args.base_url_path.strip('/')}")
    server = subprocess.Popen(streamlit_command(args.port, args.address, options), env=env)

    def forward(signum, _frame):  # stopping `secteurs app` stops the server it started
        server.send_signal(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), forward)
    try:
        return server.wait()
    except KeyboardInterrupt:  # Ctrl+C reached the server too (same process group)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        return 0
