"""The jury's pages, under /jury/."""

from django.urls import path

from . import jury_views, scoring_views

app_name = "jury"

urlpatterns = [
    path("", jury_views.assignments, name="assignments"),
    path("declarations/", jury_views.declarations, name="declarations"),
    path("reviews/<int:pk>/", scoring_views.review, name="review"),
    path("reviews/<int:pk>/declare/", jury_views.declare, name="declare"),
]
