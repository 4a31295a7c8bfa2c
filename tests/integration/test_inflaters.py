"""ISA-L and zlib builds read gzip identically (issue 5, SPEC §6): the same outputs from a
multi-member gzip input, the same --gzip output bytes, and the same error for a truncated
member. The zlib build comes from `make test` (build-zlib/, ISAL=0) through
$LEADRANK_ZLIB_BIN."""
import gzip
import os
import subprocess
import tempfile
import unittest

import lrtest

ZLIB_BIN = os.environ.get("LEADRANK_ZLIB_BIN")


def version(binary):
    return subprocess.run([binary, "--version"], capture_output=True, text=True).stdout


@unittest.skipUnless(ZLIB_BIN and os.path.exists(ZLIB_BIN), "no zlib build (run through make test)")
class InflaterEquivalenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = lrtest.generate(os.path.join(cls.tmp.name, "g"), 6000, 11, "--members", "3")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_both(self, *extra):
        outs = []
        for binary in (lrtest.leadrank_bin(), ZLIB_BIN):
            out = os.path.join(self.tmp.name, f"out-{len(outs)}-{len(extra)}")
            r = subprocess.run([binary, "score", self.data["leads"], "--history", self.data["deals"],
                                "-o", out, "--as-of", lrtest.AS_OF, "--max-reject-rate", "1"] + list(extra),
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            outs.append(out)
        return outs

    def test_builds_differ_in_inflater(self):
        self.assertIn("inflate: zlib", version(ZLIB_BIN))
        if "isa-l" not in version(lrtest.leadrank_bin()):
            self.skipTest("the main build has no ISA-L (libisal-dev missing)")

    def test_same_outputs_from_multi_member_gzip(self):
        a, b = self.run_both()
        for name in lrtest.CSV_OUTPUTS:
            self.assertEqual(lrtest.read_bytes(os.path.join(a, name)), lrtest.read_bytes(os.path.join(b, name)), name)

    def test_same_gzip_output_text(self):
        """SPEC §6: across builds the decompressed bytes of --gzip outputs are identical
        (the ISA-L build also compresses with ISA-L, so the compressed bytes may differ)."""
        a, b = self.run_both("--gzip")
        for name in lrtest.CSV_OUTPUTS:
            self.assertEqual(gzip.decompress(lrtest.read_bytes(os.path.join(a, name + ".gz"))),
                             gzip.decompress(lrtest.read_bytes(os.path.join(b, name + ".gz"))), name)

    def test_same_error_for_truncated_member(self):
        raw = lrtest.read_bytes(self.data["leads"])
        cut = os.path.join(self.tmp.name, "cut.csv.gz")
        with open(cut, "wb") as f:
            f.write(raw[: len(raw) - 100])
        errors = []
        for binary in (lrtest.leadrank_bin(), ZLIB_BIN):
            r = subprocess.run([binary, "validate", cut], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)
            errors.append(r.stderr)
        self.assertEqual(errors[0], errors[1])
        self.assertIn("truncated", errors[0])


if __name__ == "__main__":
    unittest.main()
