"""Staff's selection pages, under /staff/selection/."""

from django.urls import path

from . import selection_views

app_name = "selection"

urlpatterns = [
    path("<slug:slug>/", selection_views.results, name="results"),
    path("<slug:slug>/decide/", selection_views.decide, name="decide"),
    path("<slug:slug>/minutes/", selection_views.minutes, name="minutes"),
]
