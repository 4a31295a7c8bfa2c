"""Same inputs, same bytes: whatever --threads, whatever the input's form (plain, gzip,
several gzip members, standard input), whatever the output's compression, and whatever
the CRM header spelling (a Salesforce export with its schema)."""

import os
import shutil
import unittest

import lrtest


class DeterminismTest(lrtest.LeadrankCase):

    @classmethod
    def setUpClass(cls):
        cls.data = lrtest.SharedData()
        d = cls.data
        cls.plain = d.gen("plain", 15000, 201)
        cls.gz = d.gen("gz", 15000, 201, "--gzip")
        cls.members = d.gen("members", 15000, 201, "--members", "4")
        cls.sf = d.gen("sf", 15000, 201, "--header", "salesforce")
        # one name for every form: rejects.csv `source` is the INPUT string as given, and
        # compression is detected from the magic bytes, not the name
        for form in ("plain", "gz", "members"):
            os.makedirs(os.path.join(d.dir, "in-" + form))
            shutil.copy(getattr(cls, form)["leads"],
                        os.path.join(d.dir, "in-" + form, "leads.csv"))

    @classmethod
    def tearDownClass(cls):
        cls.data.close()

    def test_generated_forms_hold_the_same_text(self):
        text = lrtest.read_bytes(self.plain["leads"])
        self.assertEqual(lrtest.gunzip(self.gz["leads"]), text)
        self.assertEqual(lrtest.gunzip(self.members["leads"]), text)
        self.assertGreaterEqual(lrtest.read_bytes(self.members["leads"]).count(b"\x1f\x8b\x08"), 4)

    def test_threads_1_2_4_identical(self):
        outs = []
        for n in (1, 2, 4):
            out = self.path("t%d" % n)
            self.score(self.plain["leads"], out, self.plain["deals"], "--threads", str(n))
            outs.append(out)
        s1 = lrtest.read_summary(outs[0])
        self.assertEqual(s1["threads"], 1)
        for out in outs[1:]:
            self.assertSameCsvOutputs(outs[0], out)
            self.assertEqual(lrtest.stable_summary(lrtest.read_summary(out)),
                             lrtest.stable_summary(s1))
        self.assertEqual(lrtest.read_summary(outs[2])["threads"], 4)

    def test_many_output_blocks_identical_across_threads(self):
        # ranked.csv spans more blocks (16384 rows) than the ring holds (2 per thread): with
        # 2+ threads its blocks are formatted by any thread and written in order by one,
        # while another thread writes the other files; a team of one thread
        # (OMP_THREAD_LIMIT=1 with --threads 2) does both in turn
        many = self.data.gen("many", 100000, 77, "--duplicates", "0.05", "--malformed", "0.02")
        outs = []
        for n, limit in (("1", None), ("2", None), ("3", None), ("2", "1")):
            out = self.path("many-t%s-l%s" % (n, limit))
            old = os.environ.pop("OMP_THREAD_LIMIT", None)
            if limit is not None:
                os.environ["OMP_THREAD_LIMIT"] = limit
            try:
                self.score(many["leads"], out, many["deals"], "--threads", n)
            finally:
                os.environ.pop("OMP_THREAD_LIMIT", None)
                if old is not None:
                    os.environ["OMP_THREAD_LIMIT"] = old
            outs.append(out)
        ranked_rows = lrtest.read_bytes(os.path.join(outs[0], "ranked.csv")).count(b"\n") - 1
        self.assertGreater(ranked_rows, 4 * 16384)
        for out in outs[1:]:
            self.assertSameCsvOutputs(outs[0], out)

    def test_repeated_run_identical(self):
        a, b = self.path("a"), self.path("b")
        self.score(self.plain["leads"], a, self.plain["deals"], "--threads", "2")
        self.score(self.plain["leads"], b, self.plain["deals"], "--threads", "2")
        self.assertSameCsvOutputs(a, b)

    def test_plain_gzip_members_identical(self):
        outs = {}
        for form in ("plain", "gz", "members"):
            out = self.path(form)
            self.score("leads.csv", out, self.plain["deals"], "--threads", "2",
                       cwd=os.path.join(self.data.dir, "in-" + form))
            outs[form] = out
        self.assertSameCsvOutputs(outs["plain"], outs["gz"])
        self.assertSameCsvOutputs(outs["plain"], outs["members"])
        self.assertEqual(lrtest.stable_summary(lrtest.read_summary(outs["gz"])),
                         lrtest.stable_summary(lrtest.read_summary(outs["plain"])))

    def test_stdin_identical(self):
        ref = self.path("file")
        self.score("leads.csv", ref, self.plain["deals"],
                   cwd=os.path.join(self.data.dir, "in-plain"))
        for form in ("plain", "members"):
            out = self.path("stdin-" + form)
            with open(getattr(self, form)["leads"], "rb") as f:
                self.score("-", out, self.plain["deals"], stdin=f)
            self.assertSameCsvOutputs(ref, out, ("ranked.csv", "disqualified.csv",
                                                 "duplicates.csv"))
            a = lrtest.read_csv(os.path.join(ref, "rejects.csv"))
            b = lrtest.read_csv(os.path.join(out, "rejects.csv"))
            self.assertEqual(len(a), len(b))
            self.assertTrue(all(r[0] == "-" for r in b[1:]))
            self.assertEqual([r[1:] for r in a], [r[1:] for r in b])
            self.assertEqual(lrtest.read_summary(out)["inputs"], ["-"])

    def test_gzip_outputs_decompress_to_plain(self):
        plain, gz = self.path("plain"), self.path("gz")
        self.score(self.plain["leads"], plain, self.plain["deals"], "--threads", "2")
        self.score(self.plain["leads"], gz, self.plain["deals"], "--threads", "2", "--gzip")
        self.assertEqual(sorted(os.listdir(gz)), sorted(n + ".gz" for n in lrtest.CSV_OUTPUTS)
                         + ["summary.json"])
        for name in lrtest.CSV_OUTPUTS:
            path = os.path.join(gz, name + ".gz")
            head = lrtest.read_bytes(path)[:10]
            # gzip member header: magic, deflate, no FNAME flag, MTIME 0, OS 255
            self.assertEqual(head[:3], b"\x1f\x8b\x08", name)
            self.assertEqual(head[3] & 0x08, 0, name)
            self.assertEqual(head[4:8], b"\0\0\0\0", name)
            self.assertEqual(head[9], 255, name)
            self.assertEqual(lrtest.gunzip(path), lrtest.read_bytes(os.path.join(plain, name)),
                             name)
        self.assertEqual(lrtest.stable_summary(lrtest.read_summary(gz)),
                         lrtest.stable_summary(lrtest.read_summary(plain)))

    def test_gzip_outputs_identical_across_threads(self):
        a, b = self.path("a"), self.path("b")
        self.score(self.plain["leads"], a, self.plain["deals"], "--threads", "1", "--gzip")
        self.score(self.plain["leads"], b, self.plain["deals"], "--threads", "4", "--gzip")
        self.assertSameCsvOutputs(a, b, [n + ".gz" for n in lrtest.CSV_OUTPUTS])

    def test_salesforce_header_scores_like_canonical(self):
        canon, sf = self.path("canon"), self.path("sf")
        self.score(self.plain["leads"], canon, self.plain["deals"])
        self.score(self.sf["leads"], sf, self.plain["deals"], "--schema",
                   os.path.join(lrtest.SCHEMAS, "salesforce-leads.schema.json"))
        # same rows, same values: only the header line (input column names) differs
        for name in ("ranked.csv", "disqualified.csv", "duplicates.csv"):
            a = lrtest.read_bytes(os.path.join(canon, name)).split(b"\n", 1)
            b = lrtest.read_bytes(os.path.join(sf, name)).split(b"\n", 1)
            self.assertEqual(a[1], b[1], name)
        hdr = lrtest.read_csv(os.path.join(sf, "ranked.csv"))[0]
        self.assertEqual(hdr[7:10], ["Id", "CreatedDate", "Company"])
        self.assertEqual(lrtest.reject_lines(sf), lrtest.read_truth(self.sf["truth"]))
        ca = lrtest.read_summary(canon)["counts"]
        cb = lrtest.read_summary(sf)["counts"]
        self.assertEqual(ca, cb)


if __name__ == "__main__":
    unittest.main()
