from django.urls import path

from . import application_views, booking_views, views

app_name = "startups"

urlpatterns = [
    path("", views.StartupListView.as_view(), name="list"),
    path("new/", views.startup_create, name="create"),
    path("invitations/<str:token>/", views.StartupInvitationView.as_view(), name="invitation_accept"),
    # Applications, before the startups' own pages (whose slug could otherwise read "apply" or "applications").
    path("apply/<int:challenge>/", application_views.application_apply, name="apply"),
    path("applications/<int:pk>/", application_views.application_detail, name="application"),
    path("applications/<int:pk>/edit/", application_views.application_edit, name="application_edit"),
    path("applications/<int:pk>/withdraw/", application_views.application_withdraw, name="application_withdraw"),
    path(
        "applications/<int:pk>/files/<int:attachment>/",
        application_views.application_attachment,
        name="attachment",
    ),
    path("<slug:slug>/", views.startup_detail, name="detail"),
    path("<slug:slug>/edit/", views.startup_edit, name="edit"),
    path("<slug:slug>/members/", views.StartupMembersView.as_view(), name="members"),
    path("<slug:slug>/applications/", application_views.startup_applications, name="applications"),
]

# Bookings of experimentation sites (startups.booking_views).
urlpatterns += [
    path("<slug:slug>/bookings/", booking_views.startup_bookings, name="bookings"),
    path("<slug:slug>/bookings/new/", booking_views.booking_request, name="booking_request"),
    path("bookings/<int:pk>/", booking_views.booking_detail, name="booking"),
    path("bookings/<int:pk>/decide/", booking_views.booking_decide, name="booking_decide"),
    path("bookings/<int:pk>/cancel/", booking_views.booking_cancel, name="booking_cancel"),
    path("bookings/partner/<slug:partner>/", booking_views.partner_bookings, name="partner_bookings"),
]
