#!/usr/bin/env python3
"""What an operator would write with redis-py instead of sessionctl, for the scale series.

  redispy_ops.py PORT list USER        SCAN MATCH user:USER:*, GET each mapping, PTTL each session
  redispy_ops.py PORT users            SCAN MATCH user:*, count mapping keys per user, print by count
  redispy_ops.py PORT audit            one SCAN over every key; per mapping pipelined PTTL + GET, then
                                       PTTL of its session; unmapped sessions by set difference
  redispy_ops.py PORT index-build      SCAN MATCH session:*, pipelined GET + PEXPIRETIME, json.loads the
                                       payload, SET user:<uid>:<id> <key> PXAT <expiry> GET

Straightforward code, as a script written during an incident would be: sets and counters in memory.
"""
import collections, json, sys

import redis

port, op = int(sys.argv[1]), sys.argv[2]
r = redis.Redis(host="127.0.0.1", port=port)


def pages(match):
    cursor = 0
    while True:
        cursor, keys = r.scan(cursor, match=match, count=1000)
        yield keys
        if cursor == 0:
            return


if op == "list":
    user = sys.argv[3].encode()
    keys = [k for page in pages(b"user:" + user + b":*") for k in page]
    p = r.pipeline(transaction=False)
    for k in keys:
        p.get(k)
    values = p.execute()
    p = r.pipeline(transaction=False)
    for v in values:
        if v is not None:
            p.pttl(v)
    ttls = p.execute()
    print(len(keys), sum(1 for t in ttls if t != -2))
elif op == "users":
    counts = collections.Counter()
    seen = set()
    for page in pages(b"user:*"):
        for k in page:
            if k not in seen:
                seen.add(k)
                counts[k.split(b":")[1]] += 1
    for user, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        sys.stdout.write("%s %d\n" % (user.decode(), n))
elif op == "audit":
    mappings, referenced, sessions = set(), set(), set()
    per_user = collections.Counter()
    live = orphaned = 0
    for page in pages(b"*"):
        batch = []
        for k in page:
            if k.startswith(b"user:"):
                if k not in mappings:
                    mappings.add(k)
                    batch.append(k)
            elif k.startswith(b"session:"):
                sessions.add(k)
        p = r.pipeline(transaction=False)
        for k in batch:
            p.pttl(k)
            p.get(k)
        replies = p.execute()
        targets = []
        for i, k in enumerate(batch):
            value = replies[2 * i + 1]
            per_user[k.split(b":")[1]] += 1
            if value is not None:
                referenced.add(value)
                targets.append(value)
        p = r.pipeline(transaction=False)
        for t in targets:
            p.pttl(t)
        for t in p.execute():
            if t == -2:
                orphaned += 1
            else:
                live += 1
    print(json.dumps({"mappings": len(mappings), "users": len(per_user), "live_sessions": live, "orphaned": orphaned,
                      "unmapped_sessions": len(sessions - referenced), "top": per_user.most_common(10)}, default=str))
elif op == "index-build":
    sessions = written = 0
    for page in pages(b"session:*"):
        p = r.pipeline(transaction=False)
        for k in page:
            p.get(k)
            p.pexpiretime(k)
        replies = p.execute()
        p = r.pipeline(transaction=False)
        for i, k in enumerate(page):
            payload, expiry = replies[2 * i], replies[2 * i + 1]
            if payload is None:
                continue
            try:
                uid = json.loads(payload)["uid"]
            except (ValueError, KeyError, TypeError):
                continue
            mapping = b"user:%s:%s" % (str(uid).encode(), k[len(b"session:"):])
            if expiry > 0:
                p.set(mapping, k, pxat=expiry, get=True)
            else:
                p.set(mapping, k, get=True)
            written += 1
        p.execute()
        sessions += len(page)
    print(sessions, written)
else:
    raise SystemExit("redispy_ops.py: unknown operation %s" % op)
