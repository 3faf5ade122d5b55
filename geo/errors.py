"""Errors that people can act on: a code and its parameters, rendered in French by the app.

Every error the user can fix derives from :class:`SecteursError`. It carries a
``code`` (``"sectors.too_many_sectors"``) and named parameters; ``app.messages``
holds the one French catalogue that renders them for the pages and the CLI.
``str(error)`` is a plain English-ish line for logs and tracebacks.

Examples
--------
>>> err = SecteursError("sectors.too_many_sectors", asked=12, units=7)
>>> err.code, err.params["asked"]
('sectors.too_many_sectors', 12)
"""
from __future__ import annotations

import re

_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class SecteursError(ValueError):
    """An error with a code (``domain.what``) and parameters.

    Parameters
    ----------
    code
        Dotted identifier looked up in the French catalogue (``app.messages``).
        A free-text sentence is accepted while older modules are converted
        (``code`` is then ``None`` and the sentence is shown as is).
    **params
        Values the message needs (numbers, codes, names, lists).
    """

    def __init__(self, code: str, /, **params):
        if _CODE.match(str(code)):
            self.code: str | None = str(code)
            self.text: str | None = None
        else:
            self.code, self.text = None, str(code)
        self.params = params
        super().__init__(self._log_line())

    def _log_line(self) -> str:
        if self.code is None:
            return self.text or ""
        if not self.params:
            return self.code
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.code} ({shown})"


def is_code(text: str) -> bool:
    """Whether ``text`` looks like an error code (``domain.what``)."""
    return bool(_CODE.match(str(text)))
