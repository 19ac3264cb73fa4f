#!/bin/bash
# Heavy load and a node key used against the controller, on a lab:
# - 50,000 drift records come back whole in every drift format, and
#   --exit-code / --limit keep their meaning at that size;
# - an Inventory of two million empty guests is refused (the node is told
#   why) and the controller's memory stays within a bound;
# - another process holding hvpolicy.db's write lock for 14 s: status
#   keeps answering, no node goes offline, a write asked for by a client
#   gets "store busy", and the drift sent meanwhile is stored afterwards;
# - the -wal file removed and the controller killed: the store keeps what
#   was acknowledged.
set -u
. "$(dirname "$0")/cluster.sh"
PEER="$HVP_BIN/tests/hvp-heavy-peer"
HOLD="$HVP_BIN/tests/hvp-hold-lock"
# Growth of the controller's resident memory allowed across the refused
# inventories (docs/security.md, "Bounds": one message in flight per
# connection, queued messages, allocator slack).
RSS_GROWTH_MAX_KB=65536

labcmd init --nodes 2 --csvs 1 --guests 2 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
labcmd up >/dev/null || { fail "lab up"; finish; }
port=$(sed -n 's|^listen: *tcp://127.0.0.1:\([0-9]*\).*|\1|p' "$LAB/controller/controller.yaml")
clog="$LAB/controller/controller.log"
db="$LAB/controller/data/hvpolicy.db"
cpid() { cat "$LAB/controller/controller.pid"; }
wait_until 60 all_online 3 || { fail "lab never came online"; finish; }

# A node key of its own for the heavy peer (its name is a node of the lab
# cluster as far as the controller knows).
"$CLI" keygen LOAD01 --out "$TMP/keys" >/dev/null || fail "keygen"
cp "$TMP/keys/LOAD01.key" "$LAB/keys/nodes/"
kill -HUP "$(cpid)"
wait_until 20 grep -q "reloaded keys: 4 nodes" "$clog" || fail "key reload"
peer() {
	"$PEER" "tcp://127.0.0.1:$port" "$LAB/keys/controller.key" \
	    "$TMP/keys/LOAD01.key_secret" LOAD01 LAB-CLUSTER "$@"
}

# --- 50,000 drift records ----------------------------------------------------
got=$(peer 600 drift 50000)
[ "$got" = "acked 50000" ] && ok "50,000 drift records stored" ||
    fail "drift flood: $got"
count_records() {
	python3 - "$1" "$2" <<'PY'
import csv, json, sys
fmt, path = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
if fmt == "json":
    print(len(json.loads(text)))
elif fmt == "jsonl":
    print(sum(1 for line in text.splitlines() if json.loads(line)))
elif fmt == "csv":
    print(sum(1 for _ in csv.reader(text.splitlines())) - 1)
else:
    lines = text.splitlines()
    print(len(lines) - 1 if lines and lines[0].startswith("ID") else -1)
PY
}
for f in table json jsonl csv; do
	hvp drift --node LOAD01 --format "$f" >"$TMP/drift.$f" 2>"$TMP/drift.$f.err"
	rc=$?
	n=$(count_records "$f" "$TMP/drift.$f")
	if [ "$rc" = 0 ] && [ "$n" = 50000 ]; then
		ok "drift --format $f: all 50,000 records ($(wc -c <"$TMP/drift.$f") bytes)"
	else
		fail "drift --format $f: exit $rc, $n records: $(head -c 300 "$TMP/drift.$f.err")"
	fi
done
hvp drift --open --exit-code --format json >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "drift --open --exit-code: 2 at 50,000 records" ||
    fail "drift --open --exit-code: exit $rc"
hvp drift --open --exit-code --limit 10 --format json >"$TMP/limit.json" 2>"$TMP/limit.err"; rc=$?
n=$(count_records json "$TMP/limit.json")
[ "$rc" = 2 ] && [ "$n" = 10 ] && grep -q "newest 10 of 50000" "$TMP/limit.err" &&
    ok "drift --limit 10: ten records, the count of all, exit 2" ||
    fail "drift --limit 10: exit $rc, $n records, $(cat "$TMP/limit.err")"
hvp drift --limit 0 >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "drift --limit 0 refused (usage)" || fail "drift --limit 0: exit $rc"

# --- an inventory of two million empty guests ---------------------------------
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(cpid)/status"; }
before=$(rss_kb)
refused=0
for _ in 1 2 3 4 5; do
	got=$(peer 60 guests 2000000)
	case "$got" in
	*"more than 4096 guests"*) refused=$((refused + 1)) ;;
	*) fail "two million guests: $got" ;;
	esac
done
after=$(rss_kb)
[ "$refused" = 5 ] && ok "two-million-guest inventory refused, node told why (5 times)"
grep -q "refused peer LOAD01: message over a bound, not stored: Inventory: more than 4096 guests" "$clog" &&
    ok "refusal logged with the bound" || fail "no refusal in the log"
growth=$((after - before))
echo "controller VmRSS ${before} kB before, ${after} kB after (growth ${growth} kB)"
if [ "$growth" -le "$RSS_GROWTH_MAX_KB" ]; then
	ok "controller memory grew ${growth} kB (bound ${RSS_GROWTH_MAX_KB} kB)"
else
	fail "controller memory grew ${growth} kB, over ${RSS_GROWTH_MAX_KB} kB"
fi
# Over the message limit but under what ZeroMQ lets through: refused and
# logged with the sender, not dropped in silence.
got=$(peer 60 bytes 5000000)
case "$got" in
*"over the limit of 4194304 bytes"*) ok "a 5 MB message refused, node told why" ;;
*) fail "5 MB message: $got" ;;
esac
grep -q "refused peer LOAD01: .*message of [0-9]* bytes is over the limit" "$clog" &&
    ok "oversized message logged with its sender" || fail "oversized message not logged"
hvp status >/dev/null && ok "status answers after the refused inventories" ||
    fail "status after refused inventories"

# --- another process holds the store's write lock for 14 s -------------------
offline_before=$(grep -c " offline" "$clog")
"$HOLD" "$db" 14 >"$TMP/hold.out" 2>&1 &
hold=$!
echo $hold >>"$TMP/hold.extra-pid"
wait_until 10 grep -q locked "$TMP/hold.out" || fail "lock not taken: $(cat "$TMP/hold.out")"
peer 120 drift 300 >"$TMP/during.out" &
during=$!
write_policy "$TMP/p.yaml" system-software audit "during the lock"
hvp apply -f "$TMP/p.yaml" >"$TMP/apply.out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q "store busy: another process holds hvpolicy.db's lock; try again" "$TMP/apply.out" &&
    ok "apply during the lock: exit 1, store busy" ||
    fail "apply during the lock: exit $rc, $(cat "$TMP/apply.out")"
answered=0 unanswered=0 offline=0
while kill -0 "$hold" 2>/dev/null; do
	if hvp status --format json >"$TMP/st.json" 2>/dev/null; then
		answered=$((answered + 1))
		[ "$(jq_py 'all(n["online"] for n in d["nodes"])' <"$TMP/st.json")" = true ] ||
		    offline=$((offline + 1))
	else
		unanswered=$((unanswered + 1))
	fi
done
wait "$hold"
[ "$answered" -gt 0 ] && [ "$unanswered" = 0 ] &&
    ok "status answered $answered times while the lock was held" ||
    fail "status during the lock: $answered answered, $unanswered not"
[ "$offline" = 0 ] && [ "$(grep -c " offline" "$clog")" = "$offline_before" ] &&
    ok "no node went offline during the lock" ||
    fail "nodes offline during the lock ($offline status calls)"
wait "$during"
[ "$(cat "$TMP/during.out")" = "acked 300" ] &&
    ok "drift sent during the lock acknowledged once stored" ||
    fail "drift during the lock: $(cat "$TMP/during.out")"
grep -q "store busy" "$clog" && ok "the busy store was logged" || fail "no store busy in the log"

# --- -wal removed while running, then kill -9 ---------------------------------
write_policy "$TMP/p2.yaml" system-software audit "before the crash"
hvp apply -f "$TMP/p2.yaml" >"$TMP/apply2.out" 2>&1 || fail "apply: $(cat "$TMP/apply2.out")"
rev=$(sed -n 's/^revision \([0-9]*\).*/\1/p' "$TMP/apply2.out")
main_holds() {
	cp "$db" "$TMP/main-only.db" &&
	[ "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT max(revision) FROM revisions").fetchone()[0])' "$TMP/main-only.db")" = "$rev" ]
}
wait_until 20 main_holds && ok "revision $rev reached the main file (checkpoint)" ||
    fail "revision $rev never left the WAL"
rm -f "$db-wal"
kill -9 "$(cpid)"
wait_until 15 sh -c "! kill -0 $(cpid) 2>/dev/null"
labcmd up >/dev/null || fail "lab up after kill -9"
hvp history --format json >"$TMP/hist.json" 2>&1
[ "$(jq_py 'max(r["revision"] for r in d)' <"$TMP/hist.json" 2>/dev/null)" = "$rev" ] &&
    ok "after -wal removed and kill -9 the store still holds revision $rev" ||
    fail "store lost revision $rev: $(head -c 300 "$TMP/hist.json")"

finish
