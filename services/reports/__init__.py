"""Reports that leave the app: the ARS coverage report and the sector sheet (PDF, HTML, CSV, XLSX).

Pages and the ``secteurs report`` command only call these functions; nothing
is written in the source tree (bytes are returned, or written where the
caller says).

Modules
-------
coverage_data  compute_coverage -> Coverage (distances, CPTS/HAD coverage, E2SFCA, white zones, tables;
               TRUE counts), partner_inputs(conn), DEFAULT_MAX_KM, DISTANCE_TYPES, ACCESS_TYPES
ars            build_ars_report -> ArsReport (masked tables with French headers; csv_files, xlsx_bytes,
               pdf_bytes, write), check_export / DisclosureError (no count of 1-10 leaves, audit passes),
               method_notes
fiche          build_sheet -> SectorSheet (page 1 for the wall: referent, hub, key partners, map with towns,
               neighbours and their referents; then CPTS/HAD, partners in and around with contacts, communes
               in columns; pdf_bytes, html), key_partners, sheet_map, hub_contact ($SECTEURS_HUB_CONTACT),
               neighbour_sectors
_pdf, _maps    private: the A4 document (fpdf2, matplotlib's DejaVu font; table columns never cut a word)
               and static maps (matplotlib; a legend entry for every symbol, partner types as shapes,
               sector colours from geo.sectors.palette, town names without overlap)
_ars_pdf,      private: the ARS report's pages and maps (titles printed as text above each map,
_ars_maps      rows and columns in French alphabetical order, numbers in French format)

Masking
-------
Every patient figure of the ARS report comes from one
:class:`services.coverage.Protection` (units, departments, sectors, department x
sector, white-zone criteria): "< 11" for 1-10, "s" for secondary
suppression. :func:`services.reports.ars.check_export` runs before any file is
produced. The sector sheet is internal to the team (it shows true counts).
"""
from services.reports.ars import (ARS_TITLE, FILE_STEM, TABLE_TITLES, ArsReport, DisclosureError, build_ars_report,
                             check_export, method_notes)
from services.reports.fiche import (AROUND_KM, DEFAULT_HUB_CONTACT, HUB_CONTACT_ENV, SHEET_SECTIONS, SectorSheet,
                               build_sheet, hub_contact, neighbour_sectors)
from services.reports.coverage_data import (ACCESS_TYPES, DEFAULT_BORDER_KM, DEFAULT_MAX_KM, DISTANCE_TYPES, Coverage,
                                           compute_coverage, neighbouring_partners, partner_inputs)

__all__ = ["ARS_TITLE", "FILE_STEM", "TABLE_TITLES", "ArsReport", "DisclosureError", "build_ars_report",
           "check_export", "method_notes", "ACCESS_TYPES", "DEFAULT_MAX_KM", "DISTANCE_TYPES", "Coverage",
           "compute_coverage", "partner_inputs", "DEFAULT_BORDER_KM", "neighbouring_partners", "AROUND_KM", "DEFAULT_HUB_CONTACT", "HUB_CONTACT_ENV",
           "SHEET_SECTIONS", "SectorSheet", "build_sheet", "hub_contact", "neighbour_sectors"]
