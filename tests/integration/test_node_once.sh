#!/bin/bash
# hvpolicy-node --once on host files in a temporary directory: exit codes
# (0 complied, 2 changed, 1 failure, 64 usage), what the files hold after
# a run, --dry-run and audit mode leaving files alone, JSON output, the
# DPM server with --inventory, and a host file that cannot be written.
# Needs HVP_BIN (build directory) and HVP_SRC (source directory).
set -u

: "${HVP_BIN:?set HVP_BIN to the build directory}"
: "${HVP_SRC:?set HVP_SRC to the source directory}"
NODE="$HVP_BIN/node/hvpolicy-node"
DATA="$HVP_SRC/tests/data/once"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvp-once.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0
OUT="$TMP/out"
ERR="$TMP/err"

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout:" >&2
	cat "$OUT" >&2
	echo "--- stderr:" >&2
	cat "$ERR" >&2
	failures=$((failures + 1))
}

# Fresh copies of the test data in $TMP/w.
fresh() {
	rm -rf "$TMP/w"
	cp -r "$DATA" "$TMP/w"
}

# run EXPECTED_EXIT ARGS...: runs hvpolicy-node in $TMP/w.
run() {
	local want=$1 got
	shift
	(cd "$TMP/w" && "$NODE" "$@") >"$OUT" 2>"$ERR"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "hvpolicy-node $* exited $got, expected $want"
		return 1
	fi
	return 0
}

expect_out() {
	grep -qxF -- "$1" "$OUT" || fail "stdout lacks line: $1"
}

expect_err() {
	grep -qxF -- "$1" "$ERR" || fail "stderr lacks line: $1"
}

expect_file() {	# FILE FIXED-STRING
	grep -qF -- "$2" "$TMP/w/$1" || fail "$1 lacks: $2"
}

expect_no_file() {
	if grep -qF -- "$2" "$TMP/w/$1"; then fail "$1 still holds: $2"; fi
}

same_file() {
	cmp -s "$DATA/$1" "$TMP/w/$1" || fail "$1 changed"
}

KEY='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Agent\UseSystemSoftwareProvider'
VM1='guest VM0001 (6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11)/VSS'
VM2='guest VM0002 (6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e12)/VSS'
PAR='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\2.0\Configuration\MaxAllowedParallelBackups'

# --- usage errors: 64 ------------------------------------------------
fresh
run 64
run 64 --once
run 64 --once --policy system-software.yaml
run 64 --once --policy system-software.yaml --host-file hv01.yaml --format xml
run 64 --once --policy system-software.yaml --host-file hv01.yaml --role nas
run 64 --once --policy system-software.yaml --host-file hv01.yaml --bogus
run 64 --once --policy system-software.yaml --host-file hv01.yaml --inventory
run 64 --once --policy system-software.yaml --host-file hv01.yaml --inventory hv02.yaml
expect_err "hvpolicy-node: --inventory is for a dpm-server host; hv01.yaml is a hyperv-node"
run 0 --once --help
grep -q -- '--host-file' "$OUT" || fail "--help does not show --host-file"
same_file hv01.yaml

# --- input errors: 1, with positions -----------------------------------
run 1 --once --policy bad-policy.yaml --host-file hv01.yaml
expect_err "bad-policy.yaml:7:13: error: spec.strategy: expected one of system-software, hardware-saved-state, got 'software'"
grep -q '^bad-policy.yaml:9:3: error: spec.colour: unknown key' "$ERR" ||
	fail "no position for the unknown policy key"
run 1 --once --policy system-software.yaml --host-file bad-host.yaml
grep -q '^bad-host.yaml:4:1: error: colour: unknown key' "$ERR" ||
	fail "no position for the unknown host-file key"
run 1 --once --policy missing.yaml --host-file hv01.yaml
run 1 --once --policy other-cluster.yaml --host-file hv01.yaml
expect_err "hvpolicy-node: hv01.yaml: host HV01 is in cluster HV-CLUSTER-01, the policy is for cluster HV-CLUSTER-02"
same_file hv01.yaml

# --- dry run and audit: 2, nothing written -----------------------------
run 2 --once --policy system-software.yaml --host-file hv01.yaml --dry-run
expect_out "$KEY: absent -> present (would change)"
expect_out "$VM1: disabled -> enabled (would change)"
expect_out 'HKLM\SOFTWARE\Contoso\Legacy: present -> absent (would change)'
expect_out 'HKLM\SOFTWARE\Contoso\Backup[Window]: absent -> REG_SZ "22:00-05:00" (would change)'
expect_out "note: last snapshot on HV01 was taken by Microsoft iSCSI Target VSS Hardware Provider {2f900f90-00e9-440e-873a-96ca5eb079e5} (hardware provider, no autorecovery)"
[ "$(grep -c 'would change' "$OUT")" = 4 ] || fail "dry run: expected 4 changes"
same_file hv01.yaml

run 2 --once --policy audit.yaml --host-file hv01.yaml
expect_out "$VM1: disabled -> enabled (open: audit mode)"
[ "$(grep -c 'open: audit mode' "$OUT")" = 4 ] || fail "audit: expected 4 drifts"
same_file hv01.yaml

# --- enforce: 2, then 0 ------------------------------------------------
run 2 --once --policy system-software.yaml --host-file hv01.yaml
expect_out "$KEY: absent -> present (corrected)"
expect_out "$VM1: disabled -> enabled (corrected)"
grep -q 'TEST01' "$OUT" && fail "an excluded guest was touched"
expect_file hv01.yaml "'$KEY': {}"
expect_file hv01.yaml "Window: {type: REG_SZ, data: '22:00-05:00'}"
expect_no_file hv01.yaml 'Contoso\Legacy'
expect_file hv01.yaml "integrationServices: {VSS: true, Heartbeat: true, Shutdown: true}"
expect_file hv01.yaml "integrationServices: {VSS: false}"	# TEST01 left alone
run 0 --once --policy system-software.yaml --host-file hv01.yaml
expect_out "host HV01 complies with policy contoso-backup"
cp "$TMP/w/hv01.yaml" "$TMP/hv01.after"

# The other strategy undoes it; --format json prints the records.
run 2 --once --policy hardware-saved-state.yaml --host-file hv01.yaml --format json
if command -v python3 >/dev/null 2>&1; then
	python3 - "$OUT" <<'EOF' || fail "json output is not the expected array"
import json, sys
recs = json.load(open(sys.argv[1]))
assert isinstance(recs, list) and len(recs) == 3, recs
fields = ["id", "cluster", "node", "role", "kind", "resource", "expected",
          "actual", "policyRevision", "mode", "status", "detectedAt",
          "resolvedAt", "action", "error", "cause", "receivedAt"]
for r in recs:
    assert list(r.keys()) == fields, list(r.keys())
    assert r["status"] == "corrected" and r["node"] == "HV01", r
    assert r["cluster"] == "HV-CLUSTER-01" and r["role"] == "hyperv-node"
    assert r["detectedAt"].endswith("Z") and r["error"] is None
kinds = sorted(r["kind"] for r in recs)
assert kinds == ["integration-service", "integration-service", "registry"]
key = [r for r in recs if r["kind"] == "registry"][0]
assert key["expected"] is None and key["actual"] == "present", key
assert key["action"] == "deleted key", key
EOF
else
	grep -q '"status": "corrected"' "$OUT" || fail "json: no corrected record"
	[ "$(grep -c '"resource":' "$OUT")" = 3 ] || fail "json: expected 3 records"
fi
expect_no_file hv01.yaml 'UseSystemSoftwareProvider'
expect_file hv01.yaml "integrationServices: {VSS: false, Heartbeat: true, Shutdown: true}"
run 0 --once --policy hardware-saved-state.yaml --host-file hv01.yaml --format json
[ "$(tr -d ' \n' < "$OUT")" = "[]" ] || fail "json: a complying host prints []"

# --role overrides the host file's role.
fresh
run 2 --once --policy system-software.yaml --host-file hv02.yaml --role dpm-server --dry-run
expect_out "$PAR[Microsoft Hyper-V]: absent -> REG_DWORD 1 (would change)"
[ "$(grep -c 'would change' "$OUT")" = 1 ] || fail "--role: expected 1 change"
same_file hv02.yaml

# --- the DPM server -----------------------------------------------------
run 2 --once --policy system-software.yaml --host-file dpm01.yaml
expect_out "note: DataSourceGroups.xml is not managed without --inventory (the nodes' host files)"
expect_out "$PAR[Microsoft Hyper-V]: absent -> REG_DWORD 1 (corrected)"
[ -e "$TMP/w/DataSourceGroups.xml" ] && fail "the file was written without --inventory"
run 2 --once --policy system-software.yaml --host-file dpm01.yaml --inventory hv01.yaml hv02.yaml
expect_out "note: serialization plan from 2 host files: 5 guests, 4 planned in 2 groups, 1 not planned"
expect_out "note: guest LOCAL01 (6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e15) on HV02 is not in the serialization plan: no path on a Cluster Shared Volume"
grep -q '^DataSourceGroups.xml: absent -> [0-9a-f]\{64\} (corrected)$' "$OUT" ||
	fail "DataSourceGroups.xml not reported written"
[ "$(head -c 2 "$TMP/w/DataSourceGroups.xml" | od -An -tx1 | tr -d ' ')" = "fffe" ] ||
	fail "DataSourceGroups.xml does not start with a UTF-16LE byte-order mark"
expect_file dpm01.yaml "Microsoft Hyper-V: {type: REG_DWORD, data: 1}"
cp "$TMP/w/DataSourceGroups.xml" "$TMP/dsg.1"
run 0 --once --policy system-software.yaml --host-file dpm01.yaml --inventory hv01.yaml hv02.yaml
expect_out "host DPM01 complies with policy contoso-backup"
cmp -s "$TMP/dsg.1" "$TMP/w/DataSourceGroups.xml" || fail "a complying file was rewritten"
# A guest migrates to another CSV: the plan changes, the file follows.
sed -i 's/Volume3\\VM0003/Volume1\\VM0003/' "$TMP/w/hv02.yaml"
run 2 --once --policy system-software.yaml --host-file dpm01.yaml --inventory=hv01.yaml --inventory=hv02.yaml
grep -q '^DataSourceGroups.xml: [0-9a-f]\{64\} -> [0-9a-f]\{64\} (corrected)$' "$OUT" ||
	fail "the moved guest did not change DataSourceGroups.xml"
expect_out "note: serialization plan from 2 host files: 5 guests, 4 planned in 1 group, 1 not planned"

# --- a host file that cannot be written: 1, file intact ---------------
# (File size limit 0, SIGXFSZ ignored: writes fail with EFBIG, also for
# root. Output goes through a pipe, which the limit does not cover.)
fresh
(
	cd "$TMP/w" || exit 99
	trap '' XFSZ
	ulimit -f 0
	exec "$NODE" --once --policy system-software.yaml --host-file hv01.yaml
) 2>&1 | cat >"$OUT"
rc=${PIPESTATUS[0]}
: >"$ERR"
[ "$rc" = 1 ] || fail "unwritable host file: exit $rc, expected 1"
[ "$(grep -c '(failed: cannot write .*hv01.yaml' "$OUT")" = 4 ] ||
	fail "unwritable host file: expected 4 failed lines carrying the error"
same_file hv01.yaml

# A guest name with escape sequences, a tab and a newline: the text
# output shows it escaped, on one line; JSON carries it exact.
fresh
python3 - "$TMP/w/hv01.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
s = s.replace("name: VM0002", 'name: "Evil\\e]0;pwned\\a\\tTab\\nForged"', 1)
open(p, "w", encoding="utf-8").write(s)
PY
run 2 --once --policy hardware-saved-state.yaml --host-file hv01.yaml --dry-run
if grep -q $'\e\|\a\|\t' "$OUT" || grep -q '^Forged' "$OUT"; then
	fail "--once text output carries raw control characters"
elif ! grep -qF 'Evil\x1B]0;pwned\x07\tTab\nForged' "$OUT"; then
	fail "--once text output: the name is not shown escaped"
fi
run 2 --once --policy hardware-saved-state.yaml --host-file hv01.yaml --dry-run --format json
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert any("Evil\x1b]0;pwned\x07\tTab\nForged" in r["resource"] for r in d)' "$OUT" ||
	fail "--once json: the name is not exact"

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "node_once: all checks passed"
