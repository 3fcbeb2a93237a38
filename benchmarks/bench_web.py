"""Load check of the playground: N concurrent clients on loopback for a bounded time.

Run: ``python benchmarks/bench_web.py [--clients 8] [--seconds 10]``. Not a test. Starts the
server (uvicorn, GloVe 6B 50d) in a subprocess on 127.0.0.1, runs the clients in threads, each
sending a mix of neighbour, analogy, similarity and tokenizer requests, and reports requests/s,
p50/p99 latency and errors. It only ever talks to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx

WORDS = ["king", "queen", "man", "woman", "paris", "tower", "river", "computer", "music", "water"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tokenvec", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(base + "/api/info", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        stop = time.time() + args.seconds

        def client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=10) as c:
                while time.time() < stop:
                    kind = rng.randrange(4)
                    w = rng.sample(WORDS, 3)
                    if kind == 0:
                        req = ("/api/similar", {"word": w[0], "topn": 10})
                    elif kind == 1:
                        req = ("/api/analogy", {"a": w[0], "b": w[1], "c": w[2]})
                    elif kind == 2:
                        req = ("/api/similarity", {"a": w[0], "b": w[1]})
                    else:
                        req = ("/api/tokenize", {"text": " ".join(w) * 5})
                    t = time.perf_counter()
                    try:
                        ok = c.get(req[0], params=req[1]).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    dt = time.perf_counter() - t
                    with lock:
                        latencies.append(dt)
                        errors += not ok

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.time()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.time() - t0
        lat = sorted(latencies)
        p50 = statistics.median(lat) * 1e3
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3
        print(
            f"{args.clients} clients, {elapsed:.1f} s: {len(lat):,} requests, "
            f"{len(lat) / elapsed:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"errors {errors}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
