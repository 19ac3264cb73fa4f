#!/bin/bash
# hvpolicy-lab: the layout `init` writes (keys, configs, host files, the
# DPM agent log), that one seed gives one lab, every edit command's effect
# on the host files, errors that change nothing (the lab directory is
# checksummed before and after), and a small lab brought up with the real
# daemons, changed while it runs, and brought down with no process left.
# Needs HVP_BIN (build directory); python3 reads the JSON.
set -u

: "${HVP_BIN:?set HVP_BIN to the build directory}"
LABBIN="$HVP_BIN/lab/hvpolicy-lab"
CLI="$HVP_BIN/cli/hvpolicy"
NODEBIN="$HVP_BIN/node/hvpolicy-node"
export HVPOLICY_BIN_DIR="$HVP_BIN"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvp-lab.XXXXXX")
LAB="$TMP/lab"
LIVE="$TMP/live"
OUT="$TMP/out"
ERR="$TMP/err"
failures=0

cleanup() {
	for d in "$LIVE" "$LAB"; do
		[ -f "$d/lab.yaml" ] && "$LABBIN" down "$d" >/dev/null 2>&1
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout:" >&2
	cat "$OUT" >&2
	echo "--- stderr:" >&2
	cat "$ERR" >&2
	failures=$((failures + 1))
}

# lab EXPECTED_EXIT ARGS...: runs hvpolicy-lab.
lab() {
	local want=$1 got
	shift
	"$LABBIN" "$@" >"$OUT" 2>"$ERR"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "hvpolicy-lab $* exited $got, expected $want"
		return 1
	fi
	return 0
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Python starts slowly: checks on host files go in batches. `pycheck`
# takes Python on standard input and runs it once with H = every host of
# $LAB by name (its `show --format json`), guest(NAME) = (node, guest),
# check(WHAT, GOT, WANT), and the environment in E.
cat >"$TMP/prelude.py" <<'EOF'
import json, os, re, sys
D = sys.argv[1]
H = {f[:-5]: json.load(open(os.path.join(D, f))) for f in os.listdir(D)}
E = os.environ
failed = 0
def check(what, got, want):
    global failed
    if got != want:
        print("FAIL: %s: got %r, expected %r" % (what, got, want))
        failed += 1
def guest(name):
    found = [(n, g) for n, h in H.items() for g in h["guests"] if g["name"] == name]
    return found[0] if len(found) == 1 else (None, None)
def csv(path):
    return path.split("\\")[2]
exec(open(sys.argv[2]).read())
sys.exit(1 if failed else 0)
EOF
pycheck() {
	local n
	cat >"$TMP/check.py"
	rm -rf "$TMP/json"
	mkdir "$TMP/json"
	for n in "$LAB"/nodes/*/; do
		n=$(basename "$n")
		"$LABBIN" show "$LAB" "$n" --format json >"$TMP/json/$n.json" ||
			fail "show $LAB $n --format json"
	done
	python3 "$TMP/prelude.py" "$TMP/json" "$TMP/check.py" >"$TMP/pyout" 2>&1 || {
		cat "$TMP/pyout" >&2
		failures=$((failures + 1))
	}
}

# The node owning GUEST, from the host files.
owner_of() {
	grep -lx -- "- name: $1" "$LAB"/nodes/*/host.yaml | awk -F/ '{ print $(NF - 1) }' |
		tr '\n' ' ' | sed 's/ $//'
}

# winpath VOLUME GUEST FILE: the Windows path of a guest's file on a CSV.
winpath() {
	printf 'C:\\ClusterStorage\\%s\\%s\\%s' "$1" "$2" "$3"
}

expect() {	# WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

lab_sum() {
	(cd "$1" && find . -type f ! -name '*.log' -print0 | sort -z |
		xargs -0 sha256sum; find . | sort)
}

# --- init: the layout -----------------------------------------------------
PORT=$(free_port)
lab 0 init "$LAB" --nodes 4 --csvs 3 --guests 20 --port "$PORT"
for f in lab.yaml controller/controller.yaml keys/controller.key \
    keys/controller.key_secret keys/admin.key keys/admin.key_secret \
    keys/admins/admin.key; do
	[ -f "$LAB/$f" ] || fail "init did not write $f"
done
for n in HV01 HV02 HV03 HV04 DPM01; do
	N="$LAB/nodes/$n/node.yaml"
	for f in node.yaml host.yaml; do
		[ -f "$LAB/nodes/$n/$f" ] || fail "init did not write nodes/$n/$f"
	done
	[ -f "$LAB/keys/$n.key" ] && [ -f "$LAB/keys/$n.key_secret" ] ||
		fail "no key pair for $n"
	[ "$(stat -c %a "$LAB/keys/$n.key_secret")" = 600 ] ||
		fail "keys/$n.key_secret is not private"
	cmp -s "$LAB/keys/$n.key" "$LAB/keys/nodes/$n.key" ||
		fail "keys/nodes/$n.key is not $n's public key"
	grep -qxF "name: $n" "$N" || fail "node.yaml of $n: name"
	grep -qxF "secretKey: '$LAB/keys/$n.key_secret'" "$N" ||
		fail "node.yaml of $n lacks its secret key"
	grep -qxF "hostFile: '$LAB/nodes/$n/host.yaml'" "$N" ||
		fail "node.yaml of $n lacks its host file"
	grep -qxF "stateDir: '$LAB/nodes/$n/state'" "$N" ||
		fail "node.yaml of $n lacks its state directory"
	grep -qxF "controller: tcp://127.0.0.1:$PORT" "$N" ||
		fail "node.yaml of $n does not point at the controller"
	grep -qxF "controllerKey: '$LAB/keys/controller.key'" "$N" ||
		fail "node.yaml of $n lacks the controller's key"
	grep -qxF "backend: sim" "$N" || fail "node.yaml of $n: backend"
	grep -qxF "heartbeatSeconds: 1" "$N" || fail "node.yaml of $n: heartbeat"
done
grep -qxF "role: dpm-server" "$LAB/nodes/DPM01/node.yaml" || fail "DPM01 role"
grep -qxF "role: hyperv-node" "$LAB/nodes/HV01/node.yaml" || fail "HV01 role"
expect "keys/nodes holds only the nodes' public keys" \
	"$(ls "$LAB/keys/nodes" | tr '\n' ' ')" \
	"DPM01.key HV01.key HV02.key HV03.key HV04.key "
C="$LAB/controller/controller.yaml"
grep -qxF "listen: tcp://127.0.0.1:$PORT" "$C" || fail "controller listen"
grep -qxF "controlSocket: '$LAB/controller/control.sock'" "$C" || fail "controlSocket"
grep -qxF "dataDir: '$LAB/controller/data'" "$C" || fail "dataDir"
grep -qxF "secretKey: '$LAB/keys/controller.key_secret'" "$C" || fail "secretKey"
grep -qxF "nodeKeys: '$LAB/keys/nodes'" "$C" || fail "nodeKeys"
grep -qxF "heartbeatSeconds: 1" "$C" || fail "heartbeatSeconds"
grep -qxF "cluster: 'LAB-CLUSTER'" "$C" || fail "cluster"
grep -q 'CVssSnapshotRequestor:: ProviderId:\[{2F900F90-00E9-440E-873A-96CA5EB079E5}\], h/w provider:\[65536\]' \
	"$LAB/nodes/HV01/DPMRACurr.errlog" || fail "HV01's agent log lacks the hardware snapshot line"

pycheck <<'EOF'
check("nodes", sorted(H), ["DPM01", "HV01", "HV02", "HV03", "HV04"])
for n, h in H.items():
    check(n + " node", h["node"], n)
    check(n + " cluster", h["cluster"], "LAB-CLUSTER")
    check(n + " has no registry setting", h["registry"], {})
d = H["DPM01"]
check("DPM01 role", d["role"], "dpm-server")
check("DPM01 dataSourceGroups", d["dataSourceGroups"], "DataSourceGroups.xml")
check("DPM01 guests", d["guests"], [])
sw = ("{b5946137-7b9f-4925-af80-51abd60b20d5}", "system", True)
hw = ("{2f900f90-00e9-440e-873a-96ca5eb079e5}", "hardware", False)
guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
names, ids, spanning = [], set(), 0
for n in ["HV01", "HV02", "HV03", "HV04"]:
    h = H[n]
    check(n + " role", h["role"], "hyperv-node")
    check(n + " csvs", h["csvs"], ["Volume1", "Volume2", "Volume3"])
    check(n + " providers", [(p["id"], p["type"], p["autorecovery"]) for p in h["vssProviders"]], [sw, hw])
    check(n + " hardware provider", [(p["name"], p["version"]) for p in h["vssProviders"]][1],
          ("Microsoft iSCSI Target VSS Hardware Provider", "3.3.16544"))
    check(n + " agent log", h["dpmAgentLog"], "DPMRACurr.errlog" if n == "HV01" else None)
    check(n + " has guests", len(h["guests"]) > 0, True)
    for g in h["guests"]:
        w = n + " " + g["name"]
        names.append(g["name"])
        ids.add(g["id"])
        check(w + " id", bool(guid.fullmatch(g["id"])), True)
        check(w + " state", g["state"], "running")
        check(w + " services", g["integrationServices"], {"VSS": True, "Heartbeat": True, "Shutdown": True})
        v = csv(g["paths"][0])
        base = "C:\\ClusterStorage\\%s\\%s\\%s" % (v, g["name"], g["name"])
        check(w + " configuration and disk", g["paths"][:2], [base + ".vmcx", base + ".vhdx"])
        check(w + " CSVs known", all(csv(p) in h["csvs"] for p in g["paths"]), True)
        if len({csv(p) for p in g["paths"]}) > 1:
            spanning += 1
            check(w + " spans two CSVs", len(g["paths"]), 3)
check("guests VM0001..VM0020, each once", sorted(names), ["VM%04d" % i for i in range(1, 21)])
check("guest ids unique", len(ids), 20)
check("about one guest in ten spans two CSVs", 1 <= spanning <= 4, True)
EOF

# One seed, one lab; another seed, another lab.
lab 0 init "$TMP/same" --nodes 4 --csvs 3 --guests 20 --port "$PORT"
lab 0 init "$TMP/other" --nodes 4 --csvs 3 --guests 20 --seed 7 --port "$PORT"
for n in HV01 HV02 HV03 HV04 DPM01; do
	cmp -s "$LAB/nodes/$n/host.yaml" "$TMP/same/nodes/$n/host.yaml" ||
		fail "the same seed gave another host file for $n"
done
cat "$LAB"/nodes/HV0*/host.yaml >"$TMP/a"
cat "$TMP"/other/nodes/HV0*/host.yaml >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && fail "another seed gave the same lab"
rm -rf "$TMP/same" "$TMP/other"

# --- env and show ---------------------------------------------------------
lab 0 env "$LAB"
expect "env" "$(cat "$OUT")" "export HVPOLICY_SOCKET=$LAB/controller/control.sock"
lab 0 show "$LAB" hv02
cmp -s "$OUT" "$LAB/nodes/HV02/host.yaml" || fail "show (yaml) is not the host file"

# --- edits ----------------------------------------------------------------
export G=VM0007 FROM TO
FROM=$(owner_of $G)
TO=HV01
[ "$FROM" = HV01 ] && TO=HV02
ID_BEFORE=$(grep -A1 -x -- "- name: $G" "$LAB/nodes/$FROM/host.yaml" | tail -1)
lab 0 migrate "$LAB" vm0007 "$TO"
expect "$G's owner after migrate" "$(owner_of $G)" "$TO"
expect "$G keeps its id" "$(grep -A1 -x -- "- name: $G" "$LAB/nodes/$TO/host.yaml" | tail -1)" "$ID_BEFORE"
lab 0 migrate "$LAB" $G "$FROM"
expect "$G's owner after migrating back" "$(owner_of $G)" "$FROM"
lab 0 move-storage "$LAB" $G volume3
pycheck <<'EOF'
n, g = guest(E["G"])
check("owner", n, E["FROM"])
check("paths on Volume3 only", {csv(p) for p in g["paths"]}, {"Volume3"})
EOF
lab 0 move-storage "$LAB" $G Volume2,Volume1
pycheck <<'EOF'
n, g = guest(E["G"])
check("move-storage to two CSVs", [csv(p) for p in g["paths"]][:3], ["Volume2", "Volume2", "Volume1"])
EOF

lab 0 add-guest "$LAB" HV03 NewGuest --csv Volume1,Volume3
lab 0 add-guest "$LAB" HV04 Other --csv volume2
pycheck <<'EOF'
n, g = guest("NewGuest")
check("new guest's node", n, "HV03")
check("new guest", (g["state"], g["integrationServices"]), ("running", {"VSS": True, "Heartbeat": True, "Shutdown": True}))
b = "C:\\ClusterStorage\\%s\\NewGuest\\NewGuest"
check("new guest's paths", g["paths"], [b % "Volume1" + ".vmcx", b % "Volume1" + ".vhdx", b % "Volume3" + "-disk2.vhdx"])
ids = [x["id"] for h in H.values() for x in h["guests"]]
check("new guest's id", bool(re.fullmatch(r"[0-9a-f-]{36}", g["id"])) and ids.count(g["id"]) == 1, True)
check("another new guest", guest("Other")[1]["paths"][0], "C:\\ClusterStorage\\Volume2\\Other\\Other.vmcx")
check("guests added", sum(len(h["guests"]) for h in H.values()), 22)
EOF
lab 0 set-integration "$LAB" newguest VSS off
lab 0 set-integration "$LAB" NewGuest timesync on
pycheck <<'EOF'
check("VSS off, TimeSync on", guest("NewGuest")[1]["integrationServices"],
      {"VSS": False, "Heartbeat": True, "Shutdown": True, "TimeSync": True})
EOF
lab 0 remove-guest "$LAB" NEWGUEST
expect "removed" "$(owner_of NewGuest)" ""

export K='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Agent\UseSystemSoftwareProvider'
export PAR='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\2.0\Configuration\MaxAllowedParallelBackups'
export X='HKLM\SOFTWARE\Contoso\Lab'
lab 0 set-registry "$LAB" HV02 "$K"
lab 0 set-registry "$LAB" DPM01 "$PAR" --value 'Microsoft Hyper-V' --type REG_DWORD --data 0x1
lab 0 set-registry "$LAB" HV04 "$X" --value List --type REG_MULTI_SZ --data a,b
lab 0 set-registry "$LAB" HV04 "$X" --value List2 --type reg_multi_sz --data 'a,b' --data c
lab 0 set-registry "$LAB" HV04 "$X" --value Blob --type REG_BINARY --data 00FFa0
lab 0 set-registry "$LAB" HV04 "$X" --value Big --type REG_QWORD --data 18446744073709551615
lab 0 set-registry "$LAB" HV04 "$X" --value Text --type REG_SZ --data '22:00-05:00'
lab 0 set-registry "$LAB" HV04 "$X" --value '' --type REG_EXPAND_SZ --data '%ProgramFiles%'
lab 0 set-registry "$LAB" HV04 "$X" --value Text --type REG_DWORD --data 7
grep -qF "Big: {type: REG_QWORD, data: 18446744073709551615}" "$LAB/nodes/HV04/host.yaml" ||
	fail "the host file lacks the QWORD"
pycheck <<'EOF'
check("key created", H["HV02"]["registry"], {E["K"]: {}})
check("DWORD", H["DPM01"]["registry"], {E["PAR"]: {"Microsoft Hyper-V": {"type": "REG_DWORD", "data": 1}}})
check("values", H["HV04"]["registry"], {E["X"]: {
    "": {"type": "REG_EXPAND_SZ", "data": "%ProgramFiles%"},
    "Big": {"type": "REG_QWORD", "data": "18446744073709551615"},
    "Blob": {"type": "REG_BINARY", "data": "00ffa0"},
    "List": {"type": "REG_MULTI_SZ", "data": ["a", "b"]},
    "List2": {"type": "REG_MULTI_SZ", "data": ["a,b", "c"]},
    "Text": {"type": "REG_DWORD", "data": 7}}})
EOF
lab 0 delete-registry "$LAB" HV04 "$X" --value list
lab 0 set-registry "$LAB" HV04 'HKLM\SOFTWARE\Contoso\Other'
pycheck <<'EOF'
check("value deleted", sorted(H["HV04"]["registry"][E["X"]]), ["", "Big", "Blob", "List2", "Text"])
EOF
lab 0 delete-registry "$LAB" HV04 'HKEY_LOCAL_MACHINE\software\contoso'
pycheck <<'EOF'
check("key deleted with its subkeys", H["HV04"]["registry"], {})
EOF

# --- errors change nothing ------------------------------------------------
lab_sum "$LAB" >"$TMP/sum.before"
bad() {	# EXIT ARGS... ; also checks that stderr names the problem
	lab "$@" || return
	[ -s "$ERR" ] || fail "hvpolicy-lab ${*:2}: no message on stderr"
}
bad 1 migrate "$LAB" VM9999 HV01
bad 1 migrate "$LAB" VM0001 HV99
bad 1 migrate "$LAB" VM0001 DPM01
bad 1 migrate "$LAB" VM0001 "$(owner_of VM0001)"
bad 64 migrate "$LAB" VM0001
bad 1 move-storage "$LAB" VM0001 Volume9
bad 1 move-storage "$LAB" VM0001 Volume1,Volume9
bad 64 move-storage "$LAB" VM0001 Volume1,volume1
bad 64 move-storage "$LAB" VM0001 Volume1,
bad 1 move-storage "$LAB" VM9999 Volume1
bad 1 add-guest "$LAB" HV01 vm0001 --csv Volume1
bad 1 add-guest "$LAB" DPM01 NewOne --csv Volume1
bad 1 add-guest "$LAB" HV09 NewOne --csv Volume1
bad 1 add-guest "$LAB" HV01 NewOne --csv Volume7
bad 64 add-guest "$LAB" HV01 NewOne
bad 64 add-guest "$LAB" HV01 'bad\name' --csv Volume1
bad 1 remove-guest "$LAB" VM9999
bad 64 set-registry "$LAB" HV01 'HKCU\Software\X'
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_DWORD --data 4294967296
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_DWORD --data 12abc
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_BINARY --data abc
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_BINARY --data zz
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_NOPE --data 1
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_SZ
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --value V --type REG_SZ --data a --data b
bad 64 set-registry "$LAB" HV01 'HKLM\Software\X' --type REG_SZ --data a
bad 1 set-registry "$LAB" HV77 'HKLM\Software\X'
bad 1 delete-registry "$LAB" HV01 'HKLM\Software\Nothing'
bad 1 delete-registry "$LAB" DPM01 "$PAR" --value Nothing
bad 1 set-integration "$LAB" VM9999 VSS off
bad 64 set-integration "$LAB" VM0001 Nothing off
bad 64 set-integration "$LAB" VM0001 VSS maybe
bad 1 show "$LAB" HV99
bad 64 show "$LAB" HV01 --format xml
bad 64 show "$LAB" HV01 extra
bad 1 add-node "$LAB" hv01
bad 64 add-node "$LAB" 'bad/name'
bad 1 stop-node "$LAB" HV99
bad 1 start-node "$LAB" HV99
bad 1 init "$LAB" --nodes 1 --csvs 1 --guests 1
bad 64 init "$TMP/x" --nodes 0 --csvs 1 --guests 1
bad 64 init "$TMP/x" --nodes 2 --guests 1
bad 64 init "$TMP/x" --nodes 2 --csvs 1 --guests 1 --port 70000
bad 64 init "$TMP/x" --nodes 2 --csvs 1 --guests 1 --bogus 1
bad 64 frobnicate "$LAB"
grep -qF "valid commands: add-guest add-node" "$ERR" || fail "unknown command: valid ones not listed"
bad 64 s "$LAB"
grep -qF "ambiguous" "$ERR" || fail "ambiguous prefix not said"
bad 1 show "$TMP" HV01
grep -qF "is not a lab directory" "$ERR" || fail "not-a-lab error"
bad 1 show "$TMP/nowhere" HV01
bad 1 mi "$LAB" VM0001 HV99	# a unique prefix runs migrate
grep -qF "unknown node 'HV99'" "$ERR" || fail "the prefix 'mi' did not run migrate"
lab_sum "$LAB" >"$TMP/sum.after"
cmp -s "$TMP/sum.before" "$TMP/sum.after" || {
	fail "a refused command changed the lab"
	diff "$TMP/sum.before" "$TMP/sum.after" >&2
}
[ -e "$TMP/x" ] && fail "a refused init created its directory"

# --- a running lab ----------------------------------------------------------
if [ ! -x "$NODEBIN" ] || [ ! -x "$HVP_BIN/controller/hvpolicy-controller" ]; then
	echo "SKIP: daemons not built; up/down not tested" >&2
else
	PORT=$(free_port)
	lab 0 init "$LIVE" --nodes 3 --csvs 2 --guests 8 --port "$PORT"
	export HVPOLICY_SOCKET="$LIVE/controller/control.sock"
	online() {	# the nodes the controller sees online
		"$CLI" status --format json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted(n["name"] for n in json.load(sys.stdin)["nodes"] if n["online"])))'
	}
	# wait_for WHAT COMMAND...: polls up to 30 s.
	wait_for() {
		local what=$1 i
		shift
		for i in $(seq 1 150); do
			"$@" && return 0
			sleep 0.2
		done
		fail "timed out waiting: $what"
		return 1
	}
	lab_procs() {	# live (not zombie) processes started for the lab
		ps -eo stat=,args= | awk -v d="$LIVE/" '$1 !~ /^Z/ && index($0, d)' |
			grep -cE 'hvpolicy-(controller|node) '
	}
	if lab 0 up "$LIVE"; then
		expect "online after up" "$(online)" "DPM01 HV01 HV02 HV03"
		for p in controller/controller.pid nodes/HV01/node.pid nodes/DPM01/node.pid; do
			[ -s "$LIVE/$p" ] || fail "no $p"
		done
		expect "processes after up" "$(lab_procs)" 5
		lab 0 up "$LIVE"	# again: nothing new starts
		expect "processes after a second up" "$(lab_procs)" 5

		lab 0 stop-node "$LIVE" HV02
		[ -e "$LIVE/nodes/HV02/node.pid" ] && fail "stop-node left its pid file"
		expect "processes after stop-node" "$(lab_procs)" 4
		wait_for "HV02 offline" eval '[ "$(online)" = "DPM01 HV01 HV03" ]'
		lab 0 start-node "$LIVE" HV02
		expect "online after start-node" "$(online)" "DPM01 HV01 HV02 HV03"

		lab 0 add-node "$LIVE" HV04
		expect "online after add-node" "$(online)" "DPM01 HV01 HV02 HV03 HV04"
		expect "HV04 holds no guest" "$(grep -c '^- name:' "$LIVE/nodes/HV04/host.yaml")" 0

		# A policy reaches the lab's hosts; a migration reaches the plan.
		cat >"$TMP/policy.yaml" <<'EOF'
apiVersion: hvpolicy/v1
kind: ClusterPolicy
metadata:
  name: lab-test
spec:
  cluster: LAB-CLUSTER
  strategy: system-software
  serialization:
    dpmServer: DPM01
EOF
		"$CLI" apply -f "$TMP/policy.yaml" --wait --timeout 60 >"$OUT" 2>"$ERR" ||
			fail "apply to the lab"
		for n in HV01 HV02 HV03 HV04; do
			grep -qF 'Agent\UseSystemSoftwareProvider' "$LIVE/nodes/$n/host.yaml" ||
				fail "the policy did not reach $n's host file"
		done
		G=$(awk '/^- name:/ { print $3; exit }' "$LIVE/nodes/HV01/host.yaml")
		lab 0 migrate "$LIVE" "$G" HV04
		plan_node() {	# the node the plan puts guest $1 on
			"$CLI" serialization --format json 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)
print(" ".join(g["node"] for gr in p["groups"] for g in gr["guests"] if g["name"] == sys.argv[1]))' "$1"
		}
		wait_for "the plan puts $G on HV04" eval '[ "$(plan_node "$G")" = HV04 ]'

		lab 0 down "$LIVE"
		expect "processes after down" "$(lab_procs)" 0
		ls "$LIVE"/controller/*.pid "$LIVE"/nodes/*/*.pid >/dev/null 2>&1 &&
			fail "down left pid files"
		lab 0 down "$LIVE"	# idempotent
		grep -qF "nothing was running" "$OUT" || fail "second down"
		lab 0 stop-node "$LIVE" HV01
	fi
	unset HVPOLICY_SOCKET
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "ok"
