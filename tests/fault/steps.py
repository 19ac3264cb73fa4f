"""steps.py: the random faults of fault.py: a model of the lab (who owns
which guest, which daemons run, which settings were broken and not yet
seen corrected), steps chosen from a seeded random generator and that
model only (so a seed always gives the same steps, whatever the timing),
and doing each step to the real lab.

Drift occurrences: a step that breaks a setting (a registry key or value,
a guest's Backup service) makes one occurrence for (node, resource). A
resource with an occurrence not yet confirmed by a passing check is not
broken again, and its guest is not moved or deleted, so each occurrence
must show as exactly one drift record. A break while the node's daemon is
stopped is one occurrence too, due once the daemon runs at a check.
"""

import os
import signal
import time

import hostfile
import oracle

# Relative weights of the steps.
WEIGHTS = {
    "migrate": 10, "migrate-both": 10, "move-storage": 10,
    "move-local": 2, "move-case": 2,
    "add-guest": 5, "remove-guest": 4,
    "break-ssp": 6, "break-maxpar": 3, "break-vss": 6,
    "stop-node": 3, "kill-node": 3, "start-node": 6,
    "kill-controller": 4, "stop-controller": 2, "start-controller": 4,
    "fill-disk": 3, "empty-disk": 1,
}
MAX_STOPPED = 2
MIN_GUESTS = 8
MAX_GUESTS = 32


class Failure(Exception):
    """The lab did not do what a step needs (a daemon that did not correct
    a setting in time, a lab command that failed)."""


class Model:
    def __init__(self, hosts):
        self.dpm = next(n for n, h in hosts.items()
                        if h.get("role") == "dpm-server")
        self.hv = sorted(n for n in hosts if n != self.dpm)
        self.nodes = self.hv + [self.dpm]
        self.csvs = sorted(hosts[self.hv[0]].get("csvs") or [])
        self.guests = {}
        for node in self.hv:
            for g in hosts[node].get("guests") or []:
                self.guests[g["name"]] = {"owner": node, "local": False}
        self.running = set(self.nodes)
        self.controller = True
        self.disk_full = False
        self.pending = {}       # occurrence key -> occurrence
        self.confirmed = {}     # occurrence key -> count seen reported
        self.pinned = set()     # guest names with a pending VSS break
        self.added = 0
        self.gone = set()       # guests removed or made unplanned this burst
        self.touched = set()    # nodes whose host files this burst edited
        self.arrived = {}       # node -> guests migrated to it this burst
        # Guests removed since the last check at which every Hyper-V
        # daemon ran: name -> {"node", "guest" (its host-file entry)},
        # filled by the Runner. While a Hyper-V daemon is stopped the
        # controller may still plan them (linger.h: the guest may have
        # moved there); at a check with every daemon running it may not.
        self.removed = {}

    def stopped(self):
        return [n for n in self.nodes if n not in self.running]

    def checked(self):
        """After a check: the occurrences on running nodes are done with
        (their guests may move again); returns them as (key, occurrence).
        Called whether or not the check ran (--print-steps), so the steps
        a seed gives never depend on what the checks found."""
        done = [(k, o) for k, o in sorted(self.pending.items())
                if o["node"] in self.running]
        for k, o in done:
            del self.pending[k]
            self.pinned.discard(o.get("guest"))
        self.gone = set()
        self.touched = set()
        self.arrived = {}
        if not any(n not in self.running for n in self.hv):
            self.removed = {}
        return done


def _choice(rng, seq):
    return seq[rng.randrange(len(seq))]


def choose(rng, m):
    """One step, from rng and the model; also updates the model."""
    kinds = sorted(WEIGHTS)
    total = sum(WEIGHTS[k] for k in kinds)
    for _ in range(100000):
        r = rng.randrange(total)
        for k in kinds:
            r -= WEIGHTS[k]
            if r < 0:
                break
        step = _make(rng, m, k)
        if step is not None:
            m.touched |= hosts_edited(step)
            return step
    raise Failure("no step the weights allow fits the lab now")


def _free_guests(m):
    return sorted(g for g in m.guests if g not in m.pinned)


def _make(rng, m, kind):
    free = _free_guests(m)
    if kind in ("migrate", "migrate-both"):
        if not free:
            return None
        g = _choice(rng, free)
        dst = _choice(rng, [n for n in m.hv if n != m.guests[g]["owner"]])
        step = {"op": kind, "guest": g, "from": m.guests[g]["owner"],
                "to": dst}
        if kind == "migrate-both":
            # Up to 4 s on both hosts: past two heartbeats of the lab.
            step["hold_ms"] = rng.choice([50, 300, 1000, 2500, 4000])
        m.guests[g]["owner"] = dst
        # A guest that went to a stopped daemon (or one stopped later in
        # the burst, maybe before it reported) is reported by no node.
        m.arrived.setdefault(dst, set()).add(g)
        if dst not in m.running:
            m.gone.add(g)
        return step
    if kind in ("move-storage", "move-local", "move-case"):
        if not free:
            return None
        g = _choice(rng, free)
        if kind == "move-local":
            m.guests[g]["local"] = True
            m.gone.add(g)
            return {"op": kind, "guest": g, "owner": m.guests[g]["owner"]}
        n = 2 if rng.random() < 0.3 and len(m.csvs) > 1 else 1
        vols = rng.sample(m.csvs, n)
        m.guests[g]["local"] = False
        step = {"op": kind, "guest": g, "owner": m.guests[g]["owner"],
                "csvs": vols}
        if kind == "move-case":
            step["spell"] = [rng.choice([v.upper(), v.lower()]) for v in vols]
        return step
    if kind == "add-guest":
        if len(m.guests) >= MAX_GUESTS:
            return None
        m.added += 1
        name = "FT%04d" % m.added
        node = _choice(rng, m.hv)
        n = 2 if rng.random() < 0.25 and len(m.csvs) > 1 else 1
        m.guests[name] = {"owner": node, "local": False}
        return {"op": kind, "guest": name, "node": node,
                "csvs": rng.sample(m.csvs, n)}
    if kind == "remove-guest":
        if len(m.guests) <= MIN_GUESTS or not free:
            return None
        g = _choice(rng, free)
        owner = m.guests.pop(g)["owner"]
        m.gone.add(g)
        return {"op": kind, "guest": g, "owner": owner}
    if kind == "break-ssp":
        nodes = [n for n in m.hv if ("ssp", n) not in m.pending]
        if not nodes:
            return None
        node = _choice(rng, nodes)
        m.pending[("ssp", node)] = {"node": node, "kind": "registry"}
        return {"op": kind, "node": node}
    if kind == "break-maxpar":
        if ("maxpar", m.dpm) in m.pending:
            return None
        m.pending[("maxpar", m.dpm)] = {"node": m.dpm, "kind": "registry"}
        return {"op": kind, "node": m.dpm,
                "how": rng.choice(["delete", "set 4", "set 0"])}
    if kind == "break-vss":
        if not free:
            return None
        g = _choice(rng, free)
        m.pinned.add(g)
        owner = m.guests[g]["owner"]
        m.pending[("vss", g)] = {"node": owner, "kind": "integration-service",
                                 "guest": g}
        return {"op": kind, "guest": g, "owner": owner}
    if kind in ("stop-node", "kill-node"):
        if len(m.stopped()) >= MAX_STOPPED:
            return None
        node = _choice(rng, sorted(m.running))
        m.running.discard(node)
        m.gone |= m.arrived.get(node, set())
        return {"op": kind, "node": node}
    if kind == "start-node":
        if not m.stopped():
            return None
        node = _choice(rng, m.stopped())
        m.running.add(node)
        return {"op": kind, "node": node}
    if kind in ("kill-controller", "stop-controller"):
        if not m.controller:
            return None
        m.controller = False
        return {"op": kind, "delay_ms": rng.choice([0, 0, 20, 100, 400])}
    if kind == "start-controller":
        if m.controller:
            return None
        m.controller = True
        return {"op": kind}
    if kind == "fill-disk":
        if m.disk_full:
            return None
        m.disk_full = True
        return {"op": kind}
    if kind == "empty-disk":
        if not m.disk_full:
            return None
        m.disk_full = False
        return {"op": kind}
    raise ValueError(kind)


def hosts_edited(step):
    """The nodes whose host files a step edits."""
    keys = {"migrate": ("from", "to"), "migrate-both": ("from", "to"),
            "add-guest": ("node",), "break-ssp": ("node",),
            "break-maxpar": ("node",)}.get(step["op"], ("owner",))
    return {step[k] for k in keys if k in step}


def end_of_burst(rng, m):
    """Steps that bring the lab back to where a check can run: the store's
    disk emptied, the controller running, stopped daemons started, except
    that sometimes one stays stopped (its guests must stay planned). Only
    a node whose host no step of the burst edited may stay stopped: the
    controller holds what the node last reported, which is then its host
    file; a host changed while (or just before) its daemon stopped is not
    known until the daemon runs again."""
    steps = []
    if m.disk_full:
        m.disk_full = False
        steps.append({"op": "empty-disk"})
    if not m.controller:
        m.controller = True
        steps.append({"op": "start-controller"})
    stopped = m.stopped()
    keep = None
    quiet = [n for n in stopped if n not in m.touched]
    if quiet and rng.random() < 0.3:
        keep = _choice(rng, quiet)
    for node in stopped:
        if node != keep:
            m.running.add(node)
            steps.append({"op": "start-node", "node": node})
    return steps


def describe(step):
    op = step["op"]
    if op in ("migrate", "migrate-both"):
        s = "%s %s %s -> %s" % (op, step["guest"], step["from"], step["to"])
        if op == "migrate-both":
            s += " (on both for %d ms)" % step["hold_ms"]
        return s
    if op in ("move-storage", "move-case"):
        return "%s %s (on %s) to %s" % (op, step["guest"], step["owner"],
                                        ",".join(step.get("spell") or
                                                 step["csvs"]))
    if op == "move-local":
        return "move-local %s (on %s) to D:\\ (no CSV)" % (step["guest"],
                                                           step["owner"])
    if op == "add-guest":
        return "add-guest %s on %s, CSVs %s" % (step["guest"], step["node"],
                                               ",".join(step["csvs"]))
    if op == "remove-guest":
        return "remove-guest %s (on %s)" % (step["guest"], step["owner"])
    if op == "break-ssp":
        return "break-ssp %s: delete UseSystemSoftwareProvider" % step["node"]
    if op == "break-maxpar":
        return "break-maxpar %s: %s MaxAllowedParallelBackups" % (
            step["node"], step["how"])
    if op == "break-vss":
        return "break-vss %s (on %s): Backup service off" % (step["guest"],
                                                             step["owner"])
    if op in ("stop-node", "kill-node", "start-node"):
        return "%s %s" % (op, step["node"])
    if op in ("kill-controller", "stop-controller"):
        return "%s (after %d ms)" % (op, step["delay_ms"])
    return op


# --- doing a step ---------------------------------------------------------

def _corrected(host, occ):
    """Whether host shows the occurrence's setting as the policy wants."""
    if occ["kind"] == "integration-service":
        for g in host.get("guests") or []:
            if g["name"].lower() == occ["guest"].lower():
                svc = {k.lower(): v for k, v in
                       (g.get("integrationServices") or {}).items()}
                return svc.get("vss") is True
        return True
    return not oracle.check_settings({occ["node"]: host}, {occ["node"]})


class Runner:
    """Does steps to the lab through cl (cluster.Cluster)."""

    def __init__(self, cl, model, scale):
        self.cl = cl
        self.m = model
        self.scale = scale
        self.started_on_full_disk = False

    def _settle(self, node):
        """Before editing a host whose daemon runs: wait until it has
        corrected what was broken there, so an edit never races the
        daemon's own rewrite (that would break a setting a second time)."""
        if node not in self.m.running:
            return
        occs = [o for o in self.m.pending.values() if o["node"] == node]
        if not occs:
            return
        limit = 60 * self.scale
        deadline = time.monotonic() + limit
        while True:
            host = hostfile.read_host(self.cl.lab, node)
            if all(_corrected(host, o) for o in occs):
                return
            if time.monotonic() > deadline:
                raise Failure("%s did not correct %s on its host within %d s"
                              " (its daemon runs)" % (
                                  node, ", ".join(o.get("guest") or o["kind"]
                                                  for o in occs), limit))
            time.sleep(0.05)

    def _edit(self, node, fn):
        with hostfile.lab_lock(self.cl.lab):
            host = hostfile.read_host(self.cl.lab, node)
            fn(host)
            hostfile.write_host(self.cl.lab, node, host)

    def run(self, step):
        op = step["op"]
        getattr(self, "_" + op.replace("-", "_"))(step)

    def _migrate(self, s):
        self._settle(s["from"])
        self._settle(s["to"])
        self.cl.labcmd("migrate", s["guest"], s["to"])

    def _migrate_both(self, s):
        self._settle(s["from"])
        self._settle(s["to"])
        src = hostfile.read_host(self.cl.lab, s["from"])
        copy = next(g for g in src["guests"]
                    if g["name"].lower() == s["guest"].lower())
        self._edit(s["to"], lambda h: h.__setitem__(
            "guests", (h.get("guests") or []) + [copy]))
        time.sleep(s["hold_ms"] / 1000.0)
        self._settle(s["from"])
        self._edit(s["from"], lambda h: h.__setitem__(
            "guests", [g for g in h.get("guests") or []
                       if g["name"].lower() != s["guest"].lower()]))

    def _move_storage(self, s):
        self._settle(s["owner"])
        self.cl.labcmd("move-storage", s["guest"], ",".join(s["csvs"]))

    def _set_paths(self, s, paths_of):
        self._settle(s["owner"])

        def fn(h):
            for g in h.get("guests") or []:
                if g["name"].lower() == s["guest"].lower():
                    g["paths"] = paths_of(g)
        self._edit(s["owner"], fn)

    def _move_local(self, s):
        self._set_paths(s, lambda g: [
            "D:\\Hyper-V\\%s\\%s" % (g["name"], os.path.basename(
                p.replace("\\", "/"))) for p in g.get("paths") or []])

    def _move_case(self, s):
        # As move-storage lays a guest out, with the volumes spelled in
        # another case: configuration and first disk on the first volume,
        # one more disk on each further one.
        def paths(g):
            files = [os.path.basename(p.replace("\\", "/"))
                     for p in g.get("paths") or []]
            files = (files + [g["name"] + ".vmcx", g["name"] + ".vhdx"])[
                :max(len(files), 2)]
            spell = s["spell"]
            out = ["c:\\clusterstorage\\%s\\%s\\%s" % (
                spell[0], g["name"], files[0])]
            for i, f in enumerate(files[1:]):
                out.append("C:\\CLUSTERSTORAGE\\%s\\%s\\%s" % (
                    spell[i] if i < len(spell) else spell[0], g["name"], f))
            for i in range(len(files) - 1, len(spell)):
                out.append("C:\\ClusterStorage\\%s\\%s\\disk%d.vhdx" % (
                    spell[i], g["name"], i + 1))
            return out
        self._set_paths(s, paths)

    def _add_guest(self, s):
        self._settle(s["node"])
        self.cl.labcmd("add-guest", s["node"], s["guest"], "--csv",
                       ",".join(s["csvs"]))

    def _remove_guest(self, s):
        self._settle(s["owner"])
        host = hostfile.read_host(self.cl.lab, s["owner"])
        for g in host.get("guests") or []:
            if g.get("name") == s["guest"]:
                self.m.removed[s["guest"]] = {"node": s["owner"], "guest": g}
        self.cl.labcmd("remove-guest", s["guest"])

    def _break_ssp(self, s):
        self._settle(s["node"])
        self.cl.labcmd("delete-registry", s["node"], oracle.KEY_SSP)

    def _break_maxpar(self, s):
        self._settle(s["node"])
        if s["how"] == "delete":
            self.cl.labcmd("delete-registry", s["node"], oracle.KEY_MAXPAR,
                           "--value", oracle.VALUE_MAXPAR)
        else:
            self.cl.labcmd("set-registry", s["node"], oracle.KEY_MAXPAR,
                           "--value", oracle.VALUE_MAXPAR, "--type",
                           "REG_DWORD", "--data", s["how"].split()[1])

    def _break_vss(self, s):
        self._settle(s["owner"])
        self.cl.labcmd("set-integration", s["guest"], "VSS", "off")

    def _stop_node(self, s):
        self.cl.labcmd("stop-node", s["node"])

    def _kill_node(self, s):
        self.cl.signal(s["node"], signal.SIGKILL)

    def _start_node(self, s):
        self.cl.labcmd("start-node", s["node"])

    def _kill_controller(self, s):
        time.sleep(s["delay_ms"] / 1000.0)
        self.cl.signal(None, signal.SIGKILL)

    def _stop_controller(self, s):
        time.sleep(s["delay_ms"] / 1000.0)
        self.cl.signal(None, signal.SIGTERM)

    def _start_controller(self, s):
        # A controller started on a full disk may refuse to open its store
        # and exit; the check then starts it again, as a supervisor would.
        self.started_on_full_disk = self.m.disk_full and \
            self.cl.mounted is not None
        self.cl.start_controller()

    # Chosen whether or not the store could be mounted, so that a seed gives
    # the same steps everywhere; without the mount they do nothing.
    def _fill_disk(self, s):
        if self.cl.mounted:
            # A controller still opening its store when the disk fills
            # started on a full disk too (it may exit; started again).
            if self.cl.pid() is not None and not self.cl.control_ready():
                self.started_on_full_disk = True
            self.cl.fill_store()

    def _empty_disk(self, s):
        if self.cl.mounted:
            self.cl.empty_store()
