#!/bin/bash
# The log cannot be flooded: 100,000 malformed requests on the control
# socket (each one used to log a line) give at most a burst of lines and a
# count of what was suppressed; the controller keeps serving; a log line
# cannot be forged with a newline.
set -u
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 1 --csvs 1 --guests 1 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
"$LABBIN" up "$LAB" >/dev/null || { fail "lab up"; finish; }
clog="$LAB/controller/controller.log"
lines_before=$(wc -l <"$clog")

# A ZeroMQ DEALER spoken by hand (ZMTP 3.0, NULL mechanism): every
# one-frame message reaches the controller as a malformed request.
cat >"$TMP/flood.py" <<'PY'
import socket, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
u = socket.socket(socket.AF_UNIX)
u.settimeout(60)
u.connect(path)
u.sendall(b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + b"\x00" * 32)
got = b""
while len(got) < 64:
    got += u.recv(64 - len(got))
body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
u.sendall(b"\x04" + bytes([len(body)]) + body)
msg = b"\x00\x05junk\n"
batch = msg * 1000
for _ in range(n // 1000):
    u.sendall(batch)
print("sent", n, flush=True)
sys.stdin.read()    # the connection stays until the test is done
u.close()
PY
mkfifo "$TMP/hold"
python3 "$TMP/flood.py" "$LAB/controller/control.sock" 100000 <"$TMP/hold" >"$TMP/flood.out" 2>&1 &
echo $! >>"$TMP/flood.extra-pid"
exec 7>"$TMP/hold"
wait_until 60 grep -q '^sent' "$TMP/flood.out"
grep -q '^sent 100000' "$TMP/flood.out" && ok "100,000 malformed requests sent" || fail "flood not sent"
# Wait until the controller has read them all: its window ends and the
# count of what it held back appears (bounded by the clock, not a guess).
if wait_until 60 grep -q "similar messages suppressed" "$clog"; then
	ok "suppressed messages counted in the log"
else
	fail "no 'similar messages suppressed' line"
fi
hvp status >/dev/null && ok "controller serving after the flood" || fail "status after the flood"
added=$(( $(wc -l <"$clog") - lines_before ))
echo "log lines added by the flood: $added"
[ "$added" -lt 100 ] && ok "flood added $added log lines, not 100,000" || fail "flood added $added lines"
# Every request is either a line or in a count: all 100,000 of them, once
# the controller has read them all and the last window is over.
accounted() {
	local n shown
	n=$(grep "malformed request" "$clog" |
	    sed -n 's/.*(\(last of \)\{0,1\}\([0-9]*\) similar messages suppressed).*/\2/p' |
	    awk '{ s += $1 } END { print s + 0 }')
	shown=$(grep "malformed request" "$clog" | grep -vc "(last of")
	echo $(( n + shown ))
}
all_accounted() {
	[ "$(accounted)" -eq 100000 ]
}
wait_until 60 all_accounted && ok "all 100,000 requests logged or counted" ||
    fail "requests logged or counted: $(accounted) of 100000"
echo "malformed-request lines: $(grep -c 'malformed request' "$clog")"
exec 7>&-
if grep -q "$(printf 'junk$')" "$clog" || LC_ALL=C grep -q "$(printf '[\001-\010\013-\037]')" "$clog"; then
	fail "raw control characters or a forged line in the log"
else
	ok "no raw control character in the log"
fi
finish
