from django.urls import path

from . import views

app_name = "startups"

urlpatterns = [
    path("", views.StartupListView.as_view(), name="list"),
    path("new/", views.startup_create, name="create"),
    path("invitations/<str:token>/", views.StartupInvitationView.as_view(), name="invitation_accept"),
    path("<slug:slug>/", views.startup_detail, name="detail"),
    path("<slug:slug>/edit/", views.startup_edit, name="edit"),
    path("<slug:slug>/members/", views.StartupMembersView.as_view(), name="members"),
]
