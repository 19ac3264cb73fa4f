"""cluster.py: the running lab as fault.py drives it: hvpolicy-lab
commands, the controller and node daemons (started, stopped with SIGTERM,
killed with SIGKILL), the hvpolicy CLI's JSON, and the small filesystem
under the controller's store that fault.py fills and empties.
"""

import json
import os
import socket
import subprocess
import sys
import time


class LabError(Exception):
    pass


def _alive(pid):
    """Whether pid runs (a zombie nobody reaped counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


class Cluster:
    def __init__(self, bindir, lab, verbose=False):
        self.bindir = bindir
        self.lab = lab
        self.verbose = verbose
        self.labbin = os.path.join(bindir, "lab", "hvpolicy-lab")
        self.cli = os.path.join(bindir, "cli", "hvpolicy")
        self.ctlbin = os.path.join(bindir, "controller", "hvpolicy-controller")
        self.env = dict(os.environ, HVPOLICY_BIN_DIR=bindir)
        self.children = []      # controllers started here (reaped here)
        self.mounted = None
        self.last_error = None
        self.log_offsets = {}

    # --- hvpolicy-lab --------------------------------------------------
    def labcmd(self, *args, check=True):
        cmd = [self.labbin, args[0], self.lab] + [str(a) for a in args[1:]]
        r = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=180)
        if self.verbose:
            print("    $ hvpolicy-lab %s -> %d %s" % (
                " ".join(str(a) for a in args), r.returncode,
                (r.stdout + r.stderr).strip().replace("\n", " | ")[:300]))
        if check and r.returncode != 0:
            raise LabError("hvpolicy-lab %s: exit %d: %s" % (
                " ".join(str(a) for a in args), r.returncode,
                r.stderr.strip()))
        return r

    # --- hvpolicy CLI --------------------------------------------------
    def hvp(self, *args, timeout=30):
        cmd = [self.cli, "--socket",
               os.path.join(self.lab, "controller", "control.sock")] + list(args)
        return subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)

    def hvp_json(self, *args):
        """Parsed JSON of a read verb, or None when the controller does not
        answer (the caller polls)."""
        self.last_error = None
        try:
            r = self.hvp(*args, "--format", "json")
        except subprocess.TimeoutExpired:
            self.last_error = "`hvpolicy %s` timed out" % " ".join(args)
            return None
        if r.returncode not in (0, 2):
            self.last_error = "`hvpolicy %s --format json` exit %d: %s" % (
                " ".join(args), r.returncode,
                (r.stderr.strip().splitlines() or [""])[0][:200])
            return None
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            self.last_error = "`hvpolicy %s --format json`: not JSON (%s)" % (
                " ".join(args), e)
            return None

    # --- processes -----------------------------------------------------
    def _pidfile(self, node=None):
        if node is None:
            return os.path.join(self.lab, "controller", "controller.pid")
        return os.path.join(self.lab, "nodes", node, "node.pid")

    def control_ready(self):
        """Whether a controller accepts connections on its control
        socket, which it binds only after its store opened."""
        path = os.path.join(self.lab, "controller", "control.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def pid(self, node=None):
        try:
            with open(self._pidfile(node)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _wait_gone(self, pid, seconds):
        deadline = time.monotonic() + seconds
        while _alive(pid):
            self._reap()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        self._reap()
        return True

    def _reap(self):
        for p in list(self.children):
            if p.poll() is not None:
                self.children.remove(p)

    def signal(self, node, sig):
        """SIGTERM or SIGKILL to the controller (node None) or a node's
        daemon; waits until it is gone. False when nothing ran."""
        pid = self.pid(node)
        if pid is None:
            return False
        os.kill(pid, sig)
        if not self._wait_gone(pid, 30):
            raise LabError("%s (pid %d) still runs 30 s after signal %d" % (
                node or "the controller", pid, sig))
        return True

    def start_controller(self):
        """Starts only the controller (`hvpolicy-lab up` would also start
        every stopped node), the way the lab does: own session, output
        appended to controller.log, pid in controller.pid."""
        if self.pid() is not None:
            return
        cfg = os.path.join(self.lab, "controller", "controller.yaml")
        log = open(os.path.join(self.lab, "controller", "controller.log"), "ab")
        p = subprocess.Popen([self.ctlbin, "--config", cfg], stdin=subprocess.DEVNULL,
                             stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.children.append(p)
        tmp = self._pidfile() + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % p.pid)
        os.rename(tmp, self._pidfile())

    def sanitizer_reports(self):
        """Lines of ASan/UBSan/LSan reports the daemons' logs gained since
        the last call (a sanitizer build's daemons write them there)."""
        out = []
        logs = [os.path.join(self.lab, "controller", "controller.log")]
        nodes = os.path.join(self.lab, "nodes")
        logs += [os.path.join(nodes, n, "node.log")
                 for n in sorted(os.listdir(nodes))]
        for path in logs:
            try:
                with open(path, "rb") as f:
                    f.seek(self.log_offsets.get(path, 0))
                    data = f.read()
            except OSError:
                continue
            self.log_offsets[path] = self.log_offsets.get(path, 0) + len(data)
            for line in data.decode("utf-8", "replace").splitlines():
                if "Sanitizer" in line or "runtime error:" in line:
                    out.append("%s: %s" % (os.path.relpath(path, self.lab),
                                           line.strip()[:200]))
        return out

    def last_log_line(self):
        try:
            with open(os.path.join(self.lab, "controller", "controller.log"),
                      errors="replace") as f:
                lines = f.read().strip().splitlines()
            return lines[-1] if lines else "(empty)"
        except OSError as e:
            return "(cannot read: %s)" % e

    # --- the store's filesystem ----------------------------------------
    def mount_store(self, size_mb):
        """A tmpfs of size_mb under the controller's data directory, with
        what it held copied in. Returns None, or why it cannot be done."""
        data = os.path.join(self.lab, "controller", "data")
        os.makedirs(data, exist_ok=True)
        if os.geteuid() != 0:
            return "not root"
        saved = data + ".before-mount"
        os.rename(data, saved)
        os.mkdir(data, 0o700)
        try:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                                "size=%dm,mode=0700" % size_mb, "fault-store",
                                data], capture_output=True, text=True)
            why = None if r.returncode == 0 else \
                (r.stderr.strip() or "mount failed")
        except OSError as e:
            why = "cannot run mount: %s" % e
        if why:
            os.rmdir(data)
            os.rename(saved, data)
            return why
        self.mounted = data
        for name in os.listdir(saved):
            with open(os.path.join(saved, name), "rb") as src, \
                    open(os.path.join(data, name), "wb") as dst:
                dst.write(src.read())
        subprocess.run(["rm", "-rf", saved])
        return None

    def fill_store(self):
        """Fills the store's filesystem to the last byte it will take."""
        fd = os.open(os.path.join(self.mounted, "filler"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        chunk = b"\0" * (1 << 20)
        try:
            while len(chunk) >= 512:
                try:
                    os.write(fd, chunk)
                except OSError:
                    chunk = chunk[:len(chunk) // 2]
        finally:
            os.close(fd)

    def empty_store(self):
        try:
            os.unlink(os.path.join(self.mounted, "filler"))
        except FileNotFoundError:
            pass

    def unmount_store(self, keep_copy=False):
        """Unmounts the store's tmpfs; keep_copy: what it held is copied to
        controller/data.at-exit first (for --keep)."""
        if self.mounted and keep_copy:
            subprocess.run(["cp", "-a", self.mounted,
                            self.mounted + ".at-exit"], capture_output=True)
        if self.mounted:
            subprocess.run(["umount", "-l", self.mounted], capture_output=True)
            self.mounted = None

    def tail_logs(self, lines=12):
        """The end of every daemon's log, for a failure report."""
        logs = [os.path.join(self.lab, "controller", "controller.log")]
        nodes = os.path.join(self.lab, "nodes")
        if os.path.isdir(nodes):
            logs += [os.path.join(nodes, n, "node.log")
                     for n in sorted(os.listdir(nodes))]
        for path in logs:
            try:
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                continue
            print("--- tail of %s" % path)
            sys.stdout.write("".join(tail))
        sys.stdout.flush()

    def down(self):
        self.labcmd("down", check=False)
        for p in list(self.children):
            if p.poll() is None:
                p.kill()
            p.wait()
        self.children = []
