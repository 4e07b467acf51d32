"""The scale series of `make bench` (BENCH_SCALE=1; not in CI): `list`, `users`, `audit` and
`index build` at 2M, 8M and 20M keys, beside the C floor and a redis-py script doing the same
work, in wall time and peak RSS; a markdown table and a chart (bench/scale.png, matplotlib).

sessionctl and the floor: a warm-up run of each, then SCALE_RUNS rounds (3), the order reversed every
other round; the medians are shown (peak RSS: the largest of the runs). redis-py, which is there to show
what the obvious script costs and is no target, runs once (BENCH_SCALE_PY_RUNS to change it).

Environment: BENCH_SCALE_KEYS (2000000,8000000,20000000), BENCH_SCALE_RUNS (3), BENCH_SCALE_PY_RUNS (1),
BENCH_SCALE_PY=0 (leave redis-py out).
"""
import os, random, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = [int(x) for x in os.environ.get("BENCH_SCALE_KEYS", "2000000,8000000,20000000").split(",")]
BUDGET_MIB = 64
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", "3"))
PY_RUNS = int(os.environ.get("BENCH_SCALE_PY_RUNS", "1"))
OPERATIONS = ["list", "users", "audit", "index build"]


def seed(server, resp, keys):
    """Users with 1 to 19 sessions each (a session key and its mapping), until `keys` keys."""
    rnd = random.Random(1)
    commands, n, u = [], 0, 0
    while n < keys:
        for k in range(rnd.randint(1, 19)):
            sid = b"%x%04d" % (u, k)
            commands.append(resp(b"SET", b"session:" + sid, b'{"uid":"u%d","csrf":"0123456789abcdef"}' % u, b"EX", 3600 + k))
            commands.append(resp(b"SET", b"user:u%d:%s" % (u, sid), b"session:" + sid, b"EX", 3600 + k))
            n += 2
        u += 1
        if len(commands) >= 200000:
            server.pipe(commands)
            commands = []
    server.pipe(commands)
    return u


def timed(argv, env=None):
    """(wall seconds, peak RSS MiB) of one run, by GNU time (the child's own pages only)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if r.returncode != 0:
        raise SystemExit("bench: %s failed: %s" % (argv, r.stderr.decode()[-400:]))
    wall, kib = r.stderr.decode().strip().splitlines()[-1].split()
    return float(wall), int(kib) / 1024


def series(sctl, floor, env, Server, resp):
    python = os.environ.get("BENCH_SCALE_PY", "1") != "0"
    results = {}  # (operation, tool, keys) -> (seconds, MiB)
    for size in SIZES:
        server = Server()
        try:
            print("bench: scale: seeding %s keys" % f"{size:,}", file=sys.stderr)
            seed(server, resp, size)
            keys = int(server.cli("dbsize"))
            port = str(server.port)
            url = "redis://127.0.0.1:%s" % port
            py = [sys.executable, os.path.join(HERE, "redispy_ops.py"), port]
            base = [sctl, "-u", url, "-q"]
            # Every mapping is already there, and the floor's index build writes the same mapping keys as
            # sessionctl's (user:<uid>:<session>): the writes change nothing, so each run finds the same keyspace.
            pairs = {
                "list": ([floor, "scan", "127.0.0.1", port, "user:u77:*", "1000"], base + ["list", "u77", "-o", "json"], py + ["list", "u77"]),
                "users": ([floor, "scan", "127.0.0.1", port, "user:*", "1000"], base + ["users", "-o", "json"], py + ["users"]),
                "audit": ([floor, "audit", "127.0.0.1", port, "user:", "1000"], base + ["audit", "-o", "json"], py + ["audit"]),
                "index build": ([floor, "index-build", "127.0.0.1", port, "session:*", "1000", "uid"],
                                base + ["--user-field", "uid", "index", "build"], py + ["index-build"]),
            }
            for op in OPERATIONS:
                floor_argv, sctl_argv, py_argv = pairs[op]
                sides = [("floor", floor_argv), ("sessionctl", sctl_argv)]
                for _, argv in sides:
                    timed(argv, env)  # warm-up
                samples = {tool: [] for tool, _ in sides}
                for r in range(RUNS):
                    for tool, argv in (sides if r % 2 == 0 else list(reversed(sides))):
                        samples[tool].append(timed(argv, env))
                if python:
                    samples["redis-py"] = [timed(py_argv, env) for _ in range(PY_RUNS)]
                for tool, got in samples.items():
                    seconds = statistics.median(t for t, _ in got)
                    mib = max(m for _, m in got)
                    results[(op, tool, keys)] = (seconds, mib, len(got))
                    print("  %-12s %-11s %11s keys  %8.2f s (%s)  %8.1f MiB" % (
                        op, tool, f"{keys:,}", seconds, ", ".join("%.2f" % t for t, _ in got), mib), file=sys.stderr)
            if int(server.cli("dbsize")) != keys:
                raise SystemExit("bench: scale: the keyspace changed during the runs (%s keys, then %s)" % (keys, server.cli("dbsize").strip()))
        finally:
            server.stop()
    return results


def table(results):
    sizes = sorted({k for (_, _, k) in results})
    lines = ["| operation | keys | floor | sessionctl | ratio | sessionctl RSS | runs | redis-py | redis-py RSS | runs |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for op in OPERATIONS:
        for k in sizes:
            f = results.get((op, "floor", k))
            s = results.get((op, "sessionctl", k))
            p = results.get((op, "redis-py", k))
            if not s:
                continue
            lines.append("| `%s` | %s | %s | %.2f s | %s | %.1f MiB | %d | %s | %s | %s |" % (
                op, f"{k:,}", "%.2f s" % f[0] if f else "-", s[0], "%.2fx" % (s[0] / f[0]) if f and f[0] > 0 else "-",
                s[1], s[2], "%.2f s" % p[0] if p else "-", "%.0f MiB" % p[1] if p else "-", p[2] if p else "-"))
    return "\n".join(lines)


def chart(results, path):
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("bench: the scale chart needs matplotlib: python3 -m pip install matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sizes = sorted({k for (_, _, k) in results})
    fig, axes = plt.subplots(2, len(OPERATIONS), figsize=(16, 7.5), sharex=True)
    style = {"sessionctl": ("#1f77b4", "-", "o"), "floor": ("#555555", "--", "s"), "redis-py": ("#d62728", ":", "^")}
    for col, op in enumerate(OPERATIONS):
        for row, (index, unit) in enumerate([(0, "seconds"), (1, "peak RSS, MiB")]):
            ax = axes[row][col]
            for tool, (color, line, marker) in style.items():
                points = [(k / 1e6, results[(op, tool, k)][index]) for k in sizes if (op, tool, k) in results]
                if points:
                    ax.plot([p[0] for p in points], [p[1] for p in points], line, color=color, marker=marker, label=tool)
            if row == 1:
                ax.axhline(BUDGET_MIB + 16, color="#2ca02c", linewidth=1, linestyle="-.", label="budget + 16 MiB")
                ax.set_xlabel("keys (millions)")
            else:
                ax.set_title("`%s`" % op)
            ax.set_ylabel(unit)
            ax.grid(True, alpha=0.3)
            ax.set_ylim(bottom=0)
    axes[1][0].legend(loc="upper left", fontsize=8)
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.suptitle("sessionctl at scale: time follows the server (the C floor), memory stays within --memory-limit (64 MiB)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
