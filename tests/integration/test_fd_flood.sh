#!/bin/bash
# A descriptor flood does not stop the controller: started with a soft
# limit of 128 and a hard limit of 512, it raises its limit to 512 and
# says so; 1,100 idle TCP connections to the node port (the flood that
# aborted it with "Too many open files (src/ipc_listener.cpp:325)") are
# refused past its cap, logged, and it keeps answering status over the
# control socket during the flood and after, with every node online.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 2 --csvs 1 --guests 2 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
( ulimit -Sn 128 && ulimit -Hn 512 && "$LABBIN" up "$LAB" >/dev/null ) ||
    { fail "lab up with a descriptor limit of 128/512"; finish; }
port=$(sed -n 's|^listen: *tcp://127.0.0.1:\([0-9]*\).*|\1|p' "$LAB/controller/controller.yaml")
clog="$LAB/controller/controller.log"
cpid=$(cat "$LAB/controller/controller.pid")

grep -q "descriptor limit raised from 128 to 512" "$clog" &&
    ok "controller raised its descriptor limit from 128 to 512 and logged it" ||
    fail "no 'descriptor limit raised' line in the log"

# The flood: hold as many connections as this shell may open, up to 1,100,
# until the fifo is closed.
mkfifo "$TMP/hold"
cat >"$TMP/flood.py" <<'PY'
import resource, socket, sys
port, want = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < want + 64:
    want = hard - 64
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want + 64) if hard == resource.RLIM_INFINITY else hard, hard))
held = []
for _ in range(want):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        pass
print("opened", len(held), flush=True)
sys.stdin.read()
PY
python3 "$TMP/flood.py" "$port" 1100 <"$TMP/hold" >"$TMP/flood.out" 2>&1 &
echo $! >>"$TMP/flood.extra-pid"
exec 7>"$TMP/hold"

wait_until 60 grep -q '^opened' "$TMP/flood.out" || fail "flood: connections not opened"
opened=$(sed -n 's/^opened \([0-9]*\)/\1/p' "$TMP/flood.out")
echo "flood: $opened connections opened (the controller's cap is 384)"
[ "${opened:-0}" -gt 512 ] || fail "flood opened only ${opened:-0} connections: not a flood"
wait_until 30 grep -q "refused [0-9]* new node connections" "$clog" &&
    ok "connections past the cap refused and logged" || fail "no refusal logged"
for i in 1 2 3 4 5; do
	hvp status >/dev/null 2>&1 || { fail "status during the flood (call $i)"; break; }
done
[ "$i" = 5 ] && ok "status answers during the flood (5 calls)"
kill -0 "$(tail -1 "$TMP/flood.extra-pid")" 2>/dev/null ||
    fail "the flood ended before the checks: nothing was held"
nfd=$(ls "/proc/$cpid/fd" | wc -l)
echo "controller descriptors during the flood: $nfd of 512"
[ "$nfd" -lt 512 ] && ok "controller below its descriptor limit ($nfd of 512)" ||
    fail "controller at its descriptor limit ($nfd)"
kill -0 "$cpid" 2>/dev/null && ok "controller alive during the flood" || fail "controller died"

exec 7>&-
wait_until 30 all_online && ok "after the flood: every node online, status answers" ||
    fail "after the flood: nodes not online or no status"
grep -q "Too many open files" "$clog" && fail "EMFILE reached libzmq: $(grep -m1 'Too many' "$clog")"
kill -0 "$cpid" 2>/dev/null && ok "same controller process throughout" || fail "controller restarted or died"
finish
