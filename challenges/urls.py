from django.urls import path

from datacity import composed_pages, results_pages

from . import views

app_name = "challenges"

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/<slug:slug>/", composed_pages.program_detail, name="program"),
    path("programs/<slug:slug>/demo-day/", results_pages.demo_day, name="demo_day"),
    path("programs/<slug:slug>/results/", results_pages.results, name="results"),
    path("challenges/", views.ChallengeListView.as_view(), name="list"),
    path("challenges/<slug:slug>/", composed_pages.challenge_detail, name="detail"),
    path("jury/invitations/<str:token>/", views.JuryInvitationView.as_view(), name="jury_invitation_accept"),
]
