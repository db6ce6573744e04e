"""Operating-system limits on a process that runs user code: rlimits and the parent-death signal."""

import ctypes
import os
import resource
import signal

_PR_SET_PDEATHSIG = 1


def set_limits(as_bytes=0, cpu_seconds=0, open_files=0, processes=0):
    """Sets soft and hard limits (user code cannot raise a hard limit back). 0 leaves a limit as it is."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if as_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
    if cpu_seconds:
        # The soft limit sends SIGXCPU (fatal by default); the hard one a second later SIGKILL.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if open_files:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    if processes:
        # Counted per real user id (threads included), and not enforced for root: see SECURITY.md.
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def die_with_parent():
    """SIGKILL this process when its parent (the template) dies, so that no worker outlives it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def vm_kib(field):
    """A field of /proc/self/status in KiB (VmSize, VmRSS, VmPeak, VmHWM), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_signals():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)


def pid():
    return os.getpid()
