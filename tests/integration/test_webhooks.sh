#!/bin/bash
# Webhooks and metrics with real processes: a Python http.server receiver started here
# fails its first five answers; the controller is killed with -9 twice
# while it delivers. Every event of the run reaches the receiver at least
# once; a repeat carries the same event id and the same body; every
# signature verifies; first deliveries arrive in event order; status shows
# the backlog drain to 0. A second endpoint with a type filter gets only
# revision events. The metrics endpoint is scraped and parsed during the
# run and at its end.
set -u
. "$(dirname "$0")/cluster.sh"
here=$(cd "$(dirname "$0")" && pwd)

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/hook.secret"
python3 "$here/webhook_receiver.py" "$TMP/port" "$TMP/recv.jsonl" "$TMP/hook.secret" 5 &
echo $! >>"$TMP/recv.extra-pid"
python3 "$here/webhook_receiver.py" "$TMP/port2" "$TMP/recv2.jsonl" "$TMP/hook.secret" 0 &
echo $! >>"$TMP/recv2.extra-pid"
wait_until 20 test -s "$TMP/port" || { fail "receiver did not start"; finish; }
wait_until 20 test -s "$TMP/port2" || { fail "receiver 2 did not start"; finish; }

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 3 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
mport=$(free_port)
cat >>"$LAB/controller/controller.yaml" <<YAML
metricsListen: tcp://127.0.0.1:$mport
webhooks:
  - name: itsm
    url: http://127.0.0.1:$(cat "$TMP/port")/hook
    secretFile: $TMP/hook.secret
    maxBackoffSeconds: 2
  - name: chat
    url: http://127.0.0.1:$(cat "$TMP/port2")/chat
    secretFile: $TMP/hook.secret
    types: [revision]
YAML
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

received() {
	[ -f "$TMP/recv.jsonl" ] && [ "$(wc -l <"$TMP/recv.jsonl")" -ge "$1" ]
}
kill9_up() {
	local pid
	pid=$(cat "$LAB/controller/controller.pid")
	kill -9 "$pid"
	wait_until 30 sh -c "! kill -0 $pid 2>/dev/null" || fail "controller survived kill -9"
	"$LABBIN" up "$LAB" >"$TMP/up.log" 2>&1 || { fail "lab up after kill -9: $(cat "$TMP/up.log")"; tail -n 20 "$LAB/controller/controller.log" >&2; }
}

write_policy "$TMP/p1.yaml" system-software enforce one
hvp apply -f "$TMP/p1.yaml" >/dev/null || fail "apply 1"
wait_until 60 received 3 || fail "no deliveries"
kill9_up                                   # during the failing answers
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null
wait_until 60 received 9 || fail "deliveries stopped after the first kill"
scrape() {
	prom_scrape "http://127.0.0.1:$mport/metrics"
}
scrape >"$TMP/m1.json" && ok "metrics scraped and parsed during delivery" ||
    fail "metrics during the run"
kill9_up                                   # during successful deliveries
write_policy "$TMP/p2.yaml" system-software enforce two
hvp apply -f "$TMP/p2.yaml" --wait --timeout 60 >/dev/null || fail "apply 2"

drained() {
	hvp status --format json | jq_py 'all(h["backlog"] == 0 and h["retrying"] == 0 for h in d["webhooks"]) and len(d["webhooks"]) == 2' | grep -q true &&
	    [ "$(hvp events --format json | jq_py 'd[-1]["seq"]')" = \
	      "$(hvp status --format json | jq_py '[h for h in d["webhooks"] if h["name"] == "itsm"][0]["delivered"]')" ]
}
wait_until 120 drained && ok "status: both backlogs drained to 0" ||
    fail "backlog not drained: $(hvp status --format json | jq_py 'd["webhooks"]')"
hvp events --format json >"$TMP/all.json"
hvp status | grep -q '^webhook itsm: backlog 0' && ok "status table names the backlog" ||
    fail "status table: $(hvp status | tail -3)"

python3 - "$TMP/recv.jsonl" "$TMP/all.json" <<'PY' && ok "every event delivered, repeats only with the same id and body, signatures verified, in order" || fail "deliveries do not add up"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
events = json.load(open(sys.argv[2]))
assert sum(1 for r in recs if r["code"] == 500) == 5, "five failures first"
assert all(r["signed"] for r in recs), "a signature did not verify"
bodies = {}
for r in recs:
    b = json.loads(r["body"])
    assert str(b["seq"]) == r["event"], "header and body disagree"
    assert r["key"] == "%s:%s" % (b["cluster"], b["seq"]), r["key"]
    assert bodies.setdefault(r["event"], r["body"]) == r["body"], "repeat differs"
ok = [json.loads(r["body"]) for r in recs if r["code"] == 200]
got = {e["seq"] for e in ok}
want = {e["seq"] for e in events}
assert want <= got, "missing %r" % sorted(want - got)
firsts = []
for e in ok:
    if e["seq"] not in firsts:
        firsts.append(e["seq"])
assert firsts == sorted(firsts), "out of order: %r" % firsts
byseq = {e["seq"]: e for e in events}
assert all(byseq[e["seq"]] == e for e in ok), "delivered body differs from the event"
print("deliveries %d, distinct events %d, repeats %d" % (len(recs), len(got), len(ok) - len(got)))
PY

metrics_ok() {
	scrape >"$TMP/m2.json" && python3 - "$TMP/m2.json" "$(hvp events --format json | jq_py 'd[-1]["seq"]')" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
top = float(sys.argv[2])
want = {
    'hvpolicy_nodes{state="known"}': 3, 'hvpolicy_nodes{state="online"}': 3,
    'hvpolicy_nodes{state="converged"}': 3, 'hvpolicy_revision': 2,
    'hvpolicy_event_seq': top, 'hvpolicy_event_pruned_seq': 0,
    'hvpolicy_webhook_outbox_events{endpoint="itsm"}': 0,
    'hvpolicy_webhook_outbox_events{endpoint="chat"}': 0,
}
for k, v in want.items():
    assert m.get(k) == v, "%s = %r, want %r" % (k, m.get(k), v)
assert m['hvpolicy_plan_generation'] >= 1
assert m['hvpolicy_apply_converged_seconds'] >= 0
assert m['hvpolicy_store_commit_seconds_count'] > 0
assert 'hvpolicy_open_drift{kind="registry"}' in m
assert m['hvpolicy_webhook_deliveries_total{endpoint="chat"}'] >= 1
assert 'hvpolicy_drift_transitions_total{kind="registry",status="corrected"}' in m
PY
}
wait_until 30 metrics_ok && ok "metrics: nodes, revision, plan, events, webhooks, store, convergence" ||
    fail "metrics at the end: $(cat "$TMP/m2.json")"
code=$(http_code "http://127.0.0.1:$mport/other")
[ "$code" = 404 ] && ok "metrics: other paths are 404" || fail "metrics /other gave $code"

n=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(all(x["type"] == "revision" for x in r) and len({x["event"] for x in r}) == 2)' "$TMP/recv2.jsonl")
[ "$n" = True ] && ok "filtered endpoint got the two revision events only" ||
    fail "chat endpoint: $(cat "$TMP/recv2.jsonl")"

finish
