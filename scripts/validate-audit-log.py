#!/usr/bin/env python3
"""Validates sessionctl audit records against schema/audit-record.schema.json (Python's jsonschema).

    scripts/validate-audit-log.py FILE...     each line of each file (an audit log; '-' reads stdin)

Also checks what a schema cannot: each line is at most 7,680 bytes. Prints one line per problem
(file:line: what) and exits 1 when there is any, 0 with "N records valid" otherwise.
"""
import json, os, sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate-audit-log: needs Python's jsonschema: python3 -m pip install jsonschema")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "schema", "audit-record.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

problems, records = 0, 0
for path in sys.argv[1:] or ["-"]:
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    for n, raw in enumerate(stream, 1):
        line = raw.rstrip(b"\n")
        if not line:
            continue
        records += 1
        if len(line) > 7680:
            print("%s:%d: %d bytes, over the 7,680-byte bound" % (path, n, len(line)))
            problems += 1
        try:
            record = json.loads(line)
        except ValueError as e:
            print("%s:%d: not JSON: %s" % (path, n, e))
            problems += 1
            continue
        for error in validator.iter_errors(record):
            print("%s:%d: %s: %s" % (path, n, "/".join(str(p) for p in error.absolute_path) or "(record)", error.message))
            problems += 1
if problems:
    sys.exit(1)
print("%d records valid" % records)
