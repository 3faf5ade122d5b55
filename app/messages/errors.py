"""French messages of errors that are not the user's (``errors.*``): shown instead of the English details."""
from __future__ import annotations

MESSAGES = {
    "errors.internal": "erreur interne : l'opération n'a pas abouti. Le détail est consigné dans le journal de "
                       "l'application (référence {reference}) ; signaler cette référence à l'administrateur.",
}
