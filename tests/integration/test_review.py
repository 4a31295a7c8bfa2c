"""Regression tests from the review of the streaming scan, the compact table and the
stages that re-derive bytes from raw records. Each test failed before its fix."""
import json
import os
import unittest

import lrtest

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
DEALS = "deal_id,account_domain,vertical,outcome,amount\nD1,a.com,retail,won,900\n"


class ReviewTest(lrtest.LeadrankCase):
    def deals(self):
        path = self.path("deals.csv")
        with open(path, "w") as f:
            f.write(DEALS)
        return path

    def test_large_corrupt_gzip_is_an_input_error_not_out_of_memory(self):
        """ISA-L fails on the first deflate byte (BTYPE 11, reserved); zlib then judges the
        member in a scratch buffer. That buffer was allocated at the size of the whole
        output region (compressed size x 1033: 66 GB here), which fails on an ordinary
        machine and turned a corrupt input into "out of memory" (and aborts under ASan);
        the zlib build says "corrupt". Both builds must give the same message."""
        leads = self.path("leads.csv.gz")
        with open(leads, "wb") as f:
            f.write(GZIP_HEADER + b"\x07")
            f.write(bytes(64 << 20))
        out = self.path("out")
        p = self.score(leads, out, self.deals(), expect=2)
        self.assertIn("corrupt gzip input: invalid deflate data in the member at offset 0", p.stderr)
        self.assertFalse(os.path.exists(out))

    def test_kept_row_without_lead_id_under_a_schema_where_it_is_optional(self):
        """A --schema may leave lead_id optional (score only needs the column). An accepted
        row whose lead_id is a missing-value token has no lead_id: scan copied its
        prefix from a NULL string (memcpy(dst, NULL, 0): UBSan aborts the sanitized
        build), and duplicate_of, re-derived from the raw text, printed the token `n/a`
        although rank orders the row by an empty id and the value is absent."""
        with open(os.path.join(lrtest.SCHEMAS, "leads.schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        for field in schema["fields"]:
            if field["name"] == "lead_id":
                field["constraints"] = {"unique": True}
        schema_path = self.path("optional-id.schema.json")
        with open(schema_path, "w", encoding="utf-8") as f:
            json.dump(schema, f)
        leads = self.path("leads.csv")
        with open(leads, "w") as f:
            f.write("lead_id,created_at,email,vertical\n"
                    "n/a,2026-01-05,x@a.com,retail\n"      # kept: the later created_at
                    "L2,2026-01-01,x@a.com,retail\n")
        out = self.path("out")
        self.score(leads, out, self.deals(), "--schema", schema_path, "--max-reject-rate", "1")
        self.assertEqual(lrtest.read_csv(os.path.join(out, "duplicates.csv")),
                         [["duplicate_of", "lead_id", "created_at", "email", "vertical"],
                          ["", "L2", "2026-01-01", "x@a.com", "retail"]])
        ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))
        self.assertEqual([r[7] for r in ranked[1:]], ["n/a"])


if __name__ == "__main__":
    unittest.main()
