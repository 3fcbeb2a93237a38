"""Time to first result in a fresh process, as a user waits for it.

Run: ``python benchmarks/bench_startup.py [--repeat 5]``. Not a test. Each command runs in a new
process (imports, loading the built-in vectors, numba's cached kernels included); the table
shows the median and the range of the wall times and the peak memory of the process. The
target is under 1 s for everything that trains nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("tokenvec")


def commands(tmp: Path) -> list[tuple[str, list[str], bool]]:
    """(label, argv, trains?) of each measured command."""
    corpus = tmp / "tiny.txt"
    corpus.write_text("the king and the queen rule the land of the people\n" * 200)
    py = sys.executable
    return [
        ("python -c 'import tokenvec'", [py, "-c", "import tokenvec"], False),
        ("tokenvec --version", [str(BIN), "--version"], False),
        ("tokenvec similar king", [str(BIN), "similar", "king", "--topn", "5"], False),
        ("tokenvec analogy king - man + woman", [str(BIN), "analogy", "king", "-", "man", "+", "woman"], False),
        ("tokenvec distance uncle aunt", [str(BIN), "distance", "uncle", "aunt"], False),
        ("tokenvec tokenize 'Hello, world!'", [str(BIN), "tokenize", "Hello, world!"], False),
        ("tokenvec train tiny.txt (2,400 words)",
         [str(BIN), "train", str(corpus), "-o", str(tmp / "v.tvec"), "--min-count", "1", "--overwrite",
          "--no-progress"], True),
    ]  # fmt: skip


def run_once(argv: list[str]) -> float:
    """Wall seconds of one fresh process."""
    t = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if res.returncode:
        raise RuntimeError(f"{argv}: {res.stderr[-500:]}")
    return dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cmds = commands(Path(d))
        for _, argv, _ in cmds:  # once each first: numba's cache and the OS page cache warm up
            run_once(argv)
        print(f"{'command':42} {'median s':>9} {'range s':>13} {'peak MiB':>9}  target")
        for label, argv, trains in cmds:
            times = [run_once(argv) for _ in range(args.repeat)]
            med = statistics.median(times)
            peak = _peak(argv)
            verdict = "(trains)" if trains else ("< 1 s: yes" if med < 1 else "< 1 s: NO")
            print(
                f"{label:42} {med:9.2f} {min(times):6.2f}-{max(times):<6.2f} {peak:9.0f}  {verdict}"
            )


def _peak(argv: list[str]) -> float:
    """Peak RSS (MiB) of one fresh run of ``argv``, read by a wrapper process of its own
    (``RUSAGE_CHILDREN`` reports the largest child a process ever waited for)."""
    code = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


if __name__ == "__main__":
    main()
