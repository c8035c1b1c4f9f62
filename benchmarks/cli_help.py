"""Wall time of `overt --help` (and `overt lab run --help`), a fresh process each time.

    python benchmarks/cli_help.py [--repeat 10]

The baseline in the same run is a bare `python -c pass`, so the figure also
shows how much of the time is the interpreter starting. Reports the median of
`--repeat` runs. Prints `overt_help_seconds:` last (goal ≤ 1).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_seconds(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command (median)")
    args = parser.parse_args()
    overt = [sys.executable, "-m", "overt.cli"]
    bare = median_seconds([sys.executable, "-c", "pass"], args.repeat)
    sub = median_seconds([*overt, "lab", "run", "--help"], args.repeat)
    top = median_seconds([*overt, "--help"], args.repeat)
    print(f"python_startup_seconds: {bare:.3f}")
    print(f"overt_lab_run_help_seconds: {sub:.3f}")
    print(f"overt_help_seconds: {top:.3f}")


if __name__ == "__main__":
    main()
