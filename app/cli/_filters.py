"""The partner filter options of `secteurs route` and `secteurs report fiche`."""
from __future__ import annotations


def add_partner_filter_arguments(parser) -> None:
    """``--network-only`` and ``--label`` (also used by ``secteurs report fiche``)."""
    parser.add_argument("--network-only", action="store_true",
                        help="psychologues : seulement les membres du réseau de psycho-oncologie "
                             "(étiquette « réseau psycho-oncologie »)")
    parser.add_argument("--label", action="append", default=[], metavar="LABEL",
                        help="seulement les partenaires portant cette étiquette, par exemple convention (répétée : toutes exigées)")


def partner_filter_of(args):
    """The :class:`services.partner_filter.PartnerFilter` of ``--network-only`` and ``--label``."""
    from services.partner_filter import PartnerFilter

    return PartnerFilter(labels=tuple(args.label or ()), network_only=bool(args.network_only))
