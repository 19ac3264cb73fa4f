#!/bin/bash
# Change records and identity with real processes: apply and rollback
# carry --change-id and --message into history, get and the revision
# events; appliedBy is the control socket peer's user (whatever $USER
# says) or the admin key's name on the remote port; a key of
# adminReadKeys reads but is refused apply (and the refusal is logged);
# requireChangeId refuses an apply without a change id. Both daemons
# write JSON log lines with logFormat: json (and --log-format json).
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 1 --csvs 1 --guests 2 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
aport=$(free_port)
mkdir -p "$TMP/gen" "$TMP/readers"
"$CLI" keygen AUDITOR --out "$TMP/gen" >/dev/null || fail "keygen"
cp "$TMP/gen/AUDITOR.key" "$TMP/readers/"
{
	echo "adminListen: tcp://127.0.0.1:$aport"
	echo "adminReadKeys: $TMP/readers"
} >>"$LAB/controller/controller.yaml"
echo "logFormat: json" >>"$LAB/nodes/HV01/node.yaml"
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }

remote() {
	local key=$1
	shift
	"$CLI" --controller "tcp://127.0.0.1:$aport" --admin-key "$key" \
	    --controller-key "$LAB/keys/controller.key" "$@"
}

# --- appliedBy from peer credentials, not $USER ---------------------------
write_policy "$TMP/p1.yaml" hardware-saved-state enforce one
USER=mallory LOGNAME=mallory hvp apply -f "$TMP/p1.yaml" --change-id CHG0042 \
    --message "quarterly backup hardening" >/dev/null || fail "apply with a change id"
me=$(id -un)
hvp history --format json >"$TMP/h.json" || fail "history"
got=$(jq_py '(d[-1]["appliedBy"], d[-1]["changeId"], d[-1]["message"])' <"$TMP/h.json")
[ "$got" = "('$me', 'CHG0042', 'quarterly backup hardening')" ] &&
    ok "history: appliedBy $me (not \$USER mallory), changeId, message" ||
    fail "history: $got"
got=$(hvp get --format json | jq_py '(d["changeId"], d["message"], d["appliedBy"])')
[ "$got" = "('CHG0042', 'quarterly backup hardening', '$me')" ] && ok "get: changeId, message" ||
    fail "get: $got"
hvp get | sed -n 2p | grep -q '^# change CHG0042: quarterly backup hardening$' &&
    ok "get (yaml): the change as a comment" || fail "get yaml: $(hvp get | head -3)"
got=$(hvp events --type revision --format json | jq_py '(d[-1]["changeId"], d[-1]["appliedBy"], d[-1]["action"])')
[ "$got" = "('CHG0042', '$me', 'apply')" ] && ok "revision event carries the change" ||
    fail "revision event: $got"

# --- remote: the admin key's name; a read key reads only ------------------
write_policy "$TMP/p2.yaml" hardware-saved-state enforce two
remote "$LAB/keys/admin.key_secret" apply -f "$TMP/p2.yaml" --change-id CHG0043 >/dev/null ||
    fail "remote apply with the admin key"
got=$(hvp history --format json | jq_py 'd[-1]["appliedBy"]')
[ "$got" = admin ] && ok "remote apply: appliedBy is the admin key's name" || fail "remote appliedBy: $got"

remote "$TMP/gen/AUDITOR.key_secret" status --format json >"$TMP/rs.json" 2>"$TMP/rs.err" &&
    [ "$(jq_py 'd["cluster"]' <"$TMP/rs.json")" = LAB-CLUSTER ] &&
    ok "read key: status" || fail "read key status: $(cat "$TMP/rs.err")"
remote "$TMP/gen/AUDITOR.key_secret" events --format json >/dev/null 2>&1 &&
    ok "read key: events" || fail "read key events"
write_policy "$TMP/p3.yaml" hardware-saved-state enforce three
remote "$TMP/gen/AUDITOR.key_secret" apply -f "$TMP/p3.yaml" >/dev/null 2>"$TMP/ra.err"; rc=$?
[ "$rc" = 1 ] && grep -q "AUDITOR may only read" "$TMP/ra.err" &&
    ok "read key: apply refused (exit 1): $(cat "$TMP/ra.err")" || fail "read key apply: exit $rc $(cat "$TMP/ra.err")"
remote "$TMP/gen/AUDITOR.key_secret" rollback 1 >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok "read key: rollback refused" || fail "read key rollback: exit $rc"
n=$(hvp history --format json | jq_py 'len(d)')
[ "$n" = 2 ] && ok "refused requests made no revision" || fail "revisions: $n"
grep -q "refused apply to read-only admin key AUDITOR" "$LAB/controller/controller.log" &&
    ok "refusal logged" || fail "refusal not in the log"

# --- rollback with a change record ---------------------------------------
hvp rollback 1 --change-id CHG0044 --message "back out" >/dev/null || fail "rollback"
got=$(hvp events --type revision --format json | jq_py '(d[-1]["action"], d[-1]["rollbackOf"], d[-1]["changeId"])')
[ "$got" = "('rollback', 1, 'CHG0044')" ] && ok "rollback event: action, rollbackOf, changeId" ||
    fail "rollback event: $got"

# --- requireChangeId -------------------------------------------------------
kill -TERM "$(cat "$LAB/controller/controller.pid")"
wait_until 15 sh -c "! kill -0 $(cat "$LAB/controller/controller.pid") 2>/dev/null"
echo "requireChangeId: true" >>"$LAB/controller/controller.yaml"
echo "logFormat: json" >>"$LAB/controller/controller.yaml"
lines_before=$(wc -l <"$LAB/controller/controller.log")
"$LABBIN" up "$LAB" >/dev/null || fail "lab up with requireChangeId"
hvp apply -f "$TMP/p3.yaml" >/dev/null 2>"$TMP/rq.err"; rc=$?
[ "$rc" = 1 ] && grep -q -- "--change-id" "$TMP/rq.err" &&
    ok "requireChangeId: apply without --change-id refused" || fail "requireChangeId: exit $rc $(cat "$TMP/rq.err")"
hvp apply -f "$TMP/p3.yaml" --change-id CHG0045 >/dev/null && ok "requireChangeId: with one, applied" ||
    fail "requireChangeId: apply with a change id"

# --- JSON logs -------------------------------------------------------------
json_log() {
	python3 - "$1" "$2" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
assert lines, "no lines"
for l in lines:
    o = json.loads(l)
    assert set(o) == {"time", "level", "program", "pid", "message"}, o
    assert o["level"] in ("debug", "info", "warn", "fatal"), o
PY
}
json_log "$LAB/controller/controller.log" "$lines_before" &&
    ok "controller: logFormat json, one object a line" || fail "controller JSON log"
json_log "$LAB/nodes/HV01/node.log" 0 && ok "node: logFormat json" || fail "node JSON log"
"$HVP_BIN/controller/hvpolicy-controller" --config "$LAB/controller/controller.yaml" --log-format xml >/dev/null 2>"$TMP/lf.err"; rc=$?
[ "$rc" = 1 ] && grep -q "expected text or json" "$TMP/lf.err" && ok "--log-format xml refused" ||
    fail "--log-format xml: exit $rc $(cat "$TMP/lf.err")"

finish
