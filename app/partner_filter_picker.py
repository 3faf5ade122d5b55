"""The partner filter of Orientation and Fiche secteur: "réseau seulement" for psychologists, and labels."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from partners.model import KNOWN_LABELS, NETWORK_LABEL, clean_labels
from services.partner_filter import PartnerFilter


def directory_labels(directory: pd.DataFrame) -> list[str]:
    """The labels offered: the usual ones and every label carried in the directory, sorted."""
    carried = set()
    if len(directory) and "labels" in directory.columns:
        for text in directory["labels"].fillna(""):
            carried.update(clean_labels(text))
    return sorted(set(KNOWN_LABELS) | carried)


def network_members(directory: pd.DataFrame) -> int:
    """Psychologists of the directory carrying the network's label."""
    if not len(directory):
        return 0
    psy = directory[directory["type"] == "PSY"]
    # sum() of an empty object series is '' (a directory without psychologists): count as booleans
    return int(psy["labels"].fillna("").map(lambda text: NETWORK_LABEL in clean_labels(text)).astype(bool).sum())


def partner_filter_picker(key: str, directory: pd.DataFrame) -> PartnerFilter:
    """Two widgets side by side; returns the filter chosen (none by default).

    Parameters
    ----------
    key : str
        Prefix of the widgets' keys (``<key>_network_only``, ``<key>_labels``).
    directory : DataFrame
        :func:`partners.list_partners` (the labels offered, the network's size).
    """
    left, right = st.columns(2)
    members = network_members(directory)
    network_only = left.toggle(
        "Psychologues : réseau seulement", key=f"{key}_network_only",
        help=f"Seulement les psychologues membres du réseau (étiquette « {NETWORK_LABEL} », posée en "
             "important la liste des membres sur la page Partenaires). Les autres types ne changent pas.")
    if network_only and not members:
        left.caption("Aucun psychologue de l'annuaire n'est membre du réseau : importez la liste de ses "
                     "membres sur la page Partenaires.")
    elif network_only:
        left.caption(f"{members} psychologue(s) membre(s) du réseau dans l'annuaire.")
    labels = right.multiselect(
        "Étiquettes", directory_labels(directory), key=f"{key}_labels", placeholder="Aucune : tous les partenaires",
        help="Seulement les partenaires qui portent toutes ces étiquettes (tous les types).")
    return PartnerFilter(labels=tuple(labels), network_only=network_only)
