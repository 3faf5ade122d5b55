"""Partner directory: CPTS, HAD, ERC, psychologists, DAC, SSIAD, CCAS.

For any patient's commune, the local services a social worker can call on:
the CPTS and HAD whose zones cover it, the nearest ERC, psychologists, DAC,
SSIAD and CCAS.

Modules
-------
model       Partner, PARTNER_TYPES, register_partner_type, ZONE_TYPES, PRECISIONS
validation  validate_finess, validate_rpps, validate_adeli, normalize_phone, validate_email,
            validate_position, check_partner, ValidationError
places      Places: sector units, INSEE/postal resolution, point in territory (places_of(territory):
            one per Territory); locate_partner
store       SQLite tables with history: save_partner, delete_partner, set_communes, undo, redo,
            purge_demo (one undoable change), get_partner, find_partner, list_partners (demo partners
            only while no real one exists, labels), partner_history, count_partners; optimistic
            concurrency (version numbers, StaleEditError); zone_memberships, covering_counts,
            directory_stamp for the layers above (no SQL on these tables outside partners/)
io          read_partners(path or bytes + filename, format) for finess, rpps, zones, csv; template_bytes,
            write_template;
            io.synthetic_rpps writes a SYNTHETIC Annuaire Santé extract (tests, benchmark)
history     readable_history, french_datetime, changed_fields: the history as people read it
network     read_network (a network's members' list), tag_network (label the members, one change)
importer    import_partners(conn, path, format, ...) -> ImportReport (idempotent, reject report, one
            RowOutcome per row; neighbours within 60 km kept, farther ones set aside unless asked for;
            a national RPPS extract needs the network's list)
preview     preview_import(conn, path, format, ...): the same report from a dry run, nothing written
directory   filter_partners, form_values, from_form, form_errors: the directory as the app shows and edits it
export      export_frame, export_bytes(conn, "csv" | "xlsx" | "geojson"): the directory (template columns)
query       NearestIndex (batch k-d tree), nearest, covering, local_services, nearest_for_units
demo        the FICTITIOUS demo directory: build_demo_directory, load_demo_directory,
            ensure_demo_directory

The template's columns are documented in ``partners/TEMPLATE.md``.
"""
from partners.demo import build_demo_directory, ensure_demo_directory, load_demo_directory
from partners.export import EXPORT_FORMATS, export_bytes, export_frame
from partners.history import french_datetime, readable_history
from partners.importer import ImportReport, import_partners
from partners.io import read_partners, template_bytes, write_template
from partners.model import (DEMO_SOURCE, KNOWN_LABELS, NEIGHBOUR_KM, NETWORK_LABEL, PARTNER_TYPES, PRECISIONS,
                            ZONE_TYPES, Issue, Partner, clean_labels, register_partner_type)
from partners.network import Network, read_network, tag_network
from partners.places import Places
from partners.preview import preview_import
from partners.query import NearestIndex, covering, local_services, nearest, nearest_for_units
from partners.store import (AUTO, DuplicateError, SaveResult, StaleEditError, count_demo_partners, count_partners,
                            covering_counts, delete_partner, directory_stamp, find_partner, get_partner,
                            has_real_partners, label_partners, list_partners, partner_history, partner_version,
                            purge_demo, redo,
                            save_partner, set_communes, undo, zone_memberships)
from partners.validation import (ValidationError, check_partner, normalize_phone, validate_adeli,
                                 validate_email, validate_finess, validate_position, validate_rpps)

__all__ = [
    "DEMO_SOURCE", "KNOWN_LABELS", "NEIGHBOUR_KM", "NETWORK_LABEL", "PARTNER_TYPES", "PRECISIONS", "ZONE_TYPES",
    "Issue", "Partner", "clean_labels", "register_partner_type",
    "Network", "read_network", "tag_network", "french_datetime", "readable_history",
    "ValidationError", "check_partner", "normalize_phone", "validate_adeli", "validate_email",
    "validate_finess", "validate_position", "validate_rpps",
    "Places",
    "AUTO", "DuplicateError", "SaveResult", "StaleEditError", "count_demo_partners", "count_partners",
    "covering_counts", "delete_partner", "directory_stamp", "find_partner", "get_partner", "has_real_partners",
    "label_partners",
    "list_partners", "partner_history", "partner_version", "purge_demo", "redo", "save_partner", "set_communes",
    "undo", "zone_memberships",
    "read_partners", "template_bytes", "write_template", "ImportReport", "import_partners", "preview_import",
    "EXPORT_FORMATS", "export_bytes", "export_frame",
    "NearestIndex", "covering", "local_services", "nearest", "nearest_for_units",
    "build_demo_directory", "ensure_demo_directory", "load_demo_directory",
]
