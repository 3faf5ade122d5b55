"""The partner filter options of `secteurs route` and `secteurs report fiche`."""
from __future__ import annotations


def add_partner_filter_arguments(parser) -> None:
    """``--network-only`` and ``--label`` (also used by ``secteurs report fiche``)."""
    parser.add_argument("--network-only", action="store_true",
                        help="psychologists: only the members of the psycho-oncology network "
                             "(label 'réseau psycho-oncologie')")
    parser.add_argument("--label", action="append", default=[], metavar="LABEL",
                        help="only the partners carrying this label, e.g. convention (repeat: all required)")


def partner_filter_of(args):
    """The :class:`services.partner_filter.PartnerFilter` of ``--network-only`` and ``--label``."""
    from services.partner_filter import PartnerFilter

    return PartnerFilter(labels=tuple(args.label or ()), network_only=bool(args.network_only))
