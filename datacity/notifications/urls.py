from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:pk>/open/", views.open_notice, name="open"),
]
