"""A run publishes its outputs all together or not at all: a failure part-way (here a
write refused by RLIMIT_FSIZE on the second file) leaves the previous run's complete set
untouched and no temporaries; a successful run replaces the whole set."""
import os
import resource
import signal
import subprocess
import tempfile
import unittest

import lrtest

DEALS = "deal_id,account_domain,vertical,outcome,amount\nD1,a.com,retail,won,900\n"


def leads(n_disqualified, tag):
    rows = ["lead_id,created_at,vertical,budget,contact_ok,company"]
    rows.append(f"R-{tag},2026-10-01,retail,5000,true,{tag}")
    rows += [f"X{i}-{tag},2026-10-01,retail,5000,false,{'padding ' * 8}{tag}" for i in range(n_disqualified)]
    return "\n".join(rows) + "\n"


class PublishTest(unittest.TestCase):
    def run_score(self, d, text, limit=None):
        path = os.path.join(d, "leads.csv")
        with open(path, "w") as f:
            f.write(text)

        def limited():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a refused write fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        return subprocess.run([lrtest.leadrank_bin(), "score", path, "--history", os.path.join(d, "deals.csv"),
                               "-o", os.path.join(d, "out"), "--as-of", lrtest.AS_OF],
                              preexec_fn=limited if limit else None, capture_output=True, text=True,
                              timeout=lrtest.TIMEOUT)

    def test_failure_part_way_publishes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "deals.csv"), "w") as f:
                f.write(DEALS)
            out = os.path.join(d, "out")
            r = self.run_score(d, leads(3, "old"))
            self.assertEqual(r.returncode, 0, r.stderr)
            before = {n: lrtest.read_bytes(os.path.join(out, n)) for n in lrtest.OUTPUTS}
            # ranked.csv (one row) fits in 20 KB, disqualified.csv (2000 rows) does not
            r = self.run_score(d, leads(2000, "new"), limit=20000)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("disqualified.csv", r.stderr)
            self.assertEqual(sorted(os.listdir(out)), sorted(lrtest.OUTPUTS))   # no temporaries
            for n in lrtest.OUTPUTS:
                self.assertEqual(lrtest.read_bytes(os.path.join(out, n)), before[n], n)
            r = self.run_score(d, leads(2000, "new"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"R-new", lrtest.read_bytes(os.path.join(out, "ranked.csv")))

    def test_stale_temporaries_of_dead_runs_are_removed(self):
        """A run killed with SIGKILL cannot clean up: the next run into the same OUTDIR
        removes temporaries whose process is gone (with a warning), not live ones."""
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "deals.csv"), "w") as f:
                f.write(DEALS)
            out = os.path.join(d, "out")
            os.makedirs(out)
            gone = subprocess.Popen(["true"])
            gone.wait()                                   # a PID that no longer runs
            stale = os.path.join(out, f".ranked.csv.tmp-{gone.pid}")
            live = os.path.join(out, f".summary.json.tmp-{os.getpid()}")
            other = os.path.join(out, f".notes.txt.tmp-{gone.pid}")   # not a leadrank output
            for p in (stale, live, other):
                with open(p, "w") as f:
                    f.write("half\n")
            r = self.run_score(d, leads(3, "x"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(stale))
            self.assertIn("removed", r.stderr)
            self.assertIn(os.path.basename(stale), r.stderr)
            self.assertTrue(os.path.exists(live))
            self.assertTrue(os.path.exists(other))


if __name__ == "__main__":
    unittest.main()
