#!/bin/bash
# Who may speak to the controller, and what it survives: an unknown key is
# refused; a known key claiming another node's name is refused; garbage,
# truncated and oversized frames on the node port and on the control
# socket leave the controller serving; keygen writes private secrets.
set -u
. "$(dirname "$0")/cluster.sh"
NODEBIN="$HVP_BIN/node/hvpolicy-node"

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 2 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
port=$(sed -n 's|^listen: *tcp://127.0.0.1:\([0-9]*\).*|\1|p' "$LAB/controller/controller.yaml")
clog="$LAB/controller/controller.log"

# --- keygen -----------------------------------------------------------------
"$CLI" keygen INTRUDER --out "$TMP/keys" >/dev/null || fail "keygen"
mode=$(stat -c %a "$TMP/keys/INTRUDER.key_secret")
[ "$mode" = 600 ] && ok "keygen: secret key is mode 0600" || fail "secret key mode $mode"

# start_rogue NAME SECRET: a node daemon with this name and key.
start_rogue() {
	local name=$1 secret=$2 dir="$TMP/rogue-$1"
	mkdir -p "$dir"
	cp "$LAB/nodes/HV01/host.yaml" "$dir/host.yaml"
	sed -i "s/^node: .*/node: $name/" "$dir/host.yaml"
	"$NODEBIN" --name "$name" --role hyperv-node \
	    --controller "tcp://127.0.0.1:$port" \
	    --controllerKey "$LAB/keys/controller.key" --secretKey "$secret" \
	    --stateDir "$dir/state" --hostFile "$dir/host.yaml" \
	    --heartbeatSeconds 1 2>"$dir/node.log" &
	echo $! >>"$TMP/rogue.extra-pid"
}

known() {
	hvp status --format json | jq_py "any(n['name'] == '$1' for n in d['nodes'])"
}

# --- an unknown key ---------------------------------------------------------
start_rogue INTRUDER "$TMP/keys/INTRUDER.key_secret"
if wait_until 20 grep -q "zap: refused" "$clog"; then
	ok "unknown key refused by ZAP (logged)"
else
	fail "unknown key: no refusal in the controller log"
fi
sleep 2
[ "$(known INTRUDER)" = false ] && ok "unknown key never became a node" ||
    fail "INTRUDER appears in status"

# --- a known key that claims another name -----------------------------------
start_rogue HV99 "$LAB/keys/HV01.key_secret"
if wait_until 20 grep -q "refused peer HV01: hello names HV99" "$clog"; then
	ok "HV01's key claiming HV99 refused (logged)"
else
	fail "name claim: no refusal in the controller log"
fi
[ "$(known HV99)" = false ] && ok "HV99 never became a node" || fail "HV99 appears in status"
wait_until 20 all_online && ok "HV01 itself is unaffected" || fail "real nodes not online"

# --- a node key presenting another node's routing id -------------------------
# HV01's key connects ten times in 20 s with DPM01's name as its routing
# id: it must receive none of DPM01's traffic, and DPM01 must stay
# connected (no reconnect in its log) and online.
reconnects_before=$(grep -c "reconnecting" "$LAB/nodes/DPM01/node.log")
got=$("$HVP_BIN/tests/hvp-rogue-peer" "tcp://127.0.0.1:$port" \
    "$LAB/keys/controller.key" "$LAB/keys/HV01.key_secret" DPM01 20 10)
[ "$got" = "received 0" ] && ok "takeover: DPM01's routing id got the rogue nothing" ||
    fail "takeover: rogue with DPM01's routing id: $got"
reconnects_after=$(grep -c "reconnecting" "$LAB/nodes/DPM01/node.log")
[ "$reconnects_before" = "$reconnects_after" ] && ok "takeover: DPM01 was never cut off" ||
    fail "takeover: DPM01 reconnected $((reconnects_after - reconnects_before)) times"
wait_until 20 all_online && ok "takeover: every node online" || fail "takeover: a node went offline"

# --- garbage on the node port and the control socket -----------------------
python3 - "$port" "$LAB/controller/control.sock" <<'PY' || fail "garbage sender failed"
import os, socket, struct, sys
port, ctl = int(sys.argv[1]), sys.argv[2]
def tcp(data, close_early=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        s.sendall(data)
        if not close_early:
            try: s.recv(4096)
            except OSError: pass
    except OSError:
        pass
    s.close()
tcp(os.urandom(4096))                                   # random bytes
tcp(b"\xff" + b"\x00" * 8 + b"\x7f", close_early=True)  # truncated greeting
greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"CURVE".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
tcp(greeting + b"\x02" + struct.pack(">Q", 2**62) + b"x" * 64)   # absurd frame length
tcp(greeting + os.urandom(1 << 20))                      # a megabyte of noise
u = socket.socket(socket.AF_UNIX)
u.connect(ctl)
u.sendall(os.urandom(8192))
u.close()
PY
if hvp status >/dev/null 2>&1 && wait_until 10 all_online; then
	ok "controller still serving after garbage, truncated and oversized frames"
else
	fail "controller stopped serving after garbage"
fi
kill -0 "$(cat "$LAB/controller/controller.pid")" 2>/dev/null && ok "controller process alive" ||
    fail "controller died"

# --- remote admin over CURVE: admin keys only ----------------------------
aport=$(free_port)
kill -TERM "$(cat "$LAB/controller/controller.pid")"
wait_until 15 sh -c "! kill -0 $(cat "$LAB/controller/controller.pid") 2>/dev/null"
echo "adminListen: tcp://127.0.0.1:$aport" >>"$LAB/controller/controller.yaml"
"$LABBIN" up "$LAB" >/dev/null || fail "lab up with adminListen"
remote() {
	"$CLI" --controller "tcp://127.0.0.1:$aport" --admin-key "$1" \
	    --controller-key "$LAB/keys/controller.key" status --format json
}
remote "$LAB/keys/admin.key_secret" >"$TMP/remote.json" 2>"$TMP/remote.err" &&
    [ "$(jq_py 'd["cluster"]' <"$TMP/remote.json")" = LAB-CLUSTER ] &&
    ok "remote CLI with an admin key over CURVE" || fail "remote admin: $(cat "$TMP/remote.err")"
remote "$LAB/keys/HV01.key_secret" >/dev/null 2>&1; rc=$?
[ "$rc" = 3 ] && ok "a node key is not an admin key (refused, exit 3)" ||
    fail "node key on the admin port gave exit $rc"

finish
