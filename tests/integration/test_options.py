"""CLI options end to end: validate with any Table Schema, --model overrides and errors,
--duplicate-columns first with a HubSpot export, --fsync, bad schema files."""
import json
import os
import tempfile
import unittest

import lrtest

DEALS = ("deal_id,account_domain,vertical,closed_at,outcome,amount,list_price,discount_pct,cycle_days,product\n"
         "D1,a.com,Retail,2025-01-01,won,1000,1200,10,30,x\n"
         "D2,b.com,Retail,2025-02-01,lost,500,600,20,40,x\n")

CUSTOM_SCHEMA = {
    "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "contact", "type": "string", "format": "email"},
        {"name": "score", "type": "integer", "constraints": {"minimum": 0, "maximum": 10}},
        {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b"]}},
        {"name": "when", "type": "date", "format": "%m/%d/%Y"},
        {"name": "active", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]},
    ],
    "missingValues": ["", "?"],
}

CUSTOM_ROWS = """id,contact,score,kind,when,active
r1,not-an-email,5,a,01/31/2024,Y
r2,x@y.z,11,b,02/01/2024,N
r3,,3,c,02/01/2024,Y
r4,,3,A,02/30/2024,Y
r5,,3,a,12/01/2024,yes
r1,,3,a,12/01/2024,N
,,3,a,12/01/2024,N
r6,,?,?,?,?
"""


class OptionsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.deals = self.write("deals.csv", DEALS)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def test_validate_with_a_custom_table_schema(self):
        schema = self.write("custom.json", json.dumps(CUSTOM_SCHEMA))
        data = self.write("data.csv", CUSTOM_ROWS)
        out = os.path.join(self.dir, "out")
        r = lrtest.run(["validate", data, "--schema", schema, "-o", out, "--max-reject-rate", "1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "input_rows=8 rejected=6 blank_lines=0")
        # invalid email is absent, never a reject (r1); enum is case-insensitive (r4 fails
        # on its date, not on `A`); custom missingValues make r6 all-missing and valid
        self.assertEqual(lrtest.reject_lines(out), [
            (3, "out_of_range:score"), (4, "bad_enum:kind"), (5, "bad_date:when"),
            (6, "bad_boolean:active"), (7, "duplicate:id"), (8, "missing_required:id")])
        counts = lrtest.read_summary(out)["counts"]
        self.assertEqual(counts["by_reject_reason"]["duplicate:id"], 1)

    def test_schema_error_names_file_line_and_column(self):
        bad = dict(CUSTOM_SCHEMA)
        bad["fields"] = CUSTOM_SCHEMA["fields"][:1] + [{"name": "x", "type": "decimal"}]
        schema = self.write("bad.json", json.dumps(bad, indent=2))
        data = self.write("data.csv", "id,x\n1,2\n")
        r = lrtest.run(["validate", data, "--schema", schema])
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"bad\.json:\d+:\d+: ")
        self.assertIn("decimal", r.stderr)

    def leads(self):
        return self.write("leads.csv",
                          "lead_id,created_at,vertical,budget,email\n"
                          "L1,2026-10-01,retail,900,a@x.com\n"
                          "L2,2026-10-02,retail,50000,b@x.com\n")

    def score(self, *extra):
        out = os.path.join(self.dir, "out")
        r = lrtest.run(["score", self.leads(), "--history", self.deals, "-o", out,
                        "--as-of", lrtest.AS_OF] + list(extra))
        return r, out

    def test_model_override_changes_tiers(self):
        r, out = self.score()
        self.assertEqual(r.returncode, 0, r.stderr)
        before = lrtest.read_summary(out)["counts"]["by_tier"]
        model = self.write("model.json", json.dumps({"tier_a_priority": 0, "tier_a_max_risk": {"value": 101}}))
        r, out = self.score("--model", model)
        self.assertEqual(r.returncode, 0, r.stderr)
        after = lrtest.read_summary(out)["counts"]["by_tier"]
        self.assertNotEqual(before["A"], after["A"])
        self.assertEqual(after["A"], sum(after[t] for t in "ABCD"))

    def test_model_errors_exit_2_with_position(self):
        for body, word in (('{\n  "tier_a_priority": 60,\n  "no_such_key": 1\n}', "no_such_key"),
                           ('{\n  "weight.prospect.VB": -0.25\n}', "weight.prospect.VB"),
                           ('{\n  "tier_b_priority": "43"\n}', "tier_b_priority")):
            model = self.write("m.json", body)
            r, out = self.score("--model", model)
            self.assertEqual(r.returncode, 2, body)
            self.assertRegex(r.stderr, r"m\.json:\d+:\d+: ")
            self.assertIn(word, r.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "ranked.csv")))

    def test_fsync_does_not_change_bytes(self):
        r, out = self.score()
        first = {n: lrtest.read_bytes(os.path.join(out, n)) for n in lrtest.CSV_OUTPUTS}
        r, out = self.score("--fsync")
        self.assertEqual(r.returncode, 0, r.stderr)
        for n in lrtest.CSV_OUTPUTS:
            self.assertEqual(lrtest.read_bytes(os.path.join(out, n)), first[n])

    def test_hubspot_export_with_repeated_create_date(self):
        hubspot = self.write("hubspot.csv",
                             "Record ID,First Name,Last Name,Email,Industry,Create Date,Associated Company,Create Date\r\n"
                             "101,Ann,Lee,ann@x.com,Retail,2024-01-22T20:36:47.000+0000,Acme,2019-11-11 17:23:34\r\n"
                             "102,Bo,Kim,bo@y.com,retail,2024-02-01,Beta,not a date\r\n")
        schema = os.path.join(lrtest.SCHEMAS, "hubspot-contacts.schema.json")
        out = os.path.join(self.dir, "hs")
        args = ["score", hubspot, "--schema", schema, "--history", self.deals, "-o", out, "--as-of", lrtest.AS_OF]
        r = lrtest.run(args)
        self.assertEqual(r.returncode, 2)
        self.assertIn("Create Date", r.stderr)
        self.assertFalse(os.path.exists(out) and os.listdir(out))
        r = lrtest.run(args + ["--duplicate-columns", "first"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Create Date", r.stderr)        # the warning names the repeated column
        counts = lrtest.read_summary(out)["counts"]
        self.assertEqual(counts["input_rows"], 2)
        self.assertEqual(counts["rejected"], 0)       # the second Create Date passes through
        ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))
        self.assertEqual(ranked[0][7:], ["Record ID", "First Name", "Last Name", "Email", "Industry",
                                         "Create Date", "Associated Company", "Create Date"])

    def test_salesforce_report_export(self):
        """A Salesforce report export as written: label headers, a BOM, CRLF, no final
        newline, ISO timestamps with offsets, `$` amounts with groups, split names, opt-out
        flags (either column set means do_not_contact)."""
        text = ("\ufeffLead ID,First Name,Last Name,Company / Account,Email,Industry,Annual Revenue,"
                "Lead Source,Create Date,Last Activity,Email Opt Out,DoNotCall\r\n"
                "00Q1,Ann,Lee,\"Acme, Inc.\",ann@acme.com,Retail,\"$1,250,000\",Referral,"
                "2024-01-22T20:36:47.000+0000,2026-10-30,0,0\r\n"
                "00Q2,Bo,Kim,Beta,bo@beta.com,RETAIL,$900,Web,2026-10-01T08:00:00.000+0000,,1,0\r\n"
                "00Q3,Cy,Ng,Gamma,cy@gamma.com, retail ,\"$12,000\",Web,2026-10-02 09:10:11,,false,true\r\n"
                "00Q4,Ann,Lee,\"Acme, Inc.\",ANN@ACME.COM,Retail,$5,Web,2023-05-05,,0,0")
        path = os.path.join(self.dir, "sf.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        schema = os.path.join(lrtest.SCHEMAS, "salesforce-leads.schema.json")
        out = os.path.join(self.dir, "sf")
        r = lrtest.run(["score", path, "--schema", schema, "--history", self.deals, "-o", out,
                        "--as-of", lrtest.AS_OF])
        self.assertEqual(r.returncode, 0, r.stderr)
        counts = lrtest.read_summary(out)["counts"]
        self.assertEqual((counts["input_rows"], counts["rejected"], counts["duplicates"]), (4, 0, 1))
        disq = {row[4]: row[0] for row in lrtest.read_csv(os.path.join(out, "disqualified.csv"))[1:]}
        self.assertEqual(disq, {"00Q2": "do_not_contact", "00Q3": "do_not_contact"})
        ranked = lrtest.read_csv(os.path.join(out, "ranked.csv"))
        self.assertEqual(ranked[0][7], "Lead ID")              # headers as written, BOM dropped
        self.assertEqual([row[7] for row in ranked[1:]], ["00Q1"])
        self.assertIn("+approachable", ranked[1][6])            # Referral lead source
        dups = lrtest.read_csv(os.path.join(out, "duplicates.csv"))[1:]
        self.assertEqual([(row[0], row[1]) for row in dups], [("00Q1", "00Q4")])   # email, any case


if __name__ == "__main__":
    unittest.main()
