"""An iCalendar (RFC 5545) feed of call deadlines: /api/v1/calls.ics.

It takes the same filters as /api/v1/calls/ (``status=open``, ``country=GB``, ``programme=``
…, validated by the same filterset, so a bad value is the same 400 JSON naming the parameter)
and the same visibility rule: the public sees published calls of published programmes only.
Each call is one VEVENT at its deadline, in the funder's own time zone (a VTIMEZONE is
included for each zone used), with a UID that stays the same from one download to the next
so calendar applications update events instead of duplicating them.
"""

from __future__ import annotations

import datetime
import zoneinfo

import icalendar
from django.http.request import split_domain_port
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.caching import CacheHeadersMixin
from api.language import request_language
from api.parameters import unknown_parameter_errors
from api.renderers import FormatRenderer
from directory import choices, filtersets, selectors
from directory.models import Call

PRODID = "-//Facility Directory//Call deadlines//EN"
EXTRA_PARAMETERS = {"lang"}
SUMMARY_PREFIX = {"en": "Deadline", "ja": "締切"}


class ICalendarRenderer(FormatRenderer):
    """text/calendar for the feed; errors (4xx) stay JSON like the rest of the API."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render_body(self, data, renderer_context, response):
        if response is not None:
            response["Content-Disposition"] = 'inline; filename="calls.ics"'
        return data


class CallCalendarView(CacheHeadersMixin, APIView):
    """Call deadlines as an iCalendar feed to subscribe to (one event per deadline)."""

    renderer_classes = [ICalendarRenderer]
    answer_model = Call
    schema = None  # not part of the JSON API's OpenAPI document

    def get(self, request):
        self.language = request_language(request)
        queryset = selectors.visible_calls(request.user)
        filterset = filtersets.CallFilterSet(
            request.query_params, queryset=queryset.select_related("programme"), request=request
        )
        allowed = EXTRA_PARAMETERS | set(filterset.base_filters)
        errors = unknown_parameter_errors(request, allowed)
        if not filterset.is_valid():
            errors.update({name: list(messages) for name, messages in filterset.errors.items()})
        if errors:
            raise ValidationError(errors)
        calls = list(filterset.qs)
        if not request.query_params.get("ordering"):
            calls.sort(key=lambda call: (call.closes_at, call.name, call.slug))
        return Response(self.calendar(request, calls).to_ical())

    def calendar(self, request, calls: list[Call]) -> icalendar.Calendar:
        host, _port = split_domain_port(request.get_host())
        api_root = request.build_absolute_uri("/api/v1/")
        now = timezone.now()
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        name = "Facility Directory: call deadlines"
        cal.add("name", name)  # RFC 7986
        cal.add("x-wr-calname", name)  # what most calendar applications read
        cal.add("refresh-interval", datetime.timedelta(hours=12), parameters={"VALUE": "DURATION"})
        for call in calls:
            cal.add_component(self.event(call, host or "localhost", api_root, now))
        if calls:
            years = [call.closes_at.year for call in calls]
            # VTIMEZONE rules covering every deadline (a year of margin either side).
            cal.add_missing_timezones(
                first_date=datetime.date(min(years) - 1, 1, 1),
                last_date=datetime.date(max(years) + 2, 1, 1),
            )
        return cal

    def event(self, call: Call, host: str, api_root: str, now) -> icalendar.Event:
        record_url = f"{api_root}calls/{call.slug}/"
        title = serializers.localised(call.name, call.name_ja, self.language)
        programme = call.programme
        programme_name = serializers.localised(programme.name, programme.name_ja, self.language)
        status = choices.choice_label(choices.CallStatus, call.status_at(now), self.language)
        event = icalendar.Event()
        event.add("uid", f"{call.slug}@{host}")
        # Without METHOD, DTSTAMP is when the record was last revised (RFC 5545 3.8.7.2).
        event.add("dtstamp", call.updated_at)
        event.add("last-modified", call.updated_at)
        event.add("dtstart", deadline(call))
        event.add("summary", f"{SUMMARY_PREFIX[self.language]}: {title}")
        event.add("url", call.url or call.website or record_url)
        lines = [
            f"Programme: {programme_name}",
            f"Status: {status}",
            f"Deadline time zone: {call.deadline_timezone}",
        ]
        if call.url:
            lines.append(f"Call page: {call.url}")
        lines.append(f"Directory record: {record_url}")
        event.add("description", "\n".join(lines))
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        return event


def deadline(call: Call) -> datetime.datetime:
    """The deadline in the funder's time zone (UTC if the zone is unknown here)."""
    try:
        zone = zoneinfo.ZoneInfo(call.deadline_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return call.closes_at.astimezone(datetime.UTC)
    if call.deadline_timezone in ("UTC", "Etc/UTC"):
        return call.closes_at.astimezone(datetime.UTC)
    return call.closes_at.astimezone(zone)
