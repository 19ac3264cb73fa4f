#!/bin/bash
# The daemons under valgrind for one whole run: a controller, a Hyper-V
# node and the DPM server start, a policy is applied, a drift is
# corrected, the store is backed up, HV01's metrics endpoint is scraped,
# the controller reloads a changed webhooks section (SIGHUP) while an
# endpoint is failing, and SIGTERM stops everything. Fails on any memory error or
# definite leak (valgrind's exit code) or a non-zero exit. Skipped in the
# sanitizer build, where ASan already watches the same code.
set -u
if [ "${HVP_SANITIZE:-0}" = 1 ]; then
	echo "skipped: sanitizer build (ASan covers it)"
	exit 0
fi
command -v valgrind >/dev/null || { echo "valgrind missing (scripts/install-deps)" >&2; exit 1; }
. "$(dirname "$0")/cluster.sh"

"$LABBIN" init "$LAB" --nodes 1 --csvs 2 --guests 3 --port "$(free_port)" >/dev/null ||
    { fail "lab init"; finish; }
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/hook.secret"
cp "$LAB/controller/controller.yaml" "$TMP/base.yaml"
cat >>"$LAB/controller/controller.yaml" <<YAML
webhooks:
  - name: dead
    url: http://127.0.0.1:$(free_port)/hook
    secretFile: $TMP/hook.secret
YAML
nport=$(free_port)
echo "metricsListen: tcp://127.0.0.1:$nport" >>"$LAB/nodes/HV01/node.yaml"
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite
    --error-exitcode=99 --track-fds=no)
"${VG[@]}" --log-file="$TMP/vg-controller.txt" "$HVP_BIN/controller/hvpolicy-controller" \
    --config "$LAB/controller/controller.yaml" 2>"$TMP/controller.log" &
cpid=$!
wait_until 60 test -S "$LAB/controller/control.sock" || fail "controller did not start"
pids=()
for n in HV01 DPM01; do
	"${VG[@]}" --log-file="$TMP/vg-$n.txt" "$HVP_BIN/node/hvpolicy-node" \
	    --config "$LAB/nodes/$n/node.yaml" 2>"$TMP/$n.log" &
	pids+=($!)
done
wait_until 90 all_online 2 && ok "nodes online under valgrind" || fail "nodes not online"
write_policy "$TMP/p.yaml" system-software enforce
hvp apply -f "$TMP/p.yaml" --wait --timeout 120 >/dev/null && ok "converged under valgrind" ||
    fail "not converged under valgrind"
"$LABBIN" delete-registry "$LAB" HV01 "$KEY_SSP" >/dev/null
wait_until 60 sh -c "'$LABBIN' show '$LAB' HV01 | grep -q UseSystemSoftwareProvider" &&
    ok "drift corrected under valgrind" || fail "drift not corrected"
hvp drift --format csv >/dev/null || fail "drift query"
COLUMNS=80 hvp drift >/dev/null || fail "drift table fitted"
hvp backup "$TMP/copy.db" >/dev/null && ok "backup under valgrind" || fail "backup"
prom_scrape "http://127.0.0.1:$nport/metrics" >/dev/null && ok "node metrics under valgrind" ||
    fail "node metrics scrape"
{ cat "$TMP/base.yaml"; printf 'webhooks:\n  - name: other\n    url: http://127.0.0.1:%s/x\n    secretFile: %s\n' \
    "$(free_port)" "$TMP/hook.secret"; } >"$LAB/controller/controller.yaml"
kill -HUP "$cpid"
wait_until 60 grep -q "webhooks 0 kept, 1 added, 0 changed, 1 removed" "$TMP/controller.log" &&
    ok "webhooks reloaded under valgrind" || fail "no reload under valgrind"

for p in "${pids[@]}" "$cpid"; do kill -TERM "$p"; done
for p in "${pids[@]}" "$cpid"; do
	wait "$p"; rc=$?
	[ "$rc" = 0 ] || fail "process $p exited $rc under valgrind"
done
for f in "$TMP"/vg-*.txt; do
	if [ -s "$f" ]; then fail "valgrind reported in $(basename "$f")"; cat "$f" >&2; fi
done
[ "$failures" = 0 ] && ok "valgrind-clean: controller, hyperv-node, dpm-server"
finish
