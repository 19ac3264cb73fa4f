#!/usr/bin/env bash
# The Windows build under Wine. Wine has no PowerShell and no Hyper-V:
# the stand-in powershell.exe and vssadmin.exe the cross build makes
# (tests/wine/) go on the Wine prefix's PATH, in a folder whose name has a
# space, and answer from the recorded outputs (tests/data/windows/wine,
# copied so that the test can change them). The backend starts them as it
# would start the real programs; nothing else reads the recordings.
#
# 1. The stand-in refuses the old invocation (base64 after -Command) and
#    answers the documented one (-EncodedCommand).
# 2. --once enforces a policy's registry resources (one of every type, a
#    key, a value and a key that must be absent) on the Wine registry,
#    read back with `wine reg query`, starting one PowerShell host and
#    one vssadmin.
# 3. The process runner's limits: a command that never answers (time
#    limit, host stopped), a host that dies (exit code), an answer too
#    large (output limit), vssadmin failing (exit code and its message),
#    a powershell.exe that is no program (started three times, then the
#    system's reason).
# 4. As a daemon against a Linux hvpolicy-controller over CURVE on
#    loopback: converges, reports and corrects a drift made with
#    `wine reg add`; a WMI event (a guest created) starts a pass at once
#    that brings the new guest to the controller, the periodic pass being
#    an hour away; over all those passes one PowerShell host and one
#    vssadmin were started. Its log lines reach ReportEventW.
# 5. The MSI (build-win/hvpolicy-node-x86_64.msi): `msiexec /i /qn`
#    installs the files, the service (automatic start, recovery step) and
#    the event source; `msiexec /x /qn` removes them.
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
standins=$win/project/tests/wine
msi=$win/hvpolicy-node-x86_64.msi
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
[[ -f $standins/powershell.exe && -f $standins/vssadmin.exe ]] ||
    { echo "FAIL: the stand-in powershell.exe and vssadmin.exe are missing from $standins" >&2; exit 1; }
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

# The stand-ins on the prefix's PATH, answering from a copy of the
# recorded outputs; every start and request goes to standin.log.
bindir="$work/ps bin"
mkdir -p "$bindir"
cp "$standins/powershell.exe" "$standins/vssadmin.exe" "$bindir/"
cp -r "$src/tests/data/windows/wine" "$work/data"
export WINEPATH HVP_STANDIN_DATA HVP_STANDIN_LOG
WINEPATH=$(wpath "$bindir")
HVP_STANDIN_DATA=$(wpath "$work/data")
HVP_STANDIN_LOG=$(wpath "$work/standin.log")
starts() { grep -c "^$1 start" "$work/standin.log" 2>/dev/null || true; }

# --- 1. the command line ---
ps_cmd="[Console]::OutputEncoding=[System.Text.Encoding]::UTF8;\$ErrorActionPreference='Stop';Get-Cluster | Select-Object Name | ConvertTo-Json -Compress"
ps_b64=$(printf '%s' "$ps_cmd" | iconv -f UTF-8 -t UTF-16LE | base64 -w0)
rc=0
"$wine" powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass \
    -Command "$ps_b64" >"$work/old.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] && grep -q "is not recognized as the name of a cmdlet" "$work/old.log" ||
    fail "base64 after -Command (the old invocation) was not refused: exit $rc"
out=$("$wine" powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass \
    -EncodedCommand "$ps_b64" 2>&1) || fail "-EncodedCommand: $out"
[[ $(tr -d '\r' <<<"$out") == '{"Name":"WINE-CLUSTER"}' ]] || fail "-EncodedCommand answered: $out"
echo "test_windows: the stand-in refuses base64 after -Command and answers -EncodedCommand"
rm -f "$work/standin.log"

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

# --- 2. one pass on the Wine registry ---
echo "test_windows: hvpolicy-node.exe --once --backend windows"
rc=0
"$wine" "$node_exe" --once --backend windows --role hyperv-node \
    --policy "$(wpath "$work/policy.yaml")" >"$work/once.log" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--once: exit $rc, expected 2 (changed)"
check_enforced || fail "the Wine registry does not comply after the pass: $(regq "$KEY" /s)"
grep -q "request vms.json" "$work/standin.log" ||
    fail "the backend never asked the PowerShell host for the guests"
[[ $(starts powershell) -eq 1 && $(starts vssadmin) -eq 1 ]] ||
    fail "--once started $(starts powershell) powershell.exe and $(starts vssadmin) vssadmin.exe, expected 1 and 1"
echo "test_windows: registry enforced (read back with wine reg query); 1 PowerShell host, 1 vssadmin"

# --- 3. the runner's limits, each with --once --dry-run ---
once_fails() {
	local what=$1 want=$2
	rc=0
	"$wine" "$node_exe" --once --dry-run --backend windows --role hyperv-node \
	    --policy "$(wpath "$work/policy.yaml")" >"$work/limit.log" 2>&1 || rc=$?
	[[ $rc -eq 1 ]] || fail "$what: exit $rc, expected 1"
	grep -qF "$want" "$work/limit.log" || fail "$what: no \"$want\""
	echo "test_windows: $what: $want"
}
touch "$work/data/hang"
HVP_WIN_PS_TIMEOUT_MS=3000 once_fails "time limit" \
    "Get-VM: no answer within 3 s; the PowerShell host was stopped"
rm "$work/data/hang"
touch "$work/data/crash"
once_fails "host dies" \
    "Get-VM: the PowerShell host exited with code 3: stand-in powershell.exe: crash requested"
rm "$work/data/crash"
mv "$work/data/vms.json" "$work/vms.json.keep"
{ printf '['; head -c 9000000 /dev/zero | tr '\0' ' '; printf ']'; } >"$work/data/vms.json"
once_fails "output limit" "Get-VM: printed more than 8388608 bytes"
mv "$work/vms.json.keep" "$work/data/vms.json"
mv "$work/data/providers.txt" "$work/providers.keep"
once_fails "vssadmin fails" \
    "vssadmin list providers: exit code 2: Error: the stand-in has no recorded providers.txt."
mv "$work/providers.keep" "$work/data/providers.txt"
# A powershell.exe that is no program: the start is tried again, then the
# pass fails naming the program and the system's reason.
mv "$bindir/powershell.exe" "$work/powershell.keep"
echo "not a program" >"$bindir/powershell.exe"
once_fails "no program" "Get-VM: PowerShell host: cannot start it"
[[ $(grep -c "PowerShell host: cannot start it (.*); trying again" "$work/limit.log") -eq 2 ]] ||
    fail "a start that failed was not tried again twice"
mv "$work/powershell.keep" "$bindir/powershell.exe"
rm -f "$work/standin.log"

# --- 4. the daemon against a Linux controller over CURVE ---
# No periodic pass during the test: what runs a pass is a change.
sed -i 's/intervalSeconds: 5/intervalSeconds: 3600/' "$work/policy.yaml"
"$cli" keygen controller --out "$work/keys" >/dev/null
"$cli" keygen WINE01 --out "$work/keys" >/dev/null
mkdir -p "$work/nodekeys"
cp "$work/keys/WINE01.key" "$work/nodekeys/"
# A port the kernel just gave out; another process may still take it
# before the controller binds, so a start that finds it taken is tried
# again on another.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_controller() {
	port=$(free_port)
	cat >"$work/controller.yaml" <<EOF
cluster: WINE-CLUSTER
listen: tcp://127.0.0.1:$port
controlSocket: $work/control.sock
dataDir: $work/data-controller
secretKey: $work/keys/controller.key_secret
nodeKeys: $work/nodekeys
heartbeatSeconds: 1
EOF
	"$controller" --config "$work/controller.yaml" >"$work/controller.log" 2>&1 &
	ctl_pid=$!
}
controller_up() {
	[[ -S $work/control.sock ]] && return 0
	if ! kill -0 "$ctl_pid" 2>/dev/null &&
	    grep -q "Address already in use" "$work/controller.log"; then
		start_controller
	fi
	return 1
}
start_controller
wait_for "controller socket" 30 controller_up
# --force: this cluster has no DPM server to name.
"$cli" --socket "$work/control.sock" apply --force -f "$work/policy.yaml" >"$work/apply.log" 2>&1 ||
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
# +eventlog: Wine's ReportEventW prints what it is given.
WINEDEBUG=-all,+eventlog "$wine" "$node_exe" --config "$(wpath "$work/node.yaml")" >"$work/node.log" 2>&1 &
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

# A guest created: the recordings gain it and the host reports the event.
new=7D1E2F30-4A5B-4C6D-8E9F-A0B1C2D3E4F5
new_guest() {
	"$cli" --socket "$work/control.sock" serialization --format json 2>/dev/null |
	    grep -q 'WINE-NEW'
}
new_guest && fail "the new guest is known before it exists"
printf '[%s,{"Id":"%s","Name":"WINE-NEW","State":"Running","ConfigurationLocation":"C:\\\\ClusterStorage\\\\Volume1\\\\WINE-NEW"}]\n' \
    "$(cat "$src/tests/data/windows/wine/vms.json")" "$new" >"$work/data/vms.json"
echo "vm-created $new" >"$work/data/event"
wait_for "a pass started by the event" 30 grep -q "event: guest created or migrated in $new" "$work/node.log"
wait_for "the new guest at the controller" 30 new_guest
echo "test_windows: a guest-created event ran a pass at once (the periodic pass is an hour away)"

passes=$(grep -c "pass (" "$work/node.log" || true)
[[ $(starts powershell) -eq 1 && $(starts vssadmin) -eq 1 ]] ||
    fail "$passes passes started $(starts powershell) powershell.exe and $(starts vssadmin) vssadmin.exe, expected 1 and 1"
echo "test_windows: $passes passes, 1 PowerShell host, 1 vssadmin"

grep -a "eventlog" "$work/node.log" | grep -q "starting: name=WINE01" ||
    fail "the start line did not reach ReportEventW"
grep -a "eventlog" "$work/node.log" | grep -q "status=corrected" ||
    fail "the corrected drift did not reach ReportEventW"
echo "test_windows: start and drift lines reached ReportEventW"
kill -KILL "$node_pid" 2>/dev/null || true
wait "$node_pid" 2>/dev/null || true
node_pid=

# --- 5. the MSI ---
[[ -f $msi ]] || fail "$msi missing: scripts/build-windows did not make the MSI"
pf="$WINEPREFIX/drive_c/Program Files/hvpolicy"
pd="$WINEPREFIX/drive_c/ProgramData/hvpolicy"
SVC='HKLM\SYSTEM\CurrentControlSet\Services\hvpolicy-node'
EVSRC='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\hvpolicy'
"$wine" msiexec /i "$(wpath "$msi")" /qn /l*v "$(wpath "$work/msi-install.log")" >"$work/msiexec.log" 2>&1 ||
    fail "msiexec /i: $(tail -n 20 "$work/msi-install.log")"
for f in "$pf/hvpolicy-node.exe" "$pf/hvpolicy.exe" "$pf/README-windows.md" "$pd/node.yaml.example"; do
	[[ -f $f ]] || fail "the MSI did not install $f"
done
cmp -s "$pf/hvpolicy-node.exe" "$node_exe" || fail "the installed hvpolicy-node.exe is not the one built"
regq "$SVC" /v Start | grep -Eq 'REG_DWORD +0x2$' || fail "the service is not registered for automatic start: $(regq "$SVC")"
regq "$SVC" /v ImagePath | grep -qF '"C:\Program Files\hvpolicy\hvpolicy-node.exe" run-service --config "C:\ProgramData\hvpolicy\node.yaml"' ||
    fail "the service's command line: $(regq "$SVC" /v ImagePath)"
regq "$EVSRC" /v EventMessageFile | grep -qF 'C:\Program Files\hvpolicy\hvpolicy-node.exe' ||
    fail "the event source is not registered: $(regq "$EVSRC")"
# The recovery actions are set by the configure-service step (Wine keeps
# no failure actions to read back; docs/windows.md).
grep -a "ConfigureService" "$work/msi-install.log" | grep -q "Return value 1" ||
    fail "the configure-service step (recovery actions) did not succeed"
echo "test_windows: msiexec /i installed the files, the service (automatic, quoted path, recovery step) and the event source"
"$wine" msiexec /x "$(wpath "$msi")" /qn >>"$work/msiexec.log" 2>&1 || fail "msiexec /x"
[[ ! -e "$pf/hvpolicy-node.exe" && ! -e "$pd/node.yaml.example" ]] || fail "msiexec /x left files behind"
key_exists "$SVC" && fail "msiexec /x left the service registered"
key_exists "$EVSRC" && fail "msiexec /x left the event source registered"
echo "test_windows: msiexec /x removed the files, the service and the event source"
echo "1 passed, 0 failed"
