"""`manage.py bench_pages` (`make bench`): server-side time and query count of the public pages on the demo data.

Measured in-process with Django's test client (no network, no browser): what the application itself costs per
page. Targets live here, not in timed tests: the command exits non-zero when a page misses its budget.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from datacity.demo import content

BUDGET_P95_MS = 150
BUDGET_QUERIES = 10


class Command(BaseCommand):
    help = "Time the public pages on the demo edition (run load_demo first)."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50, help="requests per page (after 3 warm-up requests)")

    def handle(self, *args, requests: int, **options):
        client = Client(HTTP_HOST="localhost")
        failures = []
        self.stdout.write(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for url in content.PUBLIC_PAGES:
            for _ in range(3):
                client.get(url)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}: is the demo loaded?")
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            p50 = statistics.median(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            self.stdout.write(f"{url:<40} {p50:>8.1f} {p95:>8.1f} {len(queries):>8}")
            if p95 > BUDGET_P95_MS or len(queries) > BUDGET_QUERIES:
                failures.append(url)
        if failures:
            raise CommandError(f"over budget (p95 {BUDGET_P95_MS} ms, {BUDGET_QUERIES} queries): {', '.join(failures)}")
        self.stdout.write(self.style.SUCCESS(f"all pages within budget (p95 <= {BUDGET_P95_MS} ms)"))
