#!/usr/bin/env python3
"""gen_leads.py -- deterministic generator of realistic, messy lead and deal exports.

Writes, for a PREFIX:
  PREFIX.leads.csv (or PREFIX.leads.csv.gz with --gzip / --members K)
  PREFIX.deals.csv  the purchase history (SPEC section 3), with a few bad deal rows
  PREFIX.truth.csv  `line,reason` for every planted bad lead row: the physical line and
                    the SPEC reason the engine must report in rejects.csv, nothing else

  gen_leads.py --rows N --seed S --out PREFIX [--malformed FRAC] [--duplicates FRAC]
               [--deals N] [--gzip] [--members K] [--header canonical|salesforce]
               [--as-of YYYY-MM-DD] [--crlf]

Same arguments -> same bytes (the gzip container aside, whose deflate stream depends on
the zlib build): the only randomness is one random.Random seeded with an int, used only
through random(), whose sequence is the same in every Python 3 version (no choices(),
sample() or randrange(), whose algorithms have changed); nothing iterates a set or
depends on hash order.

Why the bad rows never disturb the good ones (SPEC 2, fine print A4-A7 of refscore.py):
  - every bad row is on one physical line, except the unclosed quote, which is the very
    last line of the file and reaches the end of the input inside quotes;
  - a swallowing quote (`"ab"cd`) is the last quote of its line, and the next row is
    always a good row with a properly quoted field, so libcsv closes the swallowed record
    there (well within 64 KiB): the record spans lines and used the lenient rule, so only
    its first line is rejected and the swallowed lines are re-read as rows of their own;
  - each other bad row breaks exactly one rule, so its reason follows from the
    precedence of A5 alone; lead_ids are unique except the planted duplicate_lead_id
    rows, which reuse the id of an earlier accepted row.
"""

import argparse
import datetime as dt
import gzip
import io
import os
import random
import sys

CANONICAL = [
    "lead_id", "created_at", "company", "domain", "contact_name", "email", "phone",
    "title", "is_decision_maker", "vertical", "country", "employees", "annual_revenue",
    "budget", "lead_source", "relationship", "purchases_count", "last_purchase_at",
    "discount_requested_pct", "price_objections", "competitor_quotes", "info_requests",
    "demo_requests", "meetings_held", "next_step_committed", "decision_date",
    "compelling_event", "pain_stated", "last_activity_at", "owner", "territory",
    "contact_ok", "warm_intro", "first_name", "last_name", "do_not_contact",
]
COL = {name: k for k, name in enumerate(CANONICAL)}
NCOLS = len(CANONICAL)
ASCII_LOWER = {c: c + 32 for c in range(65, 91)}    # the engine lowercases A-Z only

# Salesforce API names where the lead object has one (aliases in the Salesforce schema);
# the rest keep their canonical names.
SALESFORCE = {
    "lead_id": "Id", "created_at": "CreatedDate", "company": "Company", "domain": "Website",
    "contact_name": "Name", "email": "Email", "phone": "Phone", "title": "Title",
    "vertical": "Industry", "country": "Country", "annual_revenue": "AnnualRevenue",
    "employees": "NumberOfEmployees", "lead_source": "LeadSource", "owner": "OwnerId",
    "last_activity_at": "LastActivityDate", "first_name": "FirstName",
    "last_name": "LastName", "do_not_contact": "DoNotCall",
}

DEAL_HEADER = ["deal_id", "account_domain", "vertical", "closed_at", "outcome", "amount",
               "list_price", "discount_pct", "cycle_days", "product"]

# (display name, share of deals, win rate, mean won amount).  Win rates and sizes differ
# so that vertical_buys, vertical_no_history (c = 0, c < 5, c >= 5) all occur.
DEAL_VERTICALS = [
    ("Healthcare", 0.20, 0.55, 42000), ("Software", 0.18, 0.45, 30000),
    ("Financial Services", 0.14, 0.40, 65000), ("Manufacturing", 0.12, 0.35, 38000),
    ("Retail", 0.10, 0.25, 18000), ("Education", 0.08, 0.30, 15000),
    ("Logistics", 0.07, 0.20, 27000), ("Media", 0.05, 0.15, 12000),
    ("Agriculture", 0.03, 0.10, 22000),   # few wins: c < 5 on small histories
    ("Government", 0.03, 0.0, 0),         # deals but never won: c = 0
]
# Lead verticals without any deal (unseen: c = 0, A = A_g).
LEAD_ONLY_VERTICALS = ["Aerospace", "Nonprofit", "Hospitality"]
LEAD_VERTICALS = [v[0] for v in DEAL_VERTICALS if v[2] >= 0.2]
MISSING = ["", "n/a", "N/A", "NA", "null", "NULL", "none", "None", "-"]
TRUE_WORDS = ["true", "True", "TRUE", "t", "yes", "Yes", "YES", "y", "Y", "1"]
FALSE_WORDS = ["false", "False", "FALSE", "f", "no", "No", "NO", "n", "N", "0"]

FIRST = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jack",
         "Karin", "Liam", "Maya", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara",
         "Zoë", "José", "Björn", "Renée", "François", "Łukasz", "Siobhán", "Ana María",
         "李", "王芳", "Mehmet", "Aoife", "Chloé", "Søren", "Dmitri", "Priya"]
LAST = ["Smith", "Jones", "Garcia", "Nguyen", "Brown", "Taylor", "Wilson", "Clark",
        "Lopez", "Walker", "Müller", "Ñúñez", "O'Brien", "Kowalski", "Schröder", "Dubois",
        "Rossi", "Novak", "Tanaka", "Kim", "Patel", "Okafor", "Larsen", "Costa", "Weber",
        "明", "van der Berg", "Fitzgerald", "Haddad", "Ivanova"]
STEMS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
         "Tyrell", "Cyberdyne", "Soylent", "Wonka", "Gringotts", "Oceanic", "Monarch",
         "Pied Piper", "Aperture", "Black Mesa", "Massive Dynamic", "Nakatomi", "Zorg",
         "Müller", "Señor Frío", "Nordlicht", "Blåbær", "北方", "Kraków Tech", "Dunder"]
SUFFIXES = [", Inc.", " Ltd", " GmbH", ", LLC", " S.A.", " & Sons", " Group", "", " AG",
            " Holdings, Inc.", " Co."]
TLDS = [".com", ".io", ".de", ".co.uk", ".fr", ".net"]
TITLES_DM = ["CEO", "Chief Revenue Officer", "VP Sales", "Vice President, Operations",
             "Director of IT", "Co-Founder", "Head of Procurement", "Owner", "President",
             "Managing Partner", "CFO", "Principal"]
TITLES_OTHER = ["Sales Manager", "Analyst", "Procurement Specialist", "Engineer",
                "Office Manager", "Consultant", "Directors' Assistant", "Team Lead",
                "Account Executive", "Coordinator"]
SOURCES = ["web", "Referral", "trade show", "cold call", "partner", "referral ", "webinar",
           "inbound", "LinkedIn"]
COUNTRIES = ["US", "DE", "FR", "GB", "ES", "CN", "BR", "United States", "Deutschland",
             "España", "Polska"]
TERRITORIES = ["EMEA", "NA-East", "NA-West", "APAC", "LATAM", "DACH"]
EVENTS = ["Board mandate to replace legacy CRM", "New CFO, cost review",
          "Contract with incumbent ends in Q3", "Expansion into 3 new markets",
          "Audit finding, must fix by year end", "Merger: consolidating vendors",
          "Regulation deadline \"GDPR-2\" approaching"]
EVENTS_MULTI = ["Board mandate:\nreplace legacy CRM by Q3",
                "Incumbent contract ends 2027-01-31,\nrenewal not approved",
                "Notes from call:\n- budget approved\n- wants pilot"]
PRODUCTS = ["Core", "Core Plus", "Analytics", "Enterprise Suite", "Support, Premium"]


class Rng:
    """random.Random reduced to random() (stable across versions) and helpers on it."""

    def __init__(self, seed):
        self.random = random.Random(seed).random

    def below(self, n):
        return int(self.random() * n)

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def chance(self, p):
        return self.random() < p


def quote(v):
    """A CSV field as a careful exporter writes it: quoted when it holds `,` `"` CR LF or
    outer blanks, inner quotes doubled (so no good row ever uses libcsv's lenient rule)."""
    if not v:
        return v
    if ("," in v or '"' in v or "\n" in v or "\r" in v or v[0] in " \t"
            or v[-1] in " \t"):
        return '"' + v.replace('"', '""') + '"'
    return v


def slug(s):
    out = []
    for ch in s.lower():
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        elif ch in "äåæ":
            out.append("a")
        elif ch in "öøó":
            out.append("o")
        elif ch in "üú":
            out.append("u")
        elif ch in "éè":
            out.append("e")
        elif ch == "ñ":
            out.append("n")
        elif ch == "ł":
            out.append("l")
        elif ch == "í":
            out.append("i")
    return "".join(out) or "corp"


def money(x, rng):
    """A positive amount in one of the spellings CRM exports use."""
    k = rng.below(6)
    if k == 0:
        return "${:,}".format(int(x))
    if k == 1:
        return "{:,.2f}".format(x)
    if k == 2:
        return str(int(x))
    if k == 3:
        return "€{:,}".format(int(x))
    if k == 4:
        return "{:.2f}".format(x)
    return "$" + str(int(x))


class Generator:
    def __init__(self, a):
        self.rng = Rng(a.seed)
        self.asof = dt.date.fromisoformat(a.as_of).toordinal()
        self.nl = "\r\n" if a.crlf else "\n"
        n_comp = max(200, min(a.rows // 3, 60000))
        rng = self.rng
        self.companies = []
        for k in range(n_comp):
            stem = STEMS[k % len(STEMS)]
            suffix = SUFFIXES[(k // len(STEMS)) % len(SUFFIXES)]
            name = stem + suffix if k < len(STEMS) * len(SUFFIXES) else \
                "%s %d%s" % (stem, k, suffix)
            self.companies.append((name, "%s%d%s" % (slug(stem), k, TLDS[k % len(TLDS)])))
        self.deal_domains = [self.companies[rng.below(n_comp)][1] for _ in range(4000)]
        self.lead_verticals = LEAD_VERTICALS + LEAD_ONLY_VERTICALS
        self.dup_pool = []       # earlier good rows (field lists) to copy as duplicates
        self.id_pool = []        # lead_ids of earlier accepted rows
        self.next_id = 1
        self.iso = {}            # ordinal -> "YYYY-MM-DD": formatting dates is a hot spot

    # ---- value helpers -----------------------------------------------------------------

    def date(self, ordinal, timestamps=True):
        d = self.iso.get(ordinal)
        if d is None:
            d = self.iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        if not timestamps:
            return d
        k = self.rng.below(10)
        if k == 0:
            return d + "T%02d:%02d:%02d.000+0000" % (self.rng.below(24), self.rng.below(60),
                                                     self.rng.below(60))
        if k == 1:
            return d + " %02d:%02d:%02d" % (self.rng.below(24), self.rng.below(60),
                                            self.rng.below(60))
        return d

    def boolean(self, value):
        return self.rng.pick(TRUE_WORDS if value else FALSE_WORDS)

    def missing(self):
        return self.rng.pick(MISSING)

    def vertical(self, name):
        rng = self.rng
        k = rng.below(8)
        if k == 0:
            return name.upper()
        if k == 1:
            return name.lower()
        if k == 2:
            return " " + name.upper() + " "          # quoted: outer blanks kept as data
        if k == 3:
            return name.replace(" ", "  ")
        return name

    def new_id(self):
        lid = "L%08d" % self.next_id
        self.next_id += 1
        return lid

    # ---- one good row --------------------------------------------------------------------

    def good_row(self, multiline=True, force_quote=False):
        """Field values (unquoted text) of a lead that passes every rule."""
        rng = self.rng
        asof = self.asof
        f = [""] * NCOLS
        arche = rng.random()
        # archetypes: strong .20, average .33, weak .24, window shopper .07,
        # price buyer .06, cannot afford .05, do not contact .05
        strong = arche < 0.20
        weak = 0.53 <= arche < 0.77
        shopper = 0.77 <= arche < 0.84
        price = 0.84 <= arche < 0.90
        cheap = 0.90 <= arche < 0.95
        dnc = arche >= 0.95

        f[0] = self.new_id()
        if shopper:
            created = asof - 300 - rng.below(500)
        elif strong:
            created = asof - 5 - rng.below(90)
        else:
            created = asof - 1 - rng.below(600)
        f[1] = self.date(created)
        cname, cdomain = self.companies[rng.below(len(self.companies))]
        if force_quote:
            cname = cname.split(",")[0] + ", Inc."
        f[2] = cname
        f[3] = cdomain if not rng.chance(0.05) else cdomain.upper()
        first, last = rng.pick(FIRST), rng.pick(LAST)
        f[33], f[34] = first, last
        f[4] = first + " " + last if not rng.chance(0.15) else self.missing()
        e = rng.random()
        local = slug(first) + "." + slug(last)
        if e < 0.75:
            f[5] = local + "@" + cdomain
            if rng.chance(0.2):
                f[5] = f[5].title()
        elif e < 0.85:
            f[5] = self.missing()
        elif e < 0.9:
            f[5] = local + " at " + cdomain       # invalid email: absent, not a reject
        else:
            f[5] = ""
        p = rng.random()
        if p < 0.5:
            f[6] = "+1 (555) %03d-%04d" % (rng.below(1000), rng.below(10000))
        elif p < 0.7:
            f[6] = "0%d %d" % (30 + rng.below(60), 100000 + rng.below(900000))
        elif p < 0.8:
            f[6] = "555-%02d" % rng.below(100)     # too few digits
        else:
            f[6] = self.missing()
        dm = strong or (not weak and rng.chance(0.4))
        title = rng.pick(TITLES_DM if dm else TITLES_OTHER)
        if multiline and rng.chance(0.01):
            title = title + "\n(acting)"
        f[7] = title
        k = rng.below(5)
        f[8] = self.missing() if k < 3 else self.boolean(dm if k == 3 else not dm)
        if price:
            vname = rng.pick(LEAD_ONLY_VERTICALS + ["Government"])
        elif strong:
            vname = rng.pick(LEAD_VERTICALS[:3])
        else:
            vname = rng.pick(self.lead_verticals)
        f[9] = self.vertical(vname) if not rng.chance(0.03) else self.missing()
        f[10] = rng.pick(COUNTRIES) if not rng.chance(0.05) else self.missing()
        emp = 5 + rng.below(5000)
        f[11] = ("{:,}".format(emp) if rng.chance(0.3) else
                 (str(emp) + ".0" if rng.chance(0.05) else str(emp)))
        if rng.chance(0.1):
            f[11] = self.missing()
        rev = emp * (50000 + rng.below(200000))
        f[12] = money(rev, rng) if not rng.chance(0.15) else self.missing()
        if cheap:
            f[13] = money(100 + rng.below(1500), rng)
        elif strong:
            f[13] = money(40000 + rng.below(120000), rng)
        elif rng.chance(0.5):
            f[13] = money(4000 + rng.below(90000), rng)
        else:
            f[13] = self.missing()
        f[14] = rng.pick(SOURCES) if not rng.chance(0.1) else self.missing()
        rel = rng.random()
        if rel < 0.42:
            relationship = "new"
        elif rel < 0.62:
            relationship = "aware"
        elif rel < 0.72:
            relationship = "former_customer"
        elif rel < 0.9:
            relationship = "customer"
        else:
            relationship = "returning_customer"
        r = rng.below(10)
        f[15] = (relationship if r < 6 else relationship.upper() if r < 7 else
                 relationship.title() if r < 8 else
                 (self.missing() if relationship == "new" else relationship))
        if relationship in ("customer", "returning_customer", "former_customer"):
            f[16] = str(rng.below(7))
            f[17] = self.date(asof - rng.below(500) + (3 if rng.chance(0.02) else 0))
        else:
            f[16] = self.missing() if rng.chance(0.5) else "0"
            f[17] = self.missing()
        if price:
            d = 30 + rng.below(30)
        elif strong:
            d = rng.below(8)
        else:
            d = rng.below(40) if rng.chance(0.6) else None
        if d is None:
            f[18] = self.missing()
        else:
            f[18] = (str(d) + ".5%" if rng.chance(0.3) else
                     str(d) + "%" if rng.chance(0.3) else str(d))
        f[19] = str(2 + rng.below(3) if price else rng.below(3) if not strong else 0)
        f[20] = str(1 + rng.below(3) if price else rng.below(2))
        if shopper:
            info, demo, meet = 4 + rng.below(4), 2 + rng.below(3), 0
        elif strong:
            meet = 2 + rng.below(4)
            info, demo = rng.below(3), rng.below(2)
        else:
            info, demo, meet = rng.below(5), rng.below(3), rng.below(3)
        f[21], f[22], f[23] = str(info), str(demo), str(meet)
        if rng.chance(0.1):
            f[21 + rng.below(3)] = self.missing()
        f[24] = (self.boolean(strong or rng.chance(0.3)) if not shopper
                 else self.boolean(False))
        if shopper:
            f[25] = self.missing() if rng.chance(0.5) else self.date(asof - 30 - rng.below(200))
        elif rng.chance(0.6):
            f[25] = self.date(asof - 60 + rng.below(240))
        else:
            f[25] = self.missing()
        if strong or (not weak and rng.chance(0.45)):
            f[26] = (rng.pick(EVENTS_MULTI) if multiline and rng.chance(0.05)
                     else rng.pick(EVENTS))
        else:
            f[26] = self.missing()
        f[27] = self.boolean(strong or (not weak and rng.chance(0.5)))
        if rng.chance(0.2):
            f[27] = self.missing()
        if shopper:
            last_act = created + rng.below(max(1, asof - created - 200))
        elif strong:
            last_act = asof - rng.below(20)
        else:
            last_act = created + rng.below(asof - created + 1)
        f[28] = self.date(last_act) if not rng.chance(0.1) else self.missing()
        f[29] = "owner_%02d" % rng.below(40)
        f[30] = rng.pick(TERRITORIES)
        f[31] = self.boolean(False) if dnc and rng.chance(0.5) else (
            self.boolean(True) if rng.chance(0.6) else self.missing())
        f[32] = self.boolean(strong and rng.chance(0.3) or rng.chance(0.05))
        if rng.chance(0.3):
            f[32] = self.missing()
        f[35] = (self.boolean(True) if dnc and f[31] not in FALSE_WORDS else
                 self.boolean(False) if rng.chance(0.3) else self.missing())
        return f

    def duplicate_of(self, src):
        """The same person again: new lead_id, another created_at, email case changed (or
        domain / contact name case changed when there is no email)."""
        rng = self.rng
        f = list(src)
        f[0] = self.new_id()
        f[1] = self.date(self.asof - 1 - rng.below(600))
        if "@" in f[5]:
            f[5] = f[5].upper() if rng.chance(0.5) else f[5].swapcase()
        else:
            f[3] = f[3].upper()
            if f[4] not in MISSING:
                f[4] = " " + f[4].translate(ASCII_LOWER) + " "
        return f

    # ---- bad rows --------------------------------------------------------------------------

    BAD_KINDS = [
        "wrong_field_count", "wrong_field_count_short", "unbalanced_quote",
        "record_too_long", "invalid_utf8", "invalid_utf8_nul",
        "bad_number:annual_revenue", "bad_number:budget", "bad_number:discount_requested_pct",
        "bad_integer:employees", "bad_integer:meetings_held", "bad_integer:purchases_count",
        "bad_date:created_at", "bad_date:decision_date", "bad_date:last_activity_at",
        "bad_boolean:pain_stated", "bad_boolean:contact_ok", "bad_boolean:is_decision_maker",
        "bad_enum:relationship", "out_of_range:employees", "out_of_range:discount_requested_pct",
        "out_of_range:annual_revenue", "out_of_range:info_requests",
        "missing_required:lead_id", "missing_required:created_at", "duplicate_lead_id",
    ]
    BAD_VALUES = {
        "bad_number:annual_revenue": ["1,5", "12,34", "$ 100", "abc", "1e5", "$-5"],
        "bad_number:budget": ["5k", "1.2.3", "USD 100", "--5", "1,0000"],
        "bad_number:discount_requested_pct": ["ten", "5%%", "12,5%"],
        "bad_integer:employees": ["3.5", "many", "12%", "1,00"],
        "bad_integer:meetings_held": ["two", "0.5", "1e2"],
        "bad_integer:purchases_count": ["x", "2.25"],
        "bad_date:created_at": ["2025-02-30", "2024-13-01", "22/01/2024", "2024-1-5",
                                "2024-01-22t20:36:47", "2024-01-22T25:00:00"],
        "bad_date:decision_date": ["2025-02-29", "tomorrow", "2026-00-10"],
        "bad_date:last_activity_at": ["2023-04-31", "2024-06-15+05"],
        "bad_boolean:pain_stated": ["maybe", "yess", "oui", "2"],
        "bad_boolean:contact_ok": ["unknown", "nope"],
        "bad_boolean:is_decision_maker": ["sometimes", "10"],
        "bad_enum:relationship": ["partner", "customr", "ex-customer", "prospect"],
        "out_of_range:employees": ["-5", "-1,200", "9007199254740993"],
        "out_of_range:discount_requested_pct": ["150", "100.5%", "-3"],
        "out_of_range:annual_revenue": ["1,000,000,000,000,000", "$2000000000000000",
                                        "-250000"],
        "out_of_range:info_requests": ["-1", "99999999999999999999"],
    }

    def bad_row(self, kind):
        """(line text without terminator, reason).  Exactly one rule is broken."""
        rng = self.rng
        f = self.good_row(multiline=False)     # one line: the reason is the planted one
        if kind == "duplicate_lead_id":
            f[0] = rng.pick(self.id_pool)
            return ",".join(map(quote, f)), kind
        if kind.startswith("wrong_field_count"):
            if kind.endswith("short"):
                del f[rng.below(NCOLS)]
            else:
                f.append("extra")
            return ",".join(map(quote, f)), "wrong_field_count"
        if kind == "unbalanced_quote":
            # `"ab"cd` as the last quote of its line: the field stays open and swallows
            # the line break; the next (good, quoted) row closes it
            parts = [quote(x) for x in f[:26]]
            rest = [x.replace('"', "'").replace(",", ";").strip() for x in f[27:]]
            return ",".join(parts + ['"Q3 rollout"ish'] + rest), kind
        if kind == "record_too_long":
            f[26] = "long note " + "x" * (65536 + rng.below(2000))
            return ",".join(map(quote, f)), kind
        if kind == "invalid_utf8":
            f[2] = "Caf\udce9 Ol\udcc3"                # lone Latin-1 bytes e9, c3
            return ",".join(map(quote, f)), kind
        if kind == "invalid_utf8_nul":
            f[7] = "Mana\x00ger"
            return ",".join(map(quote, f)), "invalid_utf8"
        if kind.startswith("missing_required:"):
            f[COL[kind.split(":")[1]]] = self.missing()
            return ",".join(map(quote, f)), kind
        col = kind.split(":")[1]
        f[COL[col]] = rng.pick(self.BAD_VALUES[kind])
        return ",".join(map(quote, f)), kind

    def unclosed_last_row(self):
        f = self.good_row(multiline=False)
        parts = [quote(x) for x in f[:26]]
        rest = [x.replace('"', "'") for x in f[27:]]
        return ",".join(parts + ['"Never closed, ' + ";".join(rest)])


class Sink:
    """Buffered text output: plain, one gzip member, or K members cut at byte offsets
    that fall inside records (readers must carry state across members)."""

    def __init__(self, path, gz, members, rows):
        self.raw = open(path, "wb")
        self.gz = gz or members > 1
        self.members = max(1, members)
        self.cuts = [rows * k // self.members for k in range(1, self.members)]
        self.buf = []
        self.nbuf = 0
        self.cur = self._open_member() if self.gz else None

    def _open_member(self):
        return gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0,
                             compresslevel=6)

    def _out(self, b):
        if self.gz:
            self.cur.write(b)
        else:
            self.raw.write(b)

    def write(self, s):
        self.buf.append(s)
        self.nbuf += len(s)
        if self.nbuf > 1 << 20:
            self.flush()

    def flush(self):
        if self.buf:
            self._out("".join(self.buf).encode("utf-8", "surrogateescape"))
            self.buf = []
            self.nbuf = 0

    def row_done(self, index):
        """Called after row `index` (0-based): start the next member at a member cut, in
        the middle of the buffered text so that a record straddles the two members."""
        if self.cuts and index + 1 >= self.cuts[0]:
            self.cuts.pop(0)
            data = "".join(self.buf).encode("utf-8", "surrogateescape")
            self.buf, self.nbuf = [], 0
            half = len(data) - 7 if len(data) > 7 else len(data)
            self._out(data[:half])
            self.cur.close()
            self.cur = self._open_member()
            self._out(data[half:])

    def close(self):
        self.flush()
        if self.gz:
            self.cur.close()
        self.raw.close()


def write_leads(g, a):
    rng = g.rng
    nl = g.nl
    path = a.out + (".leads.csv.gz" if (a.gzip or a.members > 1) else ".leads.csv")
    sink = Sink(path, a.gzip, a.members, a.rows)
    header = CANONICAL if a.header == "canonical" else [SALESFORCE.get(c, c) for c in CANONICAL]
    sink.write(",".join(header) + nl)
    line = 2
    truth = []
    kinds = Generator.BAD_KINDS
    force_quote = False
    unclosed_at = a.rows - 1 if a.malformed > 0 and a.rows >= 50 else -1
    for i in range(a.rows):
        if i == unclosed_at:
            sink.write(g.unclosed_last_row() + nl)
            truth.append((line, "unbalanced_quote"))
            line += 1
            sink.row_done(i)
            continue
        if not force_quote and i > 0 and rng.random() < 0.0005:
            sink.write(nl)               # a blank line: skipped and counted, not a row
            line += 1
        x = rng.random()
        if force_quote or x >= a.malformed + a.duplicates:
            f = g.good_row(force_quote=force_quote)
            force_quote = False
        elif x < a.malformed:
            kind = rng.pick(kinds)
            if kind == "duplicate_lead_id" and not g.id_pool:
                kind = "bad_enum:relationship"
            text, reason = g.bad_row(kind)
            sink.write(text + nl)
            truth.append((line, reason))
            line += 1
            force_quote = kind == "unbalanced_quote"
            sink.row_done(i)
            continue
        elif g.dup_pool:
            f = g.duplicate_of(rng.pick(g.dup_pool))
        else:
            f = g.good_row()
        text = ",".join(map(quote, f))
        if a.crlf:
            text = text.replace("\n", "\r\n")
        sink.write(text + nl)
        line += 1 + text.count("\n")
        if len(g.id_pool) < 5000:
            g.id_pool.append(f[0])
        elif rng.chance(0.01):
            g.id_pool[rng.below(5000)] = f[0]
        if len(g.dup_pool) < 2000:
            g.dup_pool.append(f)
        elif rng.chance(0.02):
            g.dup_pool[rng.below(2000)] = f
        sink.row_done(i)
    sink.close()
    with open(a.out + ".truth.csv", "w", encoding="utf-8", newline="") as t:
        t.write("line,reason\n")
        for ln, reason in truth:
            t.write("%d,%s\n" % (ln, reason))


def write_deals(g, a):
    rng = g.rng
    nl = g.nl
    n = a.deals if a.deals is not None else min(a.rows // 10, 200000)
    out = io.BufferedWriter(io.FileIO(a.out + ".deals.csv", "w"), 1 << 20)
    out.write((",".join(DEAL_HEADER) + nl).encode())
    bounds = []
    acc = 0.0
    for v in DEAL_VERTICALS:
        acc += v[1]
        bounds.append(acc)
    buf = []
    for i in range(n):
        x = rng.random() * acc
        k = 0
        while k < len(bounds) - 1 and x >= bounds[k]:
            k += 1
        name, _, win, mean_amt = DEAL_VERTICALS[k]
        won = rng.random() < win
        closed = g.asof - rng.below(1500)
        if won:
            amount = mean_amt * (0.5 + rng.random())
            lp = amount * (1.0 + rng.random() * 0.4)
        else:
            amount = 0.0 if rng.chance(0.5) else mean_amt * rng.random()
            lp = mean_amt
        outcome = "won" if won else "lost"
        o = rng.below(4)
        outcome = outcome.upper() if o == 0 else outcome.title() if o == 1 else outcome
        f = ["D%07d" % (i + 1), rng.pick(g.deal_domains), g.vertical(name),
             g.date(closed), outcome,
             money(amount, rng) if (won or amount) else g.missing(),
             money(lp, rng), "%.1f" % (rng.random() * 25) + ("%" if rng.chance(0.2) else ""),
             str(20 + rng.below(200)) if not rng.chance(0.05) else g.missing(),
             rng.pick(PRODUCTS)]
        if rng.chance(0.01):       # a bad deal row: counted, never fatal
            b = rng.below(4)
            if b == 0:
                f[4] = "pending"
            elif b == 1:
                f[5] = "lots"
            elif b == 2:
                f[4] = ""
            else:
                f[3] = "2025-02-30"
        buf.append(",".join(map(quote, f)) + nl)
        if len(buf) >= 10000:
            out.write("".join(buf).encode())
            buf = []
    out.write("".join(buf).encode())
    out.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True, help="output PREFIX")
    ap.add_argument("--malformed", type=float, default=0.01)
    ap.add_argument("--duplicates", type=float, default=0.02)
    ap.add_argument("--deals", type=int, default=None,
                    help="deal rows (default rows/10, at most 200000)")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--members", type=int, default=1,
                    help="write K gzip members concatenated (implies --gzip)")
    ap.add_argument("--header", choices=("canonical", "salesforce"), default="canonical")
    ap.add_argument("--as-of", default="2026-11-01")
    ap.add_argument("--crlf", action="store_true", help="CRLF line ends")
    a = ap.parse_args(argv)
    if a.rows < 0 or not (0 <= a.malformed <= 1) or not (0 <= a.duplicates <= 1) \
            or a.malformed + a.duplicates > 1 or a.members < 1:
        ap.error("bad --rows / --malformed / --duplicates / --members")
    parent = os.path.dirname(a.out)
    if parent:
        os.makedirs(parent, exist_ok=True)     # `make sample` writes into bench/data/
    g = Generator(a)
    write_leads(g, a)
    write_deals(g, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
