"""What a command works on: the files given, else the team workspace of the database.

``--plan``/``--patients``/``--workers`` still name files; without them a
command takes the workspace's current plan version, counts and team
(:mod:`services.workspace`).
"""
from __future__ import annotations

from pathlib import Path

from app.cli import CommandError


def database(args):
    """The database of ``--db`` (else ``$SECTEURS_DB``, else the per-user file), every schema applied."""
    from services.storage import open_database

    return open_database(getattr(args, "db", None))


def _existing(path: Path) -> Path:
    from geo.reading import check_path

    return check_path(path)


def team(args, conn=None):
    """The team of ``--workers`` (a file), else ``None``."""
    from geo.sectors.io import read_team

    path = getattr(args, "workers", None)
    return read_team(_existing(path)) if path else None


def plan_record(args, conn, *, option: str = "plan"):
    """The plan of ``--plan`` (a file, with ``--workers`` as its team), else the workspace's current version.

    Raises
    ------
    SecteursError
        ``workspace.no_plan`` when neither exists.
    """
    from geo.sectors.io import read_plan_record
    from services import workspace

    path = getattr(args, option, None)
    given_team = team(args)
    if path:
        record = read_plan_record(_existing(path), team=given_team)
        return record.replace(label=Path(path).name)
    record = workspace.require_plan(conn)
    return record.replace(team=given_team) if given_team is not None else record


def counts(args, conn, *, required: bool = True):
    """``(counts, label, demo)``: ``--patients`` (a counts file), else the workspace's counts.

    Returns ``(None, "", False)`` when neither exists and ``required`` is false.
    """
    from geo.patients import read_counts
    from services import workspace

    path = getattr(args, "patients", None)
    if path:
        data = _existing(path).read_bytes()
        return read_counts(data, Path(path).name), Path(path).name, workspace.says_fictitious(data)
    frame, info = workspace.current_counts(conn), workspace.counts_info(conn)
    if frame is None:
        if required:
            workspace.require_counts(conn)
        return None, "", False
    return frame, info.label, info.demo
