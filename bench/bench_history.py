#!/usr/bin/env python3
"""History-cache benchmark: a Redis cache hit against local aggregation of 1M deals.

Generates once (cached in bench/data/) a small lead export and a 1,000,000-deal history
with gen_leads.py, starts a throwaway redis-server on a free loopback port
(tests/integration/redis_server.py), publishes the history with
`leadrank history build DEALS --redis URL`, then times, interleaved REPEAT times,

  local:  leadrank score LEADS --history DEALS -o OUT               (aggregates 1M deals)
  cached: leadrank score LEADS --history DEALS --redis URL -o OUT   (a cache hit)

checking that summary.json says history.cache == "local" and "hit" respectively, and
counting the Redis commands of each run from INFO commandstats (CONFIG RESETSTAT before
each run). The server is always stopped. run_bench.py calls run(); on its own:

  bench/bench_history.py --leadrank build/leadrank [--repeat 3] [--leads 10000]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from redis_server import REDIS_SERVER, RedisServer  # noqa: E402  (the tests' own helper)

AS_OF = "2026-11-01"
DEALS = 1000000


def generate(leads_rows, data_dir):
    """The cached (leads.csv.gz, deals.csv) pair: leads_rows leads, 1M deals."""
    prefix = os.path.join(data_dir, f"hist{leads_rows}x{DEALS}")
    leads, deals = prefix + ".leads.csv.gz", prefix + ".deals.csv"
    if not (os.path.exists(leads) and os.path.exists(deals)):
        print(f"generating {DEALS} deals into {prefix}.* (once)", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_leads.py"), "--rows",
                        str(leads_rows), "--seed", "7", "--deals", str(DEALS),
                        "--malformed", "0.001", "--gzip", "--out", prefix], check=True)
    return leads, deals


def timed_score(argv, out):
    """Wall seconds of one `leadrank score` run and its summary.json history object."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace').strip()[:500]}")
    with open(os.path.join(out, "summary.json")) as f:
        return wall, json.load(f)["history"]


def run(leadrank, data_dir, repeat=3, leads_rows=10000):
    """Times both modes; returns {"cases": [...], "ratio": local/cached, ...} in the shape
    of run_bench.py's cases, or raises RuntimeError (the server is stopped either way)."""
    if REDIS_SERVER is None:
        raise RuntimeError("redis-server is not installed")
    leads, deals = generate(leads_rows, data_dir)
    deals_mib = os.path.getsize(deals) / 2**20
    samples = {"local": [], "cached": []}
    commands = {"local": [], "cached": []}
    by_command = {"local": {}, "cached": {}}
    with RedisServer() as server, tempfile.TemporaryDirectory(dir=data_dir) as out:
        t0 = time.perf_counter()
        build = subprocess.run([leadrank, "history", "build", deals, "--redis", server.url],
                               capture_output=True, text=True)
        build_s = time.perf_counter() - t0
        if build.returncode != 0:
            raise RuntimeError(f"history build exited {build.returncode}: {build.stderr.strip()[:500]}")
        base = [leadrank, "score", leads, "--history", deals, "-o", out, "--as-of", AS_OF]
        modes = {"local": (base, "local"), "cached": (base + ["--redis", server.url], "hit")}
        for _ in range(repeat):
            for mode, (argv, want) in modes.items():
                server.command("CONFIG", "RESETSTAT")
                wall, hist = timed_score(argv, out)
                if hist.get("cache") != want:
                    raise RuntimeError(f"{mode} run: history.cache is {hist.get('cache')!r}, "
                                       f"expected {want!r}")
                stats = server.commandstats()
                # The harness's own CONFIG RESETSTAT and INFO are counted too (Redis 7
                # names subcommands `config|resetstat`): they are not leadrank's.
                stats = {name: calls for name, calls in stats.items()
                         if name.split("|")[0] not in ("config", "info")}
                samples[mode].append(wall)
                commands[mode].append(sum(stats.values()))
                by_command[mode] = stats
    med = {mode: statistics.median(runs) for mode, runs in samples.items()}
    names = {"local": f"score --history ({DEALS // 1000}k deals, local aggregation)",
             "cached": f"score --history --redis ({DEALS // 1000}k deals, cache hit)"}
    cases = [{"rows": leads_rows, "case": names[mode], "runs_s": samples[mode],
              "median_s": med[mode], "rows_per_s": leads_rows / med[mode],
              "peak_rss_mib": None, "input_mib": deals_mib, "vs_gzip_dc": None,
              "deals": DEALS, "redis_commands": commands[mode],
              "redis_commands_by_name": by_command[mode]}
             for mode in ("local", "cached")]
    return {"cases": cases, "local_over_cached": med["local"] / med["cached"],
            "history_build_s": build_s, "build_output": build.stdout.strip()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leadrank", default=os.path.join(ROOT, "build", "leadrank"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--leads", type=int, default=10000)
    a = ap.parse_args()
    data_dir = os.path.join(HERE, "data")
    os.makedirs(data_dir, exist_ok=True)
    res = run(a.leadrank, data_dir, a.repeat, a.leads)
    for c in res["cases"]:
        print(f"{c['case']}: median {c['median_s']:.3f} s of {c['runs_s']}, "
              f"Redis commands per run {c['redis_commands']} {c['redis_commands_by_name']}")
    print(f"local / cache hit: {res['local_over_cached']:.1f}x "
          f"(history build {res['history_build_s']:.2f} s: {res['build_output']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
