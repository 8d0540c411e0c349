"""Benchmarks the staff matching of mergers on generated staff lists; prints quality and time.

Run: .venv/bin/python bench/matching.py [--seeds 3] [--sizes 150,1500,5000]
Pure Python (no database). For each size it generates closing-school accounts and new-school
records with a known truth (transfers/staff_lists.py), proposes matches
(transfers/matching.py) and prints, over the seeds:
  precision and recall of the proposals (sure + doubtful + clash), and of the sure ones alone,
  the count of proposals per confidence, and the time matches_propose takes (median).
A proposal is an (account, record) pair of confidence sure, doubtful or clash; precision is the
correct proposals over the proposals; recall is the correct proposals over the true pairs.
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hwb_portal.settings.test")

from bench.staff_lists import proposals_quality, staff_lists_generate  # noqa: E402
from provisioning.matching import CLASH, DOUBTFUL, NONE, SURE, matches_propose  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", default="150,1500,5000")
    args = parser.parse_args()
    print(
        f"{'staff':>6} {'records':>7}  {'precision':>9} {'recall':>6}  {'sure prec':>9} "
        f"{'sure rec':>8}  {'sure':>5} {'doubt':>5} {'clash':>5} {'none':>5}  {'time':>8}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        figures: list[dict[str, float]] = []
        counts: Counter = Counter()
        timings, records = [], 0
        for seed in range(1, args.seeds + 1):
            lists = staff_lists_generate(seed=seed, size=size)
            records = len(lists.records)
            start = time.perf_counter()
            proposals = matches_propose(lists.accounts, lists.records)
            timings.append(time.perf_counter() - start)
            figures.append(proposals_quality(proposals, lists.truth))
            counts.update(p.confidence for p in proposals)

        def mean(name: str, figures=figures) -> float:
            return statistics.mean(f[name] for f in figures)

        per_seed = {k: round(v / args.seeds) for k, v in counts.items()}
        print(
            f"{size:>6} {records:>7}  {mean('precision'):>9.3f} {mean('recall'):>6.3f}  "
            f"{mean('sure_precision'):>9.3f} {mean('sure_recall'):>8.3f}  "
            f"{per_seed.get(SURE, 0):>5} {per_seed.get(DOUBTFUL, 0):>5} "
            f"{per_seed.get(CLASH, 0):>5} {per_seed.get(NONE, 0):>5}  "
            f"{statistics.median(timings):>7.3f}s"
        )
    print(f"(means over {args.seeds} seeds; counts per seed; time: median of matches_propose)")


if __name__ == "__main__":
    main()
