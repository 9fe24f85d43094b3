"""`make bench`: every benchmark, one after the other; each prints its own figures.

`make bench BENCH_SCALE=large`: only the one that depends on the amount of data (bench_feed.py,
at seed_demo's large scale), the others measure the same with any.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
BENCHMARKS = ["bench_signup.py", "bench_media.py", "bench_feed.py", "bench_events.py"]
AT_SCALE = ["bench_feed.py"]  # reads BENCH_SCALE itself


def main() -> int:
    failed = []
    scaled = os.environ.get("BENCH_SCALE", "benchmark") != "benchmark"
    for name in AT_SCALE if scaled else BENCHMARKS:
        print(f"\n===== {name}", flush=True)
        if subprocess.run([sys.executable, str(SCRIPTS / name)], cwd=SCRIPTS.parent).returncode:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
