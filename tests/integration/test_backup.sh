#!/bin/bash
# `hvpolicy backup FILE` against a running controller: the copy is a
# consistent SQLite database with every revision, made mode 0600, never
# over an existing file; a controller restored from it (stopped, file put
# in place, started) has the same history. Also what the CLI prints is
# safe and fits: a guest whose name holds escape sequences, a tab and a
# newline shows escaped in every text format, CSV stays one record per
# line, and with COLUMNS=120 the drift table fits (--wide does not cut).
# And every node reports the project() version in its Hello.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 2 --csvs 2 --guests 4 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
write_policy "$TMP/a.yaml" system-software enforce first
write_policy "$TMP/b.yaml" system-software enforce second
hvp apply -f "$TMP/a.yaml" --wait --timeout 60 >/dev/null || fail "apply a"
hvp apply -f "$TMP/b.yaml" --wait --timeout 60 >/dev/null || fail "apply b"
hvp history --format json >"$TMP/history.before"
version=$(sed -n 's/^project(hvpolicy VERSION \([0-9.]*\).*/\1/p' "$HVP_SRC/CMakeLists.txt")
[ "$(hvp status --format json | jq_py "all(n['version'] == '$version' for n in d['nodes'])")" = true ] &&
    ok "every node's Hello carried version $version" || fail "node versions in status"

# --- backup ------------------------------------------------------------
copy=$TMP/copy.db
if hvp backup "$copy" >"$TMP/out" 2>"$TMP/err" && [ -s "$copy" ] &&
    grep -q "^wrote $copy (" "$TMP/out"; then
	ok "backup wrote $(stat -c %s "$copy") bytes"
else
	fail "backup: $(cat "$TMP/err")"
fi
[ "$(stat -c %a "$copy")" = 600 ] && ok "copy is mode 0600" ||
    fail "copy mode $(stat -c %a "$copy")"
python3 - "$copy" <<'PY' && ok "copy: integrity ok, 2 revisions, schema current" || fail "copy is not a good store"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM revisions").fetchone()[0] == 2
assert db.execute("PRAGMA user_version").fetchone()[0] >= 1
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
PY
hvp backup "$copy" >/dev/null 2>"$TMP/err"
[ $? = 1 ] && grep -q "must not exist" "$TMP/err" && ok "an existing file is never overwritten" ||
    fail "backup over an existing file"
[ ! -e "$LAB/controller/data/hvpolicy.db.backup" ] ||
    wait_until 10 test ! -e "$LAB/controller/data/hvpolicy.db.backup" &&
    ok "the controller's temporary copy is gone" || fail "temporary copy left behind"
hvp backup "$TMP/no/such/dir/x.db" >/dev/null 2>&1
[ $? = 1 ] && [ ! -e "$TMP/no/such/dir/x.db" ] && ok "unwritable target: exit 1" ||
    fail "unwritable target"

# --- restore (docs/store.md) --------------------------------------------
write_policy "$TMP/c.yaml" system-software enforce third
hvp apply -f "$TMP/c.yaml" >/dev/null || fail "apply c"
"$LABBIN" down "$LAB" >/dev/null || fail "lab down"
rm -f "$LAB"/controller/data/hvpolicy.db-wal "$LAB"/controller/data/hvpolicy.db-shm
cp "$copy" "$LAB/controller/data/hvpolicy.db"
"$LABBIN" up "$LAB" >/dev/null || fail "lab up after restore"
hvp history --format json >"$TMP/history.after"
cmp -s "$TMP/history.before" "$TMP/history.after" &&
    ok "restored controller has the backed-up history (2 revisions)" ||
    fail "history after restore differs: $(cat "$TMP/history.after")"

# --- output that cannot be turned against its reader --------------------
# A guest name with an OSC title sequence, BEL, a screen clear, a tab and
# a newline (written into HV01's host file: the lab's add-guest refuses
# such names), a long name, and an escape sequence in HV01's DPM agent
# log, which diagnose quotes.
long=VM-$(printf 'L%.0s' $(seq 1 90))
labcmd add-guest HV01 "$long" --csv Volume1 >/dev/null || fail "add-guest long"
python3 - "$LAB/nodes/HV01/host.yaml" <<'PY' || fail "host file edit"
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("guests:\n", "guests:\n"
    "- name: \"Evil\\e]0;pwned\\a\\e[2J\\tTab\\nForged line\"\n"
    "  id: 'c15c0289-ec2d-4a91-a7ec-8e65a18debbf'\n"
    "  state: running\n"
    "  integrationServices: {VSS: true}\n"
    "  paths:\n"
    "  - 'C:\\ClusterStorage\\Volume1\\Evil\\Evil.vmcx'\n", 1)
open(p, "w", encoding="utf-8").write(s)
PY
printf '0990\t17D8\t11/05\t13:02:43.416\t31\tvsssnapshotrequestor.cpp(585)\t[00000000003970D0]\tNORMAL\tCVssSnapshotRequestor:: ProviderId:[{2F900F90-00E9-440E-873A-96CA5EB079E5}], h/w provider:[65536], volume:[\e]0;pwned\a\\\\?\\Volume{5e5532fb}\\]\r\n' \
    >>"$LAB/nodes/HV01/DPMRACurr.errlog"
has_evil_evidence() { hvp diagnose --format json | grep -q 'pwned'; }
wait_until 60 has_evil_evidence && ok "diagnose quotes the new log line" ||
    fail "diagnose never quoted the new log line"
COLUMNS=500 hvp diagnose >"$TMP/diagnose.500"
grep -qF '\t' "$TMP/diagnose.500" && grep -qF '\x1B]0;pwned\x07' "$TMP/diagnose.500" &&
    ok "diagnose shows the agent log's tabs and escapes escaped" ||
    fail "diagnose evidence not escaped: $(grep HV01 "$TMP/diagnose.500")"
COLUMNS=120 hvp diagnose >"$TMP/diagnose.120"
widest=$(python3 -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().split("\n")))' "$TMP/diagnose.120")
[ "$widest" -le 120 ] && ok "diagnose at 120 columns: widest line $widest" ||
    fail "diagnose at 120 columns: widest line $widest"
write_policy "$TMP/hw.yaml" hardware-saved-state audit hw
hvp apply -f "$TMP/hw.yaml" >/dev/null || fail "apply hw"
has_evil_drift() { hvp drift --format json | grep -q 'Evil'; }
has_long_drift() { hvp drift --format json | grep -q "$long"; }
wait_until 60 has_evil_drift && wait_until 60 has_long_drift &&
    ok "drift for both guests" || fail "no drift for the new guests"
for fmt in table csv; do
	COLUMNS=500 hvp drift --format $fmt >"$TMP/drift.$fmt"
	if grep -q $'\e\|\a\|\t\|\r' "$TMP/drift.$fmt"; then
		fail "drift $fmt prints raw control characters"
	elif grep -q '^Forged line' "$TMP/drift.$fmt"; then
		fail "drift $fmt: data started a line"
	elif grep -qF 'Evil\x1B]0;pwned\x07\x1B[2J\tTab\nForged line' "$TMP/drift.$fmt"; then
		ok "drift $fmt shows the name escaped"
	else
		fail "drift $fmt: name not found escaped"; grep Evil "$TMP/drift.$fmt"
	fi
done
python3 - "$TMP/drift.csv" <<'PY' && ok "CSV: one record per line, all with the header's columns" || fail "CSV shape"
import csv, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert len(rows) == len(lines) and len(rows) > 1
assert all(len(r) == len(rows[0]) for r in rows)
PY
hvp drift --format jsonl >"$TMP/drift.jsonl"
python3 - "$TMP/drift.jsonl" <<'PY' && ok "jsonl: every line one record, the name exact" || fail "jsonl"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert any("Evil\x1b]0;pwned\x07\x1b[2J\tTab\nForged line" in r["resource"] for r in recs)
PY
COLUMNS=120 hvp drift >"$TMP/drift.120"
widest=$(python3 -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().split("\n")))' "$TMP/drift.120")
[ "$widest" -le 120 ] && grep -q '…' "$TMP/drift.120" &&
    ok "drift at 120 columns: widest line $widest, long fields shortened" ||
    fail "drift at 120 columns: widest line $widest"
COLUMNS=120 hvp --wide drift >"$TMP/drift.wide"
grep -q "$long" "$TMP/drift.wide" && ! grep -q '…' "$TMP/drift.wide" &&
    ok "--wide: nothing shortened" || fail "--wide shortened something"
hvp drift >"$TMP/drift.pipe"
cmp -s "$TMP/drift.pipe" "$TMP/drift.wide" && ok "a pipe gets full width" ||
    fail "piped output differs from --wide"
for verb in status history diagnose serialization; do
	COLUMNS=120 hvp "$verb" >"$TMP/$verb.out" 2>&1
	widest=$(python3 -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().split("\n")))' "$TMP/$verb.out")
	if grep -q $'\e\|\a\|\t\|\r' "$TMP/$verb.out"; then
		fail "$verb prints raw control characters"
	elif [ "$widest" -gt 120 ]; then
		fail "$verb at 120 columns: widest line $widest"
	else
		ok "$verb at 120 columns: no raw control characters, widest line $widest"
	fi
done
finish
