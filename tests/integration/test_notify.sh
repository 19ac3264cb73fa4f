#!/bin/bash
# The controller under a service manager (docs/controller.md, "Under
# systemd"): with $NOTIFY_SOCKET pointing at a datagram socket this test
# serves (as systemd does), the controller sends READY=1 only once its
# control socket answers, WATCHDOG=1 repeatedly when $WATCHDOG_USEC is set,
# and STOPPING=1 on SIGTERM, then exits 0. Without $NOTIFY_SOCKET it runs
# as before (every other test).
set -u
: "${HVP_BIN:?set HVP_BIN to the build directory}"
CTL=$HVP_BIN/controller/hvpolicy-controller
CLI=$HVP_BIN/cli/hvpolicy
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hvp-notify.XXXXXX")
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
cleanup() {
	[ -n "${ctl:-}" ] && kill -9 "$ctl" 2>/dev/null
	[ -n "${listener:-}" ] && kill "$listener" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

if ! grep -q "HVP_SYSTEMD:BOOL=ON" "$HVP_BIN/CMakeCache.txt" 2>/dev/null; then
	echo "SKIP: built without HVP_SYSTEMD"
	exit 0
fi

# The service manager's end: every datagram, one line per message, with
# the control socket's state when it arrived (ready must come after it).
python3 - "$TMP/notify.sock" "$TMP/messages" "$TMP/control.sock" <<'PY' &
import os, socket, sys
path, out, control = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        data = s.recv(4096).decode()
        for line in data.split("\n"):
            f.write("%s control=%s\n" % (line, "yes" if os.path.exists(control) else "no"))
PY
listener=$!
for _ in $(seq 50); do [ -S "$TMP/notify.sock" ] && break; sleep 0.1; done

NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=1000000 "$CTL" --cluster C \
    --insecure --listen "tcp://127.0.0.1:0" \
    --controlSocket "$TMP/control.sock" --dataDir "$TMP/data" \
    >"$TMP/controller.log" 2>&1 &
ctl=$!
wait_for() {	# SECONDS PATTERN
	for _ in $(seq $(($1 * 10))); do
		grep -q "$2" "$TMP/messages" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
wait_for 20 "^READY=1" && ok "READY=1 sent" || fail "no READY=1"
grep -q "^READY=1 control=yes" "$TMP/messages" &&
    ok "READY=1 only after the control socket exists" ||
    fail "READY=1 before the control socket: $(cat "$TMP/messages")"
grep -q "^STATUS=serving" "$TMP/messages" && ok "STATUS=serving" || fail "no STATUS"
"$CLI" --socket "$TMP/control.sock" status >/dev/null && ok "serving after READY" ||
    fail "status after READY"
wait_for 10 "^WATCHDOG=1" && ok "WATCHDOG=1 from the tick" || fail "no WATCHDOG=1"
first=$(grep -c "^WATCHDOG=1" "$TMP/messages")
for _ in $(seq 100); do
	[ "$(grep -c "^WATCHDOG=1" "$TMP/messages")" -gt "$first" ] && break
	sleep 0.1
done
[ "$(grep -c "^WATCHDOG=1" "$TMP/messages")" -gt "$first" ] &&
    ok "WATCHDOG=1 again" || fail "WATCHDOG=1 only once"
kill -TERM "$ctl"
wait "$ctl"; rc=$?
ctl=
[ "$rc" = 0 ] && ok "exit 0 after SIGTERM" || fail "exit $rc after SIGTERM"
wait_for 5 "^STOPPING=1" && ok "STOPPING=1 sent" || fail "no STOPPING=1"

[ "$failures" = 0 ] || { cat "$TMP/controller.log" >&2; exit 1; }
echo "all checks passed"
