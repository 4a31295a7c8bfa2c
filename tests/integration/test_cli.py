"""The command line: exit statuses and their messages, what is (not) published in
OUTDIR, and `history show`."""

import os
import unittest

import lrtest

GOLDEN_DEALS = os.path.join(lrtest.GOLDEN, "deals.csv")
SMALL = ("lead_id,created_at,company,email,vertical,budget\n"
         "S1,2026-10-01,One Co,a@one.com,Healthcare,\"$50,000\"\n"
         "S2,2026-09-01,Two Co,b@two.com,Software,20000\n")


class CliTest(lrtest.LeadrankCase):

    @classmethod
    def setUpClass(cls):
        cls.data = lrtest.SharedData()
        cls.gen = cls.data.gen("g", 3000, 301, "--malformed", "0.01")
        cls.bad = cls.data.gen("bad", 3000, 302, "--malformed", "0.2")

    @classmethod
    def tearDownClass(cls):
        cls.data.close()

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def assertNothingPublished(self, outdir):
        self.assertEqual(os.listdir(outdir) if os.path.isdir(outdir) else [], [])

    def test_success_publishes_exactly_the_outputs(self):
        out = self.path("out")
        self.score(self.gen["leads"], out, self.gen["deals"], "--threads", "2")
        self.assertEqual(sorted(os.listdir(out)), sorted(lrtest.OUTPUTS))

    def test_success_into_existing_outdir_leaves_no_temp_files(self):
        out = self.path("out")
        os.makedirs(out)
        self.score(self.gen["leads"], out, self.gen["deals"], "--gzip")
        self.assertEqual(sorted(os.listdir(out)),
                         sorted([n + ".gz" for n in lrtest.CSV_OUTPUTS] + ["summary.json"]))

    def test_score_without_history(self):
        out = self.path("out")
        os.makedirs(out)
        p = lrtest.run(["score", self.gen["leads"], "-o", out, "--as-of", lrtest.AS_OF])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--history", p.stderr)          # says how to give one
        self.assertNothingPublished(out)

    def test_missing_required_column(self):
        leads = self.write("leads.csv", "lead_id,company,email\nX1,Acme,a@acme.com\n")
        out = self.path("out")
        os.makedirs(out)
        p = self.score(leads, out, GOLDEN_DEALS, expect=2)
        self.assertIn("created_at", p.stderr)
        self.assertNothingPublished(out)

    def test_reject_rate_over_limit_exits_1_with_outputs(self):
        out = self.path("out")
        self.score(self.bad["leads"], out, self.bad["deals"], expect=1)
        self.assertEqual(sorted(os.listdir(out)), sorted(lrtest.OUTPUTS))
        c = lrtest.read_summary(out)["counts"]
        self.assertGreater(c["rejected"] / c["input_rows"], 0.05)
        self.assertEqual(lrtest.reject_lines(out), lrtest.read_truth(self.bad["truth"]))

    def test_reject_rate_limit_is_an_option(self):
        rate = len(lrtest.read_truth(self.bad["truth"])) / 3000.0
        self.score(self.bad["leads"], self.path("a"), self.bad["deals"],
                   "--max-reject-rate", "%.4f" % (rate + 0.01), expect=0)
        self.score(self.bad["leads"], self.path("b"), self.bad["deals"],
                   "--max-reject-rate", "%.4f" % (rate - 0.01), expect=1)
        self.score(self.bad["leads"], self.path("c"), self.bad["deals"],
                   "--max-reject-rate", "1", expect=0)

    def test_default_reject_rate_passes_clean_data(self):
        out = self.path("out")
        self.score(self.gen["leads"], out, self.gen["deals"], expect=0)
        self.assertEqual(lrtest.read_summary(out)["counts"]["rejected"],
                         len(lrtest.read_truth(self.gen["truth"])))

    def test_max_record_bytes_out_of_range(self):
        for value in ("100", "1023", "16777217", "abc"):
            out = self.path("out-" + value)
            os.makedirs(out)
            self.score(self.gen["leads"], out, self.gen["deals"], "--max-record-bytes", value,
                       expect=2)
            self.assertNothingPublished(out)

    def test_max_record_bytes_bounds_accepted(self):
        leads = self.write("leads.csv", SMALL)
        for value in ("1024", "16777216"):
            out = self.path("out-" + value)
            self.score(leads, out, GOLDEN_DEALS, "--max-record-bytes", value)
            self.assertEqual(lrtest.read_summary(out)["counts"]["input_rows"], 2)

    def test_max_record_bytes_1024_rejects_longer_records(self):
        long_row = "S3,2026-09-01,%s,c@three.com,Retail,1000\n" % ("L" * 1100)
        leads = self.write("leads.csv", SMALL + long_row + "S4,2026-09-02,Four,d@four.com,Retail,1\n")
        out = self.path("out")
        self.score(leads, out, GOLDEN_DEALS, "--max-record-bytes", "1024", "--max-reject-rate", "1")
        self.assertEqual(lrtest.reject_lines(out), [(4, "record_too_long")])
        self.assertEqual(lrtest.read_summary(out)["counts"]["ranked"] +
                         lrtest.read_summary(out)["counts"]["disqualified"], 3)

    def test_nonexistent_input(self):
        missing = self.path("no-such-leads.csv")
        out = self.path("out")
        os.makedirs(out)
        p = self.score([self.gen["leads"], missing], out, self.gen["deals"], expect=2)
        self.assertIn("no-such-leads.csv", p.stderr)
        self.assertNothingPublished(out)

    def test_nonexistent_history(self):
        out = self.path("out")
        os.makedirs(out)
        p = self.score(self.gen["leads"], out, self.path("no-deals.csv"), expect=2)
        self.assertIn("no-deals.csv", p.stderr)
        self.assertNothingPublished(out)

    def test_empty_input_is_an_error_header_only_is_not(self):
        out = self.path("out")
        os.makedirs(out)
        self.score(self.write("empty.csv", ""), out, GOLDEN_DEALS, expect=2)
        self.assertNothingPublished(out)
        out2 = self.path("out2")
        self.score(self.write("hdr.csv", "lead_id,created_at\n"), out2, GOLDEN_DEALS)
        for name in lrtest.CSV_OUTPUTS:
            self.assertEqual(lrtest.read_bytes(os.path.join(out2, name)).count(b"\n"), 1, name)
        c = lrtest.read_summary(out2)["counts"]
        self.assertEqual(c["input_rows"], 0)
        self.assertEqual(c["by_tier"], {"A": 0, "B": 0, "C": 0, "D": 0, "X": 0})

    def test_truncated_gzip_input(self):
        import gzip
        data = gzip.compress(SMALL.encode() * 200, mtime=0)
        path = self.path("trunc.csv.gz")
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        out = self.path("out")
        os.makedirs(out)
        p = self.score(path, out, GOLDEN_DEALS, expect=2)
        self.assertIn("trunc.csv.gz", p.stderr)
        self.assertNothingPublished(out)

    def test_history_error_comes_before_input_errors(self):
        # the history loads while the first input inflates; its error still wins, with
        # one thread (which loads it first) and with two
        import gzip
        data = gzip.compress(SMALL.encode() * 200, mtime=0)
        path = self.path("trunc.csv.gz")
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        bad_header = self.write("badhdr.csv", "lead_id,lead_id\nL1,L2\n")
        for leads in (path, bad_header):
            for threads in ("1", "2"):
                out = self.path("out-%s-%s" % (os.path.basename(leads), threads))
                os.makedirs(out)
                p = self.score(leads, out, self.path("no-deals.csv"), "--threads", threads, expect=2)
                self.assertIn("no-deals.csv", p.stderr)
                self.assertNotIn(os.path.basename(leads), p.stderr)
                self.assertNothingPublished(out)

    def test_summary_fields(self):
        out = self.path("out")
        self.score(self.gen["leads"], out, self.gen["deals"], "--threads", "2")
        s = lrtest.read_summary(out)
        self.assertEqual(s["as_of"], lrtest.AS_OF)
        self.assertEqual(s["inputs"], [self.gen["leads"]])
        self.assertEqual(s["threads"], 2)
        self.assertEqual(s["history"]["source"], "file")
        self.assertEqual(s["history"]["cache"], "local")
        self.assertEqual(list(s["counts"]["by_tier"]), ["A", "B", "C", "D", "X"])
        for key in ("by_segment", "by_disqualify_reason", "by_reason", "by_reject_reason"):
            m = s["counts"][key]
            self.assertEqual(list(m), sorted(m, key=lambda k: k.encode("utf-8")), key)
            self.assertTrue(all(v > 0 for v in m.values()), key)

    def test_history_show(self):
        p = lrtest.run(["history", "show", "--history", GOLDEN_DEALS])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "vertical\tn\twon\tcustomers\twin_rate\tsmoothed_win_rate"
                                   "\tavg_deal\tmedian_discount\tavg_cycle")
        # hand-checked against SPEC 3 for tests/golden/deals.csv (wr_g = 15/23)
        self.assertEqual(lines[1:6], [
            "government\t3\t0\t0\t0.0000\t0.5671\t29800.00\t10.00\t71.67",
            "health care\t1\t1\t1\t1.0000\t0.6687\t1000.00\t0.00\t10.00",
            "healthcare\t10\t8\t7\t0.8000\t0.7014\t40125.00\t10.00\t70.00",
            "retail\t3\t2\t1\t0.6667\t0.6541\t16000.00\t17.50\t135.00",
            "software\t5\t3\t2\t0.6000\t0.6417\t21000.00\t5.00\t45.00",
        ])
        self.assertEqual(len(lines), 7)
        star = lines[6].split("\t")
        self.assertEqual(star[0], "*")
        self.assertEqual(star[1:3], ["23", "15"])
        self.assertEqual(star[4], "0.6522")
        self.assertEqual(star[6:], ["29800.00", "10.00", "71.67"])

    def test_history_show_without_source(self):
        p = lrtest.run(["history", "show"])
        self.assertEqual(p.returncode, 2)

    def test_unknown_command(self):
        p = lrtest.run(["frobnicate"])
        self.assertEqual(p.returncode, 2)
        self.assertTrue(p.stderr.strip())


if __name__ == "__main__":
    unittest.main()
