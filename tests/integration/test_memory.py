"""--memory MB: the bounded run (engine/spill.c). It settles uniqueness, dedupe and the
ranking from sorted runs spilled into OUTDIR, and must write exactly the bytes of an
in-memory run (SPEC §6) for any --threads, for gzip output, standard input, validate and
custom unique fields; it leaves nothing behind, reports write failures, and its peak
RSS stays near the budget while an in-memory run grows with the input. (Also here: an
in-memory run waiting for a slow history does not queue its whole input.)"""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import unittest

import lrtest

DEALS = "deal_id,account_domain,vertical,outcome,amount\nD1,a.com,retail,won,900\n"

# Runs a command and prints the peak RSS (KiB) of that child alone: a fresh process per
# measurement, since RUSAGE_CHILDREN keeps the maximum over every child waited for.
PEAK_RSS = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
            "sys.stderr.write(p.stderr.decode(errors='replace'))\n"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def spilled_runs(stderr, what):
    """Runs the -v output says sort `what` spilled."""
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "spill" and parts[2] == what:
            return int(parts[3])
    raise AssertionError("no spill line for %s in:\n%s" % (what, stderr))


def dead_pid():
    """A PID that no process has (for a stale spill directory)."""
    pid = 4000000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


class MemoryTest(lrtest.LeadrankCase):

    @classmethod
    def setUpClass(cls):
        cls.data = lrtest.SharedData()
        # large enough that the 64 MB budget spills sorted runs (the -v lines prove it)
        cls.big = cls.data.gen("big", 200000, 12, "--malformed", "0.03", "--duplicates", "0.08", "--gzip")
        cls.ref = os.path.join(cls.data.dir, "ref")
        p = lrtest.run(["score", cls.big["leads"], "-o", cls.ref, "--history", cls.big["deals"],
                        "--as-of", lrtest.AS_OF, "--max-reject-rate", "1"])
        assert p.returncode == 0, p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.data.close()

    def score_big(self, out, *extra, stdin=None, inputs=None):
        return self.score(inputs or self.big["leads"], out, self.big["deals"], "--max-reject-rate", "1",
                          *extra, stdin=stdin)

    def test_spilled_runs_write_the_in_memory_bytes_for_threads_1_and_2(self):
        for threads in ("1", "2"):
            out = self.path("t" + threads)
            p = self.score_big(out, "--memory", "64", "--threads", threads, "-v")
            self.assertGreater(spilled_runs(p.stderr, "ranked"), 1)
            self.assertGreater(spilled_runs(p.stderr, "dedupe"), 1)
            self.assertSameCsvOutputs(self.ref, out)
            self.assertEqual(lrtest.stable_summary(lrtest.read_summary(out)),
                             lrtest.stable_summary(lrtest.read_summary(self.ref)))

    def test_gzip_outputs_are_the_same_compressed_bytes(self):
        mem, spilled = self.path("mem"), self.path("spilled")
        self.score_big(mem, "--gzip")
        self.score_big(spilled, "--gzip", "--memory", "64")
        self.assertSameCsvOutputs(mem, spilled, [n + ".gz" for n in lrtest.CSV_OUTPUTS])

    def test_standard_input(self):
        mem, spilled = self.path("mem"), self.path("spilled")
        with open(self.big["leads"], "rb") as f:
            self.score_big(mem, stdin=f, inputs="-")
        with open(self.big["leads"], "rb") as f:
            self.score_big(spilled, "--memory", "64", stdin=f, inputs="-")
        self.assertSameCsvOutputs(mem, spilled)

    def test_validate(self):
        mem, spilled = self.path("mem"), self.path("spilled")
        a = lrtest.run(["validate", self.big["leads"], "-o", mem])
        b = lrtest.run(["validate", self.big["leads"], "-o", spilled, "--memory", "64"])
        self.assertEqual((a.returncode, a.stdout), (b.returncode, b.stdout))
        self.assertIn("rejected=", b.stdout)
        self.assertSameCsvOutputs(mem, spilled, ["rejects.csv"])
        self.assertEqual(lrtest.stable_summary(lrtest.read_summary(mem)),
                         lrtest.stable_summary(lrtest.read_summary(spilled)))

    def test_spill_directory_is_removed_and_a_stale_one_cleaned(self):
        out = self.path("out")
        os.makedirs(out)
        stale = os.path.join(out, ".leadrank-spill-%d" % dead_pid())
        os.mkdir(stale)
        p = self.score_big(out, "--memory", "64")
        self.assertFalse(os.path.exists(stale))
        self.assertIn("removed %s" % stale, p.stderr)
        self.assertEqual(sorted(os.listdir(out)), sorted(lrtest.OUTPUTS))

    def test_unique_fields_and_absent_lead_ids_settle_like_in_memory(self):
        """A --schema with a second unique field (email) and lead_id optional: uniqueness is
        settled field by field (email first, lead_id last), absent lead_ids all rank as
        the empty id in input order, and duplicate_of of a kept row without one is empty."""
        with open(os.path.join(lrtest.SCHEMAS, "leads.schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        for field in schema["fields"]:
            if field["name"] == "lead_id":
                field["constraints"] = {"unique": True}
            if field["name"] == "email":
                field["constraints"] = dict(field.get("constraints", {}), unique=True)
        schema_path = self.path("schema.json")
        with open(schema_path, "w", encoding="utf-8") as f:
            json.dump(schema, f)
        leads = self.path("leads.csv")
        rows = ["lead_id,created_at,email,domain,contact_name,vertical"]
        for i in range(3000):
            lead_id = "n/a" if i % 7 == 0 else "L%d" % (i % 1500)       # repeats and absent ids
            email = "p%d@x.com" % (i % 1700) if i % 3 else ""              # repeats and absent emails
            rows.append("%s,2026-0%d-0%d,%s,d%d.com,Name %d,retail"
                        % (lead_id, 1 + i % 9, 1 + i % 9, email, i % 50, i % 40))
        with open(leads, "w") as f:
            f.write("\n".join(rows) + "\n")
        deals = self.path("deals.csv")
        with open(deals, "w") as f:
            f.write(DEALS)
        mem, spilled = self.path("mem"), self.path("spilled")
        self.score(leads, mem, deals, "--schema", schema_path, "--max-reject-rate", "1")
        self.score(leads, spilled, deals, "--schema", schema_path, "--max-reject-rate", "1", "--memory", "64")
        self.assertSameCsvOutputs(mem, spilled)
        reasons = {r[2] for r in lrtest.read_csv(os.path.join(spilled, "rejects.csv"))[1:]}
        self.assertEqual(reasons, {"duplicate:email", "duplicate_lead_id"})
        self.assertGreater(len(lrtest.read_csv(os.path.join(spilled, "duplicates.csv"))), 1)

    def test_bad_memory_values_are_usage_errors(self):
        args = ["score", self.big["leads"], "-o", self.path("o"), "--history", self.big["deals"]]
        p = lrtest.run(args + ["--memory", "10"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--memory must be an integer from 64", p.stderr)
        p = lrtest.run(["validate", self.big["leads"], "--memory", "64"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("give -o OUTDIR", p.stderr)

    def test_a_spill_write_failure_is_reported_and_publishes_nothing(self):
        """RLIMIT_FSIZE stops the spool (the rows' text, about 75 MB) at 16 MB: EFBIG."""
        out = self.path("out")

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 20, 16 << 20))

        args = [lrtest.leadrank_bin(), "score", self.big["leads"], "-o", out, "--history",
                self.big["deals"], "--as-of", lrtest.AS_OF, "--memory", "64"]
        p = subprocess.run(args, capture_output=True, text=True, preexec_fn=limit, timeout=lrtest.TIMEOUT)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%s/.leadrank-spill-" % out, p.stderr)
        self.assertIn("File too large", p.stderr)
        self.assertEqual(os.listdir(out), [])

    def peak_rss(self, *extra):
        """Peak RSS (MiB) and stderr of a --threads 2 score run of the big export."""
        args = [lrtest.leadrank_bin(), "score", self.big["leads"], "-o", self.path("rss"),
                "--history", self.big["deals"], "--as-of", lrtest.AS_OF, "--max-reject-rate", "1",
                "--threads", "2"] + list(extra)
        p = subprocess.run([sys.executable, "-c", PEAK_RSS] + args, capture_output=True, text=True,
                           timeout=lrtest.TIMEOUT)
        code, kib = p.stdout.split()
        self.assertEqual(code, "0", p.stderr)
        return int(kib) / 1024.0, p.stderr

    @unittest.skipIf(os.environ.get("LEADRANK_SANITIZED"), "ASan's shadow memory and quarantine are not the budget's")
    def test_peak_rss_stays_near_the_budget(self):
        """The in-memory run holds the whole text (about 75 MB inflated) and the table; the
        bounded run holds a window of text and the sorters' budgets."""
        in_memory, _ = self.peak_rss()
        bounded, _ = self.peak_rss("--memory", "64")
        self.assertLess(bounded, 64 + 48, "bounded run peak RSS %.0f MiB" % bounded)
        self.assertLess(bounded, in_memory, "in memory %.0f MiB, bounded %.0f MiB" % (in_memory, bounded))

    @unittest.skipIf(os.environ.get("LEADRANK_SANITIZED"), "ASan's shadow memory and quarantine are not the budget's")
    def test_a_slow_history_does_not_queue_the_whole_input(self):
        """While the history loads (here: a Redis server that accepts and never answers, until
        --redis-timeout), the first input inflates and a few batches are framed, not all of
        them: 200k rows queued cost 9 MiB more peak RSS before the cap, about 2 MiB now."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        held = []
        threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
        url = "redis://127.0.0.1:%d/0" % listener.getsockname()[1]
        try:
            normal, _ = self.peak_rss()
            slow, stderr = self.peak_rss("--redis", url, "--redis-timeout", "1500")
        finally:
            listener.close()
        self.assertIn("timed out", stderr)
        self.assertLess(slow - normal, 6, "peak RSS %.1f MiB with a slow history, %.1f without" % (slow, normal))


if __name__ == "__main__":
    unittest.main()
