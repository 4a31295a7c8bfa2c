"""Rank ties and re-derived ids: leads with equal priorities are ordered by lead_id
bytewise (SPEC §6) also when ids are longer than the 16-byte prefix the table keeps and
share it, quoted or not; duplicate_of names the kept lead_id, re-derived from a quoted
record (the table keeps hashes and prefixes, never the strings)."""
import os
import tempfile
import unittest

import lrtest

IDS = ["SALESFORCE-LEAD-000000000002", "SALESFORCE-LEAD-00000000001", "SALESFORCE-LEAD-",
       "SALESFORCE-LEAD-0", "SALESFORCE-LEAD-000000000010", "SALESFORCE-LEAD-00000000001x",
       "B", "SALESFORCE-LEAD-0000000000Z"]


class TiesTest(unittest.TestCase):
    def test_equal_priorities_order_by_full_lead_id(self):
        with tempfile.TemporaryDirectory() as d:
            rows = ["lead_id,created_at,vertical,budget,email,company"]
            for k, lead_id in enumerate(IDS):
                # every lead scores the same; some ids are quoted, some records hold quotes
                quoted = f'"{lead_id}"' if k % 2 else f" {lead_id} "
                rows.append(f'{quoted},2026-10-01,retail,5000,p{k}@x{k}.com,"Co, {k}"')
            # a duplicate (same email, older) of a long quoted id: duplicate_of is re-derived
            rows.append('"SALESFORCE-LEAD-999999999999",2026-09-01,retail,5000,P1@X1.COM,Dup')
            r, out = lrtest.score_small(d, rows)
            self.assertEqual(r.returncode, 0, r.stderr)
            ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))[1:]
            self.assertEqual(len({row[1] for row in ranked}), 1)          # one priority
            got = [row[7].strip() for row in ranked]
            self.assertEqual(got, sorted(IDS, key=lambda s: s.encode()))
            dups = lrtest.read_csv(os.path.join(out, "duplicates.csv"))[1:]
            self.assertEqual([row[0] for row in dups], ["SALESFORCE-LEAD-00000000001"])


if __name__ == "__main__":
    unittest.main()
