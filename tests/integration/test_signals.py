"""Interrupts: SIGINT / SIGTERM end a run with 130 / 143 and leave no output file, whole or
half-written, in OUTDIR (SPEC §1, §6)."""
import os
import signal
import subprocess
import tempfile
import time
import unittest

import lrtest


class InterruptTest(unittest.TestCase):
    def interrupt(self, sig, want):
        with tempfile.TemporaryDirectory() as tmp:
            deals = os.path.join(tmp, "deals.csv")
            with open(deals, "w") as f:
                f.write("deal_id,vertical,outcome,amount\nD1,retail,won,100\n")
            out = os.path.join(tmp, "out")
            # stdin stays open, so the run is certainly still reading when the signal comes
            proc = subprocess.Popen([lrtest.leadrank_bin(), "score", "-", "--history", deals,
                                     "-o", out, "--as-of", lrtest.AS_OF],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            proc.stdin.write(b"lead_id,created_at\nL1,2026-01-01\n")
            proc.stdin.flush()
            time.sleep(0.3)
            proc.send_signal(sig)
            try:
                code = proc.wait(timeout=10)
            finally:
                proc.kill()
                proc.stdin.close()
                proc.stdout.close()
                proc.stderr.close()
            self.assertEqual(code, want)
            left = os.listdir(out) if os.path.isdir(out) else []
            self.assertEqual(left, [])

    def test_sigterm_exits_143(self):
        self.interrupt(signal.SIGTERM, 143)

    def test_sigint_exits_130(self):
        self.interrupt(signal.SIGINT, 130)


if __name__ == "__main__":
    unittest.main()
