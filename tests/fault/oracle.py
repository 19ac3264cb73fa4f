"""oracle.py: what the cluster must look like, computed from the host files
alone, and the comparisons of that with what the running system says.
Called by fault.py after every burst of faults.

Written from product.md's rules, deliberately without the project's code:
- a guest lies on the CSVs its paths name (C:\\ClusterStorage\\<Volume>\\...,
  compared ignoring case, either slash);
- groups are the connected components of the guest-CSV graph (a union-find
  over the volumes here); a guest with no CSV path is unplanned;
- every host file counts, also the file of a node whose daemon is stopped;
- a group is named "CSV-" and its CSV names in byte order joined with "+"
  (planner.h's documented rule; no name here is long enough to be cut);
  a volume is spelled the smallest (byte order) way any path spells it.
"""

import re
import xml.etree.ElementTree as ET

KEY_SSP = ("HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager"
           "\\Agent\\UseSystemSoftwareProvider")
KEY_MAXPAR = ("HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager"
              "\\2.0\\Configuration\\MaxAllowedParallelBackups")
VALUE_MAXPAR = "Microsoft Hyper-V"

_CSV_RE = re.compile(r"^[A-Za-z]:[\\/]+ClusterStorage[\\/]+([^\\/]+)[\\/]",
                     re.IGNORECASE)


def csv_of_path(path):
    """The volume a path lies on, as spelled in the path, or None."""
    m = _CSV_RE.match(path)
    return m.group(1) if m else None


def norm_id(guid):
    return guid.strip().strip("{}").lower()


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class Expected:
    """The oracle: planned groups and unplanned guests from host files.

    hosts: node name -> parsed host file (dict). Guests reported by two
    hosts (a live migration in flight) are one guest, planned once.

    lingering: removed guests the controller still plans (allowed while a
    Hyper-V daemon is stopped: the guest may have moved there, see
    controller.md), each {"node", "guest" (its host-file entry before the
    removal)}: planned as if that node still listed them."""

    def __init__(self, hosts, lingering=()):
        self.guests = {}        # id -> {"name", "nodes": set, "vols": set}
        spellings = {}          # folded volume -> spellings seen
        entries = [(node, g) for node, host in sorted(hosts.items())
                   for g in host.get("guests") or []]
        entries += [(x["node"], x["guest"]) for x in lingering]
        self.lingering = {norm_id(str(x["guest"]["id"])) for x in lingering}
        for node, g in entries:
            gid = norm_id(str(g["id"]))
            e = self.guests.setdefault(
                gid, {"name": g["name"], "nodes": set(), "vols": set()})
            e["nodes"].add(node)
            e["name"] = min(e["name"], g["name"])
            for p in g.get("paths") or []:
                v = csv_of_path(str(p))
                if v is not None:
                    e["vols"].add(v.lower())
                    spellings.setdefault(v.lower(), set()).add(v)
        uf = UnionFind()
        for e in self.guests.values():
            vols = sorted(e["vols"])
            for v in vols:
                uf.find(v)
            for v in vols[1:]:
                uf.union(vols[0], v)
        comps = {}
        for gid, e in self.guests.items():
            if e["vols"]:
                root = uf.find(next(iter(e["vols"])))
                c = comps.setdefault(root, {"vols": set(), "ids": set()})
                c["vols"] |= e["vols"]
                c["ids"].add(gid)
        self.groups = {}        # frozenset(ids) -> {"name", "vols"}
        for c in comps.values():
            spelled = sorted(min(spellings[v]) for v in c["vols"])
            self.groups[frozenset(c["ids"])] = {
                "name": "CSV-" + "+".join(spelled),
                "vols": frozenset(c["vols"]),
            }
        self.unplanned = {gid for gid, e in self.guests.items()
                          if not e["vols"]}
        self.planned = {gid for gid, e in self.guests.items() if e["vols"]}

    def label(self, gid):
        e = self.guests.get(gid)
        if e is None:
            return gid
        return "%s (%s on %s)" % (e["name"], gid, ",".join(sorted(e["nodes"])))


def _compare_partition(exp, got, what):
    """got: group name -> {"ids": list, "vols": set or None}. Returns a
    list of differences (strings)."""
    diffs = []
    seen = {}
    for name, g in got.items():
        for gid in g["ids"]:
            seen.setdefault(gid, []).append(name)
    for gid, names in sorted(seen.items()):
        if len(names) > 1:
            diffs.append("%s: guest %s in %d groups (%s)" % (
                what, exp.label(gid), len(names), ", ".join(sorted(names))))
    for gid in sorted(exp.planned - set(seen)):
        diffs.append("%s: guest %s missing (expected in %s)" % (
            what, exp.label(gid), _group_of(exp, gid)))
    for gid in sorted(set(seen) - exp.planned):
        why = "unplanned: no CSV path" if gid in exp.unplanned else \
            "no host file lists it"
        diffs.append("%s: guest %s planned in %s but %s" % (
            what, exp.label(gid), seen[gid][0], why))
    got_sets = {frozenset(g["ids"]) & exp.planned: name
                for name, g in got.items()}
    for ids, grp in exp.groups.items():
        name = got_sets.get(ids)
        if name is None:
            continue
        if name != grp["name"]:
            diffs.append("%s: group of %s named %r, expected %r" % (
                what, exp.label(sorted(ids)[0]), name, grp["name"]))
        vols = got[name]["vols"]
        if vols is not None and vols != grp["vols"]:
            diffs.append("%s: group %s has CSVs %s, expected %s" % (
                what, name, sorted(vols), sorted(grp["vols"])))
    if not diffs and set(got_sets) != set(exp.groups):
        diffs.append("%s: groups %s, expected %s" % (
            what, sorted(got), [g["name"] for g in exp.groups.values()]))
    # Same members but split or joined differently.
    if not any(d.startswith(what + ": guest") for d in diffs):
        for ids, grp in exp.groups.items():
            if ids not in got_sets:
                diffs.append("%s: expected group %s {%s}, not found" % (
                    what, grp["name"], " ".join(sorted(
                        exp.guests[i]["name"] for i in ids))))
    return diffs


def _group_of(exp, gid):
    for ids, grp in exp.groups.items():
        if gid in ids:
            return grp["name"]
    return "?"


def check_serialization(exp, ser):
    """ser: `hvpolicy serialization --format json`."""
    got = {}
    diffs = []
    for g in ser.get("groups") or []:
        got[g["name"]] = {
            "ids": [norm_id(x["id"]) for x in g.get("guests") or []],
            "vols": frozenset(v.lower() for v in g.get("csvs") or []),
        }
        for x in g.get("guests") or []:
            e = exp.guests.get(norm_id(x["id"]))
            if e and len(e["nodes"]) == 1 and x.get("node") not in e["nodes"]:
                diffs.append("serialization: guest %s shown on node %s" % (
                    exp.label(norm_id(x["id"])), x.get("node")))
    diffs += _compare_partition(exp, got, "serialization")
    unpl = {norm_id(u["id"]) for u in ser.get("unplanned") or [] if u.get("id")}
    for gid in sorted(exp.unplanned - unpl):
        diffs.append("serialization: guest %s has no CSV path but is not "
                     "listed unplanned" % exp.label(gid))
    return diffs


def parse_dsgroups(data):
    """DataSourceGroups.xml bytes -> group name -> list of (id, name).
    Raises ValueError with a reason."""
    if not data.startswith(b"\xff\xfe"):
        raise ValueError("no UTF-16LE byte-order mark")
    text = data[2:].decode("utf-16-le")
    # ElementTree refuses a str that declares an encoding.
    text = re.sub(r"^<\?xml[^>]*\?>", "", text.lstrip())
    root = ET.fromstring(text)
    if root.tag.split("}")[-1] != "DatasourceGroup":
        raise ValueError("root element %s" % root.tag)
    groups = {}
    for el in root:
        if el.tag.split("}")[-1] != "Group":
            raise ValueError("unexpected element %s" % el.tag)
        groups.setdefault(el.get("GroupName"), []).append(
            (norm_id(el.get("ComponentName") or ""), el.get("DataSourceName")))
    return groups


def check_dsgroups(exp, data):
    if data is None:
        return ["DataSourceGroups.xml: absent on the DPM server"]
    try:
        groups = parse_dsgroups(data)
    except (ValueError, ET.ParseError, UnicodeDecodeError) as e:
        return ["DataSourceGroups.xml: unreadable: %s" % e]
    diffs = []
    got = {}
    for name, members in groups.items():
        got[name] = {"ids": [m[0] for m in members], "vols": None}
        for gid, dsname in members:
            e = exp.guests.get(gid)
            if e and dsname != e["name"]:
                diffs.append("DataSourceGroups.xml: guest %s named %r" % (
                    exp.label(gid), dsname))
    return diffs + _compare_partition(exp, got, "DataSourceGroups.xml")


def _registry_get(host, key):
    for k, v in (host.get("registry") or {}).items():
        if k.lower() == key.lower():
            return v if v is not None else {}
    return None


def check_settings(hosts, running, per_node=1):
    """Every running host holds what system-software demands."""
    diffs = []
    for node, host in sorted(hosts.items()):
        if node not in running:
            continue
        if host.get("role") == "dpm-server":
            vals = _registry_get(host, KEY_MAXPAR)
            val = None
            for name, v in (vals or {}).items():
                if name.lower() == VALUE_MAXPAR.lower():
                    val = v
            if not val or str(val.get("type")).upper() != "REG_DWORD" or \
                    int(val.get("data")) != per_node:
                diffs.append("settings: %s: %s[%s] is %r, expected REG_DWORD "
                             "%d" % (node, KEY_MAXPAR, VALUE_MAXPAR, val,
                                     per_node))
            continue
        if _registry_get(host, KEY_SSP) is None:
            diffs.append("settings: %s: key %s missing" % (node, KEY_SSP))
        for g in host.get("guests") or []:
            svc = {k.lower(): v for k, v in
                   (g.get("integrationServices") or {}).items()}
            if svc.get("vss") is not True:
                diffs.append("settings: %s: guest %s has VSS %r, expected on"
                             % (node, g["name"], svc.get("vss")))
    return diffs


def check_status(st, ser, nodes, running, dpm, records):
    """`status --format json` against which daemons run, and its open
    drift counts against the drift report (records)."""
    diffs = []
    byname = {n["name"]: n for n in st.get("nodes") or []}
    for node in nodes:
        n = byname.get(node)
        if n is None:
            diffs.append("status: node %s not listed" % node)
            continue
        nopen = sum(1 for r in records
                    if r["node"] == node and r.get("status") == "open")
        if n.get("openDrift") != nopen:
            diffs.append("status: %s shows %r open drift, the drift report "
                         "%d open record(s)" % (node, n.get("openDrift"),
                                                nopen))
        if node in running:
            if not n.get("online"):
                diffs.append("status: %s runs but is not online" % node)
            if not n.get("converged"):
                diffs.append("status: %s is not converged" % node)
            if "compliant" not in n:
                diffs.append("status: no \"compliant\" field (product.md)")
            elif n["compliant"] is not True:
                diffs.append("status: %s is not compliant" % node)
        else:
            if n.get("online"):
                diffs.append("status: %s is stopped but shown online" % node)
            if n.get("converged"):
                diffs.append("status: %s is stopped (offline) but shown "
                             "converged" % node)
    plan = st.get("plan") or {}
    if dpm in running and plan.get("heldByDpmServer") is not True:
        diffs.append("status: plan not held by the DPM server")
    if ser is not None and plan.get("hash") != ser.get("hash"):
        diffs.append("status: plan hash %s, serialization says %s" % (
            plan.get("hash"), ser.get("hash")))
    return diffs
