"""Territorial coverage for the ARS: distances, zones, E2SFCA accessibility, white zones, tables, masking.

Pure functions on plain frames and arrays; pages and reports call them.
Partners come as a frame ``type, lon, lat[, capacity, id]`` and zones as
``{type: codes}`` or a frame ``type, partner_id, code_insee``, so this package
does not depend on the partner directory.

Modules
-------
distances    nearest_distances (km to the nearest partner of each type), nearest_distances_xy, zone_coverage
e2sfca       accessibility (per 100,000 inhabitants), e2sfca (numeric core), DEFAULT_BANDS (PSY 10/20/30 km,
             ERC 20/40/60 km, weights 1/0.68/0.22)
white_zones  white_zones (outside every CPTS, or farther than max_km from a type), white_zone_summary,
             white_zone_groupings
tables       unit_table, department_table, sector_table, summary_by, cross_table, ars_tables,
             french_columns
masking      protect_counts (primary "< 11", commune classes, optimal secondary "s"), Protection, mask_table,
             ars_mode, mask_counts, verify_no_disclosure (LP audit, jointly with earlier releases)
releases     the register of what was published (counts fingerprint, cells, date) in the database
"""
from services.coverage.distances import (ZONE_TYPES_DEFAULT, covered_column, distance_column, nearest_distances,
                                    nearest_distances_xy, zone_coverage)
from services.coverage.e2sfca import (DEFAULT_BANDS, PER_DEFAULT, E2SFCAResult, accessibility, accessibility_column,
                                 check_bands, e2sfca)
from services.coverage.masking import (PRIMARY_SYMBOL, PROTECTION_LEVEL, SECONDARY_SYMBOL, THRESHOLD, TOTAL_LABEL,
                                       UNIT_CLASSES, AuditResult, MaskingError, Protection, ars_mode,
                                       display_interval, mask_counts, mask_table, parse_display, protect_counts,
                                       unit_class, verify_no_disclosure)
from services.coverage.tables import (FRENCH_LABELS, ars_tables, cross_table, department_table, french_columns, plan_series,
                                 sector_table, summary_by, unit_table)
from services.coverage.white_zones import ANY_LABEL, white_zone_groupings, white_zone_summary, white_zones

__all__ = [
    "ZONE_TYPES_DEFAULT", "covered_column", "distance_column", "nearest_distances", "nearest_distances_xy",
    "zone_coverage",
    "DEFAULT_BANDS", "PER_DEFAULT", "E2SFCAResult", "accessibility", "accessibility_column", "check_bands", "e2sfca",
    "PRIMARY_SYMBOL", "PROTECTION_LEVEL", "SECONDARY_SYMBOL", "THRESHOLD", "TOTAL_LABEL", "UNIT_CLASSES",
    "AuditResult", "MaskingError", "Protection", "ars_mode", "display_interval", "mask_counts", "mask_table",
    "parse_display", "protect_counts", "unit_class", "verify_no_disclosure",
    "FRENCH_LABELS", "ars_tables", "cross_table", "department_table", "french_columns", "plan_series", "sector_table",
    "summary_by", "unit_table",
    "ANY_LABEL", "white_zone_groupings", "white_zone_summary", "white_zones",
]
