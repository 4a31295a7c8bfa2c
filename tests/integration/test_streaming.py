"""Streaming ingest (one thread inflates or reads, others frame and parse what is
published, in steps of 4 MiB of text): records that straddle a step boundary — a quoted
multi-line record, a long blank line, a too-long record, a swallowing quote — must be
framed exactly as when the whole text is there at once (as under an address-space limit,
where the input is read whole). The gzip and plain forms of the same text, under the same
name, give byte-identical outputs for any thread count."""
import gzip
import os
import resource
import subprocess
import tempfile
import unittest

import lrtest

STEP = 4 << 20
HEADER = "lead_id,created_at,company,vertical,budget,compelling_event\n"


def filler(i):
    return f"F{i:07d},2026-01-0{1 + i % 9},Acme {i},retail,{1000 + i},\n"


def build_text():
    """~13 MiB of rows with an awkward record across each of the first three steps."""
    parts, size, i = [HEADER], len(HEADER), 0
    awkward = [
        # a quoted field with line breaks, across the 4 MiB step
        lambda k: f'Q{k:07d},2026-02-01,"Multi\nline\r\nco",retail,5000,"event\nnotes"\n',
        # a blank line of 300 KB spaces, then a record, across 8 MiB
        lambda k: " " * 300000 + "\n" + f"B{k:07d},2026-02-02,Blank after,retail,100,\n",
        # a too-long record (70 KB), then a quote that swallows the next line (up to the
        # quotes of "Quoted Co"), across 12 MiB
        lambda k: (f"T{k:07d},2026-02-03,{'x' * 70000},retail,1,\n" + f'S{k:07d},2026-02-04,"ab"cd,retail,1,\n'
                   + f'R{k:07d},2026-02-05,"Quoted Co",retail,1,\n'),
    ]
    for step_no, make in enumerate(awkward, start=1):
        target = step_no * STEP - 1000
        while size < target:
            row = filler(i)
            parts.append(row)
            size += len(row)
            i += 1
        row = make(i)
        parts.append(row)
        size += len(row)
        i += 1
    for _ in range(2000):
        row = filler(i)
        parts.append(row)
        i += 1
    return "".join(parts)


class StreamingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.text = build_text().encode()
        cls.deals = os.path.join(d, "deals.csv")
        with open(cls.deals, "w") as f:
            f.write("deal_id,account_domain,vertical,outcome,amount\nD1,a.com,retail,won,900\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def score(self, compressed, threads):
        d = os.path.join(self.tmp.name, f"{'gz' if compressed else 'plain'}{threads}")
        os.makedirs(d, exist_ok=True)
        leads = os.path.join(d, "leads.csv")   # the same INPUT string both ways
        with open(leads, "wb") as f:
            f.write(gzip.compress(self.text, 1) if compressed else self.text)
        out = os.path.join(d, f"out{len(os.listdir(d))}")
        r = lrtest.run(["score", "leads.csv", "--history", self.deals, "-o", out, "--as-of", lrtest.AS_OF,
                        "--threads", threads, "--max-reject-rate", "1"], cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_text_straddles_the_steps(self):
        self.assertGreater(len(self.text), 3 * STEP)

    def test_gzip_stream_frames_like_whole_text(self):
        want = self.score(False, 1)
        rejects = lrtest.reject_lines(want)
        self.assertEqual([r for _, r in rejects], ["record_too_long", "unbalanced_quote"])
        self.assertEqual(lrtest.read_summary(want)["counts"]["blank_lines"], 1)
        for threads in (1, 2, 4):
            got = self.score(True, threads)
            for name in lrtest.CSV_OUTPUTS:
                self.assertEqual(lrtest.read_bytes(os.path.join(got, name)),
                                 lrtest.read_bytes(os.path.join(want, name)), f"{name} threads={threads}")

    @unittest.skipIf(os.environ.get("LEADRANK_SANITIZED"), "ASan cannot start under an address-space limit")
    def test_address_space_limit_falls_back_to_whole_inflate(self):
        """With `ulimit -v` (cron environments, valgrind) the inflate region cannot be
        reserved: the input is inflated whole instead, with the same outputs."""
        want = self.score(True, 2)
        d = os.path.dirname(want)
        out = os.path.join(d, "limited")

        limit_bytes = 1 << 30
        # the region would be the compressed size times deflate's maximum ratio (1032:1)
        self.assertGreater(os.path.getsize(os.path.join(d, "leads.csv")) * 1032, limit_bytes)

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

        r = subprocess.run([lrtest.leadrank_bin(), "score", "leads.csv", "--history", self.deals, "-o", out,
                            "--as-of", lrtest.AS_OF, "--threads", "2", "--max-reject-rate", "1"],
                           cwd=d, preexec_fn=limit, capture_output=True, text=True, timeout=lrtest.TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in lrtest.CSV_OUTPUTS:
            self.assertEqual(lrtest.read_bytes(os.path.join(out, name)), lrtest.read_bytes(os.path.join(want, name)), name)


if __name__ == "__main__":
    unittest.main()
