# cluster.sh: helpers for integration tests that run a whole simulated
# cluster through hvpolicy-lab (sourced, not run). Needs HVP_BIN; gives
# LAB (the lab directory), TMP, and functions to drive and check it.
# Every wait is a bounded poll; nothing asserts on timing.

: "${HVP_BIN:?set HVP_BIN to the build directory}"
export HVPOLICY_BIN_DIR="$HVP_BIN"
LABBIN="$HVP_BIN/lab/hvpolicy-lab"
CLI="$HVP_BIN/cli/hvpolicy"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvp-it.XXXXXX")
LAB="$TMP/lab"
failures=0

cleanup() {
	[ -f "$LAB/lab.yaml" ] && "$LABBIN" down "$LAB" >/dev/null 2>&1
	# Anything a test started by hand: `hvp ... &` records the subshell
	# running the function, so its children (the CLI) go first.
	for p in $(cat "$TMP"/*.extra-pid 2>/dev/null); do
		pkill -9 -P "$p" 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

ok() {
	echo "ok: $*"
}

finish() {
	if [ "$failures" -gt 0 ]; then
		echo "$failures check(s) failed" >&2
		for f in "$LAB"/controller/controller.log "$LAB"/nodes/*/node.log; do
			[ -f "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }
		done
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

hvp() {
	"$CLI" --socket "$LAB/controller/control.sock" "$@"
}

labcmd() {
	"$LABBIN" "$1" "$LAB" "${@:2}"
}

# wait_until SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_until() {
	local limit=$(( $1 * 5 ))
	shift
	for _ in $(seq 1 "$limit"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	return 1
}

# jq_py EXPR: evaluates a Python expression over JSON on stdin (as d).
jq_py() {
	python3 -c "import json, sys; d = json.load(sys.stdin); r = ($1); print(r if not isinstance(r, bool) else str(r).lower())"
}

all_converged() {
	[ "$(hvp status --format json | jq_py 'len(d["nodes"]) > 0 and all(n["converged"] and n["online"] for n in d["nodes"])')" = true ]
}

# all_online [N]: every node the controller knows is online, and it knows
# at least N (default 1). A fresh controller knows only the nodes that
# have said Hello: without N, the first node online would do.
all_online() {
	[ "$(hvp status --format json | jq_py "len(d['nodes']) >= ${1:-1} and all(n['online'] for n in d['nodes'])")" = true ]
}

# drift_count NODE RESOURCE_SUBSTRING STATUS SINCE: records matching.
drift_count() {
	hvp drift --node "$1" --since "$4" --format json |
	    jq_py "sum(1 for r in d if '$2' in r['resource'] and r['status'] == '$3')"
}

# drift_count_cmp OP N NODE RESOURCE_SUBSTRING STATUS SINCE: the count
# compared with N by test's OP. A function, so that wait_until counts
# afresh at every try (a "$(drift_count ...)" argument would be counted
# once, before the wait starts).
drift_count_cmp() {
	test "$(drift_count "$3" "$4" "$5" "$6")" "$1" "$2"
}

# prom_scrape URL: fetches a metrics endpoint and prints its samples as
# JSON (prom_parse.py: fails on anything not in the text format).
prom_scrape() {
	python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
	    "$1" | python3 "$(dirname "${BASH_SOURCE[0]}")/prom_parse.py"
}

# http_code URL: the HTTP status a GET of URL answers.
http_code() {
	python3 -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=10); print(200)
except urllib.error.HTTPError as e:
    print(e.code)' "$1"
}

now_rfc3339() {
	date -u +%Y-%m-%dT%H:%M:%SZ
}

# A lab policy with the given strategy and mode (and a description, so
# each round of a test can make a new revision).
write_policy() {
	local file=$1 strategy=$2 mode=$3 desc=${4:-test}
	{
		echo "apiVersion: hvpolicy/v1"
		echo "kind: ClusterPolicy"
		echo "metadata: {name: it-policy, description: \"$desc\"}"
		echo "spec:"
		echo "  cluster: LAB-CLUSTER"
		echo "  mode: $mode"
		echo "  strategy: $strategy"
		if [ "$strategy" = system-software ]; then
			echo "  serialization: {dpmServer: DPM01}"
		fi
		echo "  reconcile: {intervalSeconds: 5}"
	} >"$file"
}

KEY_SSP='HKLM\SOFTWARE\Microsoft\Microsoft Data Protection Manager\Agent\UseSystemSoftwareProvider'
