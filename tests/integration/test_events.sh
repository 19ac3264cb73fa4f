#!/bin/bash
# The event stream with real processes: `events --follow` started before
# anything happens keeps printing across a controller kill -9 (and a
# restart by `hvpolicy-lab up`) and shows every event of the run exactly
# once, in order, the same as a later `events --format json`; revision,
# plan, node and drift events are all there; `drift --follow` prints the
# drift records of new transitions; --type and --node filter; numbers keep
# growing after the restart.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 4 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

hvp events --follow --format jsonl >"$TMP/follow.jsonl" 2>"$TMP/follow.err" &
echo $! >>"$TMP/follow.extra-pid"
hvp drift --follow --format jsonl >"$TMP/drift.jsonl" 2>/dev/null &
echo $! >>"$TMP/drift.extra-pid"

write_policy "$TMP/p1.yaml" system-software enforce one
hvp apply -f "$TMP/p1.yaml" --wait --timeout 60 >/dev/null || fail "apply 1"

# Drift while followers watch; then the controller dies mid-stream.
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null
cpid=$(cat "$LAB/controller/controller.pid")
kill -9 "$cpid"
wait_until 30 sh -c "! kill -0 $cpid 2>/dev/null" || fail "controller survived kill -9"
labcmd delete-registry HV02 "$KEY_SSP" >/dev/null   # while it is down
"$LABBIN" up "$LAB" >/dev/null 2>&1 || fail "lab up after kill -9"
wait_until 30 all_online || fail "nodes not back after kill -9"
write_policy "$TMP/p2.yaml" system-software enforce two
hvp apply -f "$TMP/p2.yaml" --wait --timeout 60 >/dev/null || fail "apply 2"

last_seq() {
	hvp events --format json | jq_py 'd[-1]["seq"] if d else 0'
}
followed_upto() {
	local want
	want=$(last_seq)
	[ -s "$TMP/follow.jsonl" ] &&
	    [ "$(tail -n 1 "$TMP/follow.jsonl" | jq_py 'd["seq"]')" = "$want" ]
}
wait_until 60 followed_upto || fail "follower did not reach the last event"
hvp events --format json >"$TMP/all.json" || fail "events --format json"

python3 - "$TMP/follow.jsonl" "$TMP/all.json" <<'PY' && ok "follow across kill -9: every event once, in order, equal to the stored stream" || fail "follow output differs from the stream"
import json, sys
followed = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
stored = json.load(open(sys.argv[2]))
seqs = [e["seq"] for e in followed]
assert seqs == sorted(set(seqs)), "repeated or out of order: %r" % seqs
assert followed == stored, "differs: %d followed, %d stored" % (len(followed), len(stored))
PY

types=$(jq_py 'sorted({e["type"] for e in d})' <"$TMP/all.json")
[ "$types" = "['drift', 'node', 'plan', 'revision']" ] && ok "event types: $types" ||
    fail "event types: $types"
n=$(jq_py 'sum(1 for e in d if e["type"] == "revision")' <"$TMP/all.json")
[ "$n" = 2 ] && ok "two revision events" || fail "revision events: $n"
n=$(jq_py 'sum(1 for e in d if e["type"] == "drift" and e["drift"]["status"] == "corrected" and "UseSystemSoftwareProvider" in e["drift"]["resource"] and e["node"] == "HV02")' <"$TMP/all.json")
[ "$n" -ge 2 ] && ok "HV02's correction while the controller was down is an event" ||
    fail "HV02 drift events: $n"
fields=$(jq_py 'all(set(["seq", "time", "type", "cluster"]) <= set(e) for e in d)' <"$TMP/all.json")
[ "$fields" = true ] && ok "every event has seq, time, type, cluster" || fail "event fields"

# Cause: the corrections of the first apply were asked for by the
# revision; the key deleted by hand afterwards was out of band.
# (One cause per drift, whatever its transitions: open, then corrected.)
n=$(jq_py '[c for i, c in dict((e["drift"]["id"], e["drift"]["cause"]) for e in d if e["type"] == "drift" and e["node"] == "HV01" and "UseSystemSoftwareProvider" in e["drift"]["resource"]).items()]' <"$TMP/all.json")
[ "$n" = "['revision', 'out-of-band']" ] && ok "drift cause: revision, then out-of-band" ||
    fail "drift causes on HV01: $n"
hvp drift --node HV01 --format csv | head -1 | grep -q ',cause,receivedAt$' || fail "csv header"
n=$(hvp drift --node HV01 --format json | jq_py 'sorted({r["cause"] for r in d if "UseSystemSoftwareProvider" in r["resource"]})')
[ "$n" = "['out-of-band', 'revision']" ] && ok "drift report carries the cause" || fail "drift report causes: $n"

# Filters and --after.
n=$(hvp events --type node --node HV01 --format json | jq_py 'all(e["type"] == "node" and e["node"] == "HV01" for e in d) and len(d) >= 2')
[ "$n" = true ] && ok "--type node --node HV01" || fail "--type/--node filter"
mid=$(jq_py 'd[len(d) // 2]["seq"]' <"$TMP/all.json")
n=$(hvp events --after "$mid" --format json | jq_py "all(e['seq'] > $mid for e in d) and len(d) > 0")
[ "$n" = true ] && ok "--after $mid" || fail "--after"
hvp events --type bogus >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "unknown --type: usage error" || fail "--type bogus: exit $rc"

# drift --follow: records of the transitions after it started.
drift_followed() {
	grep -q '"node":"HV02".*UseSystemSoftwareProvider.*"status":"corrected"' "$TMP/drift.jsonl"
}
wait_until 30 drift_followed && ok "drift --follow printed HV02's correction" ||
    fail "drift --follow: $(cat "$TMP/drift.jsonl")"
n=$(python3 -c 'import json,sys; print(all("id" in json.loads(l) and "seq" not in json.loads(l) for l in open(sys.argv[1]) if l.strip()))' "$TMP/drift.jsonl")
[ "$n" = True ] && ok "drift --follow prints drift records" || fail "drift --follow shape"

# A store restored from an older copy: a follower that saw more makes
# the numbering go on above what it saw.
top=$(last_seq)
hvp events --after $((top + 100)) --format json >/dev/null || fail "events --after above the store"
labcmd stop-node HV01 >/dev/null
wait_until 60 sh -c "\"$CLI\" --socket \"$LAB/controller/control.sock\" events --type node --node HV01 --after $((top + 100)) --format json | grep -q online.:false" &&
    ok "events after a client's higher number are numbered above it" ||
    fail "event floor not raised"

finish
