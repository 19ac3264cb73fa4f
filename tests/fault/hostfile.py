"""hostfile.py: reading and editing the lab's host files the way an
administrator (or Hyper-V) changes a machine, for fault.py: under the lab's
edit lock (DIR/lab.lock, flock, as hvpolicy-lab takes it) and replaced
atomically (a temporary file renamed over the host file, host-file.md).
"""

import contextlib
import fcntl
import os
import time

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    # Host files may not hold anchors or aliases.
    def ignore_aliases(self, data):
        return True


def host_path(lab, node):
    return os.path.join(lab, "nodes", node, "host.yaml")


def read_host(lab, node):
    with open(host_path(lab, node), "rb") as f:
        return yaml.load(f, Loader=_Loader)


def read_hosts(lab, nodes):
    return {n: read_host(lab, n) for n in nodes}


def write_host(lab, node, host):
    path = host_path(lab, node)
    tmp = "%s.fault-%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.dump(host, f, Dumper=_Dumper, sort_keys=False,
                  default_flow_style=False, allow_unicode=True)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


@contextlib.contextmanager
def lab_lock(lab, timeout=60.0):
    """The lab's edit lock, waited for as hvpolicy-lab waits for it."""
    fd = os.open(os.path.join(lab, "lab.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError("lab lock held for %d s" % timeout)
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)


def find_guest(hosts, name):
    """(node, guest dict) for every host listing guest name (any case)."""
    out = []
    for node, host in hosts.items():
        for g in host.get("guests") or []:
            if g["name"].lower() == name.lower():
                out.append((node, g))
    return out
