from django.urls import path

from . import views

app_name = "startups"

urlpatterns = [
    path("", views.StartupListView.as_view(), name="list"),
    path("<slug:slug>/", views.startup_detail, name="detail"),
]
