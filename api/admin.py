"""API tokens in the admin: staff issue and revoke their own; others' need a permission.

- Everyone with the model's permissions (the editor role) sees, issues, renames and revokes
  their *own* tokens only. A token is always issued to the user signed in: the form has no
  user field, and whatever user a crafted POST names is ignored. So an editor can neither
  read another user's tokens nor write history in another user's name.
- Staff with ``api.manage_others_tokens`` (superusers; nobody's role grants it) see every
  token, and pick the user when they issue one.
- The key is shown once, in the message after "Save"; the list and the token's page show
  its first characters only, never its digest (the primary key is a plain number).

DRF's own token admin ("Auth Token → Tokens") is removed: those plain-text keys were moved
into hashed tokens by api/migrations/0002 and no longer authenticate anyone.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.html import format_html
from rest_framework.authtoken.models import TokenProxy

from api import tokens
from api.models import ApiToken

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


class IssueTokenForm(forms.ModelForm):
    """A new token: its name, for how many days, and (for managers of others' tokens) whose.

    ``issuer`` is set by the admin to the user signed in (:meth:`ApiTokenAdmin.get_form`).
    """

    issuer = None

    expires_in_days = forms.IntegerField(
        min_value=1,
        label="Expires in (days)",
        help_text="At most API_TOKEN_TTL_DAYS (the default).",
    )

    class Meta:
        model = ApiToken
        fields = ("name", "user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        most = tokens.max_ttl().days
        days = self.fields["expires_in_days"]
        days.initial = most
        days.validators.append(MaxValueValidator(most))
        days.widget.attrs["max"] = most
        if "user" in self.fields:
            self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("user") or self.issuer
        mine = tokens.live(ApiToken.objects.filter(user=owner))
        if owner is not None and mine.count() >= tokens.MAX_LIVE_PER_USER:
            raise forms.ValidationError(tokens.too_many_message(owner))
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "token_key", "created", "expiry", "expired")
    list_display_links = ("name",)
    search_fields = ("name", "token_key", "user__username")
    list_select_related = ("user",)
    ordering = ("-created",)
    readonly_fields = ("user", "token_key", "created", "expiry")

    # --- whose tokens -------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if tokens.manages_others(request.user):
            return queryset
        return queryset.filter(user=request.user)

    def get_list_filter(self, request):
        return ("user",) if tokens.manages_others(request.user) else ()

    # --- the add form and the token's page ------------------------------------------------

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ("name", "user", "token_key", "created", "expiry")
        if tokens.manages_others(request.user):
            return ("name", "user", "expires_in_days")
        return ("name", "expires_in_days")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type("IssueTokenForm", (IssueTokenForm,), {"issuer": request.user})
            kwargs["fields"] = [
                name for name in self.get_fields(request) if name != "expires_in_days"
            ]
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        # The form offers a user only to managers of others' tokens; for anyone else the
        # owner is whoever is signed in, whatever the request says.
        owner = form.cleaned_data.get("user") if tokens.manages_others(request.user) else None
        _, key = tokens.issue(
            owner or request.user,
            form.cleaned_data["name"],
            expires_in=datetime.timedelta(days=form.cleaned_data["expires_in_days"]),
            token=obj,
        )
        self.message_user(
            request,
            format_html(
                "The key of “{}” (for {}): <code>{}</code> — copy it now: it is shown this "
                "once and cannot be recovered (only its digest is stored).",
                obj.name,
                obj.user.get_username(),
                key,
            ),
            messages.WARNING,
        )

    # --- the list -------------------------------------------------------------------------

    @admin.display(boolean=True, description="expired")
    def expired(self, token: ApiToken) -> bool:
        return token.expiry is not None and token.expiry <= timezone.now()
