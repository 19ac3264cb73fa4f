#!/usr/bin/env bash
# The node daemon enforces its desired state on its own: no controller
# listens at its endpoint, the desired state is seeded into stateDir with
# --seed-desired, and the daemon must still correct the host file at start
# and again after someone edits it, queue its drift reports in the journal
# (kept across a restart), and stop with exit 0 on SIGTERM.
#
# Env: HVP_BIN (build directory), or HVP_NODE_BIN (the hvpolicy-node
# binary itself).
set -euo pipefail

node_bin=${HVP_NODE_BIN:-${HVP_BIN:?HVP_BIN or HVP_NODE_BIN must be set}/node/hvpolicy-node}
work=$(mktemp -d "${TMPDIR:-/tmp}/hvp-node-offline.XXXXXX")
pid=

cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/node*.log; do
		[[ -f $f ]] && sed "s|^|  $(basename "$f"): |" "$f" >&2
	done
	exit 1
}

# A host that breaks the policy below twice: it holds the system-provider
# key (which hardware-saved-state wants absent) and a guest with its
# Backup integration service on (which it wants off). Written the way the
# contract asks writers to: a temporary file renamed over the old one.
write_drifted_host() {
	cat >"$work/host.yaml.tmp" <<'EOF'
node: HV01
cluster: HV-CLUSTER-01
role: hyperv-node
registry:
  'HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Agent\UseSystemSoftwareProvider': {}
csvs: [Volume1]
guests:
  - name: VM0001
    id: 6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11
    state: running
    integrationServices: {VSS: true, Heartbeat: true}
    paths: ['C:\ClusterStorage\Volume1\VM0001\VM0001.vmcx']
EOF
	mv "$work/host.yaml.tmp" "$work/host.yaml"
}

cat >"$work/policy.yaml" <<'EOF'
apiVersion: hvpolicy/v1
kind: ClusterPolicy
metadata:
  name: offline-test
spec:
  cluster: HV-CLUSTER-01
  mode: enforce
  strategy: hardware-saved-state
  reconcile:
    intervalSeconds: 5
EOF

# Nobody listens here: the daemon keeps trying in the background.
port=$((20000 + RANDOM % 20000))
cat >"$work/node.yaml" <<EOF
name: HV01
role: hyperv-node
controller: tcp://127.0.0.1:$port
stateDir: $work/state
backend: sim
hostFile: $work/host.yaml
insecure: true
heartbeatSeconds: 1
EOF

# 0 when the host file complies with the policy (a dry run changes nothing).
complies() {
	"$node_bin" --once --dry-run --policy "$work/policy.yaml" \
	    --host-file "$work/host.yaml" >/dev/null 2>&1
}

# Polls a check every 0.1 s for at most 20 s.
wait_for() {
	local what=$1
	shift
	for ((i = 0; i < 200; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	fail "$what: not within 20 s"
}

running() { kill -0 "$pid" 2>/dev/null; }
log_has() { grep -q -- "$1" "$work/$2"; }

stop_daemon() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	pid=
	[[ $rc -eq 0 ]] || fail "daemon exited $rc on SIGTERM, expected 0"
}

# --- a bad config is refused with positions, exit 1 ---
printf 'name: HV01\nrole: hyperv\ncontroller: tcp://127.0.0.1:1\nstateDir: %s\nhostFile: h\ninsecure: true\n' \
    "$work/bad-state" >"$work/bad.yaml"
rc=0
"$node_bin" --config "$work/bad.yaml" 2>"$work/bad.err" || rc=$?
[[ $rc -eq 1 ]] || fail "bad config: exit $rc, expected 1"
grep -q "^$work/bad.yaml:2:7: error: role: expected one of hyperv-node, dpm-server" \
    "$work/bad.err" || fail "bad config: no positioned error: $(cat "$work/bad.err")"
[[ ! -e $work/bad-state ]] || fail "bad config: stateDir was created"

# --- the host drifts before the daemon runs (so the checks can fail) ---
write_drifted_host
if complies; then
	fail "the drifted host file already complies; the test proves nothing"
fi

# --- seed the desired state, no controller involved ---
"$node_bin" --config "$work/node.yaml" --seed-desired "$work/policy.yaml" \
    >"$work/seed.out" 2>&1 || fail "--seed-desired failed: $(cat "$work/seed.out")"
[[ -f $work/state/desired.state ]] || fail "--seed-desired wrote no desired.state"

# --- the daemon enforces it at start, controller or not ---
"$node_bin" --config "$work/node.yaml" 2>"$work/node1.log" &
pid=$!
wait_for "initial enforcement" complies
running || fail "daemon died after the first pass"
log_has "insecure: traffic to the controller is unencrypted" node1.log ||
    fail "no insecure warning in the log"

# --- an edit of the host file is corrected ---
write_drifted_host
wait_for "correction after the host file was edited" complies
running || fail "daemon died after the edit"
# Four transitions, all corrected: two at start, two after the edit.
journaled_at_least() { test "$(grep -c 'drift seq=' "$work/node1.log")" -ge "$1"; }
wait_for "four drift records journaled" journaled_at_least 4
stop_daemon
journaled=$(grep -c 'drift seq=' "$work/node1.log")

# --- the reports wait in the journal across a restart ---
"$node_bin" --config "$work/node.yaml" 2>"$work/node2.log" &
pid=$!
wait_for "journal reloaded" log_has "journal: $journaled record(s) pending, next seq $((journaled + 1))" node2.log
log_has "holding revision 0" node2.log || fail "restart: desired state not loaded"
running || fail "daemon died after restart"
stop_daemon
complies || fail "host file no longer complies after the restart"

echo "ok: node daemon enforced offline, $journaled drift record(s) queued"
