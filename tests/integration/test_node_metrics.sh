#!/bin/bash
# The node daemon's own metrics endpoint with real processes: HV01 of a
# lab serves metricsListen; it is scraped and parsed (prom_parse.py)
# during a run with a revision enforced and drift made by hand, and its
# counters must equal what the controller stored for HV01: every drift
# transition the node journaled, by status (corrections among them), is a
# drift event of HV01 in the controller's stream; the journal drains to 0;
# open drift and the revision agree with `status`. Other paths are 404; a
# busy or malformed metricsListen stops the daemon with a clear error.
set -u
. "$(dirname "$0")/cluster.sh"
NODE="$HVP_BIN/node/hvpolicy-node"

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 3 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
nport=$(free_port)
echo "metricsListen: tcp://127.0.0.1:$nport" >>"$LAB/nodes/HV01/node.yaml"
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

scrape() {
	prom_scrape "http://127.0.0.1:$nport/metrics"
}
scrape >"$TMP/m0.json" && ok "node metrics scraped and parsed at start" ||
    fail "node metrics at start"
python3 - "$TMP/m0.json" <<'PY' && ok "node metrics name the node; the start pass is counted" || fail "node metrics at start: $(cat "$TMP/m0.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m['hvpolicy_node_info{node="HV01",role="hyperv-node",cluster="LAB-CLUSTER"}'] == 1
assert m['hvpolicy_node_passes_total{result="ok"}'] >= 1
assert m['hvpolicy_node_last_pass_seconds'] >= 0
assert m['hvpolicy_node_connected'] in (0, 1)
PY

# A revision enforced (its first pass corrects what the host lacks), then
# drift made by hand (corrected out of band), while the endpoint is
# scraped.
write_policy "$TMP/p1.yaml" system-software enforce one
hvp apply -f "$TMP/p1.yaml" --wait --timeout 60 >/dev/null || fail "apply 1"
scrape >"$TMP/m1.json" || fail "node metrics during the run"
since=$(now_rfc3339)
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null || fail "delete-registry"
wait_until 60 drift_count_cmp -ge 1 HV01 UseSystemSoftwareProvider corrected "$since" ||
    fail "out-of-band drift not corrected"
write_policy "$TMP/p2.yaml" system-software audit two
hvp apply -f "$TMP/p2.yaml" --wait --timeout 60 >/dev/null || fail "apply 2 (audit)"
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null || fail "delete-registry (audit)"
wait_until 60 drift_count_cmp -ge 1 HV01 UseSystemSoftwareProvider open "$since" ||
    fail "audit drift not reported"

# What the controller stored for HV01, by status (its own inventory
# records aside), against the node's counters, once the journal drained.
matches() {
	scrape >"$TMP/m2.json" &&
	    hvp events --type drift --node HV01 --format json >"$TMP/ev.json" &&
	    hvp status --format json >"$TMP/status.json" &&
	    python3 - "$TMP/m2.json" "$TMP/ev.json" "$TMP/status.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ev = [e["drift"] for e in json.load(open(sys.argv[2])) if e["drift"]["kind"] != "inventory"]
st = {n["name"]: n for n in json.load(open(sys.argv[3]))["nodes"]}["HV01"]
assert m['hvpolicy_node_journal_records'] == 0, "journal not drained"
for status in ("open", "corrected", "failed", "resolved"):
    want = sum(1 for d in ev if d["status"] == status)
    got = m['hvpolicy_node_drift_transitions_total{status="%s"}' % status]
    assert got == want, "%s: node %r, controller %r" % (status, got, want)
corrected = sum(1 for d in ev if d["status"] == "corrected")
assert corrected >= 2, "expected corrections, got %d" % corrected
assert m['hvpolicy_node_corrections_total'] == corrected
assert m['hvpolicy_node_correction_failures_total'] == sum(1 for d in ev if d["status"] == "failed")
assert m['hvpolicy_node_revision'] == 2
assert m['hvpolicy_node_open_drift'] == st["openDrift"] >= 1, (m['hvpolicy_node_open_drift'], st)
assert m['hvpolicy_node_connected'] == 1
assert m['hvpolicy_node_passes_total{result="ok"}'] >= 3
print("corrections %d, transitions %d" % (corrected, len(ev)))
PY
}
wait_until 60 matches && ok "node counters equal the drift HV01's controller stored: $(matches 2>&1 | tail -1)" ||
    fail "node metrics and the controller disagree: $(matches 2>&1 | tail -3)"

code=$(http_code "http://127.0.0.1:$nport/other")
[ "$code" = 404 ] && ok "node metrics: other paths are 404" || fail "node /other gave $code"

# A second daemon asking for the busy port, or a malformed address, does
# not start, and says why.
"$NODE" --config "$LAB/nodes/HV02/node.yaml" --stateDir "$TMP/busy-state" \
    --metricsListen "tcp://127.0.0.1:$nport" >"$TMP/busy.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "metricsListen tcp://127.0.0.1:$nport: cannot listen" "$TMP/busy.out" &&
    ok "busy metricsListen: exit 1, named" || fail "busy metricsListen: rc $rc: $(cat "$TMP/busy.out")"
"$NODE" --config "$LAB/nodes/HV02/node.yaml" --stateDir "$TMP/bad-state" \
    --metricsListen "127.0.0.1" >"$TMP/bad.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "metricsListen '127.0.0.1': expected tcp://HOST:PORT" "$TMP/bad.out" &&
    ok "malformed metricsListen: exit 1, named" || fail "malformed metricsListen: rc $rc: $(cat "$TMP/bad.out")"

finish
