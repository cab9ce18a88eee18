"""A throw-away single-node Slurm cluster on this machine, for the Slurm tests.

It runs Debian's slurm-wlm with a private munged: no systemd, no cgroups
(proctrack/linuxproc, task/none), every file (configuration, state, spool,
logs, sockets) in one directory, the daemons on loopback ports picked at
random, and the node's CPUs declared higher than the machine has
(SlurmdParameters=config_overrides) so that a 3-rank sweep fits on 2 cores.
Clients find it through SLURM_CONF (see `SlurmCluster.env`).

By hand (a developer's shell):

    python3 tests/slurm_cluster.py start /tmp/slurm   # prints the export line
    SLURM_CONF=/tmp/slurm/slurm.conf sbatch ...
    python3 tests/slurm_cluster.py stop /tmp/slurm

The template is slurm/test-cluster.conf.in; ensure_installed() installs
slurm-wlm and munge with apt-get when they are missing and we are root.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "slurm", "test-cluster.conf.in")
PACKAGES = ["slurm-wlm", "munge"]
PROGRAMS = ["slurmctld", "slurmd", "munged", "sbatch", "srun", "scontrol", "squeue", "sinfo", "scancel"]


class SlurmUnavailable(Exception):
    """Slurm cannot be started here; the message says why."""


def _missing_programs():
    return [p for p in PROGRAMS if not shutil.which(p)]


def ensure_installed(log=None):
    """Install slurm-wlm and munge when missing (as root, with apt-get).
    Raises SlurmUnavailable with the reason when they are missing and cannot be
    installed."""
    missing = _missing_programs()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable(f"Slurm is not installed (missing {', '.join(missing)}) and we are not "
                               f"root to install it: apt-get install {' '.join(PACKAGES)}")
    if not shutil.which("apt-get"):
        raise SlurmUnavailable(f"Slurm is not installed (missing {', '.join(missing)}) and there is no apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + PACKAGES):
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if log:
            log.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise SlurmUnavailable(f"`{' '.join(cmd)}` failed ({p.returncode}): "
                                   f"{(p.stderr or p.stdout).strip().splitlines()[-1:]}")
    missing = _missing_programs()
    if missing:
        raise SlurmUnavailable(f"installed {' '.join(PACKAGES)} but still missing {', '.join(missing)}")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb():
    """The node's memory for slurm.conf: 90% of what the machine has."""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                return max(1024, int(line.split()[1]) * 9 // 10 // 1024)
    except OSError:
        pass
    return 4096


class SlurmCluster:
    NODE = "aifnode"
    PARTITION = "aif"

    def __init__(self, base, cpus=4):
        self.base = os.path.abspath(str(base))
        self.cpus = cpus
        self.conf = os.path.join(self.base, "slurm.conf")
        self.procs = {}
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        # The test's own Slurm variables (if pytest itself runs inside a job)
        # must not leak into the jobs it submits.
        for k in list(self.env):
            if k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_")) and k != "SLURM_CONF":
                del self.env[k]

    # -- files -------------------------------------------------------------
    def _path(self, *p):
        return os.path.join(self.base, *p)

    def write_config(self):
        for d in ("state", "spool", "log", "munge", "run"):
            os.makedirs(self._path(d), mode=0o700, exist_ok=True)
        os.chmod(self.base, 0o755)
        key = self._path("munge", "munge.key")
        if not os.path.exists(key):
            with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(os.urandom(1024))
        host = socket.gethostname().split(".")[0]
        values = {
            "CLUSTER": "aiftest", "HOST": host, "NODE": self.NODE, "PARTITION": self.PARTITION,
            "CTLD_PORT": str(_free_port()), "SLURMD_PORT": str(_free_port()),
            "CPUS": str(self.cpus), "BASE": self.base, "MEM_MB": str(_mem_mb()),
            "MUNGE_SOCKET": self._path("munge", "munge.socket"),
        }
        text = open(TEMPLATE).read()
        for k, v in values.items():
            text = text.replace("@" + k + "@", v)
        with open(self.conf, "w") as f:
            f.write(text)
        # An empty cgroup.conf / plugstack.conf beside slurm.conf keep the
        # daemons away from the system's (cgroups are not used here).
        open(self._path("cgroup.conf"), "w").close()
        open(self._path("plugstack.conf"), "w").close()

    # -- processes ---------------------------------------------------------
    def _spawn(self, name, cmd):
        out = open(self._path("log", name + ".out"), "w")
        self.procs[name] = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True)
        out.close()

    def log_tail(self, name, n=15):
        lines = []
        for fn in (self._path("log", name + ".log"), self._path("log", name + ".out")):
            try:
                lines += open(fn, errors="replace").read().splitlines()[-n:]
            except OSError:
                pass
        return "\n".join(lines[-n:])

    def start(self, timeout=90):
        """Start munged, slurmctld and slurmd; return once the node is idle.
        Raises SlurmUnavailable (with the daemons' last log lines) otherwise."""
        self.write_config()
        m = self._path("munge")
        self._spawn("munged", ["munged", "--foreground", "--force", f"--socket={m}/munge.socket",
                               f"--key-file={m}/munge.key", f"--log-file={self._path('log', 'munged.log')}",
                               f"--pid-file={m}/munged.pid", f"--seed-file={m}/munged.seed"])
        self._wait_for(lambda: os.path.exists(f"{m}/munge.socket"), 20, "munged")
        self._spawn("slurmctld", ["slurmctld", "-D", "-c", "-i", "-f", self.conf])
        self._spawn("slurmd", ["slurmd", "-D", "-f", self.conf, "-N", self.NODE])
        t0 = time.time()

        def idle():
            p = subprocess.run(["sinfo", "-h", "-n", self.NODE, "-o", "%T"], env=self.env,
                               capture_output=True, text=True)
            return p.returncode == 0 and p.stdout.strip().rstrip("*") in ("idle", "mixed", "allocated")
        self._wait_for(idle, timeout, "the node to become idle")
        self.startup_seconds = time.time() - t0
        return self

    def _wait_for(self, cond, timeout, what):
        t0 = time.time()
        while time.time() - t0 < timeout:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    self.stop()
                    raise SlurmUnavailable(f"{name} exited with status {p.returncode} while waiting for "
                                           f"{what}:\n{self.log_tail(name)}")
            if cond():
                return
            time.sleep(0.3)
        tails = "\n".join(f"--- {n}:\n{self.log_tail(n)}" for n in self.procs)
        self.stop()
        raise SlurmUnavailable(f"timed out after {timeout}s waiting for {what}:\n{tails}")

    def stop(self):
        """Cancel every job, then stop the daemons (slurmd, slurmctld, munged)."""
        if self.procs.get("slurmctld") and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--partition", self.PARTITION], env=self.env, capture_output=True,
                           timeout=30)
            time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = {}

    # -- clients -----------------------------------------------------------
    def run(self, *cmd, check=True, timeout=60, **kw):
        p = subprocess.run(list(cmd), env=kw.pop("env", self.env), capture_output=True, text=True,
                           timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
        return p

    def job_info(self, job_id):
        """scontrol show job as a dict (JobState, RestartCnt, ExitCode, ...);
        empty once the job is gone."""
        p = self.run("scontrol", "-o", "show", "job", str(job_id), check=False)
        if p.returncode != 0:
            return {}
        info = {}
        for tok in p.stdout.split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                info.setdefault(k, v)
        return info


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: slurm_cluster.py start|stop DIR", file=sys.stderr)
        return 2
    base = argv[2]
    if argv[1] == "start":
        ensure_installed(sys.stderr)
        os.makedirs(base, exist_ok=True)
        c = SlurmCluster(base)
        c.start()
        # Leave the daemons running; remember their pids for `stop`.
        with open(os.path.join(base, "pids"), "w") as f:
            for name, p in c.procs.items():
                f.write(f"{name} {p.pid}\n")
        print(f"export SLURM_CONF={c.conf}   # node {c.NODE}, partition {c.PARTITION}, "
              f"up in {c.startup_seconds:.1f}s")
        return 0
    conf = os.path.join(base, "slurm.conf")
    subprocess.run(["scancel", "--partition", SlurmCluster.PARTITION], env=dict(os.environ, SLURM_CONF=conf),
                   capture_output=True)
    for line in open(os.path.join(base, "pids")):
        name, pid = line.split()
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
