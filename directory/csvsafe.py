"""CSV that a spreadsheet opens safely: formula injection neutralised, and a byte-order mark.

Every CSV the application writes goes through :func:`neutralise` (the public API's
``?format=csv`` in ``api/renderers.py``, the admin's export in ``directory/resources.py``),
and every one starts with :data:`BOM`, so that Excel reads it as UTF-8 and shows Japanese
as written.

**Formula injection** (OWASP, "CSV Injection"): a spreadsheet reads a cell beginning with
``=``, ``+``, ``-`` or ``@`` as a formula, and a tab or carriage return in front of one is
skipped, so a curator-typed ``=HYPERLINK("http://evil","x")`` or ``+cmd|' /C calc'!A0`` would
run in the reader's spreadsheet. Following OWASP, such a text cell is prefixed with a single
quote (``'=HYPERLINK(…)``), which makes the spreadsheet show it as text. Separators,
quotes and line breaks inside a cell are escaped by the ``csv`` module's quoting (a cell
holding ``,`` ``"`` or a line break is quoted, its ``"`` doubled), so a value cannot close
its cell and start a new one that begins with ``=``.

**Numbers stay numbers.** Only *text* is neutralised: a value that is a ``str`` before it is
written. An ``int``, ``float`` or ``Decimal`` (a longitude of -87.98) is data, not a formula,
and is written as it is, so a spreadsheet still reads it as a number. Writers therefore hand
numbers over as numbers (the API's serializer gives coordinates and counts as numbers; the
admin export renders numeric fields natively, see ``NumbersAsNumbers``); text that merely
looks like a number (a name "-5") is text and is neutralised.

**Reading back.** :func:`restore` undoes :func:`neutralise` exactly: the admin import strips
the one quote the export added, so exporting a list and importing it back changes nothing.
A value that itself begins with quotes followed by one of the six characters (``'=x``) gets
one more quote on export, so the pair is a bijection and no value changes on a round trip.
A hand-written cell ``'-5 °C`` is imported as ``-5 °C``, which is also what a leading
apostrophe means to a spreadsheet user.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: What starts every CSV the app writes: the UTF-8 byte-order mark (Excel needs it to read
#: UTF-8; without it Japanese turns into mojibake).
BOM = "\ufeff"
#: The characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that makes a spreadsheet read such a cell as text.
QUOTE = "'"


def _is_neutralised_form(text: str) -> bool:
    """Whether ``text`` is zero or more quotes followed by a formula trigger."""
    return text.lstrip(QUOTE).startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """One cell, safe for a spreadsheet: text that a spreadsheet would read as a formula
    gets a leading ``'``; anything that is not a ``str`` (numbers, None) is returned as is.

    >>> neutralise('=HYPERLINK("http://evil","x")')
    '\\'=HYPERLINK("http://evil","x")'
    >>> neutralise(-87.98)
    -87.98
    >>> neutralise("-87.98")  # text, even if it looks like a number
    "'-87.98"
    """
    if isinstance(value, str) and _is_neutralised_form(value):
        return QUOTE + value
    return value


def restore(value):
    """The inverse of :func:`neutralise`, for a cell read from a CSV the app may have written:
    ``'=x`` becomes ``=x``; anything else is returned as is (``=x`` too: an unneutralised
    formula in a hand-made file stays what it is, text stored as typed)."""
    if isinstance(value, str) and value.startswith(QUOTE) and _is_neutralised_form(value):
        return value[1:]
    return value


def write_rows(rows: Iterable[Iterable], **writer_options) -> str:
    """Rows as CSV text: the BOM, then every cell neutralised and quoted as needed.

    ``writer_options`` go to :func:`csv.writer` (lines end in CRLF unless told otherwise,
    as RFC 4180 has it; quoting stays minimal: numbers are written bare).
    """
    writer_options.setdefault("lineterminator", "\r\n")
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, **writer_options)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
