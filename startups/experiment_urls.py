"""A selected startup's experiment, under /experiments/<selection>/: its agreement, deliverables and indicators."""

from django.urls import path

from . import agreement_views, deliverable_views, kpi_views, partnership_views

app_name = "experiments"

urlpatterns = [
    path("<int:pk>/agreement/", agreement_views.page, name="agreement"),
    path("<int:pk>/deliverables/", deliverable_views.page, name="deliverables"),
    path("<int:pk>/indicators/", kpi_views.page, name="indicators"),
    path("<int:pk>/deliverables/files/<int:file>/", deliverable_views.deliverable_file, name="deliverable_file"),
    path("<int:pk>/partnership/", partnership_views.experiment_partnership, name="partnership"),
    path("<int:pk>/follow-up/<int:months>/", partnership_views.follow_up, name="follow_up"),
]
