#!/bin/bash
# Wire compatibility (docs/protocol.md, "Versions"): against a controller
# of this build, a node speaking this protocol version is admitted; a node
# one version older and one version newer are refused with a message that
# names both versions and what to upgrade, seen in the node's log (a
# Refused it can read whatever its version) and in the controller's log;
# the controller keeps serving the other nodes. The older and newer nodes
# are hvpolicy-loadnode claiming another version (--protocol).
set -u
. "$(dirname "$0")/cluster.sh"
LOADNODE=$HVP_BIN/bench/hvpolicy-loadnode

port=$(free_port)
"$LABBIN" init "$LAB" --nodes 1 --csvs 1 --guests 2 --port "$port" >/dev/null ||
    { fail "lab init"; finish; }
for prefix in CUR OLD NEW; do
	"$LOADNODE" --keygen-only --keys "$LAB/keys/nodes" --nodes 1 \
	    --prefix "$prefix" >/dev/null 2>&1 || fail "keys for $prefix"
done
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
current=$(sed -n 's/^#define WIRE_PROTOCOL_VERSION \([0-9]*\)$/\1/p' "$HVP_SRC/common/wire.h")

start_load() {	# PREFIX PROTOCOL
	"$LOADNODE" --nodes 1 --prefix "$1" --protocol "$2" --cluster LAB-CLUSTER \
	    --controller "tcp://127.0.0.1:$port" \
	    --controller-key "$LAB/keys/controller.key" --keys "$LAB/keys/nodes" \
	    --guests 1 --csvs 1 >"$TMP/$1.log" 2>&1 &
	echo $! >"$TMP/$1.extra-pid"
}
online() {	# NAME
	[ "$(hvp status --format json | jq_py "any(n['name'] == '$1' and n['online'] for n in d['nodes'])")" = true ]
}

start_load CUR "$current"
wait_until 30 online CUR0001 && ok "a node of protocol $current is admitted" ||
    fail "CUR0001 (protocol $current) not online"

for case in "OLD $((current - 1)) upgrade this node" \
    "NEW $((current + 1)) upgrade the controller first"; do
	set -- $case
	prefix=$1 version=$2 what="${*:3}"
	start_load "$prefix" "$version"
	if wait_until 30 grep -q "refused: protocol version $version is not spoken here (this controller speaks $current): $what" "$TMP/$prefix.log"; then
		ok "protocol $version: the node is told why ($what)"
	else
		fail "protocol $version: no refusal in the node's log"; cat "$TMP/$prefix.log"
	fi
	grep -q "dropped message from ${prefix}0001: protocol version $version, this program speaks $current" \
	    "$LAB/controller/controller.log" &&
	    ok "protocol $version: the controller's log names the node and both versions" ||
	    fail "protocol $version: nothing in the controller's log"
	online "${prefix}0001" && fail "protocol $version: node admitted" ||
	    ok "protocol $version: the node is not admitted"
	kill "$(cat "$TMP/$prefix.extra-pid")" 2>/dev/null
done
online HV01 && online CUR0001 && ok "the controller kept serving the other nodes" ||
    fail "other nodes lost"
finish
