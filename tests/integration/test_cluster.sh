#!/bin/bash
# The running system, end to end: real controller and node daemons from
# hvpolicy-lab on loopback with CURVE keys. Checks: apply -> every node
# converged; a registry change and a new guest corrected (enforce) or left
# open (audit) and shown by `hvpolicy drift`; a node stopped while its
# host changes reports every transition once when back; transitions made
# while the controller is down arrive once after it returns; a controller
# restart brings every node back; 20 rounds of kill -9 of the controller
# during applies lose no acknowledged revision.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 3 --csvs 2 --guests 9 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

# --- plan: a dry run on every node -----------------------------------------
write_policy "$TMP/ss.yaml" system-software enforce
hvp plan -f "$TMP/ss.yaml" --format json >"$TMP/plan.json"; rc=$?
if [ "$rc" = 2 ] && [ "$(jq_py 'sorted({c["node"] for c in d if "UseSystemSoftwareProvider" in c["resource"]})' <"$TMP/plan.json")" = "['HV01', 'HV02', 'HV03']" ]; then
	ok "plan: exit 2, every Hyper-V node would create the key"
else
	fail "plan before apply: exit $rc, $(cat "$TMP/plan.json")"
fi

# --- apply -> converged --------------------------------------------------
if hvp apply -f "$TMP/ss.yaml" --wait --timeout 60 >"$TMP/out" 2>&1 &&
    head -1 "$TMP/out" | grep -q '^revision 1$'; then
	ok "apply --wait: revision 1, every node converged"
else
	fail "apply --wait: $(cat "$TMP/out")"
fi
wait_until 30 all_converged && ok "status: all converged" || fail "status: not all converged"
hvp plan -f "$TMP/ss.yaml" >/dev/null; rc=$?
[ "$rc" = 0 ] && ok "plan after apply: nothing to change (exit 0)" || fail "plan after apply: exit $rc"
held=$(hvp status --format json | jq_py 'd["plan"]["heldByDpmServer"]')
[ "$held" = true ] && ok "DPM server holds the plan" || fail "plan not held by DPM01"

# --- enforce: a registry change is corrected -----------------------------
sleep 1; t0=$(now_rfc3339)
labcmd delete-registry HV02 "$KEY_SSP" >/dev/null
if wait_until 30 drift_count_cmp = 1 HV02 UseSystemSoftwareProvider corrected "$t0"; then
	ok "enforce: deleted key on HV02 corrected, in drift"
else
	fail "enforce: deleted key not reported corrected"
fi
labcmd show HV02 | grep -q UseSystemSoftwareProvider && ok "HV02 holds the key again" ||
    fail "HV02 key not restored"

# --- enforce: a new guest is corrected (hardware-saved-state: VSS off) ---
write_policy "$TMP/hw.yaml" hardware-saved-state enforce
hvp apply -f "$TMP/hw.yaml" --wait --timeout 60 >/dev/null || fail "apply hardware-saved-state"
sleep 1; t0=$(now_rfc3339)
labcmd add-guest HV01 VMNEW --csv Volume1 >/dev/null || fail "add-guest"
if wait_until 30 drift_count_cmp = 1 HV01 'VMNEW' corrected "$t0"; then
	ok "enforce: new guest's Backup service switched off"
else
	fail "enforce: new guest not corrected"
fi

# --- audit: drift stays open, host untouched -----------------------------
write_policy "$TMP/audit.yaml" hardware-saved-state audit
hvp apply -f "$TMP/audit.yaml" --wait --timeout 60 >/dev/null || fail "apply audit"
sleep 1; t0=$(now_rfc3339)
labcmd add-guest HV03 VMAUDIT --csv Volume2 >/dev/null
labcmd set-registry HV03 "$KEY_SSP" >/dev/null
if wait_until 30 drift_count_cmp = 1 HV03 VMAUDIT open "$t0" &&
    wait_until 30 drift_count_cmp = 1 HV03 UseSystemSoftwareProvider open "$t0"; then
	ok "audit: new guest and registry change reported open"
else
	fail "audit: drift not reported open"
fi
hvp drift --open --exit-code >/dev/null; rc=$?
[ "$rc" = 2 ] && ok "drift --open --exit-code exits 2" || fail "drift --exit-code gave $rc"
labcmd show HV03 --format json | jq_py '[g for g in d["guests"] if g["name"] == "VMAUDIT"][0]["integrationServices"]["VSS"]' |
    grep -q true && ok "audit left the guest alone" || fail "audit changed the host"

# --- a stopped node reports each transition once when it is back --------
hvp apply -f "$TMP/ss.yaml" --wait --timeout 60 >/dev/null || fail "re-apply enforce"
labcmd stop-node HV03 >/dev/null
sleep 1; t0=$(now_rfc3339)
labcmd delete-registry HV03 "$KEY_SSP" >/dev/null
labcmd set-integration VM0003 VSS off >/dev/null 2>&1
owner3=$(labcmd show HV03 --format json | jq_py '",".join(g["name"] for g in d["guests"])')
labcmd start-node HV03 >/dev/null
if wait_until 30 drift_count_cmp -ge 1 HV03 UseSystemSoftwareProvider corrected "$t0"; then
	sleep 3	# let any duplicate arrive before counting
	n=$(drift_count HV03 UseSystemSoftwareProvider corrected "$t0")
	[ "$n" = 1 ] && ok "restarted node: transition delivered once" ||
	    fail "restarted node: $n records for one transition"
else
	fail "restarted node: correction never reported"
fi

# --- transitions while the controller is down arrive once ---------------
cpid=$(cat "$LAB/controller/controller.pid")
kill -TERM "$cpid"
wait_until 15 sh -c "! kill -0 $cpid" || fail "controller did not stop on SIGTERM"
sleep 1; t0=$(now_rfc3339)
labcmd delete-registry HV01 "$KEY_SSP" >/dev/null
wait_until 30 sh -c "'$LABBIN' show '$LAB' HV01 | grep -q UseSystemSoftwareProvider" &&
    ok "node corrects on its own while the controller is down" ||
    fail "node did not correct without the controller"
"$LABBIN" up "$LAB" >/dev/null || fail "lab up after controller stop"
wait_until 30 all_online && ok "controller restart: every node back online" ||
    fail "controller restart: nodes not back"
if wait_until 30 drift_count_cmp -ge 1 HV01 UseSystemSoftwareProvider corrected "$t0"; then
	sleep 3
	n=$(drift_count HV01 UseSystemSoftwareProvider corrected "$t0")
	[ "$n" = 1 ] && ok "queued transition delivered once after controller restart" ||
	    fail "queued transition: $n records"
else
	fail "queued transition never delivered"
fi

# --- 20 rounds of kill -9 during applies --------------------------------
acked=()
for round in $(seq 1 20); do
	write_policy "$TMP/r.yaml" system-software enforce "round $round"
	hvp apply -f "$TMP/r.yaml" >"$TMP/apply.out" 2>/dev/null &
	apid=$!
	sleep "0.0$(( RANDOM % 10 ))"
	cpid=$(cat "$LAB/controller/controller.pid")
	kill -9 "$cpid" 2>/dev/null
	# Gone before the next one starts: a dying controller still holds the
	# data directory's lock, and a loaded machine takes its time.
	wait_until 10 sh -c "! kill -0 $cpid"
	wait "$apid"
	rev=$(sed -n 's/^revision \([0-9]*\)$/\1/p' "$TMP/apply.out" | head -1)
	[ -n "$rev" ] && acked+=("$rev")
	"$LABBIN" up "$LAB" >/dev/null 2>&1 || { fail "lab up after kill -9 (round $round)"; break; }
done
missing=0
hvp history --format json >"$TMP/history.json" || fail "history after kill -9 rounds"
for rev in "${acked[@]}"; do
	python3 -c "import json,sys; h=json.load(open('$TMP/history.json')); sys.exit(0 if any(r['revision'] == $rev for r in h) else 1)" ||
	    { missing=$((missing + 1)); fail "acknowledged revision $rev lost"; }
done
[ "$missing" = 0 ] && ok "kill -9 x20: ${#acked[@]} acknowledged revisions, none lost"
wait_until 30 all_converged && ok "cluster converged after the kill -9 rounds" ||
    fail "not converged after kill -9 rounds"

finish
