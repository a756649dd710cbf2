"""The public challenge list's filters (django-filter): by edition, partner and theme, all by slug."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partners.models import Partner

from .models import Challenge, Program, Theme


class ChallengeFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=_("Edition"),
        queryset=Program.objects.published(),
        to_field_name="slug",
        empty_label=_("All editions"),
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"),
        queryset=Partner.objects.public().order_by("name"),
        to_field_name="slug",
        empty_label=_("All partners"),
        method="filter_partner",
    )
    theme = django_filters.ModelChoiceFilter(
        label=_("Theme"),
        field_name="themes",
        queryset=Theme.objects.all(),
        to_field_name="slug",
        empty_label=_("All themes"),
    )

    class Meta:
        model = Challenge
        fields = ["program", "partner", "theme"]

    def filter_partner(self, queryset, name, value):
        """A partner's challenges are those it owns and those it co-sponsors (without a DISTINCT over joins)."""
        co_sponsored = Challenge.co_sponsors.through.objects.filter(partner=value).values("challenge_id")
        return queryset.filter(Q(owner=value) | Q(pk__in=co_sponsored))
