#!/usr/bin/env python3
"""fault.py: the fault-injection test. Runs a lab (hvpolicy-lab: the real
controller and node daemons over CURVE on loopback) under a system-software
policy in enforce mode, does bursts of random faults chosen from a seed
(steps.py), and after each burst waits for the cluster to settle and holds
it to an oracle computed from the host files alone (oracle.py). On a
disagreement it prints the seed, the step and the steps to replay, and
exits 1. Run by ctest (fault.cluster, fixed seed, few steps) and by hand:

    python3 tests/fault/fault.py --bin build --seed 42 --steps 3000

Exit codes: 0 every check agreed; 1 a disagreement; 64 usage.
"""

import argparse
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster    # noqa: E402
import hostfile   # noqa: E402
import oracle     # noqa: E402
import steps      # noqa: E402

POLICY = """apiVersion: hvpolicy/v1
kind: ClusterPolicy
metadata: {name: fault-injection, description: held by tests/fault}
spec:
  cluster: LAB-CLUSTER
  mode: enforce
  strategy: system-software
  serialization: {perNode: 1, perCsv: true, dpmServer: DPM01}
  guests: {include: ["*"]}
  reconcile: {intervalSeconds: 5}
"""
STORE_MB = 24
RECORD_KINDS = ("registry", "integration-service")
_VSS_RE = re.compile(r"\(([0-9A-Fa-f-]{36})\)/VSS$", re.IGNORECASE)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DsgMonitor(threading.Thread):
    """Watches DataSourceGroups.xml during a burst: every version the DPM
    server's daemon writes, with the step it was seen after. The file must
    never be rewritten without a guest that some host file still lists."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.step = 0
        self.versions = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.last = self._read()

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def run(self):
        while not self.stop.wait(0.03):
            data = self._read()
            if data is not None and data != self.last:
                self.last = data
                with self.lock:
                    self.versions.append((self.step, data))

    def take(self):
        with self.lock:
            v, self.versions = self.versions, []
        return v


class FaultTest:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.done = []          # (step number, description)
        self.failures = []
        self.baseline = set()
        self.last_exp = None
        self.scale = args.scale
        self.t0 = time.monotonic()

    def log(self, msg):
        print(msg, flush=True)

    # --- set-up ----------------------------------------------------------
    def setup(self):
        a = self.a
        self.cl = cluster.Cluster(a.bin, a.lab, verbose=a.verbose)
        self.cl.labcmd("init", "--nodes", a.nodes, "--csvs", a.csvs,
                       "--guests", a.guests, "--seed", a.seed % 2147483647 + 1,
                       "--port", free_port())
        names = sorted(os.listdir(os.path.join(a.lab, "nodes")))
        self.m = steps.Model(hostfile.read_hosts(a.lab, names))
        if a.print_steps:
            return
        why = "--no-disk" if a.no_disk else self.cl.mount_store(STORE_MB)
        if why:
            self.log("fault: SKIP the store's disk filling and emptying "
                     "(fill-disk and empty-disk do nothing): cannot mount a "
                     "%d MiB tmpfs for the store: %s" % (STORE_MB, why))
        else:
            self.log("fault: store on a %d MiB tmpfs at %s" % (
                STORE_MB, self.cl.mounted))
        self.cl.labcmd("up")
        pol = os.path.join(a.lab, "fault-policy.yaml")
        with open(pol, "w") as f:
            f.write(POLICY)
        r = self.cl.hvp("apply", "-f", pol, "--wait", "--timeout",
                        str(int(120 * self.scale)), timeout=180 * self.scale)
        if r.returncode != 0:
            raise cluster.LabError("apply --wait: exit %d: %s%s" % (
                r.returncode, r.stdout, r.stderr))
        self._baseline()
        self.runner = steps.Runner(self.cl, self.m, self.scale)
        self.dsg = DsgMonitor(os.path.join(a.lab, "nodes", self.m.dpm,
                                           "DataSourceGroups.xml"))
        self.dsg.start()

    def _baseline(self):
        """The records of the first apply are not faults: wait for the
        one each host gets, then remember them all."""
        want = {(n, oracle.KEY_SSP.lower()) for n in self.m.hv}
        want.add((self.m.dpm, ("%s[%s]" % (oracle.KEY_MAXPAR,
                                           oracle.VALUE_MAXPAR)).lower()))
        deadline = time.monotonic() + 60 * self.scale
        while True:
            recs = self.cl.hvp_json("drift") or []
            have = {(r["node"], r["resource"].lower()) for r in recs}
            if want <= have or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.baseline = {r["id"] for r in recs}

    # --- the drift report ----------------------------------------------
    def _rkey(self, occ_key, occ):
        if occ_key[0] == "ssp":
            return (occ["node"], "registry", oracle.KEY_SSP.lower())
        if occ_key[0] == "maxpar":
            return (occ["node"], "registry", ("%s[%s]" % (
                oracle.KEY_MAXPAR, oracle.VALUE_MAXPAR)).lower())
        return (occ["node"], "vss", occ.get("gid"))

    def _record_key(self, r):
        if r["kind"] == "registry":
            return (r["node"], "registry", r["resource"].lower())
        m = _VSS_RE.search(r["resource"])
        return (r["node"], "vss", m.group(1).lower() if m else r["resource"])

    def check_drift(self, records):
        diffs = []
        mine = {}
        for r in records:
            if r["id"] in self.baseline:
                continue
            if r["kind"] in RECORD_KINDS:
                mine.setdefault(self._record_key(r), []).append(r)
            if r.get("status") == "open" and r["node"] in self.m.running:
                diffs.append("drift: open %s record %s (%s on %s) after the "
                             "cluster settled" % (r["kind"], r["id"],
                                                  r["resource"], r["node"]))
        pend = {self._rkey(k, o): o for k, o in self.m.pending.items()}
        for key in sorted(set(mine) | set(self.m.confirmed) | set(pend),
                          key=str):
            got = mine.get(key, [])
            lo = hi = self.m.confirmed.get(key, 0)
            occ = pend.get(key)
            if occ is not None:
                hi += 1
                if occ["node"] in self.m.running:
                    lo += 1
            what = "%s %s on %s" % (key[1], key[2], key[0])
            if len(got) < lo:
                diffs.append("drift: LOST: %d occurrence(s) of %s injected, "
                             "%d record(s)" % (lo, what, len(got)))
            elif len(got) > hi:
                diffs.append("drift: DUPLICATED or spurious: %d record(s) of "
                             "%s for %d occurrence(s): %s" % (
                                 len(got), what, hi, ", ".join(
                                     "%s %s detected %s" % (
                                         r["id"], r["status"], r["detectedAt"])
                                     for r in got)))
            for r in got:
                if r["status"] not in ("corrected",) and \
                        r["node"] in self.m.running:
                    diffs.append("drift: record %s of %s is %s (enforce mode "
                                 "corrects)" % (r["id"], what, r["status"]))
        self._drift_counts = {k: len(v) for k, v in mine.items()}
        return diffs

    # --- a check ---------------------------------------------------------
    def _lingering(self, exp, ser):
        """The removed guests the controller still plans, when that is
        allowed: while a Hyper-V daemon is stopped (the guest may have
        moved to that host; controller.md). The oracle is then computed
        with them, so the rest of the plan is still held exactly."""
        if all(n in self.m.running for n in self.m.hv):
            return []
        planned = {oracle.norm_id(x["id"]) for g in ser.get("groups") or []
                   for x in g.get("guests") or []}
        return [x for _, x in sorted(self.m.removed.items())
                if oracle.norm_id(str(x["guest"]["id"])) in planned - set(
                    exp.guests)]

    def evaluate(self):
        m = self.m
        self._drift_counts = None
        hosts = hostfile.read_hosts(self.a.lab, m.nodes)
        exp = oracle.Expected(hosts)
        diffs = []
        answers = []
        for verb in ("serialization", "status", "drift"):
            answers.append(self.cl.hvp_json(verb))
            if answers[-1] is None:
                return exp, ["controller: %s" % self.cl.last_error]
        ser, st, recs = answers
        lingering = self._lingering(exp, ser)
        if lingering:
            exp = oracle.Expected(hosts, lingering)
        diffs += oracle.check_serialization(exp, ser)
        if m.dpm in m.running:
            try:
                with open(os.path.join(self.a.lab, "nodes", m.dpm,
                                       "DataSourceGroups.xml"), "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                data = None
            diffs += oracle.check_dsgroups(exp, data)
        diffs += oracle.check_settings(hosts, m.running)
        diffs += oracle.check_status(st, ser, m.nodes, m.running, m.dpm,
                                     recs)
        diffs += self.check_drift(recs)
        out = []
        for d in diffs:
            if d not in out and not any(d.startswith(s) for s in
                                        self.a.ignore):
                out.append(d)
        return exp, out

    def check_monitor(self, exp):
        """Every version of the DPM file seen during the burst held every
        guest planned before it that no step removed or took off CSVs."""
        diffs = []
        prev = self.last_exp
        if prev is None:
            return diffs
        gone_ids = set()
        for name in self.m.gone:
            gone_ids |= {i for i, e in prev.guests.items()
                         if e["name"].lower() == name.lower()}
        need = prev.planned - gone_ids - prev.lingering
        for step, data in self.dsg.take():
            try:
                groups = oracle.parse_dsgroups(data)
            except Exception as e:  # noqa: BLE001 (any parse error)
                diffs.append("DataSourceGroups.xml after step %d: unreadable:"
                             " %s" % (step, e))
                continue
            have = {gid for members in groups.values() for gid, _ in members}
            missing = need - have
            if missing and not any(
                    d.startswith("DataSourceGroups.xml rewritten")
                    for d in diffs):
                diffs.append("DataSourceGroups.xml rewritten after step %d "
                             "without %d guest(s) the host files still list: "
                             "%s" % (step, len(missing), ", ".join(
                                 sorted(prev.guests[g]["name"]
                                        for g in missing))))
        return diffs

    def _controller_gone(self):
        """The controller must run at a check (the burst ended with it
        started). One that exited at start because its disk was full is
        started again, as systemd's Restart= would; any other exit is a
        disagreement (and it is started again to go on)."""
        if self.cl.pid() is not None:
            return []
        last = self.cl.last_log_line()
        self.cl.start_controller()
        if self.runner.started_on_full_disk:
            self.runner.started_on_full_disk = False
            self.log("    (the controller had exited after a start on a "
                     "full disk: %s; started again)" % last)
            return []
        return ["controller: not running at the end of the burst; its log "
                "ends: %s" % last]

    def check(self, burst_len):
        limit = (60 + 5 * burst_len) * self.scale
        gone = [] if self.a.print_steps else self._controller_gone()
        t0 = time.monotonic()
        while True:
            exp, diffs = self.evaluate()
            if not diffs or time.monotonic() - t0 > limit:
                break
            time.sleep(0.3)
        took = time.monotonic() - t0
        gone += ["sanitizer: " + line
                 for line in self.cl.sanitizer_reports()[:10]]
        diffs = gone + [d for d in self.check_monitor(exp)
                        if not any(d.startswith(s) for s in self.a.ignore)] \
            + diffs
        done = self.m.checked()
        if diffs:
            self.failures.append((len(self.done), diffs))
            self.report(diffs, took)
            if not self.a.keep_going:
                return False
            # Carry on from what the controller says now (when it said).
            if self._drift_counts is not None:
                self.m.confirmed = dict(self._drift_counts)
                done = []
        else:
            self.log("check after step %d: agreed at %.0f s (%.1f s to "
                     "settle; %d groups, %d planned, %d unplanned, %d "
                     "stopped)" % (
                         len(self.done), time.monotonic() - self.t0, took,
                         len(exp.groups),
                         len(exp.planned), len(exp.unplanned),
                         len(self.m.stopped())))
        for k, occ in done:
            rk = self._rkey(k, occ)
            self.m.confirmed[rk] = self.m.confirmed.get(rk, 0) + 1
        self.last_exp = exp
        return True

    def report(self, diffs, took):
        n = len(self.done)
        a = self.a
        self.log("")
        self.log("FAULT: disagreement after step %d (seed %d), %.0f s after "
                 "the burst ended, %.0f s into the run:" % (
                     n, a.seed, took, time.monotonic() - self.t0))
        for d in diffs:
            self.log("  - " + d)
        self.log("steps to replay (seed %d):" % a.seed)
        for num, desc in self.done:
            self.log("  %4d %s" % (num, desc))
        extra = ""
        for opt, default in (("burst", 8), ("nodes", 4), ("csvs", 4),
                             ("guests", 20)):
            if getattr(a, opt) != default:
                extra += " --%s %d" % (opt, getattr(a, opt))
        for w in a.weight:
            extra += " --weight " + w
        self.log("replay: python3 %s --bin %s --seed %d --steps %d%s" % (
            os.path.relpath(os.path.abspath(__file__)), a.bin, a.seed,
            self._replay_steps, extra))
        self.log("")

    # --- the run ---------------------------------------------------------
    def do(self, step):
        desc = steps.describe(step)
        self.done.append((len(self.done) + 1, desc))
        self.log("step %d: %s" % (len(self.done), desc))
        if self.a.print_steps:
            return
        self.dsg.step = len(self.done)
        self.runner.run(step)
        if step["op"] == "break-vss":
            host = hostfile.read_host(self.a.lab, step["owner"])
            g = next(g for g in host["guests"]
                     if g["name"].lower() == step["guest"].lower())
            self.m.pending[("vss", step["guest"])]["gid"] = \
                oracle.norm_id(str(g["id"]))

    def run(self):
        a = self.a
        if not a.print_steps:
            self.last_exp = None
            if not self.check(0):
                return 1
        taken = 0
        while taken < a.steps:
            n = min(self.rng.randint(1, a.burst), a.steps - taken)
            for _ in range(n):
                self._replay_steps += 1
                self.do(steps.choose(self.rng, self.m))
            taken += n
            for s in steps.end_of_burst(self.rng, self.m):
                self.do(s)
            if a.print_steps:
                self.m.checked()
            elif not self.check(n):
                return 1
        if self.failures:
            self.log("fault: %d check(s) disagreed (seed %d): after steps %s"
                     % (len(self.failures), a.seed,
                        ", ".join(str(f[0]) for f in self.failures)))
            return 1
        if a.print_steps:
            self.log("fault: seed %d gives these %d steps (%d with the "
                     "restarts at the ends of bursts)" % (a.seed, a.steps,
                                                         len(self.done)))
            return 0
        self.log("fault: seed %d, %d steps (%d with restarts), every check "
                 "agreed, %.0f s" % (a.seed, a.steps, len(self.done),
                                     time.monotonic() - self.t0))
        return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: error: %s\n" % (self.prog, message))
        sys.exit(64)


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = _Parser(description="Fault-injection test of hvpolicy against a lab.")
    p.add_argument("--bin", default=os.environ.get(
        "HVP_BIN", os.path.join(here, "..", "..", "build")),
        help="build directory (default $HVP_BIN or ./build)")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed (default: a new one, printed)")
    p.add_argument("--steps", type=int, default=300,
                   help="random steps to do (default 300)")
    p.add_argument("--burst", type=int, default=8,
                   help="at most this many steps between checks (default 8)")
    p.add_argument("--nodes", type=int, default=4)
    p.add_argument("--csvs", type=int, default=4)
    p.add_argument("--guests", type=int, default=20)
    p.add_argument("--lab", help="lab directory to create (default: a new "
                   "temporary one)")
    p.add_argument("--keep", action="store_true",
                   help="leave the lab directory (logs) behind")
    p.add_argument("--keep-going", action="store_true",
                   help="report every disagreement and carry on")
    p.add_argument("--ignore", action="append", default=[], metavar="PREFIX",
                   help="drop differences starting with PREFIX (to look "
                   "past a known one; repeatable)")
    p.add_argument("--no-disk", action="store_true",
                   help="do not mount a filesystem for the store")
    p.add_argument("--scale", type=float, default=float(os.environ.get(
        "HVP_FAULT_SCALE", "0") or 0),
        help="multiply every wait bound (default 1, 3 with HVP_SANITIZE)")
    p.add_argument("--weight", action="append", default=[],
                   metavar="STEP=N", help="how often STEP is chosen "
                   "(default weights in steps.py; 0 never; repeatable)")
    p.add_argument("--print-steps", action="store_true",
                   help="only print the steps the seed gives")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 1 << 31)
    if a.scale <= 0:
        a.scale = 3.0 if os.environ.get("HVP_SANITIZE") in ("1", "ON") else 1.0
    a.bin = os.path.abspath(a.bin)
    for w in a.weight:
        op, _, n = w.partition("=")
        if op not in steps.WEIGHTS or not n.isdigit():
            p.error("--weight %s: expected STEP=N, STEP one of %s" % (
                w, ", ".join(sorted(steps.WEIGHTS))))
        steps.WEIGHTS[op] = int(n)
    if not any(steps.WEIGHTS[k] for k in steps.WEIGHTS
               if not k.startswith(("start-", "empty-"))):
        p.error("--weight: every step that changes something has weight 0")
    return a


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def main(argv):
    a = parse_args(argv)
    # ctest's timeout and ^C: still stop the lab and unmount the store.
    signal.signal(signal.SIGTERM, _terminated)
    tmp = None
    if a.lab is None:
        tmp = tempfile.mkdtemp(prefix="hvp-fault.")
        a.lab = os.path.join(tmp, "lab")
    a.lab = os.path.abspath(a.lab)
    print("fault: seed %d, %d steps, lab %s" % (a.seed, a.steps, a.lab),
          flush=True)
    t = FaultTest(a)
    t._replay_steps = 0
    rc = 1
    try:
        t.setup()
        rc = t.run()
    except (cluster.LabError, steps.Failure) as e:
        t.report(["step failed: %s" % e], 0)
    except Exception:  # noqa: BLE001 (a crash of the test is a failure too)
        traceback.print_exc()
        t.report(["the test itself failed (traceback above)"], 0)
    finally:
        if getattr(t, "dsg", None):
            t.dsg.stop.set()
        if getattr(t, "cl", None):
            if rc != 0:
                t.cl.tail_logs()
            t.cl.down()
            t.cl.unmount_store(keep_copy=a.keep)
        if tmp and not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif a.keep:
            print("fault: lab kept in %s" % a.lab)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
