"""The bench's tools: the bench data generator (valid, multiplied, re-runnable) and the report's table (a missed
target is marked and fails). The bench itself, with its timings, is `make bench`, not a test."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from challenges.models import Challenge, Phase, Program
from datacity.demo import benchreport, content
from datacity.demo.management.commands.bench_pages import Load, paired_ratio
from datasets.models import Dataset, Distribution, DownloadLog
from partners.models import ExperimentationSite, Partner
from startups.models import Indicator, Partnership, Selection, Startup

MULTIPLIED = (Program, Phase, Challenge, Partner, ExperimentationSite, Startup, Selection, Indicator, Partnership)


@pytest.mark.django_db
def test_generate_bench_data_multiplies_the_public_content_and_runs_again():
    call_command("load_demo", stdout=None)
    before = {model: model._default_manager.count() for model in MULTIPLIED}
    datasets = Dataset.objects.filter(owner__is_public=True).count()
    programs = Program.objects.filter(is_published=True).count()

    call_command("generate_bench_data", times=2, stdout=None)

    assert Program.objects.count() == before[Program] + 2 * programs
    for model in (Phase, Challenge, Partner, ExperimentationSite, Startup, Selection, Indicator, Partnership):
        assert before[model] > 0, model
        assert model._default_manager.count() > before[model], model
    assert Dataset.objects.filter(slug__contains="-bench-").count() == 2 * datasets
    copied_files = Distribution.objects.filter(dataset__slug__contains="-bench-")
    assert copied_files.exists()
    assert all(distribution.file.name for distribution in copied_files)
    assert DownloadLog.objects.filter(distribution__in=copied_files).exists()
    copy = Challenge.objects.get(slug="qualite-chantiers-bench-2")
    original = Challenge.objects.get(slug="qualite-chantiers")
    assert copy.program.slug == f"{original.program.slug}-bench-2"
    assert set(copy.themes.all()) == set(original.themes.all())
    assert copy.co_sponsors.count() == original.co_sponsors.count()
    assert all(sponsor.slug.endswith("-bench-2") for sponsor in copy.co_sponsors.all())
    assert Challenge.objects.filter(pk=copy.pk, title_fr__endswith="· bench 2").exists()

    # Running it again with the same number adds nothing; the public pages still render.
    after = {model: model._default_manager.count() for model in MULTIPLIED}
    call_command("generate_bench_data", times=2, stdout=None)
    assert {model: model._default_manager.count() for model in MULTIPLIED} == after
    client = Client()
    for url in content.PUBLIC_PAGES:
        assert client.get(url).status_code == 200, url
    assert client.get("/challenges/qualite-chantiers-bench-1/").status_code == 200

    call_command("generate_bench_data", remove=True, stdout=None)
    assert {model: model._default_manager.count() for model in MULTIPLIED} == before


def test_report_marks_a_missed_target_and_fails(tmp_path, capsys):
    report = tmp_path / "bench.jsonl"
    benchreport.write_row(report, "/challenges/ ratio", 0.31, "x minimal", ">= 0.5", False, section="pages (100x data)")
    benchreport.write_row(report, "upload peak", 12.5, "MiB", "< 100", True, section="upload")
    benchreport.write_row(report, "minimal view", 900.0, "req/s", section="pages (100x data)")

    table, missed = benchreport.render(benchreport.read_rows(report))
    assert [row.name for row in missed] == ["/challenges/ ratio"]
    lines = table.splitlines()
    assert any("/challenges/ ratio" in line and line.endswith("FAIL") for line in lines)
    assert any("upload peak" in line and line.endswith("PASS") for line in lines)

    with pytest.raises(CommandError, match="1 target"):
        call_command("bench_report", str(report))
    assert "/challenges/ ratio" in capsys.readouterr().out


def test_report_passes_when_every_target_is_met(tmp_path, capsys):
    report = tmp_path / "bench.jsonl"
    benchreport.write_row(report, "upload peak", 12.5, "MiB", "< 100", True, section="upload")
    call_command("bench_report", str(report))
    assert "PASS" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("bench_report", str(tmp_path / "missing.jsonl"))


def test_a_pages_ratio_pairs_each_run_with_the_minimal_runs_around_it():
    def runs(*rates: int) -> list[Load]:
        return [Load(requests=rate, seconds=1.0, bad=0, p95_ms=5.0) for rate in rates]

    # Other work slows the machine down steadily: the minimal view from 1000 to 600 req/s, the page at 0.6 of it.
    minimal = runs(1000, 900, 800, 700, 600)
    page = runs(570, 510, 450, 390)
    assert paired_ratio(minimal, page) == pytest.approx(0.6)

    # A burst of other work during one page run moves that run only; the ratio of the totals would drop to 0.47.
    page = runs(570, 100, 450, 390)
    assert paired_ratio(minimal, page) == pytest.approx(0.6)
    totals = Load.total(page).requests_per_second / Load.total(minimal).requests_per_second
    assert totals == pytest.approx(0.47, abs=0.01)
