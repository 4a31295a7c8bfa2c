#!/usr/bin/env python3
"""Runs every leadrank test and ends with one line `N passed, N failed`.

Unit tests: each build/tests/test_* binary prints `N passed, N failed` as its last line
(tests/unit/testhelp.h); each check counts. Integration tests: every
tests/integration/test_*.py is a unittest module; each test method counts.

  tests/run_tests.py [--build DIR] [-k PATTERN]

-k runs only the suites whose file name contains PATTERN (see tests/README.md).
"""
import argparse
import glob
import io
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


def run_unit(build, pattern):
    passed = failed = 0
    for exe in sorted(glob.glob(os.path.join(ROOT, build, "tests", "test_*"))):
        if exe.endswith(".d") or not os.access(exe, os.X_OK):
            continue
        name = os.path.basename(exe)
        if pattern and pattern not in name:
            continue
        t0 = time.time()
        proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
        lines = proc.stdout.strip().splitlines()
        m = SUMMARY.match(lines[-1]) if lines else None
        if m is None:
            print(f"unit {name}: no summary line (exit {proc.returncode})")
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            failed += 1
            continue
        p, f = int(m.group(1)), int(m.group(2))
        if proc.returncode != 0 and f == 0:
            f = 1
        for line in lines[:-1]:
            if line.startswith("FAIL"):
                print(f"  {line}")
        print(f"unit {name}: {p} passed, {f} failed ({time.time() - t0:.1f}s)")
        passed += p
        failed += f
    return passed, failed


def run_integration(build, pattern):
    os.environ["LEADRANK_BIN"] = os.path.join(ROOT, build, "leadrank")
    sys.path.insert(0, os.path.join(HERE, "integration"))
    passed = failed = 0
    for path in sorted(glob.glob(os.path.join(HERE, "integration", "test_*.py"))):
        name = os.path.basename(path)[:-3]
        if pattern and pattern not in name:
            continue
        t0 = time.time()
        suite = unittest.defaultTestLoader.loadTestsFromName(name)
        stream = io.StringIO()
        result = unittest.TextTestRunner(stream=stream, verbosity=0).run(suite)
        if not result.wasSuccessful():
            print(stream.getvalue())
        bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
        good = result.testsRun - bad - len(result.skipped)
        print(f"integration {name}: {good} passed, {bad} failed"
              f"{f', {len(result.skipped)} skipped' if result.skipped else ''}"
              f" ({time.time() - t0:.1f}s)")
        passed += good
        failed += bad
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", dest="pattern", default=None)
    a = ap.parse_args()
    up, uf = run_unit(a.build, a.pattern)
    ip, if_ = run_integration(a.build, a.pattern)
    passed, failed = up + ip, uf + if_
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
