"""Partner directory: CPTS, HAD, ERC, psychologists, DAC, SSIAD, CCAS.

For any patient's commune, the local services a social worker can call on.

Modules
-------
model       Partner, PARTNER_TYPES, register_partner_type, ZONE_TYPES, PRECISIONS
validation  validate_finess, validate_rpps, validate_adeli, normalize_phone, validate_email,
            validate_position, check_partner, ValidationError
places      Places (sector units, postal/INSEE resolution, point in territory), locate_partner
store       the SQLite tables and their history: save_partner, delete_partner, set_communes,
            undo, get_partner, find_partner, list_partners, partner_history
"""
from partners.model import PARTNER_TYPES, PRECISIONS, ZONE_TYPES, Issue, Partner, register_partner_type
from partners.store import (DuplicateError, SaveResult, count_partners, delete_partner, find_partner,
                            get_partner, list_partners, partner_history, save_partner, set_communes, undo)
from partners.validation import (ValidationError, check_partner, normalize_phone, validate_adeli,
                                 validate_email, validate_finess, validate_position, validate_rpps)

__all__ = [
    "PARTNER_TYPES", "PRECISIONS", "ZONE_TYPES", "Issue", "Partner", "register_partner_type",
    "DuplicateError", "SaveResult", "count_partners", "delete_partner", "find_partner", "get_partner",
    "list_partners", "partner_history", "save_partner", "set_communes", "undo",
    "ValidationError", "check_partner", "normalize_phone", "validate_adeli", "validate_email",
    "validate_finess", "validate_position", "validate_rpps",
]
