"""``manage.py generate_scale``: a large, deterministic company for benchmarks (the generator: bench/scale.py)."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from bench.scale import ScaleSpec, generate_scale


class Command(BaseCommand):
    help = (
        "Create a large, realistic company (CRM funnel, cascade, initiatives, budget) for benchmarks. "
        "Deterministic by --seed; PostgreSQL COPY when available."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="slug of the company (created with members if missing)")
        parser.add_argument("--leads", type=int, default=0)
        parser.add_argument("--opportunities", type=int, default=0)
        parser.add_argument("--touchpoints", type=int, default=0)
        parser.add_argument("--objectives", type=int, default=0)
        parser.add_argument("--initiatives", type=int, default=0)
        parser.add_argument("--budget-lines", type=int, default=0)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--until", type=dt.date.fromisoformat, default=None, help="last day of history (today)")

    def handle(self, *args, **options):
        sizes = [options[k] for k in ("leads", "opportunities", "touchpoints", "objectives", "initiatives")]
        if any(n < 0 for n in [*sizes, options["budget_lines"]]):
            raise CommandError("Sizes must be zero or positive.")
        if (options["opportunities"] or options["touchpoints"]) and not options["leads"]:
            raise CommandError("Opportunities and touchpoints need leads (--leads).")
        spec = ScaleSpec(
            company=options["company"],
            leads=options["leads"],
            opportunities=options["opportunities"],
            touchpoints=options["touchpoints"],
            objectives=options["objectives"],
            initiatives=options["initiatives"],
            budget_lines=options["budget_lines"],
            seed=options["seed"],
            until=options["until"],
        )
        started = time.perf_counter()
        counts = generate_scale(spec, progress=lambda line: self.stdout.write(line))
        summary = ", ".join(f"{name} {n:,}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated in {time.perf_counter() - started:.1f} s: {summary}"))
