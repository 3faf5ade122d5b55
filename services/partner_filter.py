"""Which partners a search keeps: labels and the psycho-oncology network ("réseau seulement").

One small value, :class:`PartnerFilter`, carried from the page or the command line to every place
that lists partners for the hub and the sector sheet (Orientation's summary and full list, list
routing, the sheet's key partners and tables), so that all of them apply the same filter and can
say which one they used.

``labels``
    Keep the partners carrying every one of these labels (all types).
``network_only``
    Psychologists: keep only the members of the psycho-oncology network
    (:data:`partners.NETWORK_LABEL`); the other types are not affected.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from partners.model import NETWORK_LABEL, clean_labels

__all__ = ["PartnerFilter", "NO_FILTER"]


@dataclasses.dataclass(frozen=True)
class PartnerFilter:
    """Labels every partner must carry, and "network only" for psychologists.

    Examples
    --------
    >>> PartnerFilter(labels=("Convention",), network_only=True).labels
    ('convention',)
    >>> PartnerFilter().active
    False
    >>> PartnerFilter(network_only=True).describe()
    'psychologues membres du réseau psycho-oncologie seulement'
    """

    labels: tuple[str, ...] = ()
    network_only: bool = False

    def __post_init__(self):
        object.__setattr__(self, "labels", clean_labels(self.labels))
        object.__setattr__(self, "network_only", bool(self.network_only))

    @property
    def active(self) -> bool:
        """Whether anything is filtered out."""
        return bool(self.labels) or self.network_only

    def options(self) -> dict:
        """Keyword arguments of :func:`partners.local_services` and :func:`partners.nearest_for_units`."""
        return {"labels": self.labels, "network_only": self.network_only}

    def labels_for(self, type_: str) -> tuple[str, ...]:
        """The labels a partner of ``type_`` must carry under this filter."""
        wanted = set(self.labels)
        if self.network_only and str(type_).upper() == "PSY":
            wanted.add(NETWORK_LABEL)
        return tuple(sorted(wanted))

    def keep(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a :func:`partners.list_partners` table this filter keeps (``type`` and ``labels`` columns)."""
        if not self.active or not len(frame):
            return frame
        carried = frame["labels"].fillna("").map(lambda text: set(clean_labels(text)))
        wanted = frame["type"].map(lambda t: set(self.labels_for(t)))
        mask = [w <= c for w, c in zip(wanted, carried)]
        return frame[pd.Series(mask, index=frame.index, dtype=bool)]

    def type_note(self, type_: str) -> str:
        """What the filter means for one type, in French ("" when it keeps every partner of the type).

        >>> PartnerFilter(network_only=True).type_note("PSY")
        'réseau psycho-oncologie'
        >>> PartnerFilter(network_only=True).type_note("HAD")
        ''
        """
        return ", ".join(self.labels_for(type_))

    def describe(self) -> str:
        """The filter in French, for the summary, the sheet and the routed list ("" when none)."""
        parts = []
        if self.network_only:
            parts.append(f"psychologues membres du {NETWORK_LABEL} seulement")
        if self.labels:
            names = ", ".join(f"« {label} »" for label in self.labels)
            parts.append(("étiquette " if len(self.labels) == 1 else "étiquettes ") + names
                         + " (tous les types de partenaires)")
        return " ; ".join(parts)


#: No filter: every partner (the default everywhere).
NO_FILTER = PartnerFilter()
