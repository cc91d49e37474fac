"""Field validators shared by the models, the admin, the API and the importers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# ROR ids: "0" + 6 characters of Crockford base32 (no i, l, o, u) + a 2-digit checksum.
ROR_ID_PATTERN = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ROR_URL_PREFIXES = ("https://ror.org/", "http://ror.org/", "ror.org/")

#: A citation's keys, in the order a citation lists them.
SOURCE_KEY_ORDER = ("source", "locator", "passage")
SOURCE_KEYS = set(SOURCE_KEY_ORDER)


def normalise_ror_id(value: str | None) -> str | None:
    """Return the bare, lower-case ROR id for "https://ror.org/0abc…" or "0ABC…"; None if empty."""
    if value is None:
        return None
    value = value.strip().lower()
    for prefix in _ROR_URL_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value or None


def _ror_checksum_ok(ror_id: str) -> bool:
    number = 0
    for char in ror_id[1:7]:
        number = number * 32 + _CROCKFORD.index(char)
    return 98 - ((number * 100) % 97) == int(ror_id[7:])


def validate_ror_id(value: str | None) -> None:
    """A ROR id has the registry's shape and its checksum digits agree."""
    ror_id = normalise_ror_id(value)
    if ror_id is None:
        return
    if not ROR_ID_PATTERN.match(ror_id):
        raise ValidationError(
            _(
                "%(value)s is not a ROR id: expected 9 characters such as 057zh3y96 "
                "(or https://ror.org/057zh3y96)."
            ),
            code="invalid_ror_id",
            params={"value": value},
        )
    if not _ror_checksum_ok(ror_id):
        raise ValidationError(
            _("%(value)s is not a valid ROR id: its checksum digits do not match."),
            code="invalid_ror_checksum",
            params={"value": value},
        )


# Wikidata items: "Q" and a number without leading zeros.
WIKIDATA_ID_PATTERN = re.compile(r"^Q[1-9][0-9]{0,18}$")  # fits the 20-character column
_WIKIDATA_URL_PREFIXES = (
    "https://www.wikidata.org/wiki/",
    "http://www.wikidata.org/wiki/",
    "https://www.wikidata.org/entity/",
    "http://www.wikidata.org/entity/",
    "wd:",
)
# ISNI: 16 characters, the last an ISO 7064 Mod 11-2 check character (0-9 or X); written in
# groups of four ("0000 0001 2348 0690"), stored without the spaces.
ISNI_PATTERN = re.compile(r"^[0-9]{15}[0-9X]$")
_ISNI_URL_PREFIXES = ("https://isni.org/isni/", "http://isni.org/isni/", "isni:")
# Crossref Funder IDs are DOIs under the prefix 10.13039; ROR's dumps give the bare number.
CROSSREF_FUNDER_PREFIX = "10.13039/"
CROSSREF_FUNDER_ID_PATTERN = re.compile(r"^10\.13039/[0-9]{1,31}$")  # fits 40 characters
_DOI_URL_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def _strip_prefixes(value: str, prefixes: tuple[str, ...]) -> str:
    lowered = value.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix.lower()):
            return value[len(prefix) :]
    return value


def normalise_wikidata_id(value: str | None) -> str | None:
    """ "Q42" for "q42", " Q42 " or "https://www.wikidata.org/wiki/Q42"; None if empty."""
    if value is None:
        return None
    value = _strip_prefixes(value.strip(), _WIKIDATA_URL_PREFIXES).strip().upper()
    return value or None


def validate_wikidata_id(value: str | None) -> None:
    """A Wikidata item id: Q and a number."""
    wikidata_id = normalise_wikidata_id(value)
    if wikidata_id is not None and not WIKIDATA_ID_PATTERN.match(wikidata_id):
        raise ValidationError(
            _("%(value)s is not a Wikidata item id: expected Q and a number, such as Q42."),
            code="invalid_wikidata_id",
            params={"value": value},
        )


def isni_check_character(first15: str) -> str:
    """The ISO 7064 Mod 11-2 check character of an ISNI's first 15 digits."""
    total = 0
    for digit in first15:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalise_isni(value: str | None) -> str | None:
    """The 16 characters of an ISNI, without spaces or hyphens, X upper-case; None if empty."""
    if value is None:
        return None
    value = _strip_prefixes(value.strip(), _ISNI_URL_PREFIXES)
    value = re.sub(r"[\s\-]", "", value).upper()
    return value or None


def validate_isni(value: str | None) -> None:
    """An ISNI has 16 characters and its check character agrees (ISO 7064 Mod 11-2)."""
    isni = normalise_isni(value)
    if isni is None:
        return
    if not ISNI_PATTERN.match(isni):
        raise ValidationError(
            _(
                "%(value)s is not an ISNI: expected 16 characters such as "
                "0000 0001 2348 0690 (15 digits and a check digit or X)."
            ),
            code="invalid_isni",
            params={"value": value},
        )
    if isni_check_character(isni[:15]) != isni[15]:
        raise ValidationError(
            _("%(value)s is not a valid ISNI: its check character does not match."),
            code="invalid_isni_checksum",
            params={"value": value},
        )


def normalise_crossref_funder_id(value: str | None) -> str | None:
    """ "10.13039/<number>" for the DOI, its URL or the bare number; None if empty."""
    if value is None:
        return None
    value = _strip_prefixes(value.strip(), _DOI_URL_PREFIXES).strip()
    if value.isascii() and value.isdigit():
        value = CROSSREF_FUNDER_PREFIX + value
    return value or None


def validate_crossref_funder_id(value: str | None) -> None:
    """A Crossref Funder ID: 10.13039/ and a number (or the number alone)."""
    funder_id = normalise_crossref_funder_id(value)
    if funder_id is not None and not CROSSREF_FUNDER_ID_PATTERN.match(funder_id):
        raise ValidationError(
            _(
                "%(value)s is not a Crossref Funder ID: expected 10.13039/ followed by "
                "digits, or the digits alone."
            ),
            code="invalid_crossref_funder_id",
            params={"value": value},
        )


def validate_aliases(value) -> None:
    """Aliases are a list of distinct non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Aliases must be a list of names."), code="invalid_aliases")
    if any(not item.strip() for item in value):
        raise ValidationError(_("An alias cannot be blank."), code="blank_alias")


def validate_sources(value) -> None:
    """Sources are citations: each names a source record and where in it the fact is.

    Shape: ``[{"source": "<source slug>", "locator": "line 43" | "p. 12", "passage"?}]``.
    Whether each named source exists needs the database: the model's ``clean()`` checks it
    (directory.models.base.unknown_cited_sources).
    """
    if not isinstance(value, list):
        raise ValidationError(_("Sources must be a list of citations."), code="invalid_sources")
    for position, citation in enumerate(value, start=1):
        if not isinstance(citation, dict):
            raise ValidationError(
                _("Source %(n)s must be an object with a source and a locator."),
                code="invalid_source",
                params={"n": position},
            )
        unknown = set(citation) - SOURCE_KEYS
        if unknown:
            raise ValidationError(
                _("Source %(n)s has unknown keys: %(keys)s (allowed: %(allowed)s)."),
                code="invalid_source",
                params={
                    "n": position,
                    "keys": ", ".join(sorted(map(str, unknown))),
                    "allowed": ", ".join(SOURCE_KEY_ORDER),
                },
            )
        for key in SOURCE_KEYS:
            if key in citation and not isinstance(citation[key], str):
                raise ValidationError(
                    _("Source %(n)s: %(key)s must be text."),
                    code="invalid_source",
                    params={"n": position, "key": key},
                )
        if not str(citation.get("source") or "").strip():
            raise ValidationError(
                _("Source %(n)s needs a source (the slug of a source record)."),
                code="source_without_source",
                params={"n": position},
            )
        if not str(citation.get("locator") or "").strip():
            raise ValidationError(
                _("Source %(n)s needs a locator (where in the source: a line, a page)."),
                code="source_without_locator",
                params={"n": position},
            )


def validate_timezone_name(value: str) -> None:
    """The name of an IANA time zone, such as Asia/Tokyo or Europe/London."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a time zone name (expected e.g. Asia/Tokyo)."),
            code="invalid_timezone",
            params={"value": value},
        ) from None


#: Lazy: read in the language of the request that is refused.
NUL_MESSAGE = gettext_lazy("Contains a NUL character (\\x00), which text cannot hold.")


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def nul_character_error(value) -> Promise | None:
    """The message (lazy) for a text value (or a JSON value holding text) with a NUL character,
    or None."""
    return NUL_MESSAGE if _holds_nul(value) else None


def parse_count(raw: str, *, name: str, maximum: int) -> int:
    """A whole number from 1 to ``maximum`` given as the query parameter ``name`` (how many
    items an answer holds); ValueError with the message naming it otherwise, in the active
    language (the callers answer it as a 400).

    ASCII digits only: ``int()`` would also take " 5", "+5" and other scripts' digits.
    """
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)):
        value = int(raw)
        if 1 <= value <= maximum:
            return value
    raise ValueError(
        _("%(name)s must be an integer from 1 to %(maximum)s.") % {"name": name, "maximum": maximum}
    )
