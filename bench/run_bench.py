#!/usr/bin/env python3
"""leadrank benchmark harness (`make bench`).

Generates (once, cached in bench/data/) gzip lead exports of the requested sizes with
0.1% malformed and 2% duplicate rows, then runs every case REPEAT times, interleaved
with its floor (`gzip -dc FILE > /dev/null`, and `igzip -dc` when installed) so that
each ratio compares runs made side by side on the same, possibly noisy, machine.
Writes bench/results/latest.json, bench/results/latest.md (a Markdown table) and, when
gnuplot is installed, bench/results/latest.svg (rows/s by threads and size).
Peers that are not installed are reported as skipped, never faked.

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leadrank", default=os.path.join(ROOT, "build", "leadrank"))
    ap.add_argument("--sizes", default="1000000,5000000")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
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
    skipped.append("duckdb (the DuckDB peer is not implemented yet)")

    cases = []
    for rows in sizes:
        leads, deals = generate(rows, data_dir)
        raw_bytes = int(subprocess.run(["sh", "-c", f'gzip -dc "{leads}" | wc -c'],
                                       capture_output=True, text=True).stdout)
        variants = [(f"score --threads {t}", ["--threads", str(t)]) for t in threads]
        variants.append((f"score --threads {threads[-1]} --gzip", ["--threads", str(threads[-1]), "--gzip"]))
        samples = {name: [] for name, _ in variants}
        rss = {name: 0 for name, _ in variants}
        floors = {name: [] for name, path in peers.items() if path}
        with tempfile.TemporaryDirectory(dir=data_dir) as out:
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
        floor_gzip = statistics.median(floors["gzip"]) if floors.get("gzip") else None
        for name, _ in variants:
            med = statistics.median(samples[name])
            cases.append({
                "rows": rows, "case": name, "runs_s": samples[name], "median_s": med,
                "rows_per_s": rows / med, "peak_rss_mib": rss[name] / 1024,
                "input_mib": raw_bytes / 2**20,
                "vs_gzip_dc": med / floor_gzip if floor_gzip else None,
            })
        for name, runs in floors.items():
            med = statistics.median(runs)
            cases.append({"rows": rows, "case": f"{name} -dc (floor)", "runs_s": runs, "median_s": med,
                          "rows_per_s": rows / med, "peak_rss_mib": None,
                          "input_mib": raw_bytes / 2**20,
                          "vs_gzip_dc": med / floor_gzip if floor_gzip else None})

    result = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
              "cpus": os.cpu_count(), "leadrank": version, "repeat": repeat,
              "cases": cases, "skipped": skipped}
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
    if skipped:
        lines += ["", "skipped: " + "; ".join(skipped)]
    table = "\n".join(lines) + "\n"
    with open(os.path.join(results_dir, "latest.md"), "w") as f:
        f.write(table)
    print(table)
    plot(cases, results_dir)
    return 0


def plot(cases, results_dir):
    """rows/s per case and size as a bar chart (gnuplot), when gnuplot is installed."""
    if shutil.which("gnuplot") is None:
        print("chart skipped: gnuplot is not installed")
        return
    dat = os.path.join(results_dir, "latest.dat")
    with open(dat, "w") as f:
        for c in cases:
            f.write(f"\"{c['case']} ({c['rows'] // 1000}k)\" {c['rows_per_s']:.0f}\n")
    script = (f"set terminal svg size 900,500; set output '{os.path.join(results_dir, 'latest.svg')}';"
              "set style fill solid; set boxwidth 0.7; set ylabel 'rows/s'; set xtics rotate by -30;"
              f"plot '{dat}' using 0:2:xtic(1) with boxes notitle")
    subprocess.run(["gnuplot", "-e", script], check=False)


if __name__ == "__main__":
    sys.exit(main())
