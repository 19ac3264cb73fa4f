#!/usr/bin/env python3
"""Parses Prometheus text format (0.0.4) from stdin strictly enough for the
tests: every sample's metric has a TYPE line before it, names and labels
are well formed, values are floats. Prints {"name{labels}": value} as JSON;
exits 1 with the offending line otherwise."""
import json
import re
import sys

sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
label = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"$')
typed = set()
out = {}
for line in sys.stdin.read().splitlines():
    if line.startswith("# TYPE "):
        parts = line.split()
        assert parts[3] in ("gauge", "counter", "summary", "histogram", "untyped"), line
        typed.add(parts[2])
        continue
    if line.startswith("#") or not line:
        continue
    m = sample.match(line)
    if not m:
        sys.exit("bad sample line: %r" % line)
    name = m.group(1)
    base = re.sub(r'_(sum|count|bucket)$', '', name)
    if name not in typed and base not in typed:
        sys.exit("no TYPE before %r" % line)
    if m.group(3):
        for l in re.findall(r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"', m.group(3)):
            assert label.match(l), line
    out[name + (m.group(2) or "")] = float(m.group(4))
print(json.dumps(out))
