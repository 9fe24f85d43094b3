"""`make bench`: every benchmark, one after the other; each prints its own figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
BENCHMARKS = ["bench_signup.py", "bench_media.py", "bench_feed.py", "bench_events.py"]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n===== {name}", flush=True)
        if subprocess.run([sys.executable, str(SCRIPTS / name)], cwd=SCRIPTS.parent).returncode:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
