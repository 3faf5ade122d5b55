"""The plan record: one sector per unit, with who holds each sector, the counts and where it comes from.

Everything above the engine (routing, coverage, reports, the pages and the
CLI) takes a :class:`PlanRecord`, read by :func:`geo.sectors.io.read_plan_record`
from a file or loaded by :func:`geo.sectors.store.load_record` from a saved
version. :func:`plan_frame` turns the older forms still accepted by some
functions (a :class:`~geo.sectors.plan.Plan`, a frame with ``sector`` or
``secteur``, a Series or a mapping ``code_insee -> sector``) into the same
checked frame, so there is one place that checks a plan.

Examples
--------
>>> import pandas as pd
>>> record = PlanRecord(pd.DataFrame({"code_insee": ["69383", "42218"], "sector": ["Alice", "Bea"]}))
>>> record.referents, record.sectors
({'Alice': 'Alice', 'Bea': 'Bea'}, ['Alice', 'Bea'])
"""
from __future__ import annotations

import dataclasses
from typing import Mapping

import pandas as pd

from geo.errors import SecteursError
from geo.sectors.team import Team

#: Columns of a plan frame, in order; ``code_insee`` and ``sector`` are required.
PLAN_COLUMNS = ("code_insee", "sector", "referent", "groupe", "patients")


@dataclasses.dataclass(frozen=True)
class PlanRecord:
    """A sector plan as people use it.

    Attributes
    ----------
    frame : DataFrame
        ``code_insee``, ``sector`` (text) and, when known, ``referent``,
        ``groupe`` (text, "" when unknown) and ``patients`` (the counts the
        plan was made on, one per unit).
    team : Team, optional
        The workers the plan was made for (FTE, groups, bases).
    tolerance : float, optional
        The balance tolerance it was made with (0.02 = ±2 %).
    name, version : optional
        The saved version it was loaded from.
    label : str
        How pages and reports name it ("Plan 2026 — version 3", "fichier plan.csv").
    counts_label : str
        Which counts the plan was made on ("" when unknown).
    demo : bool
        Proposed on FICTITIOUS demo patients.
    created_at, note : str
        Saved versions only.
    metrics : dict, optional
        The engine's metrics at save time.
    """

    frame: pd.DataFrame
    team: Team | None = None
    tolerance: float | None = None
    name: str | None = None
    version: int | None = None
    label: str = ""
    counts_label: str = ""
    demo: bool = False
    created_at: str = ""
    note: str = ""
    metrics: dict | None = None

    def __post_init__(self):
        object.__setattr__(self, "frame", plan_frame(self.frame))

    # -- who holds a sector -------------------------------------------------------------------
    @property
    def sectors(self) -> list[str]:
        """Sector names, sorted."""
        return sorted(self.frame["sector"].unique())

    @property
    def assignment(self) -> pd.DataFrame:
        """``code_insee, sector``."""
        return self.frame[["code_insee", "sector"]]

    @property
    def referents(self) -> dict[str, str]:
        """``{sector: referent}``: the ``referent`` column, else the sector's own name."""
        given = _first_nonempty(self.frame, "referent")
        return {s: given.get(s, s) for s in self.sectors}

    @property
    def groups(self) -> dict[str, str]:
        """``{sector: group}``: the ``groupe`` column, else the team's group of the referent (or sector)."""
        groups = _first_nonempty(self.frame, "groupe")
        if self.team is not None and self.team.groups is not None:
            by_name = dict(zip(self.team.names, self.team.groups))
            referents = self.referents
            for sector in self.sectors:
                if sector not in groups:
                    group = by_name.get(referents[sector], by_name.get(sector))
                    if group:
                        groups[sector] = group
        return groups

    def people(self) -> pd.DataFrame:
        """``code_insee, sector, referent, groupe``: one row per unit, every column filled when known."""
        out = self.assignment.copy()
        referents, groups = self.referents, self.groups
        out["referent"] = [referents.get(s, s) for s in out["sector"]]
        out["groupe"] = [groups.get(s, "") for s in out["sector"]]
        return out

    def counts(self) -> pd.DataFrame | None:
        """The counts the plan was made on (``code_insee, patients``, units with patients), or ``None``."""
        if "patients" not in self.frame.columns or self.frame["patients"].isna().all():
            return None
        counts = self.frame[["code_insee", "patients"]].dropna()
        counts = counts.assign(patients=counts["patients"].astype("int64"))
        return counts[counts["patients"] > 0].reset_index(drop=True)

    def series(self) -> pd.Series:
        """``code_insee -> sector``."""
        return pd.Series(self.frame["sector"].to_numpy(), index=self.frame["code_insee"].to_numpy(), name="sector")

    def replace(self, **changes) -> "PlanRecord":
        """A copy with some fields changed (e.g. ``team=``, ``label=``)."""
        return dataclasses.replace(self, **changes)


def _first_nonempty(frame: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in frame.columns:
        return {}
    values = frame[["sector", column]].fillna("")
    values = values[values[column].astype(str).str.strip() != ""]
    return dict(values.drop_duplicates("sector").astype(str).itertuples(index=False))


def plan_frame(plan) -> pd.DataFrame:
    """The checked plan frame of any accepted form of a plan.

    Parameters
    ----------
    plan : PlanRecord, Plan, DataFrame, Series or mapping
        A frame needs ``code_insee`` and ``sector`` (or ``secteur``) columns
        and may have ``referent``, ``groupe`` and ``patients``; a Series or a
        mapping goes ``code_insee -> sector``.

    Returns
    -------
    DataFrame
        :data:`PLAN_COLUMNS` present, codes as 5-character text, sectors
        stripped text, units without a sector dropped.

    Raises
    ------
    SecteursError
        ``plans.missing_columns``, ``plans.unit_in_two_sectors``,
        ``plans.bad_patients``, ``plans.unknown_form``.
    """
    if isinstance(plan, PlanRecord):
        return plan.frame
    if hasattr(plan, "to_frame") and hasattr(plan, "assignment") and hasattr(plan, "context"):
        frame = plan.to_frame()
        frame["patients"] = plan.context.patients.astype("int64")
        return frame
    if isinstance(plan, pd.Series):
        frame = pd.DataFrame({"code_insee": plan.index.astype(str), "sector": plan.to_numpy()})
    elif isinstance(plan, Mapping):
        frame = pd.DataFrame({"code_insee": list(map(str, plan)), "sector": list(plan.values())})
    elif isinstance(plan, pd.DataFrame):
        frame = plan
        if "sector" not in frame.columns and "secteur" in frame.columns:
            frame = frame.rename(columns={"secteur": "sector"})
        missing = [c for c in ("code_insee", "sector") if c not in frame.columns]
        if missing:
            raise SecteursError("plans.missing_columns", missing=missing, found=[str(c) for c in plan.columns])
    else:
        raise SecteursError("plans.unknown_form", form=type(plan).__name__)
    out = pd.DataFrame({"code_insee": _codes(frame["code_insee"]), "sector": _text(frame["sector"])})
    for column in ("referent", "groupe"):
        if column in frame.columns:
            out[column] = _text(frame[column])
    if "patients" in frame.columns:
        patients = pd.to_numeric(frame["patients"].replace("", None), errors="coerce")
        bad = patients.notna() & ((patients < 0) | (patients % 1 != 0))
        if bad.any():
            raise SecteursError("plans.bad_patients", codes=out.loc[bad.to_numpy(), "code_insee"].head(5).tolist())
        out["patients"] = patients.astype("Int64")
    out = out[out["sector"] != ""].reset_index(drop=True)
    pairs = out.drop_duplicates(["code_insee", "sector"])
    clash = pairs["code_insee"].duplicated()
    if clash.any():
        raise SecteursError("plans.unit_in_two_sectors", count=int(clash.sum()),
                            codes=pairs.loc[clash, "code_insee"].head(10).tolist())
    return out.drop_duplicates("code_insee").reset_index(drop=True)


def _codes(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return text.where(~text.str.fullmatch(r"\d{4}"), text.str.zfill(5)).to_numpy()


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().replace({"nan": "", "None": "", "<NA>": ""}).to_numpy()
