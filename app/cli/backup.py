"""``secteurs backup FILE`` and ``secteurs restore FILE``: copy the database out and back in.

Both use SQLite's online backup API, so the app may keep running (see
:mod:`services.backup`). ``restore`` needs ``--yes`` and keeps a copy of the
state it replaces.
"""
from __future__ import annotations

from app.cli import add_db_argument


def register(subparsers) -> None:
    save = subparsers.add_parser("backup", help="copier la base dans un nouveau fichier (l'application peut continuer de tourner)")
    save.add_argument("file", help="le fichier de sauvegarde à créer (jamais écrasé)")
    add_db_argument(save)
    save.set_defaults(handler=_backup)

    back = subparsers.add_parser("restore", help="remplacer la base par une sauvegarde (garde une copie de la base actuelle)")
    back.add_argument("file", help="un fichier écrit par secteurs backup")
    back.add_argument("--yes", action="store_true", help="confirmer : remplacer le contenu actuel")
    add_db_argument(back)
    back.set_defaults(handler=_restore)


def _backup(args) -> int:
    from geo.paths import resolve_db_path
    from services.backup import backup

    target = backup(resolve_db_path(args.db), args.file)
    print(f"sauvegarde écrite : {target}")
    return 0


def _restore(args) -> int:
    from geo.paths import resolve_db_path
    from services.backup import restore

    db_path = resolve_db_path(args.db)
    keep = restore(args.file, db_path, confirmed=args.yes)
    print(f"base {db_path} restaurée depuis {args.file}"
          + (f" ; l'état précédent est gardé dans {keep}" if keep else ""))
    return 0
