"""French messages of the sector engine (``sectors.*`` codes)."""

MESSAGES: dict = {}
