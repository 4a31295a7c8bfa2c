"""Every input row lands in exactly one output, and the rejects are exactly the planted
bad rows: generated data (bench/gen_leads.py) whose truth file lists each bad row's
physical line and SPEC reason."""

import os
import unittest

import lrtest


class InvariantTest(lrtest.LeadrankCase):

    @classmethod
    def setUpClass(cls):
        cls.data = lrtest.SharedData()
        # plenty of malformed rows so that every reject kind occurs several times
        cls.lf = cls.data.gen("lf", 12000, 101, "--malformed", "0.04")
        cls.crlf = cls.data.gen("crlf", 6000, 102, "--malformed", "0.04", "--crlf")

    @classmethod
    def tearDownClass(cls):
        cls.data.close()

    def check_partition(self, out, rows):
        c = lrtest.read_summary(out)["counts"]
        self.assertEqual(c["input_rows"], rows)
        self.assertEqual(c["input_rows"],
                         c["ranked"] + c["disqualified"] + c["duplicates"] + c["rejected"])
        for name, key in (("ranked.csv", "ranked"), ("disqualified.csv", "disqualified"),
                          ("duplicates.csv", "duplicates"), ("rejects.csv", "rejected")):
            records = lrtest.read_csv(os.path.join(out, name))
            self.assertEqual(len(records) - 1, c[key], name)
        self.assertEqual(sum(c["by_tier"].values()), c["ranked"] + c["disqualified"])
        self.assertEqual(c["by_tier"]["X"], c["disqualified"])
        self.assertEqual(sum(c["by_segment"].values()), c["ranked"] + c["disqualified"])
        self.assertEqual(sum(c["by_disqualify_reason"].values()), c["disqualified"])
        self.assertEqual(sum(c["by_reject_reason"].values()), c["rejected"])
        return c

    def test_partition_invariant(self):
        out = self.path("out")
        self.score(self.lf["leads"], out, self.lf["deals"], "--max-reject-rate", "1")
        c = self.check_partition(out, 12000)
        # the generator's mix reaches every tier, segment and disqualify reason
        for tier in "ABCDX":
            self.assertGreater(c["by_tier"][tier], 0, tier)
        self.assertEqual(len(c["by_segment"]), 9, c["by_segment"])
        self.assertEqual(sorted(c["by_disqualify_reason"]),
                         ["cannot_afford", "do_not_contact", "price_buyer_outside_model",
                          "professional_window_shopper"])
        self.assertGreater(c["duplicates"], 0)

    def test_ranked_order(self):
        out = self.path("out")
        self.score(self.lf["leads"], out, self.lf["deals"], "--max-reject-rate", "1")
        ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))
        self.assertEqual(ranked[0][:7], ["rank", "priority", "fit_score", "risk_score", "tier",
                                        "segment", "reasons"])
        ranks = [int(r[0]) for r in ranked[1:]]
        self.assertEqual(ranks, list(range(1, len(ranks) + 1)))
        prio = [float(r[1]) for r in ranked[1:]]
        self.assertEqual(prio, sorted(prio, reverse=True))      # printed values too
        self.assertTrue(all(r[4] in "ABCD" for r in ranked[1:]))

    def test_rejects_are_exactly_the_planted_rows(self):
        out = self.path("out")
        self.score(self.lf["leads"], out, self.lf["deals"], "--max-reject-rate", "1")
        truth = lrtest.read_truth(self.lf["truth"])
        self.assertGreater(len(truth), 300)
        self.assertEqual(lrtest.reject_lines(out), truth)

    def test_rejects_crlf(self):
        out = self.path("out")
        self.score(self.crlf["leads"], out, self.crlf["deals"], "--max-reject-rate", "1")
        self.check_partition(out, 6000)
        self.assertEqual(lrtest.reject_lines(out), lrtest.read_truth(self.crlf["truth"]))

    def test_rejects_source_and_raw(self):
        out = self.path("out")
        self.score(self.lf["leads"], out, self.lf["deals"], "--max-reject-rate", "1")
        rows = lrtest.read_csv(os.path.join(out, "rejects.csv"))
        self.assertEqual(rows[0], ["source", "line", "reason", "raw"])
        self.assertTrue(all(r[0] == self.lf["leads"] for r in rows[1:]))
        too_long = [r for r in rows[1:] if r[2] == "record_too_long"]
        self.assertTrue(too_long)
        for r in too_long:        # cut to its first 4096 bytes, inside the long x run
            self.assertEqual(len(r[3].encode("utf-8")), 4096)
            self.assertTrue(r[3].endswith("x" * 1000))
        for r in rows[1:]:
            # every planted bad row is on one line; raw never takes the next one
            self.assertNotIn("\n", r[3])
            self.assertEqual(r[3], r[3].strip("\r\n"))

    def test_validate_counts_and_rejects(self):
        out = self.path("val")
        p = lrtest.run(["validate", self.lf["leads"], "-o", out])
        self.assertEqual(p.returncode, 0, p.stderr)
        truth = lrtest.read_truth(self.lf["truth"])
        s = lrtest.read_summary(out)
        c = s["counts"]
        self.assertEqual(p.stdout.strip(), "input_rows=%d rejected=%d blank_lines=%d"
                         % (12000, len(truth), c["blank_lines"]))
        self.assertEqual(c["input_rows"], 12000)
        self.assertEqual(c["rejected"], len(truth))
        self.assertNotIn("history", s)
        self.assertEqual(sum(c["by_reject_reason"].values()), len(truth))
        self.assertEqual(lrtest.reject_lines(out), truth)
        self.assertEqual(sorted(os.listdir(out)), ["rejects.csv", "summary.json"])

    def test_validate_without_outdir_prints_only(self):
        p = lrtest.run(["validate", self.crlf["leads"]])
        self.assertEqual(p.returncode, 0, p.stderr)
        n = len(lrtest.read_truth(self.crlf["truth"]))
        self.assertRegex(p.stdout, r"^input_rows=6000 rejected=%d blank_lines=\d+\n$" % n)


if __name__ == "__main__":
    unittest.main()
