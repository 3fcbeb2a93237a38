"""Load check of the playground: N concurrent clients on loopback for a bounded time.

Run: ``python benchmarks/bench_web.py [--clients 1 8 50 200] [--seconds 10]``. Not a test.
Starts the server (``tokenvec serve``, GloVe 6B 50d) in a subprocess on 127.0.0.1, then for
each client count runs the clients in threads, each sending a mix of neighbour, analogy,
similarity, tokenizer and unknown-word requests, and reports requests/s, p50/p99 latency and
errors, and each count's throughput as a ratio of the best. Clients and server share the
machine's cores. It only ever talks to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx

WORDS = ["king", "queen", "man", "woman", "paris", "tower", "river", "computer", "music", "water"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_clients(port: int, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, errors) of ``clients`` concurrent clients for ``seconds``."""
    return asyncio.run(_run_clients(port, clients, seconds))


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    """One keep-alive HTTP/1.1 GET; returns the status. A bare client: httpx's own overhead
    with 200 concurrent connections in one process caps at ~10 requests/s and would measure
    the client instead of the server."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def _request(rng: random.Random) -> tuple[str, int]:
    """A request of the mix and the status it should get."""
    kind = rng.randrange(10)
    w = rng.sample(WORDS, 3)
    if kind < 3:
        return "/api/similar?" + urlencode({"word": w[0], "topn": 10}), 200
    if kind < 5:
        return "/api/analogy?" + urlencode({"a": w[0], "b": w[1], "c": w[2]}), 200
    if kind < 7:
        return "/api/similarity?" + urlencode({"a": w[0], "b": w[1]}), 200
    if kind < 9:
        return "/api/tokenize?" + urlencode({"text": " ".join(w) * 5}), 200
    # An unknown 12-letter word: 404 with suggestions.
    return "/api/similar?" + urlencode({"word": "".join(rng.choices("qxzjkv", k=12))}), 404


async def _run_clients(port: int, clients: int, seconds: float) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                path, expect = _request(rng)
                t = time.perf_counter()
                try:
                    ok = await _get(reader, writer, path) == expect
                except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                latencies.append(time.perf_counter() - t)
                errors += not ok
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    p50 = statistics.median(lat) * 1e3
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3
    return len(lat) / elapsed, p50, p99, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 50, 200])
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
                # Warm up: the first query computes the unit rows (0.3 s), not measured.
                httpx.get(base + "/api/similar", params={"word": "the"}, timeout=30)
                break
            except httpx.HTTPError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        results = [run_clients(port, n, args.seconds) for n in args.clients]
        best = max(r[0] for r in results)
        print("| clients | requests/s | vs best | p50 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|")
        for n, (rps, p50, p99, errors) in zip(args.clients, results, strict=True):
            print(f"| {n} | {rps:,.0f} | {rps / best:.2f} | {p50:.1f} | {p99:.1f} | {errors} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
