"""`bench_lighthouse`'s reading of a Lighthouse report (a stored one, trimmed to what it reads) and its page list.
Lighthouse itself runs in `make bench`, not in the suite."""

import json
from pathlib import Path

from datacity.demo import content
from datacity.demo.management.commands.bench_lighthouse import median, pages, parse

REPORT = Path(__file__).parent / "data" / "lighthouse-report.json"


def stored_report() -> dict:
    return json.loads(REPORT.read_text(encoding="utf-8"))


def test_parse_reads_the_scores_and_the_audits_that_cost_points():
    result = parse(stored_report())

    assert result.scores == {"performance": 98, "accessibility": 95, "best-practices": 100}
    assert result.foreign_requests == []
    assert result.failing_audits == ["accessibility: target-size"]
    assert result.missed == ["accessibility"]


def test_parse_counts_the_requests_to_another_host():
    report = stored_report()
    items = report["audits"]["network-requests"]["details"]["items"]
    items += [
        {"url": "https://fonts.example.org/font.woff2"},
        {"url": "data:image/png;base64,AAAA"},  # not a request to a host
        {"url": "http://127.0.0.1:8000/static/extra.css"},
    ]
    report["categories"]["accessibility"]["score"] = 1

    result = parse(report)

    assert result.foreign_requests == ["https://fonts.example.org/font.woff2"]
    assert result.missed == ["requests to other hosts"]


def test_median_keeps_each_category_median_and_only_the_audits_still_short():
    slow, fast = stored_report(), stored_report()
    slow["categories"]["performance"]["score"] = 0.9
    runs = [parse(slow), parse(fast), parse(fast)]
    assert runs[0].failing_audits[0].startswith("performance: total-blocking-time (160")

    result = median(runs)

    assert result.scores["performance"] == 98
    assert result.failing_audits == ["accessibility: target-size"]


def test_pages_are_every_public_page_in_each_language_asked():
    every = pages(["fr", "ar", "en"])
    assert len(every) == len(set(every))
    assert set(content.PUBLIC_PAGES) <= set(every)
    assert {"/challenges/ilots-de-chaleur/", "/en/challenges/ilots-de-chaleur/"} <= set(every)  # listed in Arabic
    assert len(every) == 3 * len(pages(["fr"]))

    assert {"/", "/ar/", "/open-data/", "/ar/open-data/"} <= set(pages(["fr", "ar"]))
    assert not any(url.startswith("/en/") for url in pages(["fr", "ar"]))
