"""argparse in French: the parser every ``secteurs`` command and subcommand is built with.

argparse writes its own words (``usage:``, ``error:``, "the following
arguments are required", "invalid choice", "show this help message and exit",
the section titles) through ``argparse._``, its module's gettext function,
looked up when a message is made. :class:`FrenchArgumentParser` makes every
one of them with :data:`FRENCH`, a catalogue keyed by argparse's own English
message ids, while it builds, parses, prints help or reports an error, and
gives the module its function back afterwards. Subparsers are made of the
same class (argparse's ``add_subparsers`` default), whatever their help
formatter. A message id missing from the catalogue (a newer Python) stays in
English, and ``tests/test_cli_french.py`` says so.

The swap is process-wide for the duration of a call: fine for a command line,
which parses once in its main thread.
"""
from __future__ import annotations

import argparse
import functools
import threading
from contextlib import contextmanager

#: argparse's English message id -> its French (same ``%`` placeholders).
FRENCH: dict[str, str] = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments positionnels",
    "options": "options",
    "subcommands": "sous-commandes",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "sous-commande inconnue : %(parser_name)r (au choix : %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide (type %(type)s attendu) : %(value)r",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur ignorée : %r",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}
#: ngettext's (singular, plural) -> French (singular, plural).
FRENCH_PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): ("%s valeur attendue", "%s valeurs attendues"),
}


def french(message: str) -> str:
    """argparse's ``_``: the French of an argparse message id (itself when the catalogue lacks it)."""
    return FRENCH.get(message, message)


def french_plural(singular: str, plural: str, n: int) -> str:
    """argparse's ``ngettext`` in French (French singular for 0 and 1)."""
    one, many = FRENCH_PLURALS.get((singular, plural), (singular, plural))
    return one if n <= 1 else many


_LOCK = threading.RLock()


@contextmanager
def french_words():
    """While the block runs, argparse makes its messages with :func:`french` (nested blocks allowed)."""
    with _LOCK:
        saved = argparse._, argparse.ngettext
        argparse._, argparse.ngettext = french, french_plural
        try:
            yield
        finally:
            argparse._, argparse.ngettext = saved


def _in_french(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with french_words():
            return method(*args, **kwargs)

    return wrapper


class FrenchArgumentParser(argparse.ArgumentParser):
    """:class:`argparse.ArgumentParser` whose own words are French (exit code 2 on a usage error, as argparse).

    Examples
    --------
    >>> parser = FrenchArgumentParser(prog="secteurs")
    >>> parser.format_usage()
    'utilisation : secteurs [-h]\\n'
    """

    __init__ = _in_french(argparse.ArgumentParser.__init__)
    add_subparsers = _in_french(argparse.ArgumentParser.add_subparsers)
    parse_args = _in_french(argparse.ArgumentParser.parse_args)
    parse_known_args = _in_french(argparse.ArgumentParser.parse_known_args)
    parse_intermixed_args = _in_french(argparse.ArgumentParser.parse_intermixed_args)
    format_usage = _in_french(argparse.ArgumentParser.format_usage)
    format_help = _in_french(argparse.ArgumentParser.format_help)
    error = _in_french(argparse.ArgumentParser.error)
