#!/usr/bin/env python3
"""leadrank benchmark harness (`make bench`).

Generates (once, cached in bench/data/) gzip lead exports of the requested sizes with
0.1% malformed and 2% duplicate rows, then runs every case REPEAT times, interleaved
with its floor (`gzip -dc FILE > /dev/null`, and `igzip -dc` when installed) so that
each ratio compares runs made side by side on the same, possibly noisy, machine.
Writes bench/results/latest.json, bench/results/latest.md (a Markdown table) and, when
gnuplot is installed, bench/results/latest.svg (rows/s by threads and size).
Peers that are not installed are reported as skipped, never faked.

Peers, each interleaved with the cases above:
- DuckDB (bench/duckdb_job.mjs, the same job in SQL through @duckdb/node-api), when node
  is installed and `npm install --prefix bench` succeeds; it reads the leads with
  ignore_errors, so its rows read are reported next to leadrank's input_rows.
- The history cache (bench/bench_history.py): `score` against a 1M-deal history,
  aggregated locally vs a Redis cache hit, when redis-server is installed.

  bench/run_bench.py --leadrank build/leadrank [--sizes 1000000,5000000] [--repeat 3]
                     [--threads 1,2] [--quick]

--quick: one 200k-row size, one repetition (a smoke run of the harness itself).
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import bench_history

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AS_OF = "2026-11-01"


def generate(rows, data_dir):
    """The cached export of `rows` rows: (leads.csv.gz, deals.csv)."""
    prefix = os.path.join(data_dir, f"bench{rows}")
    leads, deals = prefix + ".leads.csv.gz", prefix + ".deals.csv"
    if not (os.path.exists(leads) and os.path.exists(deals)):
        print(f"generating {rows} rows into {prefix}.* (once)", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_leads.py"), "--rows", str(rows),
                        "--seed", "42", "--malformed", "0.001", "--duplicates", "0.02",
                        "--gzip", "--out", prefix], check=True)
    return leads, deals


def run_timed(argv, stdout=subprocess.DEVNULL):
    """Wall seconds and peak RSS (KiB) of one command, from wait4's rusage."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {err.strip()[:500]}")
    return wall, usage.ru_maxrss


def floor_cmd(tool, path):
    return ["sh", "-c", f'{tool} -dc "$0" > /dev/null', path]


def setup_duckdb():
    """The node command line of the DuckDB peer, or (None, why it is skipped)."""
    node = shutil.which("node")
    if node is None:
        return None, "duckdb (skipped: node is not installed)"
    probe = [node, "--input-type=module", "-e", "await import('@duckdb/node-api')"]
    if subprocess.run(probe, cwd=HERE, capture_output=True).returncode != 0:
        npm = shutil.which("npm")
        if npm is None:
            return None, "duckdb (skipped: npm is not installed)"
        print("installing @duckdb/node-api into bench/node_modules (once)", flush=True)
        inst = subprocess.run([npm, "install", "--prefix", HERE, "--no-audit", "--no-fund"],
                              capture_output=True, text=True)
        if inst.returncode != 0 or subprocess.run(probe, cwd=HERE,
                                                  capture_output=True).returncode != 0:
            why = (inst.stderr.strip().splitlines() or ["the package does not load"])[-1]
            return None, f"duckdb (skipped: npm install @duckdb/node-api failed: {why[:200]})"
    return [node, os.path.join(HERE, "duckdb_job.mjs")], None


def run_duckdb(cmd, leads, deals, out, threads):
    """Wall seconds, peak RSS (KiB) and the job's JSON report of one DuckDB run."""
    with tempfile.TemporaryFile() as report:
        wall, peak = run_timed(cmd + [leads, deals, out, AS_OF, str(threads)], stdout=report)
        report.seek(0)
        return wall, peak, json.loads(report.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leadrank", default=os.path.join(ROOT, "build", "leadrank"))
    ap.add_argument("--sizes", default="1000000,5000000")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memory", type=int, default=256, help="--memory MB of the bounded case")
    a = ap.parse_args()
    sizes = [200000] if a.quick else [int(x) for x in a.sizes.split(",")]
    repeat = 1 if a.quick else a.repeat
    threads = [int(x) for x in a.threads.split(",")]
    data_dir = os.path.join(HERE, "data")
    os.makedirs(data_dir, exist_ok=True)
    results_dir = os.path.join(HERE, "results")
    os.makedirs(results_dir, exist_ok=True)
    version = subprocess.run([a.leadrank, "--version"], capture_output=True, text=True).stdout.strip()
    peers = {"gzip": shutil.which("gzip"), "igzip": shutil.which("igzip")}
    skipped = [f"{name} (not installed)" for name, path in peers.items() if path is None]
    duckdb, why = setup_duckdb()
    if why:
        skipped.append(why)

    cases = []
    for rows in sizes:
        leads, deals = generate(rows, data_dir)
        raw_bytes = int(subprocess.run(["sh", "-c", f'gzip -dc "{leads}" | wc -c'],
                                       capture_output=True, text=True).stdout)
        variants = [(f"score --threads {t}", ["--threads", str(t)]) for t in threads]
        variants.append((f"score --threads {threads[-1]} --gzip", ["--threads", str(threads[-1]), "--gzip"]))
        # the bounded run: spilled sorted runs, peak RSS near the budget
        variants.append((f"score --threads {threads[-1]} --memory {a.memory}",
                         ["--threads", str(threads[-1]), "--memory", str(a.memory)]))
        samples = {name: [] for name, _ in variants}
        rss = {name: 0 for name, _ in variants}
        floors = {name: [] for name, path in peers.items() if path}
        duck = {"runs": [], "rss": 0, "report": None}
        with tempfile.TemporaryDirectory(dir=data_dir) as out, \
                tempfile.TemporaryDirectory(dir=data_dir) as duck_out:
            for _ in range(repeat):
                for name, path in peers.items():
                    if path:
                        floors[name].append(run_timed(floor_cmd(name, leads))[0])
                for name, extra in variants:
                    argv = [a.leadrank, "score", leads, "--history", deals, "-o", out,
                            "--as-of", AS_OF] + extra
                    wall, peak = run_timed(argv)
                    samples[name].append(wall)
                    rss[name] = max(rss[name], peak)
                if duckdb:
                    try:
                        wall, peak, duck["report"] = run_duckdb(duckdb, leads, deals,
                                                                duck_out, threads[-1])
                    except (RuntimeError, ValueError) as e:
                        # e.g. out of memory at 5M rows: say so, keep the leadrank numbers
                        skipped.append(f"duckdb at {rows} rows and above (failed: {e})")
                        duckdb = None
                        duck["runs"] = []
                    else:
                        duck["runs"].append(wall)
                        duck["rss"] = max(duck["rss"], peak)
            with open(os.path.join(out, "summary.json")) as f:
                counts = json.load(f)["counts"]
        floor_gzip = statistics.median(floors["gzip"]) if floors.get("gzip") else None
        for name, _ in variants:
            med = statistics.median(samples[name])
            cases.append({
                "rows": rows, "case": name, "runs_s": samples[name], "median_s": med,
                "rows_per_s": rows / med, "peak_rss_mib": rss[name] / 1024,
                "input_mib": raw_bytes / 2**20,
                "vs_gzip_dc": med / floor_gzip if floor_gzip else None,
                "input_rows": counts["input_rows"],
            })
        if duck["runs"]:
            med = statistics.median(duck["runs"])
            report = duck["report"]
            cases.append({
                "rows": rows, "case": f"duckdb --threads {threads[-1]} (peer, gzip output)",
                "runs_s": duck["runs"], "median_s": med, "rows_per_s": rows / med,
                "peak_rss_mib": duck["rss"] / 1024, "input_mib": raw_bytes / 2**20,
                "vs_gzip_dc": med / floor_gzip if floor_gzip else None,
                "input_rows": counts["input_rows"], "rows_read": report["rows_read"],
                "rows_lost": counts["input_rows"] - report["rows_read"],
                "written": report["written"], "duckdb": report["duckdb"],
                "step_s": report["seconds"],
            })
        for name, runs in floors.items():
            med = statistics.median(runs)
            cases.append({"rows": rows, "case": f"{name} -dc (floor)", "runs_s": runs, "median_s": med,
                          "rows_per_s": rows / med, "peak_rss_mib": None,
                          "input_mib": raw_bytes / 2**20,
                          "vs_gzip_dc": med / floor_gzip if floor_gzip else None})

    history = None
    if bench_history.REDIS_SERVER is None:
        skipped.append("history cache (skipped: redis-server is not installed)")
    else:
        try:
            history = bench_history.run(a.leadrank, data_dir, repeat)
        except RuntimeError as e:
            skipped.append(f"history cache (failed: {e})")

    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
              "cpus": os.cpu_count(), "leadrank": version, "repeat": repeat,
              "cases": cases, "history_cache": history, "skipped": skipped}
    with open(os.path.join(results_dir, "latest.json"), "w") as f:
        json.dump(result, f, indent=2)
    lines = [f"leadrank bench, {result['date']}, {version}, {os.cpu_count()} CPUs, "
             f"median of {repeat} interleaved runs", "",
             "| rows | case | median s | rows/s | × gzip -dc | peak RSS MiB | input MiB |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for c in cases:
        ratio = f"{c['vs_gzip_dc']:.2f}" if c["vs_gzip_dc"] is not None else "n/a"
        peak = f"{c['peak_rss_mib']:.0f}" if c["peak_rss_mib"] is not None else ""
        lines.append(f"| {c['rows']} | {c['case']} | {c['median_s']:.2f} | {c['rows_per_s']:,.0f} | "
                     f"{ratio} | {peak} | {c['input_mib']:.0f} |")
    for c in cases:
        if "rows_read" in c:
            lines += ["", f"DuckDB {c['duckdb']} read {c['rows_read']} of the {c['input_rows']} lead "
                          f"records at {c['rows']} rows ({c['rows_lost']} lost to "
                          "read_csv(ignore_errors = true); leadrank accounts for every one)"]
    if history:
        lines += ["", f"History cache, {bench_history.DEALS} deals "
                      f"({history['cases'][0]['input_mib']:.0f} MiB), "
                      f"{history['cases'][0]['rows']} leads, median of {repeat} interleaved runs:",
                  "", "| case | median s | runs s | Redis commands per run |", "|---|---:|---|---|"]
        for c in history["cases"]:
            runs = ", ".join(f"{x:.3f}" for x in c["runs_s"])
            cmds = ", ".join(f"{k} {v}" for k, v in sorted(c["redis_commands_by_name"].items()))
            lines.append(f"| {c['case']} | {c['median_s']:.3f} | {runs} | "
                         f"{c['redis_commands'][-1]}{' (' + cmds + ')' if cmds else ''} |")
        lines += ["", f"local aggregation / cache hit: {history['local_over_cached']:.1f}×; "
                      f"`history build` took {history['history_build_s']:.2f} s "
                      f"({history['build_output']})"]
    if skipped:
        lines += ["", "skipped: " + "; ".join(skipped)]
    table = "\n".join(lines) + "\n"
    with open(os.path.join(results_dir, "latest.md"), "w") as f:
        f.write(table)
    print(table)
    plot(cases, results_dir)
    return 0


def plot(cases, results_dir):
    """rows/s by size (clusters) and case (bars: leadrank by threads, the gzip -dc and
    igzip -dc floors, DuckDB) as an SVG chart, when gnuplot is installed."""
    if shutil.which("gnuplot") is None:
        print("chart skipped: gnuplot is not installed")
        return
    names = list(dict.fromkeys(c["case"] for c in cases))
    sizes = list(dict.fromkeys(c["rows"] for c in cases))
    rate = {(c["rows"], c["case"]): c["rows_per_s"] for c in cases}
    dat = os.path.join(results_dir, "latest.dat")
    with open(dat, "w") as f:
        f.write("size " + " ".join(f'"{n}"' for n in names) + "\n")
        for rows in sizes:
            f.write(f'"{rows:,} rows" ' + " ".join(
                f"{rate[rows, n]:.0f}" if (rows, n) in rate else "-" for n in names) + "\n")
    script = (f"set terminal svg size 1000,560 dynamic; set output '{os.path.join(results_dir, 'latest.svg')}';"
              "set datafile missing '-'; set style data histogram;"
              "set style histogram clustered gap 1; set style fill solid border -1;"
              "set ylabel 'rows/s (higher is better)'; set format y '%.0s%c';"
              "set key outside right top vertical; set grid ytics;"
              "set title 'leadrank score vs gzip -dc, igzip -dc and DuckDB';"
              f"plot for [i=2:{len(names) + 1}] '{dat}' using i:xtic(1) title columnheader(i)")
    subprocess.run(["gnuplot", "-e", script], check=False)


if __name__ == "__main__":
    sys.exit(main())
