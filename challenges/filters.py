"""The public challenge list's filters (django-filter): by edition, partner and theme, all by slug."""

import django_filters
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
        """A partner's challenges are those it owns and those it co-sponsors."""
        return queryset.of_partners(value)
