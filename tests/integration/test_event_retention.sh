#!/bin/bash
# Event retention with real processes: a controller with
# eventRetentionDays: 1 whose stored events are aged by three days while
# it is down prunes them after its start, but not from the first event a
# webhook endpoint has not taken (it says so in its log); `events --after
# SEQ` with SEQ among the pruned refuses with a message naming the gap and
# where to resume, plain `events` notes the pruning; once a SIGHUP
# removes the endpoint, the rest of the old events go; new events are
# numbered above every pruned one; the drift report keeps its records.
set -u
. "$(dirname "$0")/cluster.sh"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/hook.secret"
"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 3 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
cp "$LAB/controller/controller.yaml" "$TMP/base.yaml"
# Nothing listens at the endpoint's port: every try fails, so it never
# takes the first revision event.
mport=$(free_port)
cat >>"$LAB/controller/controller.yaml" <<YAML
metricsListen: tcp://127.0.0.1:$mport
eventRetentionDays: 1
webhooks:
  - name: dead
    url: http://127.0.0.1:$(free_port)/hook
    secretFile: $TMP/hook.secret
    types: [revision]
YAML
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
write_policy "$TMP/p1.yaml" system-software enforce one
hvp apply -f "$TMP/p1.yaml" --wait --timeout 60 >/dev/null || fail "apply 1"
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null
wait_until 60 drift_count_cmp -ge 1 HV01 UseSystemSoftwareProvider corrected 2000-01-01T00:00:00Z ||
    fail "drift not corrected"
hvp events --format json >"$TMP/before.json" || fail "events before"
drift_before=$(hvp drift --format json | jq_py 'len(d)')
first_rev=$(jq_py '[e["seq"] for e in d if e["type"] == "revision"][0]' <"$TMP/before.json")
old_top=$(jq_py 'd[-1]["seq"]' <"$TMP/before.json")
[ "$first_rev" -ge 3 ] || fail "the revision is event $first_rev; the test needs events before it"
"$LABBIN" down "$LAB" >/dev/null || fail "lab down"

# Three days pass for every stored event.
python3 - "$LAB/controller/data/hvpolicy.db" <<'PY' || fail "aging the events"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE events SET at = at - 3 * 86400")
db.commit()
PY
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up again"; finish; }
log="$LAB/controller/controller.log"
wait_until 30 grep -q "events: pruned" "$log" || fail "nothing pruned: $(tail -5 "$log")"
wait_until 30 grep -q "webhook dead has not taken it" "$log" &&
    ok "held by the endpoint that has not taken event $first_rev: logged" ||
    fail "no hold logged: $(grep 'events:' "$log")"
pruned=$((first_rev - 1))

hvp events --after 1 >"$TMP/after1.out" 2>"$TMP/after1.err"
rc=$?
[ "$rc" = 1 ] && grep -q "events 2 to $pruned were pruned" "$TMP/after1.err" &&
    grep -q -- "--after $pruned" "$TMP/after1.err" && [ ! -s "$TMP/after1.out" ] &&
    ok "events --after 1: refused, the gap and the resume point named" ||
    fail "events --after 1: rc $rc: $(cat "$TMP/after1.err" "$TMP/after1.out")"
hvp events --follow --after 1 --format jsonl >/dev/null 2>"$TMP/follow1.err"
rc=$?
[ "$rc" = 1 ] && grep -q "were pruned" "$TMP/follow1.err" &&
    ok "events --follow --after 1: refused too" || fail "follow --after 1: rc $rc: $(cat "$TMP/follow1.err")"
hvp events --format json >"$TMP/kept.json" 2>"$TMP/kept.err" || fail "events"
[ "$(jq_py 'd[0]["seq"]' <"$TMP/kept.json")" = "$first_rev" ] &&
    grep -q "note: events 1 to $pruned were pruned" "$TMP/kept.err" &&
    ok "events: the kept ones from $first_rev, with a note on the pruned" ||
    fail "events: first $(jq_py 'd[0]["seq"]' <"$TMP/kept.json"): $(cat "$TMP/kept.err")"
hvp events --after "$pruned" --format json >/dev/null 2>&1 && ok "events --after $pruned: fine" ||
    fail "events --after $pruned refused"
pruned_metric() {
	prom_scrape "http://127.0.0.1:$mport/metrics" | jq_py 'd["hvpolicy_event_pruned_seq"]'
}
pruned_metric_is() {
	test "$(pruned_metric)" = "$1"
}
wait_until 10 pruned_metric_is "$pruned.0" && ok "metrics: hvpolicy_event_pruned_seq $pruned" ||
    fail "hvpolicy_event_pruned_seq: $(pruned_metric)"

# The endpoint leaves the config: the rest of the old events go.
cp "$TMP/base.yaml" "$LAB/controller/controller.yaml"
echo "eventRetentionDays: 1" >>"$LAB/controller/controller.yaml"
kill -HUP "$(cat "$LAB/controller/controller.pid")"
# How many of the aged events are still listed (none may be newer).
aged_left() {
	hvp events --format json 2>/dev/null |
	    jq_py "len([e for e in d if e['seq'] <= $old_top])"
}
past_old() {
	test "$(aged_left)" = 0
}
wait_until 30 past_old && ok "after the endpoint left: every aged event pruned" ||
    fail "$(aged_left) of the events up to $old_top still listed"
write_policy "$TMP/p2.yaml" system-software enforce two
hvp apply -f "$TMP/p2.yaml" --wait --timeout 60 >/dev/null || fail "apply 2"
rev2=$(hvp events --type revision --format json | jq_py 'd[-1]["seq"]')
[ "$rev2" -gt "$old_top" ] && ok "numbers go on above the pruned ($rev2 > $old_top)" ||
    fail "revision 2 is event $rev2, not above $old_top"
[ "$(hvp drift --format json | jq_py 'len(d)')" -ge "$drift_before" ] &&
    ok "the drift report keeps its records" || fail "drift records lost"
finish
