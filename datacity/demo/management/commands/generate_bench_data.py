"""`manage.py generate_bench_data --times N` (`make bench`): the demo's public content N times, for pages at scale.

Bench data, not demo data: every copy is written with `bulk_create`, without the services and without audit
entries, because what is measured is how the pages read many rows, not how they were written. The database's own
constraints still hold (unique slugs, phases of one edition that do not overlap and lie within its dates: a copy
keeps its original's dates). Copy `k` of a row with a slug gets the slug `<slug>-bench-<k>` and its names and titles
end with ` · bench <k>`, so a copy is never mistaken for the demo; logos are not copied (two rows never share a stored
file), each copied dataset file version gets a small file of its own.

What is copied, per copy: the published editions with their phases, recorded transitions, demo day and milestones;
the public partners with their experimentation sites and availabilities; the editions' challenges with their themes
(the same themes: a vocabulary, not content) and co-sponsors; the startups, the editions' selections with their
indicators and measurements, the partnerships; the public partners' datasets with their challenges and file versions,
and a few download log entries per file version (the access log staff export).

Re-runnable: `--times N` adds the copies 1..N that do not exist yet (one transaction each), so running it again
with the same N does nothing, and with a larger N adds the difference. `--remove` deletes every copy.
"""

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction

from challenges.models import Challenge, DemoDay, Milestone, Phase, PhaseTransition, Program
from datasets.models import Dataset, Distribution, DownloadLog
from partners.models import ExperimentationSite, Partner, SiteAvailability
from startups.models import Indicator, Measurement, Partnership, Selection, Startup

MARK = "-bench-"
DOWNLOADS_PER_FILE = 25
TITLE_FIELDS = ("name", "title")


def copy_slug(slug: str, copy: int) -> str:
    return f"{slug}{MARK}{copy}"


def originals(model: type[models.Model]) -> models.QuerySet:
    """The rows of a model with a slug that are not copies (nor the throwaway rows other bench commands name bench-)."""
    return model._default_manager.exclude(slug__contains=MARK).exclude(slug__startswith="bench-")


class Copier:
    """Writes copy number `copy` of a set of rows, remapping foreign keys to the copies already written."""

    def __init__(self, copy: int) -> None:
        self.copy = copy
        self.maps: dict[Any, dict[int, int]] = {}

    def rows(
        self,
        model: type[models.Model],
        rows: Iterable[models.Model],
        change: Callable[[models.Model, models.Model], None] | None = None,
    ) -> dict[int, int]:
        sources = list(rows)
        copies = []
        for source in sources:
            values: dict[str, Any] = {}
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                value = getattr(source, field.attname)
                if field.is_relation and field.related_model in self.maps and value is not None:
                    value = self.maps[field.related_model].get(value, value)
                elif field.name == "slug":
                    value = copy_slug(value, self.copy)
                elif field.name in TITLE_FIELDS or field.name.rsplit("_", 1)[0] in TITLE_FIELDS:
                    value = f"{value} · bench {self.copy}" if value else value
                elif isinstance(field, models.FileField):
                    value = ""
                values[field.attname] = value
            copy = model(**values)
            if change is not None:
                change(source, copy)
            copies.append(copy)
        model._default_manager.bulk_create(copies, batch_size=1000)
        mapping = {source.pk: copy.pk for source, copy in zip(sources, copies, strict=True)}
        self.maps.setdefault(model, {}).update(mapping)
        return mapping

    def through(self, field: models.ManyToManyField, sources: models.QuerySet) -> None:
        """Copy a many-to-many table for the copied rows, remapping both ends when they were copied."""
        through: Any = field.remote_field.through
        own = field.m2m_field_name()
        other = field.m2m_reverse_field_name()
        own_map = self.maps[field.model]
        other_map = self.maps.get(field.related_model, {})
        links = through._default_manager.filter(**{f"{own}__in": sources}).values_list(f"{own}_id", f"{other}_id")
        through._default_manager.bulk_create(
            [through(**{f"{own}_id": own_map[a], f"{other}_id": other_map.get(b, b)}) for a, b in links],
            batch_size=1000,
        )


def write_copy(copy: int) -> None:
    copier = Copier(copy)
    programs = originals(Program).filter(is_published=True)
    partners = originals(Partner).filter(is_public=True)
    copier.rows(Program, programs)
    copier.rows(Partner, partners)
    phases = Phase.objects.filter(program__in=programs)
    copier.rows(Phase, phases)
    copier.rows(PhaseTransition, PhaseTransition.objects.filter(phase__in=phases))
    copier.rows(DemoDay, DemoDay.objects.filter(program__in=programs))
    copier.rows(Milestone, Milestone.objects.filter(program__in=programs))
    sites = ExperimentationSite.objects.filter(partner__in=partners)
    copier.rows(ExperimentationSite, sites)
    copier.rows(SiteAvailability, SiteAvailability.objects.filter(site__in=sites))

    challenges = originals(Challenge).filter(program__in=programs)
    copier.rows(Challenge, challenges)
    copier.through(Challenge._meta.get_field("themes"), challenges)
    copier.through(Challenge._meta.get_field("co_sponsors"), challenges)

    startups = originals(Startup)
    copier.rows(Startup, startups)
    selections = Selection.objects.filter(program__in=programs, startup__in=startups)
    copier.rows(Selection, selections)
    indicators = Indicator.objects.filter(selection__in=selections)
    copier.rows(Indicator, indicators)
    copier.rows(Measurement, Measurement.objects.filter(indicator__in=indicators))
    copier.rows(Partnership, Partnership.objects.filter(startup__in=startups, partner__in=partners))

    datasets = originals(Dataset).filter(owner__in=partners)
    copier.rows(Dataset, datasets)
    copier.through(Dataset._meta.get_field("challenges"), datasets)
    copy_files(copier, Distribution.objects.filter(dataset__in=datasets).order_by("pk"))


def copy_files(copier: Copier, distributions: models.QuerySet) -> None:
    """Each copied file version gets a small file of its own, and a few download log entries by the demo's people."""
    content = b"n;valeur\n" + b"".join(f"{n};{n * 7 % 100}\n".encode() for n in range(20))

    def small_file(source: models.Model, copy: models.Model) -> None:
        copy.size = len(content)  # type: ignore[attr-defined]

    mapping = copier.rows(Distribution, distributions, small_file)
    copies = Distribution.objects.filter(pk__in=mapping.values())
    for distribution in copies:
        distribution.file.save(f"bench-{distribution.pk}.csv", ContentFile(content), save=False)
    Distribution.objects.bulk_update(copies, ["file"], batch_size=1000)

    user = get_user_model()._default_manager.order_by("pk").first()
    if user is None:
        return
    logs = [
        DownloadLog(
            user=user,
            distribution_id=pk,
            at=distribution.uploaded_at + timedelta(minutes=number),
            ip_address="127.0.0.1",
            request_id=f"bench-{pk}-{number}",
        )
        for distribution in copies
        for pk in [distribution.pk]
        for number in range(DOWNLOADS_PER_FILE)
    ]
    DownloadLog.objects.bulk_create(logs, batch_size=2000)


def existing_copies() -> set[int]:
    """The copy numbers already written, read from the copied editions' slugs."""
    numbers = set()
    for slug in Program.objects.filter(slug__contains=MARK).values_list("slug", flat=True):
        suffix = slug.rsplit(MARK, 1)[1]
        if suffix.isdigit():
            numbers.add(int(suffix))
    return numbers


def remove_copies() -> None:
    """Every copy, in the order their foreign keys allow (the download log protects its file versions)."""
    copied_datasets = Dataset.objects.filter(slug__contains=MARK)
    DownloadLog.objects.filter(distribution__dataset__in=copied_datasets).delete()
    for distribution in Distribution.objects.filter(dataset__in=copied_datasets):
        distribution.file.delete(save=False)
    Distribution.objects.filter(dataset__in=copied_datasets).delete()
    copied_datasets.delete()
    Partnership.objects.filter(startup__slug__contains=MARK).delete()
    Selection.objects.filter(program__slug__contains=MARK).delete()
    Startup.objects.filter(slug__contains=MARK).delete()
    Challenge.objects.filter(slug__contains=MARK).delete()
    Program.objects.filter(slug__contains=MARK).delete()
    Partner.objects.filter(slug__contains=MARK).delete()


class Command(BaseCommand):
    help = "Copy the demo's public content N times (bench data, bulk-written, marked '· bench k')."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--times", type=int, default=100, help="number of copies wanted (adds the missing ones)")
        parser.add_argument("--remove", action="store_true", help="delete every copy instead")

    def handle(self, *args: Any, times: int, remove: bool, **options: Any) -> None:
        if remove:
            remove_copies()
            self.stdout.write("bench copies removed")
            return
        if not originals(Program).filter(is_published=True).exists():
            raise CommandError("no published edition to copy: run load_demo first")
        started = time.perf_counter()
        missing = sorted(set(range(1, times + 1)) - existing_copies())
        for copy in missing:
            with transaction.atomic():
                write_copy(copy)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have by the time people read the pages
        self.stdout.write(
            f"{len(missing)} copies of the demo's public content written in {time.perf_counter() - started:.1f} s "
            f"({times} wanted)"
        )
