"""The Redis purchase-history cache (SPEC 3, issue 4) against real redis-servers.

Every test starts its own redis-server on a free loopback port (redis_server.py) and
stops it in a cleanup, also when the test fails; no test talks to a server it did not
start. Covered: `history build` / `history show --redis`, hit / miss-and-publish /
fallback and summary.json's history.cache, outputs byte-identical to the embedded mode,
the number of commands and round trips per run (independent of the number of leads),
TTL of replaced versions, unix sockets, db and prefix, and the faults: server down,
killed mid-run, stopped (a timeout, not a hang), wrong password (never printed),
malformed cached values (repaired), maxmemory while publishing, concurrent builds.
"""
import os
import re
import subprocess
import threading
import time
import unittest

import lrtest
from lrtest import AS_OF, LeadrankCase, SharedData
from redis_server import RedisServer, free_port

PREFIX = "leadrank:"
HID = re.compile(r"^hid=([0-9a-f]{32}) verticals=(\d+)$")
ROUNDS = re.compile(r"redis [^:]+:\d+/\d+: (history(?: build)?): (\d+) commands in (\d+) round trips")

DATA = None


def setUpModule():
    global DATA
    DATA = SharedData()
    DATA.small = DATA.gen("small", 1000, 11)
    DATA.big = DATA.gen("big", 10000, 13)  # 10x the leads (scored against small's deals)
    DATA.other = DATA.gen("other", 1000, 12)  # different deals: another hid, another table


def tearDownModule():
    DATA.close()


def same_summary(a, b):
    """summary.json without threads, timings, history.source/cache and history.deals
    (the --history file names, absent with --redis alone)."""
    a, b = lrtest.stable_summary(a), lrtest.stable_summary(b)
    for s in (a, b):
        s["history"].pop("deals", None)
    return a == b


class RedisCase(LeadrankCase):
    password = None

    def setUp(self):
        super().setUp()
        self.redis = RedisServer(password=self.password)
        self.addCleanup(self.redis.stop)   # runs even when the test fails
        self.redis.start()

    def lr(self, *args, env_password=None, expect=None, timeout=lrtest.TIMEOUT):
        env = dict(os.environ)
        env.pop("LEADRANK_REDIS_PASSWORD", None)
        if env_password is not None:
            env["LEADRANK_REDIS_PASSWORD"] = env_password
        p = subprocess.run([lrtest.leadrank_bin()] + [str(a) for a in args], env=env,
                           capture_output=True, text=True, timeout=timeout)
        if expect is not None:
            self.assertEqual(p.returncode, expect, "leadrank %s\nstderr: %s"
                             % (" ".join(map(str, args)), p.stderr[-2000:]))
        return p

    def score_redis(self, out, deals=None, url=None, leads=None, *extra, expect=0, **kw):
        args = ["score", leads or DATA.small["leads"], "-o", self.path(out), "--as-of", AS_OF,
                "--redis", url or self.redis.url, "-v"]
        if deals is not None:
            args += ["--history", deals]
        return self.lr(*(args + list(extra)), expect=expect, **kw)

    def local(self, out, leads=None, deals=None):
        self.score(leads or DATA.small["leads"], self.path(out), deals or DATA.small["deals"])
        return self.path(out)

    def cache_of(self, out):
        h = lrtest.read_summary(self.path(out))["history"]
        return h["source"], h["cache"]

    def build(self, *deals, url=None, extra=(), expect=0):
        p = self.lr("history", "build", *deals, "--redis", url or self.redis.url, "-v", *extra,
                    expect=expect)
        if expect != 0:
            return p, None, None
        m = HID.match(p.stdout.strip())
        self.assertIsNotNone(m, p.stdout)
        return p, m.group(1), int(m.group(2))

    def current(self, db=0):
        v = self.redis.command("GET", PREFIX + "hist:current", db=db)
        return v.decode() if v is not None else None

    def rounds(self, stderr, what="history"):
        m = [x for x in ROUNDS.findall(stderr) if x[0] == what]
        self.assertEqual(len(m), 1, stderr)
        return int(m[0][1]), int(m[0][2])

    def assertSameAsLocal(self, out, local):
        self.assertSameCsvOutputs(local, self.path(out))
        self.assertTrue(same_summary(lrtest.read_summary(local), lrtest.read_summary(self.path(out))))


class TestCache(RedisCase):
    def test_build_then_score_with_redis_alone(self):
        _, hid, V = self.build(DATA.small["deals"])
        local = self.local("local")
        self.assertEqual(V, lrtest.read_summary(local)["history"]["verticals"])
        self.assertEqual(self.current(), hid)
        self.score_redis("hit")
        self.assertEqual(self.cache_of("hit"), ("redis", "hit"))
        self.assertSameAsLocal("hit", local)
        # history show reads the same table from Redis as from the file
        a = self.lr("history", "show", "--redis", self.redis.url, expect=0).stdout
        b = self.lr("history", "show", "--history", DATA.small["deals"], expect=0).stdout
        self.assertEqual(a, b)
        self.assertEqual(len(a.splitlines()), V + 2)  # header, V verticals, `*`

    def test_miss_publishes_then_hits(self):
        local = self.local("local")
        self.score_redis("first", DATA.small["deals"])
        self.assertEqual(self.cache_of("first"), ("file", "published"))
        self.assertSameAsLocal("first", local)
        self.assertIsNone(self.current())       # only `history build` moves hist:current
        self.score_redis("second", DATA.small["deals"])
        self.assertEqual(self.cache_of("second"), ("redis", "hit"))
        self.assertSameAsLocal("second", local)
        # a version `score` published is a cache entry: it ages out after --ttl (7 days)
        metas = self.redis.command("KEYS", PREFIX + "hist:*:meta")
        self.assertEqual(len(metas), 1)
        ttl = self.redis.command("TTL", metas[0])
        self.assertTrue(7 * 86400 - 60 < ttl <= 7 * 86400, ttl)

    def test_same_hid_for_build_and_score_and_stdin(self):
        _, hid, _ = self.build(DATA.small["deals"])
        with open(DATA.small["deals"], "rb") as f:
            p = subprocess.run([lrtest.leadrank_bin(), "history", "build", "-", "--redis",
                                self.redis.url], stdin=f, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(HID.match(p.stdout.strip()).group(1), hid)
        self.score_redis("hit", DATA.small["deals"])  # the built version serves score too
        self.assertEqual(self.cache_of("hit"), ("redis", "hit"))

    def test_gzip_deals_hash_as_stored(self):
        gz = self.path("deals.csv.gz")
        subprocess.run("gzip -c %s > %s" % (DATA.small["deals"], gz), shell=True, check=True)
        _, hid_plain, _ = self.build(DATA.small["deals"])
        table_plain = self.lr("history", "show", "--redis", self.redis.url, expect=0).stdout
        _, hid_gz, _ = self.build(gz)
        self.assertNotEqual(hid_plain, hid_gz)  # the hid is over the bytes as stored
        table_gz = self.lr("history", "show", "--redis", self.redis.url, expect=0).stdout
        self.assertEqual(table_plain, table_gz)
        self.score_redis("gz", gz)
        self.assertEqual(self.cache_of("gz"), ("redis", "hit"))

    def test_commands_and_round_trips_do_not_grow_with_leads(self):
        _, hid, V = self.build(DATA.small["deals"])
        counts = []
        for name, data in (("small", DATA.small), ("big", DATA.big)):
            self.redis.command("CONFIG", "RESETSTAT")
            p = self.score_redis(name, leads=data["leads"])   # --redis alone: hit
            stats = self.redis.commandstats()
            stats = {k: v for k, v in stats.items() if not k.startswith("config")}
            counts.append(stats)
            # GET current; HGETALL meta + SMEMBERS; V x HGETALL
            self.assertEqual(stats, {"get": 1, "hgetall": V + 1, "smembers": 1})
            self.assertEqual(self.rounds(p.stderr), (V + 3, 3))
        self.assertEqual(counts[0], counts[1])
        # miss + publish with --history: bounded too (load 1 trip, publish 2)
        for name, data in (("psmall", DATA.small), ("pbig", DATA.big)):
            self.redis.command("FLUSHALL")
            self.redis.command("CONFIG", "RESETSTAT")
            p = self.score_redis(name, DATA.small["deals"], leads=data["leads"])
            self.assertEqual(self.cache_of(name), ("file", "published"))
            commands, trips = self.rounds(p.stderr)
            self.assertEqual(trips, 3)
            stats = self.redis.commandstats()
            stats = {k: v for k, v in stats.items() if not k.startswith("config")}
            self.assertEqual(stats["hset"], V + 1)
            self.assertEqual(stats["exec"], 1)
            self.assertEqual(sum(stats.values()), commands)
        # the build itself: WATCH/GET/SMEMBERS, then one transaction
        self.redis.command("CONFIG", "RESETSTAT")
        p, _, _ = self.build(DATA.small["deals"])
        self.assertEqual(self.rounds(p.stderr, "history build")[1], 2)

    def test_ttl_on_replaced_version_only(self):
        _, hid_a, V_a = self.build(DATA.small["deals"])
        _, hid_b, _ = self.build(DATA.other["deals"], extra=("--ttl", "2"))
        self.assertNotEqual(hid_a, hid_b)
        self.assertEqual(self.current(), hid_b)
        keys_a = self.redis.command("KEYS", PREFIX + "hist:%s:*" % hid_a)
        self.assertEqual(len(keys_a), V_a + 2)
        for k in keys_a:
            ttl = self.redis.command("TTL", k)
            self.assertTrue(2 * 86400 - 60 < ttl <= 2 * 86400, (k, ttl))
        for k in self.redis.command("KEYS", PREFIX + "hist:%s:*" % hid_b):
            self.assertEqual(self.redis.command("TTL", k), -1, k)   # current never expires
        self.assertEqual(self.redis.command("TTL", PREFIX + "hist:current"), -1)
        # building A again makes it current and persistent; B now expires
        _, again, _ = self.build(DATA.small["deals"])
        self.assertEqual(again, hid_a)
        for k in self.redis.command("KEYS", PREFIX + "hist:%s:*" % hid_a):
            self.assertEqual(self.redis.command("TTL", k), -1, k)
        self.assertGreater(self.redis.command("TTL", PREFIX + "hist:%s:meta" % hid_b), 0)

    def test_unix_socket_db_and_prefix(self):
        url = "unix://" + self.redis.socket_path
        _, hid, _ = self.build(DATA.small["deals"], url=url, extra=("--prefix", "t1:"))
        self.assertEqual(self.redis.command("GET", "t1:hist:current").decode(), hid)
        self.assertIsNone(self.current())
        p = self.lr("score", DATA.small["leads"], "-o", self.path("u"), "--as-of", AS_OF,
                    "--redis", url, "--prefix", "t1:", expect=0)
        self.assertEqual(self.cache_of("u"), ("redis", "hit"), p.stderr)
        self.build(DATA.small["deals"], url=self.redis.url + "/3")
        self.assertEqual(self.current(db=3), hid)
        self.assertIsNone(self.current(db=0))
        self.score_redis("db3", url=self.redis.url + "/3")
        self.assertSameAsLocal("db3", self.local("local"))

    def test_redis_alone_without_current_exits_3(self):
        p = self.score_redis("none", expect=3)
        self.assertIn("history build", p.stderr)
        self.assertFalse(os.path.exists(self.path("none", "ranked.csv")))
        # a dangling current (its version is gone) and a bad one
        self.redis.command("SET", PREFIX + "hist:current", "0" * 32)
        p = self.score_redis("dangling", expect=3)
        self.assertIn("0" * 32, p.stderr)
        self.redis.command("SET", PREFIX + "hist:current", "not-a-hid")
        self.score_redis("bad", expect=3)
        self.lr("history", "show", "--redis", self.redis.url, expect=3)

    def test_bad_url_is_usage(self):
        p = self.score_redis("u", DATA.small["deals"], url="redis://:pw-in-bad-url@h:99999",
                             expect=2)
        self.assertNotIn("pw-in-bad-url", p.stderr)
        self.assertIn("port", p.stderr)


class TestMalformed(RedisCase):
    def damage_and_rerun(self, command, name):
        local = self.local("local")
        self.score_redis("first", DATA.small["deals"])
        meta = self.redis.command("KEYS", PREFIX + "hist:*:meta")[0].decode()
        hid = meta.split(":")[2]
        self.redis.command(*command(hid))
        p = self.score_redis(name, DATA.small["deals"])
        self.assertIn("malformed", p.stderr)
        self.assertIn("warning", p.stderr)
        self.assertEqual(self.cache_of(name), ("file", "published"))
        self.assertSameAsLocal(name, local)
        again = self.score_redis("again", DATA.small["deals"])     # repaired: a hit now
        self.assertNotIn("malformed", again.stderr)
        self.assertEqual(self.cache_of("again"), ("redis", "hit"))
        return hid

    def test_bad_number_in_vertical_hash(self):
        hid = self.damage_and_rerun(
            lambda h: ("HSET", PREFIX + "hist:%s:v:healthcare" % h, "A", "12abc"), "bad")
        a = self.redis.command("HGET", PREFIX + "hist:%s:v:healthcare" % hid, "A")
        float(a)  # a number again

    def test_non_finite_and_negative(self):
        self.damage_and_rerun(
            lambda h: ("HSET", PREFIX + "hist:%s:v:retail" % h, "D", "nan"), "nan")
        self.redis.command("FLUSHALL")
        self.damage_and_rerun(
            lambda h: ("HSET", PREFIX + "hist:%s:meta" % h, "N", "-5"), "neg")

    def test_missing_vertical_hash_and_extra_field(self):
        self.damage_and_rerun(lambda h: ("DEL", PREFIX + "hist:%s:v:software" % h), "gone")
        self.redis.command("FLUSHALL")
        hid = self.damage_and_rerun(
            lambda h: ("HSET", PREFIX + "hist:%s:v:media" % h, "junk", "1"), "extra")
        fields = self.redis.command("HKEYS", PREFIX + "hist:%s:v:media" % hid)
        self.assertEqual(sorted(f.decode() for f in fields), ["A", "C", "D", "c", "n", "w"])

    def test_wrong_type_and_v_mismatch(self):
        self.damage_and_rerun(lambda h: ("SADD", PREFIX + "hist:%s:verticals" % h, "mining"),
                              "extra_member")
        self.redis.command("FLUSHALL")
        self.damage_and_rerun(lambda h: ("HSET", PREFIX + "hist:%s:meta" % h, "V", "99"), "v")

    def test_malformed_current_with_redis_alone_exits_3(self):
        _, hid, _ = self.build(DATA.small["deals"])
        self.redis.command("HSET", PREFIX + "hist:%s:v:healthcare" % hid, "n", "x")
        p = self.score_redis("x", expect=3)
        self.assertIn(hid, p.stderr)


class TestFaults(RedisCase):
    def assertFallback(self, p, out, local):
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("warning", p.stderr)
        self.assertEqual(self.cache_of(out), ("file", "fallback"))
        self.assertSameAsLocal(out, local)

    def test_server_down(self):
        local = self.local("local")
        down = "redis://127.0.0.1:%d" % free_port()
        p = self.score_redis("fb", DATA.small["deals"], url=down, expect=None)
        self.assertFallback(p, "fb", local)
        p = self.score_redis("alone", url=down, expect=3)
        self.assertIn("cannot connect", p.stderr)
        self.assertFalse(os.path.exists(self.path("alone", "summary.json")))
        self.score_redis("req", DATA.small["deals"], down, None, "--redis-required", expect=3)
        self.build(DATA.small["deals"], url=down, expect=3)

    def test_server_stopped_times_out(self):
        local = self.local("local")
        self.redis.pause()
        t0 = time.time()
        p = self.score_redis("fb", DATA.small["deals"], None, None, "--redis-timeout", "300",
                             expect=None, timeout=30)
        self.assertLess(time.time() - t0, 10)
        self.assertFallback(p, "fb", local)
        self.assertIn("timed out", p.stderr)
        p = self.score_redis("alone", None, None, None, "--redis-timeout", "300", expect=3,
                             timeout=30)
        self.assertIn("timed out", p.stderr)
        self.redis.resume()

    def test_server_killed_mid_run(self):
        local = self.local("local")
        self.redis.pause()   # leadrank connects (the kernel accepts) and waits for a reply
        args = [lrtest.leadrank_bin(), "score", DATA.small["leads"], "-o", self.path("fb"),
                "--as-of", AS_OF, "--history", DATA.small["deals"], "--redis", self.redis.url,
                "--redis-timeout", "60000"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        time.sleep(0.5)
        t0 = time.time()
        self.redis.kill()
        out, err = proc.communicate(timeout=30)
        self.assertLess(time.time() - t0, 10)   # the closed connection, not the 60 s timeout
        self.assertFallback(subprocess.CompletedProcess(args, proc.returncode, out, err), "fb",
                            local)

    def test_maxmemory_while_publishing(self):
        local = self.local("local")
        self.redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.redis.command("CONFIG", "SET", "maxmemory", "1")
        p = self.score_redis("fb", DATA.small["deals"], expect=None)
        self.assertFallback(p, "fb", local)
        self.assertIn("OOM", p.stderr)
        self.assertEqual(self.redis.command("DBSIZE"), 0)   # nothing half-written
        self.score_redis("req", DATA.small["deals"], None, None, "--redis-required", expect=3)
        self.build(DATA.small["deals"], expect=3)


class TestPassword(RedisCase):
    password = "Correct-Horse-7431"
    wrong = "Wrong-Battery-9902"

    def assertNoSecret(self, p, out=None):
        for secret in (self.password, self.wrong):
            self.assertNotIn(secret, p.stderr)
            self.assertNotIn(secret, p.stdout)
            if out is not None and os.path.exists(self.path(out, "summary.json")):
                with open(self.path(out, "summary.json")) as f:
                    self.assertNotIn(secret, f.read())

    def test_password_from_url_and_env(self):
        local = self.local("local")
        url = "redis://:%s@127.0.0.1:%d" % (self.password, self.redis.port)
        p = self.score_redis("url", DATA.small["deals"], url=url)
        self.assertEqual(self.cache_of("url"), ("file", "published"))
        self.assertNoSecret(p, "url")
        p = self.score_redis("env", DATA.small["deals"], env_password=self.password)
        self.assertEqual(self.cache_of("env"), ("redis", "hit"))
        self.assertNoSecret(p, "env")
        self.assertSameAsLocal("env", local)
        # the URL's password wins over the environment's
        p = self.score_redis("wins", DATA.small["deals"], url=url, env_password=self.wrong)
        self.assertEqual(self.cache_of("wins"), ("redis", "hit"))

    def test_wrong_password(self):
        local = self.local("local")
        url = "redis://:%s@127.0.0.1:%d" % (self.wrong, self.redis.port)
        p = self.score_redis("fb", DATA.small["deals"], url=url, expect=None)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("AUTH", p.stderr)
        self.assertEqual(self.cache_of("fb"), ("file", "fallback"))
        self.assertSameCsvOutputs(local, self.path("fb"))
        self.assertNoSecret(p, "fb")
        p = self.score_redis("env", DATA.small["deals"], env_password=self.wrong, expect=None)
        self.assertEqual(p.returncode, 0)
        self.assertNoSecret(p, "env")
        p = self.score_redis("alone", url=url, expect=3)
        self.assertNoSecret(p)
        p = self.score_redis("nopw", expect=3)   # no password at all: NOAUTH
        self.assertIn("NOAUTH", p.stderr)
        p = self.lr("history", "build", DATA.small["deals"], "--redis", url, expect=3)
        self.assertNoSecret(p)


class TestConcurrentBuilds(RedisCase):
    def test_readers_never_see_a_mix(self):
        tables = {}
        for name in ("small", "other"):
            tables[name] = self.lr("history", "show", "--history", getattr(DATA, name)["deals"],
                                   expect=0).stdout
        self.assertNotEqual(tables["small"], tables["other"])
        _, hid_small, _ = self.build(DATA.small["deals"])
        seen, failures = set(), []

        def reader(stop):
            while not stop.is_set():
                p = self.lr("history", "show", "--redis", self.redis.url)
                if p.returncode != 0 or p.stdout not in tables.values():
                    failures.append((p.returncode, p.stdout[:200], p.stderr[:200]))
                seen.add(p.stdout)

        stop = threading.Event()
        readers = [threading.Thread(target=reader, args=(stop,)) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            hids = set()
            for _ in range(8):
                procs = [subprocess.Popen([lrtest.leadrank_bin(), "history", "build",
                                           getattr(DATA, n)["deals"], "--redis", self.redis.url],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                         for n in ("small", "other")]
                for pr in procs:
                    out, err = pr.communicate(timeout=60)
                    self.assertEqual(pr.returncode, 0, err)
                    hids.add(HID.match(out.strip()).group(1))
        finally:
            stop.set()
            for t in readers:
                t.join()
        self.assertEqual(failures, [])
        self.assertEqual(len(hids), 2)
        self.assertIn(self.current(), hids)
        self.assertIn(hid_small, hids)
        # whichever won, the version it names is whole; the other one expires
        loser = (hids - {self.current()}).pop()
        self.assertGreater(self.redis.command("TTL", PREFIX + "hist:%s:meta" % loser), 0)


if __name__ == "__main__":
    unittest.main()
