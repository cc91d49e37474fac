"""Dates as the widgets show them: one format per language, in both kinds of widget.

English ``31 Jan 2027``, Japanese ``2027年1月31日``; a deadline adds the funder's local time and
time zone: ``31 Jan 2027, 17:00 (Asia/Tokyo)``, ``2027年1月31日 17:00（Asia/Tokyo）``.

Fixed tables, no locale data, so nothing depends on the server's or the reader's locale: the
iframe widgets write these strings here, and the script widget (embed/static/embed/widget.js,
its ``day`` and ``deadline`` functions) writes the same from the API's ISO dates
(``opens_on``, ``closes_at_local``, ``deadline_timezone``) and ``Last-Modified``. The API's
answers themselves carry no formatted date (their English bytes stay as they are), so the
script keeps this one small rule; tests/test_widget_js.py runs both on the same dates, and the
browser test compares the two widgets on the same records.
"""

from __future__ import annotations

import datetime

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: datetime.date, lang: str) -> str:
    """``31 Jan 2027`` (en) or ``2027年1月31日`` (ja)."""
    if lang == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_deadline(local: datetime.datetime, zone: str, lang: str) -> str:
    """A deadline in the funder's time zone ``zone``: ``local`` is already in it."""
    time = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "ja":
        return f"{format_date(local, lang)} {time}（{zone}）"
    return f"{format_date(local, lang)}, {time} ({zone})"


def updated_date(changed_at: datetime.datetime) -> datetime.date:
    """The day (UTC) of a Last-Modified moment, as the widgets show "updated …"."""
    return changed_at.astimezone(datetime.UTC).date()
