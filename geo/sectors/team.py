"""The team: one sector per worker, targets proportional to FTE, optional groups and base communes.

Base communes may be given as INSEE codes or names (:func:`resolve_base`).

Lyon rule
---------
The territory splits Lyon (INSEE 69123) into its 9 arrondissements, so "Lyon"
is not a unit. A **base** written ``Lyon`` or ``69123`` becomes
:data:`LYON_SITE`, the arrondissement of the cancer centre's site (Lyon 8e,
69388), and the team carries a note saying so (shown by the CLI and the page);
write an arrondissement (``Lyon 3e``, ``69383``) to choose another. A **lock**
on 69123 locks its 9 arrondissements (:func:`geo.sectors.propose.build_problem`).
**Patient counts** on 69123 are refused with a message asking for counts per
arrondissement (:func:`geo.sectors.context.counts_array`): spreading them by
population would invent where the patients live.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import pandas as pd

from geo.sectors.problem import SectorError

#: INSEE code of Lyon, split into its arrondissements 69381-69389 in the territory.
LYON = "69123"
#: The unit a base "Lyon" (69123) stands for: Lyon 8e, the arrondissement of the cancer centre's site.
LYON_SITE = "69388"
#: How a worker's base is used: "centre" (the sector's fixed centre) or "inside" (in the sector, centre free).
BASE_MODES = ("centre", "inside")

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
    """Workers (sector names), their FTE, optional group and base commune (INSEE code).

    ``notes`` lists what reading the table decided for the user (``(code, params)``
    pairs rendered by :mod:`app.messages`, e.g. a base "Lyon" taken as Lyon 8e).
    """

    names: tuple[str, ...]
    fte: tuple[float, ...]
    groups: tuple[str, ...] | None = None
    bases: tuple[str | None, ...] | None = None
    notes: tuple = dataclasses.field(default=(), compare=False)

    def __post_init__(self):
        n = len(self.names)
        if n < 1:
            raise SectorError("sectors.team_empty")
        if len(set(self.names)) != n:
            dup = sorted({x for x in self.names if self.names.count(x) > 1})
            raise SectorError("sectors.team_duplicate_names", names=dup)
        if len(self.fte) != n:
            raise SectorError(f"{n} workers but {len(self.fte)} FTE values")
        bad = [f"{name}={f}" for name, f in zip(self.names, self.fte) if not f > 0]
        if bad:
            raise SectorError("sectors.team_bad_fte", values=bad)
        for field in ("groups", "bases"):
            value = getattr(self, field)
            if value is not None and len(value) != n:
                raise SectorError(f"{n} workers but {len(value)} {field}")

    @classmethod
    def of_size(cls, n: int) -> "Team":
        """``n`` equal sectors named S01, S02, ..."""
        if int(n) < 1:
            raise SectorError("sectors.no_sector", asked=int(n))
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
        raise SectorError("sectors.team_no_name_column", columns=[str(c) for c in frame.columns])
    frame = frame.dropna(how="all")
    names = tuple(str(x).strip() for x in frame[columns["name"]])
    missing = [row + 1 for row, n in enumerate(names) if not n or n.lower() in ("nan", "none")]
    if missing:
        raise SectorError("sectors.team_missing_name", rows=missing)
    if "fte" in columns:
        raw = frame[columns["fte"]].astype(str).str.replace(",", ".").str.strip()
        fte = []
        for row, (name, x) in enumerate(zip(names, raw)):
            try:
                fte.append(float(x) if x not in ("", "nan", "None") else 1.0)
            except ValueError:
                raise SectorError("sectors.team_fte_not_number", row=row + 1, worker=name, value=x) from None
        fte = tuple(fte)
    else:
        fte = (1.0,) * len(names)
    groups = None
    if "group" in columns:
        g = [str(x).strip() for x in frame[columns["group"]].fillna("")]
        g = ["" if x.lower() in ("nan", "none") else x for x in g]
        if any(g):
            if not all(g):
                raise SectorError("sectors.team_partial_groups",
                                  workers=[n for n, x in zip(names, g) if not x])
            groups = tuple(g)
    bases, notes = None, []
    if "base" in columns:
        texts = [str(x).strip() for x in frame[columns["base"]].fillna("")]
        texts = ["" if x.lower() in ("nan", "none") else x for x in texts]
        if any(texts):
            resolved = []
            for row, (name, text) in enumerate(zip(names, texts)):
                if not text:
                    resolved.append(None)
                    continue
                try:
                    code = resolve_base(text)
                except SectorError as error:
                    error.params.update(row=row + 1, worker=name)
                    raise
                if _is_lyon(text):
                    notes.append(("sectors.base_lyon_site", {"worker": name, "given": text, "unit": LYON_SITE}))
                resolved.append(code)
            bases = tuple(resolved)
    return Team(names, fte, groups, bases, notes=tuple(notes))


def _is_lyon(text: str) -> bool:
    from geo.lookup import normalize_name

    return str(text).strip() == LYON or normalize_name(text) == "LYON"


def resolve_base(text, *, units=None) -> str:
    """The unit code of a base commune given as an INSEE code or a name.

    The one place where the team table's bases are looked up (by the
    territory's gazetteer). "Lyon" or 69123 gives :data:`LYON_SITE` (see the
    module's Lyon rule); an old delegated commune's code gives today's commune.

    Parameters
    ----------
    text
        What the table holds: ``"38185"``, ``"1053"`` (lost leading zero),
        ``"Grenoble"``, ``"Lyon 3e"``, ``"Saint-Priest (69)"``.
    units
        Optional collection of valid unit codes (default: the committed territory's).

    Returns
    -------
    str
        The INSEE code of a unit of the territory.

    Raises
    ------
    SectorError
        ``sectors.base_unknown`` (with close ``candidates``) or
        ``sectors.base_ambiguous`` (with every ``candidates``).
    """
    from geo.lookup import gazetteer

    raw = str(text).strip()
    gaz = gazetteer()
    label = lambda c: f"{c} {gaz.unit(c)['nom']} ({gaz.unit(c)['departement']})"  # noqa: E731
    if _is_lyon(raw):
        return LYON_SITE
    digits = raw.replace(" ", "")
    if re.fullmatch(r"\d{4,5}|2[ABab]\d{3}", digits):
        code = digits.zfill(5).upper()
        found = gaz.by_code(code)
        if units is not None:
            found = [c for c in found if c in units] or ([code] if code in units else [])
        if len(found) == 1:
            return found[0]
        raise SectorError("sectors.base_unknown", given=raw, candidates=[])
    name, dep = raw, None
    tagged = re.fullmatch(r"(.*?)\s*\((\d{2}|2[AB])\)\s*", raw)
    if tagged:
        name, dep = tagged.group(1), {tagged.group(2)}
    found = gaz.by_name(name, dep)
    if units is not None:
        found = [c for c in found if c in units]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise SectorError("sectors.base_ambiguous", given=raw, candidates=[label(c) for c in found[:8]])
    near = [c for c in gaz.search(name, limit=5) if units is None or c in units]
    raise SectorError("sectors.base_unknown", given=raw, candidates=[label(c) for c in near])


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
        raise SectorError("sectors.team_file_empty", file=path.name)
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    import io
    frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, dtype=str)
    return team_from_frame(frame)
