#!/usr/bin/env bash
# The Windows build under Wine: hvpolicy-node.exe's windows backend
# enforces a policy's registry resources (one of every type, a key, a
# value and a key that must be absent) on the Wine registry, read back
# with `wine reg query`; then, as a daemon, it connects to a Linux
# hvpolicy-controller over CURVE on loopback, converges, and reports and
# corrects a drift made with `wine reg add`.
#
# Skips (exit 0) only when the Windows build directory does not exist
# (scripts/build-windows makes it). Env: HVP_BIN (the Linux build, for
# hvpolicy-controller and hvpolicy), HVP_SRC (the source tree),
# HVP_WIN_BUILD (default HVP_SRC/build-win).
set -euo pipefail

src=${HVP_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
win=${HVP_WIN_BUILD:-$src/build-win}
if [[ ! -d $win ]]; then
	echo "SKIP: $win does not exist; run scripts/build-windows to test the Windows build under Wine"
	exit 0
fi
bin=${HVP_BIN:?HVP_BIN must be set (the Linux build directory)}
node_exe=$win/project/node/hvpolicy-node.exe
controller=$bin/controller/hvpolicy-controller
cli=$bin/cli/hvpolicy
wine=$(command -v wine64 || command -v wine || true)

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[[ -f $f ]] && tail -n 40 "$f" | sed "s|^|  $(basename "$f"): |" >&2
	done
	exit 1
}

[[ -x $wine ]] || { echo "FAIL: wine is not installed (scripts/build-windows installs it)" >&2; exit 1; }
[[ -f $node_exe ]] || { echo "FAIL: $node_exe missing: scripts/build-windows did not finish" >&2; exit 1; }
[[ -x $controller && -x $cli ]] || { echo "FAIL: no Linux controller/CLI in $bin" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hvp-windows.XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
ctl_pid=
node_pid=

cleanup() {
	[[ -n $node_pid ]] && kill -KILL "$node_pid" 2>/dev/null || true
	[[ -n $ctl_pid ]] && kill -KILL "$ctl_pid" 2>/dev/null || true
	WINEPREFIX=$WINEPREFIX wineserver -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# A Linux path as Wine's Z: drive sees it.
wpath() { printf 'Z:%s' "${1//\//\\}"; }

wait_for() {
	local what=$1 secs=$2
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	fail "$what: not within $secs s"
}

KEY='HKLM\SOFTWARE\Contoso\Backup'
OLD='HKLM\SOFTWARE\OldBackupVendor'
AGENT='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Agent\UseSystemSoftwareProvider'

regq() { "$wine" reg query "$@" 2>/dev/null | tr -d '\r'; }
# The data of a value as `reg query` prints it ("NAME  TYPE  DATA").
reg_has() {
	local key=$1 name=$2 type=$3 data=$4
	regq "$key" /v "$name" | grep -Eq "^ +$name +$type +$data\$"
}
# Wine 8's reg query prints REG_QWORD data as "(null)": read it from an
# export instead (hex(b): little-endian bytes).
qword_is() {
	rm -f "$work/export.reg"
	"$wine" reg export "$1" "$(wpath "$work/export.reg")" /y >/dev/null 2>&1 || return 1
	iconv -f UTF-16LE -t UTF-8 "$work/export.reg" 2>/dev/null | tr -d '\r' |
	    grep -qi "^\"$2\"=hex(b):$3\$"
}
key_exists() { "$wine" reg query "$1" >/dev/null 2>&1; }

echo "test_windows: preparing a Wine prefix"
wineboot_out=$("$wine" wineboot -i 2>&1) || fail "wineboot: $wineboot_out"

# Things the policy wants gone, there before the run.
"$wine" reg add "$KEY" /v LegacyMode /t REG_SZ /d on /f >/dev/null 2>&1
"$wine" reg add "$OLD\\Settings" /v Enabled /t REG_DWORD /d 1 /f >/dev/null 2>&1
key_exists "$OLD\\Settings" || fail "could not prepare the Wine registry"

sed -e 's/HV-CLUSTER-01/WINE-CLUSTER/' -e 's/intervalSeconds: [0-9]*/intervalSeconds: 5/' \
    "$src/policies/extra-registry.yaml" >"$work/policy.yaml"
grep -q 'intervalSeconds' "$work/policy.yaml" ||
    printf '  reconcile:\n    intervalSeconds: 5\n' >>"$work/policy.yaml"
"$cli" validate "$work/policy.yaml" >/dev/null ||
    fail "the test policy does not validate"

# The recorded Hyper-V facts: Wine has no Hyper-V and no PowerShell.
export HVP_WIN_FACTS_DIR
HVP_WIN_FACTS_DIR=$(wpath "$src/tests/data/windows/wine")
export WINEPATH=""

check_enforced() {
	reg_has "$KEY" Window REG_SZ '22:00-05:00' &&
	    reg_has "$KEY" Retries REG_DWORD 0x3 &&
	    qword_is "$KEY" MaxLogBytes '00,00,00,80,02,00,00,00' &&
	    reg_has "$KEY" Signature REG_BINARY C0FFEE00 &&
	    reg_has "$KEY" Notify REG_MULTI_SZ 'backup-team@contoso.com\\0storage-oncall@contoso.com' &&
	    reg_has "$KEY" LogDir REG_EXPAND_SZ '%ProgramData%\\Contoso\\Backup\\Logs' &&
	    key_exists "$KEY\\Markers" && key_exists "$AGENT" &&
	    ! regq "$KEY" /v LegacyMode | grep -q LegacyMode &&
	    ! key_exists "$OLD"
}
if check_enforced; then
	fail "the Wine registry already complies; the test proves nothing"
fi

# --- 1. one pass on the Wine registry ---
echo "test_windows: hvpolicy-node.exe --once --backend windows"
rc=0
"$wine" "$node_exe" --once --backend windows --role hyperv-node \
    --policy "$(wpath "$work/policy.yaml")" >"$work/once.log" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--once: exit $rc, expected 2 (changed): $(cat "$work/once.log")"
check_enforced || fail "the Wine registry does not comply after the pass: $(regq "$KEY" /s)"
echo "test_windows: registry enforced (read back with wine reg query)"

# --- 2. the daemon against a Linux controller over CURVE ---
"$cli" keygen controller --out "$work/keys" >/dev/null
"$cli" keygen WINE01 --out "$work/keys" >/dev/null
mkdir -p "$work/nodekeys"
cp "$work/keys/WINE01.key" "$work/nodekeys/"
port=$((20000 + RANDOM % 20000))
cat >"$work/controller.yaml" <<EOF
cluster: WINE-CLUSTER
listen: tcp://127.0.0.1:$port
controlSocket: $work/control.sock
dataDir: $work/data
secretKey: $work/keys/controller.key_secret
nodeKeys: $work/nodekeys
heartbeatSeconds: 1
EOF
"$controller" --config "$work/controller.yaml" >"$work/controller.log" 2>&1 &
ctl_pid=$!
wait_for "controller socket" 20 test -S "$work/control.sock"
"$cli" --socket "$work/control.sock" apply -f "$work/policy.yaml" >"$work/apply.log" 2>&1 ||
    fail "apply: $(cat "$work/apply.log")"

cat >"$work/node.yaml" <<EOF
name: WINE01
role: hyperv-node
controller: tcp://127.0.0.1:$port
controllerKey: $(wpath "$work/keys/controller.key")
secretKey: $(wpath "$work/keys/WINE01.key_secret")
stateDir: $(wpath "$work/state2")
backend: windows
heartbeatSeconds: 1
verbose: true
EOF
"$wine" "$node_exe" --config "$(wpath "$work/node.yaml")" >"$work/node.log" 2>&1 &
node_pid=$!

converged() {
	"$cli" --socket "$work/control.sock" status --format json 2>/dev/null |
	    tr -d ' \n' | grep -q '"name":"WINE01"[^}]*"converged":true'
}
wait_for "WINE01 connected over CURVE and converged" 90 converged
grep -q "insecure" "$work/node.log" && fail "the node ran insecure"
echo "test_windows: daemon converged with the Linux controller over CURVE"

# A drift made by hand, the Windows way.
"$wine" reg add "$KEY" /v Retries /t REG_DWORD /d 7 /f >/dev/null 2>&1
drift_reported() {
	"$cli" --socket "$work/control.sock" drift --format json 2>/dev/null |
	    tr -d ' \n' | grep -q 'Retries'
}
wait_for "the drift reported to the controller" 60 drift_reported
wait_for "the drift corrected" 30 reg_has "$KEY" Retries REG_DWORD 0x3
kill -0 "$node_pid" 2>/dev/null || fail "the daemon died"
echo "test_windows: drift made with wine reg add was reported and corrected"
echo "1 passed, 0 failed"
