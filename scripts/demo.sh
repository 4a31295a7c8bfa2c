#!/bin/sh
# make demo: score the generated sample against its deals with the embedded (in-process)
# history, then show the top 10 of the ranked list.
# Usage: demo.sh LEADRANK_BINARY SAMPLE_PREFIX
set -eu
bin=$1
prefix=$2
out=build/demo
leads=$prefix.leads.csv.gz
[ -f "$leads" ] || leads=$prefix.leads.csv
echo "leadrank score $leads --history $prefix.deals.csv -o $out --as-of 2026-11-01"
status=0
"$bin" score "$leads" --history "$prefix.deals.csv" -o "$out" --as-of 2026-11-01 -v || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  exit "$status"
fi
python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
s = json.load(open(f"{out}/summary.json"))
c = s["counts"]
print(f"\ninput_rows {c['input_rows']}: ranked {c['ranked']}, disqualified {c['disqualified']}, "
      f"duplicates {c['duplicates']}, rejected {c['rejected']} (blank lines {c['blank_lines']})")
print("tiers: " + "  ".join(f"{k} {v}" for k, v in c["by_tier"].items()))
with open(f"{out}/ranked.csv", newline="", encoding="utf-8") as f:
    priorities = sorted(float(r["priority"]) for r in csv.DictReader(f))
if priorities:
    q = lambda p: priorities[min(len(priorities) - 1, int(p * len(priorities)))]
    top = sum(1 for x in priorities if x == priorities[-1])
    print(f"priority of ranked leads: p10 {q(0.1):.1f}, median {q(0.5):.1f}, p90 {q(0.9):.1f}; "
          f"{top} share the top score {priorities[-1]:.1f} (ties go by lead_id)")
print(f"\nTop 10 of {out}/ranked.csv:")
with open(f"{out}/ranked.csv", newline="", encoding="utf-8") as f:
    rows = csv.DictReader(f)
    fmt = "{:>4}  {:>8}  {:>4}  {:<24} {:<14} {:<28} {}"
    print(fmt.format("rank", "priority", "tier", "segment", "lead_id", "company", "reasons"))
    for i, r in enumerate(rows):
        if i == 10:
            break
        print(fmt.format(r["rank"], r["priority"], r["tier"], r["segment"], r["lead_id"][:14],
                         (r.get("company") or "")[:28], r["reasons"]))
print(f"\nAll outputs: {out}/ (ranked.csv, disqualified.csv, duplicates.csv, rejects.csv, summary.json)")
PY
