"""A throwaway redis-server for the Redis cache tests (tests/integration/test_redis.py).

RedisServer starts `redis-server` on a free loopback port (127.0.0.1 only) with no
persistence (`--save '' --appendonly no`), a private temporary directory and a unix
socket in it, and always stops it: use it as a context manager or call stop() in
tearDown / finally. It only ever signals the process it started and only talks to the
port it opened; no test depends on a server it did not start.

A tiny RESP client (command()) is included so the tests need neither redis-cli nor a
Python package.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REDIS_SERVER = shutil.which("redis-server")


def free_port():
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisError(Exception):
    """An error reply (-ERR ...)."""


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("bad RESP line %r" % line)


class RedisServer:
    """redis-server on 127.0.0.1:<free port>. extra: more `--name value` arguments."""

    def __init__(self, password=None, extra=()):
        self.password = password
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.dir = None
        self.stopped = False  # SIGSTOP'ed by a test

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    @property
    def socket_path(self):
        return os.path.join(self.dir, "redis.sock")

    def start(self):
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (make deps)")
        self.dir = tempfile.mkdtemp(prefix="leadrank-redis-")
        for _ in range(5):  # another process may grab the free port before redis binds it
            self.port = free_port()
            args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", self.dir,
                    "--unixsocket", self.socket_path, "--unixsocketperm", "700",
                    "--daemonize", "no", "--protected-mode", "yes",
                    "--logfile", os.path.join(self.dir, "redis.log")]
            if self.password is not None:
                args += ["--requirepass", self.password]
            args += self.extra
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self._reap()
        self.stop()
        raise RuntimeError("redis-server did not start (see its log in %s)" % self.dir)

    def _wait_ready(self, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.command("PING") == "PONG":
                    return True
            except (OSError, ConnectionError):
                pass
            time.sleep(0.02)
        return False

    def _reap(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if self.stopped:
                self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.stopped = False

    def stop(self):
        """Stops the server (also a SIGSTOP'ed one) and removes its directory. Idempotent."""
        self._reap()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def pause(self):
        """SIGSTOP: the server accepts connections (the kernel does) but never answers."""
        self.proc.send_signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.stopped = False

    def kill(self):
        """SIGKILL, as a crash would."""
        self.proc.kill()
        self.proc.wait()
        self.stopped = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def pipeline(self, commands, db=0):
        """Sends several commands on one connection; returns their replies (errors as
        RedisError objects, not raised)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            pre = []
            if self.password is not None:
                pre.append(("AUTH", self.password))
            if db:
                pre.append(("SELECT", db))
            s.sendall(b"".join(_encode(c) for c in pre + list(commands)))
            r = _Reader(s)
            replies = [r.reply() for _ in range(len(pre) + len(commands))]
            return replies[len(pre):]

    def command(self, *args, db=0):
        """One command; raises RedisError on an error reply."""
        rep = self.pipeline([args], db=db)[0]
        if isinstance(rep, RedisError):
            raise rep
        return rep

    def commandstats(self):
        """{command name: calls} since the last CONFIG RESETSTAT (INFO commandstats)."""
        text = self.command("INFO", "commandstats").decode()
        stats = {}
        for line in text.splitlines():
            if line.startswith("cmdstat_"):
                name, rest = line[len("cmdstat_"):].split(":", 1)
                fields = dict(kv.split("=") for kv in rest.split(","))
                stats[name] = int(fields["calls"])
        return stats
