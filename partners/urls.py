from django.urls import path

from datacity import composed_pages

from . import site_views, views

app_name = "partners"

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="list"),
    path("invitations/<str:token>/", views.PartnerInvitationView.as_view(), name="invitation_accept"),
    path("<slug:slug>/", composed_pages.partner_detail, name="detail"),
    path("<slug:slug>/edit/", views.partner_edit, name="edit"),
    path("<slug:slug>/members/", views.PartnerMembersView.as_view(), name="members"),
    path("<slug:slug>/applications/", composed_pages.partner_applications, name="applications"),
    path("<slug:slug>/sites/", site_views.partner_sites, name="sites"),
    path("<slug:slug>/sites/new/", site_views.site_create, name="site_create"),
    path("<slug:slug>/sites/<slug:site>/edit/", site_views.site_edit, name="site_edit"),
    path("<slug:slug>/sites/<slug:site>/photos/", site_views.site_photos, name="site_photos"),
    path(
        "<slug:slug>/sites/<slug:site>/photos/<int:photo>/remove/",
        site_views.site_photo_remove,
        name="site_photo_remove",
    ),
]
