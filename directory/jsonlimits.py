"""JSON from users, parsed with a bound on nesting: ``loads(text, max_depth=64)``.

Python's ``json`` recurses once per nested array or object, so a document such as
``'[' * 100_000 + ']' * 100_000`` (200 kB) raises ``RecursionError``: not a ``ValueError``,
so code that reports bad JSON as such lets it escape as a server error. :func:`loads` turns
that into :class:`JSONTooDeep`, a ``ValueError`` with a message for the person who sent the
document, and refuses any document nested deeper than ``max_depth`` (``MAX_DEPTH``, 64:
far more than any record, export or API body of the directory needs: an
``import_directory`` document, the deepest, nests 6 levels).

How the depth is checked, and why (measured with Python 3.11 on a shared 2-core machine,
best of 5): parse with the C decoder first, then walk the parsed arrays and objects one level
at a time. The decoder fails fast on a deep document (0.1 ms for the 100,000-deep one above:
it stops at the interpreter's recursion limit, about 1,000 levels, whatever the size), and the
walk adds a fraction of the parse: a 21 MB export-like document takes 0.81 s (0.63 s to parse
alone), a 2.4 MB array of 800,000 empty arrays 0.82 s (0.56 s). Scanning the text for
brackets outside strings before parsing (a regular expression in a Python loop) and then
parsing takes 1.97 s and 1.54 s for the same two, and 38 ms instead of 10 ms for 2.5 MB of
strings full of brackets; it is only faster for a document that is too deep, which both
refuse in well under a millisecond.

Syntax errors stay :class:`json.JSONDecodeError`, as with :func:`json.loads`;
:func:`describe` words either kind of error for a person.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

#: Arrays and objects nested deeper than this are refused (``[[1]]`` is 2 deep).
MAX_DEPTH = 64
CONTAINERS = (list, dict)


class JSONTooDeep(ValueError):
    """The document nests arrays and objects deeper than allowed."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        super().__init__(
            f"JSON nested too deep: arrays and objects may be nested at most {max_depth} "
            "levels deep."
        )


def loads(
    text: str | bytes | bytearray,
    *,
    max_depth: int = MAX_DEPTH,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """``json.loads(text)``, refusing nesting deeper than ``max_depth`` with JSONTooDeep.

    Raises :class:`json.JSONDecodeError` for text that is not JSON (and ``bytes`` that are
    not UTF-8, -16 or -32 raise :class:`UnicodeDecodeError`): both are ``ValueError``, as is
    :class:`JSONTooDeep`. ``parse_constant`` is passed on (it sees ``NaN`` and
    ``Infinity``).
    """
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        # The C decoder stops at the interpreter's recursion limit (about 1,000 levels,
        # less the caller's stack): deeper than any max_depth this module is used with.
        raise JSONTooDeep(max_depth) from None
    if depth_exceeds(value, max_depth):
        raise JSONTooDeep(max_depth)
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether arrays and objects nest more than ``max_depth`` levels deep in ``value``.

    Walks one level at a time (no recursion, no per-node bookkeeping) and stops at the
    first level beyond ``max_depth``. ``json.loads`` makes exact lists and dicts, so an exact
    type test does (about a third faster than ``isinstance`` on a large document).
    """
    level = [value] if type(value) in CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        deeper = []
        for node in level:
            children = node.values() if type(node) is dict else node
            deeper.extend([child for child in children if type(child) in CONTAINERS])
        level = deeper
    return False


def describe(error: ValueError, subject: str = "This") -> str:
    """A sentence for a person about why their JSON (``subject``) was refused.

    ``json.JSONDecodeError``'s own text ("Expecting value: line 1 column 1 (char 0)")
    becomes "This is not valid JSON: expecting a value at line 1, column 1."
    """
    if isinstance(error, JSONTooDeep):
        return (
            f"{subject} is JSON nested too deep: arrays and objects may be nested at most "
            f"{error.max_depth} levels deep."
        )
    if isinstance(error, json.JSONDecodeError):
        problem = error.msg[:1].lower() + error.msg[1:]
        problem = problem.replace("expecting value", "expecting a value")
        return (
            f"{subject} is not valid JSON: {problem} at line {error.lineno}, column {error.colno}."
        )
    if isinstance(error, UnicodeDecodeError):
        return f"{subject} is not valid JSON: the text is not UTF-8 encoded."
    return f"{subject} is not valid JSON: {error}"
