"""Where one answer's CPU goes, by process: the app's gunicorn workers, PostgreSQL, Redis.

Sends REQUESTS requests one after another (keep-alive, one connection) to each URL of a
running server and reads, before and after, the CPU time (user + system, /proc) of the
gunicorn master's workers, of every PostgreSQL process and of redis-server, then prints
each group's milliseconds of CPU per request and the wall time per request. One request at
a time, so the figures hold whatever else runs on the machine (it adds wall time, not CPU
to these processes). ``--miss`` sends each request with a unique extra media range in
Accept (part of the response cache's key: every request is a miss, same URL, same SQL).

    python bench/process_costs.py --port 8798 --master <gunicorn pid> [--miss] URL...

Used by hand beside bench/soak.sh's server (reported, never a timed test).
"""

from __future__ import annotations

import argparse
import http.client
import os
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def processes() -> list[tuple[int, str, int]]:
    """(pid, command name, parent pid) of every process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                head, tail = handle.read().rsplit(")", 1)
        except (FileNotFoundError, ProcessLookupError):
            continue
        found.append((int(entry), head.split("(", 1)[1], int(tail.split()[1])))
    return found


def groups(master: int) -> dict[str, list[int]]:
    every = processes()
    return {
        "gunicorn workers": [pid for pid, _name, parent in every if parent == master],
        "postgresql": [pid for pid, name, _parent in every if name == "postgres"],
        "redis": [pid for pid, name, _parent in every if name == "redis-server"],
    }


def snapshot(found: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {name: {pid: cpu_seconds(pid) for pid in members} for name, members in found.items()}


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds of the processes alive at both ends (one that exited, e.g. an autovacuum
    worker, would count negative)."""
    return sum(after[pid] - before[pid] for pid in before if after.get(pid))


def measure(host: str, port: int, path: str, requests: int, miss: bool, master: int) -> dict:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    statuses: dict[int, int] = {}

    def one(n: int) -> None:
        accept = f"application/json, application/x-bench-{os.getpid()}-{n}-{time.time_ns()};q=0.1"
        connection.request("GET", path, headers={"Accept": accept if miss else "*/*"})
        response = connection.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1

    for n in range(5):  # warm the connection, the worker and the representations
        one(-n - 1)
    statuses.clear()
    found = groups(master)  # after the warm-up: the worker's database session exists
    before, started = snapshot(found), time.perf_counter()
    own_before = time.process_time()
    for n in range(requests):
        one(n)
    wall = time.perf_counter() - started
    own = time.process_time() - own_before
    after = snapshot(found)
    row = {name: spent(before[name], after[name]) * 1000 / requests for name in found}
    row["client"] = own * 1000 / requests
    row["wall"] = wall * 1000 / requests
    row["statuses"] = statuses
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", help="paths, e.g. /api/v1/facilities/")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--master", type=int, required=True, help="gunicorn's master pid")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--miss", action="store_true")
    options = parser.parse_args()
    names = [*groups(options.master), "client", "wall"]
    print(f"| path | {' | '.join(names)} (ms per request) | statuses |")
    print(f"|---|{'---:|' * len(names)}---|")
    for path in options.urls:
        row = measure(
            options.host, options.port, path, options.requests, options.miss, options.master
        )
        figures = " | ".join(f"{row[name]:.2f}" for name in names)
        print(f"| `{path}` | {figures} | {row['statuses']} |", flush=True)


if __name__ == "__main__":
    main()
