"""The partnerships after the experiments: the public list of signed ones, and staff's funnel per edition."""

from django.urls import path

from . import partnership_views

app_name = "partnerships"

urlpatterns = [
    path("", partnership_views.public_list, name="list"),
    path("funnel/<slug:slug>/", partnership_views.funnel, name="funnel"),
]
