from django.urls import path

from . import views

app_name = "challenges"

urlpatterns = [
    path("programs/<slug:slug>/", views.ProgramDetailView.as_view(), name="program"),
    path("challenges/", views.ChallengeListView.as_view(), name="list"),
    path("challenges/<slug:slug>/", views.challenge_detail, name="detail"),
    path("jury/invitations/<str:token>/", views.JuryInvitationView.as_view(), name="jury_invitation_accept"),
]
