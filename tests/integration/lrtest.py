"""lrtest -- shared helpers for the end-to-end tests of the leadrank binary.

The binary comes from $LEADRANK_BIN (tests/run_tests.py sets it; default build/leadrank).
Test data comes from bench/gen_leads.py (generated into temp dirs, never checked in) and
from tests/golden/ (frozen). Every test case gets its own temp dir, removed afterwards.
"""

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GEN = os.path.join(ROOT, "bench", "gen_leads.py")
GOLDEN = os.path.join(ROOT, "tests", "golden")
SCHEMAS = os.path.join(ROOT, "schemas")
AS_OF = "2026-11-01"
CSV_OUTPUTS = ("ranked.csv", "disqualified.csv", "duplicates.csv", "rejects.csv")
OUTPUTS = CSV_OUTPUTS + ("summary.json",)
TIMEOUT = 120        # seconds per leadrank run; a hang fails the test instead of CI


def leadrank_bin():
    return os.environ.get("LEADRANK_BIN", os.path.join(ROOT, "build", "leadrank"))


def run(args, cwd=None, stdin=None):
    """Runs leadrank with args; returns CompletedProcess (stdout, stderr as text)."""
    return subprocess.run([leadrank_bin()] + [str(a) for a in args], cwd=cwd, stdin=stdin,
                          capture_output=True, timeout=TIMEOUT, text=True, errors="replace")


def generate(prefix, rows, seed, *extra):
    """Runs gen_leads.py; returns dict with the leads, deals and truth paths."""
    subprocess.run([sys.executable, GEN, "--rows", str(rows), "--seed", str(seed),
                    "--out", prefix] + list(extra), check=True, timeout=TIMEOUT)
    gz = prefix + ".leads.csv.gz"
    return {"leads": gz if os.path.exists(gz) else prefix + ".leads.csv",
            "deals": prefix + ".deals.csv", "truth": prefix + ".truth.csv"}


def score_small(d, lead_rows, *extra):
    """Scores the CSV lines lead_rows (header first) against a one-deal history, both
    written into directory d; returns (CompletedProcess, the output directory)."""
    deals = os.path.join(d, "deals.csv")
    with open(deals, "w") as f:
        f.write("deal_id,account_domain,vertical,outcome,amount\nD1,a.com,retail,won,900\n")
    leads = os.path.join(d, "leads.csv")
    with open(leads, "w") as f:
        f.write("\n".join(lead_rows) + "\n")
    out = os.path.join(d, "out")
    return run(["score", leads, "--history", deals, "-o", out, "--as-of", AS_OF] + list(extra)), out


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def read_csv(path):
    """Records of an output CSV (header included), parsed: values may hold line breaks."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def read_truth(path):
    """[(line, reason)] of a gen_leads.py truth file."""
    return [(int(r[0]), r[1]) for r in read_csv(path)[1:]]


def reject_lines(outdir):
    """[(line, reason)] of OUTDIR/rejects.csv, in file order."""
    return [(int(r[1]), r[2]) for r in read_csv(os.path.join(outdir, "rejects.csv"))[1:]]


def read_summary(outdir):
    with open(os.path.join(outdir, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def stable_summary(s):
    """summary.json without the fields SPEC 6 allows to differ between equal runs."""
    s = json.loads(json.dumps(s))
    s.pop("threads", None)
    s.pop("timings", None)
    if isinstance(s.get("history"), dict):
        s["history"].pop("source", None)
        s["history"].pop("cache", None)
    return s


def gunzip(path):
    with gzip.open(path, "rb") as f:
        return f.read()


class LeadrankCase(unittest.TestCase):
    """A test case with a fresh temp dir (self.tmp) per test; fails at once with a clear
    message when the binary has not been built."""

    def setUp(self):
        if not os.access(leadrank_bin(), os.X_OK):
            self.fail("leadrank binary not found at %s (run `make all`, or set "
                      "LEADRANK_BIN)" % leadrank_bin())
        self.tmp = tempfile.mkdtemp(prefix="lrtest-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def score(self, inputs, outdir, deals, *extra, cwd=None, stdin=None, expect=0):
        """leadrank score; asserts the exit status and returns the CompletedProcess."""
        if isinstance(inputs, str):
            inputs = [inputs]
        args = ["score"] + list(inputs) + ["-o", outdir, "--history", deals,
                                           "--as-of", AS_OF] + list(extra)
        p = run(args, cwd=cwd, stdin=stdin)
        if expect is not None:
            self.assertEqual(p.returncode, expect,
                             "leadrank %s\nexit %d\nstderr: %s" % (" ".join(map(str, args)),
                                                                   p.returncode, p.stderr[-2000:]))
        return p

    def assertSameCsvOutputs(self, dir_a, dir_b, names=CSV_OUTPUTS):
        for name in names:
            a, b = read_bytes(os.path.join(dir_a, name)), read_bytes(os.path.join(dir_b, name))
            if a != b:
                self.fail("%s differs between %s and %s (%d vs %d bytes)%s"
                          % (name, dir_a, dir_b, len(a), len(b), first_difference(a, b)))


def first_difference(a, b):
    la, lb = a.split(b"\n"), b.split(b"\n")
    for k, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return "\nfirst different line %d:\n  %r\n  %r" % (k + 1, x[:300], y[:300])
    return "\none is a prefix of the other (%d vs %d lines)" % (len(la), len(lb))


class SharedData:
    """Generated data shared by the tests of one class (setUpClass): generating is the
    slow part, and the files are read-only inputs. Removed in tearDownClass."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lrdata-")

    def gen(self, name, rows, seed, *extra):
        return generate(os.path.join(self.dir, name), rows, seed, *extra)

    def close(self):
        shutil.rmtree(self.dir, True)

