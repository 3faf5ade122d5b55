"""The team: one sector per worker, targets proportional to FTE, optional groups and base communes."""
from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

import pandas as pd

from geo.sectors.problem import SectorError

#: Accepted headers (lower case, accents removed) for each workers.csv column.
HEADERS = {
    "name": ("name", "nom", "worker", "referent", "referente", "prenom nom", "assistante sociale",
             "assistant social", "as"),
    "fte": ("fte", "etp", "quotite", "temps"),
    "group": ("group", "groupe", "equipe", "team"),
    "base": ("base", "code_insee", "base_insee", "commune", "commune de base", "base commune", "insee"),
}


@dataclasses.dataclass(frozen=True)
class Team:
    """Workers (sector names), their FTE, optional group and base commune (INSEE code)."""

    names: tuple[str, ...]
    fte: tuple[float, ...]
    groups: tuple[str, ...] | None = None
    bases: tuple[str | None, ...] | None = None

    def __post_init__(self):
        n = len(self.names)
        if n < 1:
            raise SectorError("the team needs at least one worker")
        if len(set(self.names)) != n:
            dup = sorted({x for x in self.names if self.names.count(x) > 1})
            raise SectorError(f"worker names must be unique; repeated: {', '.join(dup)}")
        if len(self.fte) != n:
            raise SectorError(f"{n} workers but {len(self.fte)} FTE values")
        bad = [f"{name}={f}" for name, f in zip(self.names, self.fte) if not f > 0]
        if bad:
            raise SectorError(f"every FTE must be > 0; got {', '.join(bad)}")
        for field in ("groups", "bases"):
            value = getattr(self, field)
            if value is not None and len(value) != n:
                raise SectorError(f"{n} workers but {len(value)} {field}")

    @classmethod
    def of_size(cls, n: int) -> "Team":
        """``n`` equal sectors named S01, S02, ..."""
        if int(n) < 1:
            raise SectorError(f"at least 1 sector is needed, got {n}")
        return cls(tuple(f"S{i + 1:02d}" for i in range(int(n))), (1.0,) * int(n))

    def __len__(self) -> int:
        return len(self.names)


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(text.strip().lower().replace("_", " ").split()).replace("code insee", "code_insee")


def team_from_frame(frame: pd.DataFrame) -> Team:
    """A team from a table with columns name/nom, fte/etp, group/groupe, base (French variants accepted)."""
    columns = {}
    for col in frame.columns:
        key = _key(col)
        for role, variants in HEADERS.items():
            if key in variants or key.replace(" ", "_") in variants:
                columns.setdefault(role, col)
    if "name" not in columns:
        raise SectorError(f"workers table needs a name column (name or nom); found {list(frame.columns)}")
    frame = frame.dropna(how="all")
    names = tuple(str(x).strip() for x in frame[columns["name"]])
    if any(not n or n.lower() == "nan" for n in names):
        raise SectorError("every worker needs a name")
    if "fte" in columns:
        raw = frame[columns["fte"]].astype(str).str.replace(",", ".").str.strip()
        try:
            fte = tuple(float(x) if x not in ("", "nan") else 1.0 for x in raw)
        except ValueError:
            raise SectorError(f"FTE values must be numbers; got {raw.tolist()}") from None
    else:
        fte = (1.0,) * len(names)
    groups = None
    if "group" in columns:
        g = [str(x).strip() for x in frame[columns["group"]].fillna("")]
        if any(g):
            if not all(g):
                raise SectorError("either every worker has a group or none does")
            groups = tuple(g)
    bases = None
    if "base" in columns:
        b = [str(x).strip() for x in frame[columns["base"]].fillna("")]
        b = [x.zfill(5) if x.isdigit() and len(x) == 4 else x for x in b]
        if any(b):
            bases = tuple(x or None for x in b)
    return Team(names, fte, groups, bases)


def read_workers(path) -> Team:
    """Read workers.csv (``,`` or ``;``; UTF-8 or Windows-1252; ``#`` comments)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise SectorError(f"{path.name}: no workers")
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    import io
    frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, dtype=str)
    return team_from_frame(frame)
