"""Golden cases (tests/golden/README.md): the engine's four CSVs must equal the frozen
expected files byte for byte, and summary.json's counts must equal expected/counts.json."""

import json
import os
import unittest

import lrtest


class GoldenTest(lrtest.LeadrankCase):

    def check_case(self, case):
        cdir = os.path.join(lrtest.GOLDEN, case)
        inputs_txt = os.path.join(cdir, "inputs.txt")
        if os.path.exists(inputs_txt):
            with open(inputs_txt, encoding="utf-8") as f:
                inputs = f.read().split()
        else:
            inputs = ["leads.csv"]
        out = self.path("out")
        # run inside the case dir: rejects.csv `source` is the INPUT string as given
        self.score(inputs, out, "../deals.csv", "--threads", "2", "--max-reject-rate", "1",
                   cwd=cdir)
        expected = os.path.join(cdir, "expected")
        self.assertSameCsvOutputs(out, expected)
        with open(os.path.join(expected, "counts.json"), encoding="utf-8") as f:
            want = json.load(f)
        self.assertEqual(lrtest.read_summary(out)["counts"], want)

    def test_scoring(self):
        self.check_case("scoring")

    def test_quoting(self):
        self.check_case("quoting")

    def test_rejects(self):
        self.check_case("rejects")

    def test_two_inputs(self):
        self.check_case("two_inputs")


if __name__ == "__main__":
    unittest.main()
