from django.urls import path

from datacity import composed_pages

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="list"),
    path("invitations/<str:token>/", views.PartnerInvitationView.as_view(), name="invitation_accept"),
    path("<slug:slug>/", composed_pages.partner_detail, name="detail"),
    path("<slug:slug>/edit/", views.partner_edit, name="edit"),
    path("<slug:slug>/members/", views.PartnerMembersView.as_view(), name="members"),
    path("<slug:slug>/applications/", composed_pages.partner_applications, name="applications"),
]
