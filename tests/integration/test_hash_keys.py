"""Values whose hashes share their sort key (the top 32 bits, radix_hash_shift) are told
apart by their bytes: two lead_ids and two emails that share one are all kept, while a
real repeat of each is still caught. test_radix checks that these values do share a key."""
import os
import tempfile
import unittest

import lrtest

SHARED_IDS = ("L0305869", "L0373356")
SHARED_EMAILS = ("u140075@example.com", "u510768@example.com")


class HashKeysTest(unittest.TestCase):
    def test_shared_sort_keys(self):
        with tempfile.TemporaryDirectory() as d:
            rows = ["lead_id,created_at,vertical,budget,email,company",
                    f"{SHARED_IDS[0]},2026-10-01,retail,5000,a1@one.com,One",
                    f"{SHARED_IDS[1]},2026-10-01,retail,5000,a2@two.com,Two",
                    f"{SHARED_IDS[0]},2026-10-02,retail,5000,a3@three.com,Three",  # repeat id
                    f"E1,2026-10-03,retail,5000,{SHARED_EMAILS[0]},Four",
                    f"E2,2026-10-03,retail,5000,{SHARED_EMAILS[1]},Five",
                    f"E3,2026-10-01,retail,5000,{SHARED_EMAILS[0].upper()},Six"]  # same person, older
            r, out = lrtest.score_small(d, rows, "--max-reject-rate", "1")
            self.assertEqual(r.returncode, 0, r.stderr)
            ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))[1:]
            self.assertEqual(sorted(row[7] for row in ranked), sorted(SHARED_IDS + ("E1", "E2")))
            rejects = lrtest.read_csv(os.path.join(out, "rejects.csv"))
            header = rejects[0]
            got = [dict(zip(header, row)) for row in rejects[1:]]
            self.assertEqual([(g["line"], g["reason"]) for g in got], [("4", "duplicate_lead_id")])
            dups = lrtest.read_csv(os.path.join(out, "duplicates.csv"))
            header = dups[0]
            got = [dict(zip(header, row)) for row in dups[1:]]
            self.assertEqual([(g["lead_id"], g["duplicate_of"]) for g in got], [("E3", "E1")])


if __name__ == "__main__":
    unittest.main()
