from django.urls import path

from datacity import composed_pages

from . import views

app_name = "challenges"

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/<slug:slug>/", composed_pages.program_detail, name="program"),
    path("challenges/", views.ChallengeListView.as_view(), name="list"),
    path("challenges/<slug:slug>/", composed_pages.challenge_detail, name="detail"),
    path("jury/invitations/<str:token>/", views.JuryInvitationView.as_view(), name="jury_invitation_accept"),
]
