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
    parser = subparsers.add_parser("app", help="open the application in the browser (Streamlit)")
    parser.add_argument("--port", type=int, default=8501, help="HTTP port (default: 8501)")
    parser.add_argument("--address", default="localhost",
                        help="address to listen on (default: localhost; 0.0.0.0 for the team's network, "
                             "which needs --auth)")
    parser.add_argument("--auth", choices=("local", "oidc"),
                        help="sign-in: local = accounts of the database (secteurs users add), "
                             "oidc = the hospital's identity provider (needs --secrets)")
    parser.add_argument("--secrets", help="secrets.toml with the [auth] section of the identity provider "
                                          "(--auth oidc)")
    parser.add_argument("--base-url-path", default="",
                        help="URL path behind a reverse proxy, e.g. secteurs for https://intranet/secteurs/")
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
