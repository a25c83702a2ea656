"""Times the offline preview: bare imports, and the dev and prod previews with the policy pack.

Prints the median and the spread of several runs of each command and its peak memory. A figure,
not a test: the target (dev preview with the policy pack well under 5 s on 2 cores) is judged by
reading it, so a noisy machine never fails CI.

    python benchmarks/preview.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "bare imports (pulumi, pulumi_aws, pulumi_policy)": ["-c", "import pulumi, pulumi_aws, pulumi_policy"],
    "dev preview + policy pack": ["-m", "offline", "preview", "--stack", "dev", "--quiet"],
    "dev preview + policy pack, --unknowns": ["-m", "offline", "preview", "--stack", "dev", "--quiet", "--unknowns"],
    "prod preview + policy pack": ["-m", "offline", "preview", "--stack", "prod", "--quiet"],
    "prod preview, no policy pack": ["-m", "offline", "preview", "--stack", "prod", "--quiet", "--no-policy"],
}


def measure(args: list[str]) -> tuple[float, int]:
    """Wall time of one run and the peak RSS (KiB) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {runs} runs each (after one warm-up)")
    print(f"{'case':<52}{'median s':>10}{'min s':>8}{'max s':>8}{'peak MiB':>10}")
    for label, args in CASES.items():
        measure(args)  # warm the file cache and .pyc files
        times, peak = [], 0
        for _ in range(runs):
            elapsed, rss = measure(args)
            times.append(elapsed)
            peak = max(peak, rss)
        print(f"{label:<52}{statistics.median(times):>10.2f}{min(times):>8.2f}{max(times):>8.2f}{peak / 1024:>10.0f}")


if __name__ == "__main__":
    main()
