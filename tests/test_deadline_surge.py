"""The deadline surge at reduced size against the live server: thirty startups save and submit their applications
with a file in the seconds before the call closes, three of them just after. Nothing fails, nothing accepted is
lost, every late submission is refused, and the database holds exactly what was accepted (`manage.py bench_surge`
runs the same at full size against gunicorn, and times it)."""

import threading

import pytest
from django.db import connection

from datacity.demo import surge
from startups import services
from startups.models import Application, ApplicationStatus
from tests.factories import ChallengeFactory, ProgramFactory, StartupFactory, StartupMembershipFactory, open_call

STARTUPS = 30
LATE_SHARE = 0.1
CLOSES_IN = 12.0  # seconds: the on-time startups start within the first four
SPREAD = 4.0


@pytest.mark.django_db(transaction=True)
def test_a_surge_before_the_deadline_loses_nothing_and_late_submissions_are_refused(live_server):
    scenario = surge.prepare(startups=STARTUPS, late_share=LATE_SHARE, spread=SPREAD)
    outcome = surge.run_surge(scenario, live_server.url, closes_in=CLOSES_IN)
    verdict = surge.verify(scenario, outcome)

    assert verdict.errors == []
    assert verdict.lost == []
    assert verdict.late_accepted == []
    assert verdict.mismatched == []
    late = {applicant.application_id for applicant in scenario.applicants if applicant.late}
    assert len(late) == 3
    assert verdict.refused_late == late
    # Every on-time startup sent its submission before the deadline: each was accepted, or refused only because
    # the server read its clock after the deadline.
    on_time = {applicant.application_id for applicant in scenario.applicants if not applicant.late}
    assert verdict.accepted | verdict.in_flight_refused == on_time
    assert verdict.accepted
    submitted = Application.objects.filter(challenge_id=scenario.challenge_id, status=ApplicationStatus.SUBMITTED)
    assert set(submitted.values_list("pk", flat=True)) == verdict.accepted
    assert (
        set(
            Application.objects.filter(pk__in=late, status=ApplicationStatus.DRAFT, revision=1).values_list(
                "pk", flat=True
            )
        )
        == late
    )


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_make_one_application_and_the_second_is_told_of_the_first():
    """A double click on a new application's first save (or two members starting it at once): one application, the
    second save refused as a conflict, never a duplicate key error (a 500 on the page)."""
    challenge = ChallengeFactory.create(program=open_call(ProgramFactory.create()).program)
    member = StartupMembershipFactory.create(startup=StartupFactory.create())
    start = threading.Barrier(2)
    answers: list[str] = []

    def first_save() -> None:
        try:
            start.wait()
            services.application_save(
                startup=member.startup, challenge=challenge, actor=member.user, data={"solution": "S"}, revision=0
            )
            answers.append("saved")
        except services.ApplicationRefused as refused:
            answers.append(refused.details.get("reason_code", ""))
        except Exception as error:  # what the page would have turned into a 500
            answers.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(answers) == ["conflict", "saved"]
    application = Application.objects.get(startup=member.startup, challenge=challenge)
    assert (application.revision, application.solution) == (1, "S")
