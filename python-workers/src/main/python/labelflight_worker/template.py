"""The template process of one (user, LF set) and the workers it forks.

The supervisor starts the template with a control stream on stdin/stdout (frames, see ``frames``): ``init``
(limits, the socket to reach the supervisor, the directories chunks may come from), ``load`` (the LF set:
checked, unpickled, warmed up on a few rows so that lazily loaded models load here), then ``fork`` requests.
Each forked worker shares everything the template loaded, copy-on-write (``gc.freeze()`` keeps the collector
from writing to those pages), connects to the supervisor's Unix socket and serves ``run`` requests: label one
chunk. End of stdin ends the template and its workers (they also get SIGKILL when the template dies).
"""

import gc
import mmap
import os
import resource
import signal
import socket
import sys

from . import frames, limits
from .functions import LfError, load
from .labeling import label, read_chunk, to_ipc

MIB = 1 << 20


def main():
    limits.reset_signals()
    # The control stream gets private descriptors; what user code prints goes to stderr (the log).
    ctl_in = os.fdopen(os.dup(0), "rb", buffering=0)
    ctl_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    init, _ = frames.read_frame(ctl_in.read)
    limits.set_limits(as_bytes=_as_limit(init.get("templateLimitMiB", 0)), cpu_seconds=init.get("cpuSeconds", 0),
                      open_files=init.get("maxOpenFiles", 0))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps exited workers
    lfs = []
    children = []
    try:
        while True:
            try:
                header, body = frames.read_frame(ctl_in.read)
            except frames.Closed:
                break
            op = header.get("op")
            if op == "load":
                frames.write_frame(ctl_out.write, _load(header, body, init, lfs))
            elif op == "fork":
                pid = os.fork()
                if pid == 0:
                    try:
                        ctl_in.close()
                        ctl_out.close()
                        _worker(init, header, lfs)
                    finally:
                        os._exit(0)
                children.append(pid)
                frames.write_frame(ctl_out.write, {"pid": pid})
            else:
                frames.write_frame(ctl_out.write, {"ok": False, "error": {"kind": "protocol", "message": f"op {op}"}})
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _as_limit(mib):
    return limits.vm_kib("VmSize") * 1024 + mib * MIB if mib else 0


def _load(header, body, init, lfs):
    at = 0
    try:
        for spec in header["lfs"]:
            pickled = body[at:at + spec["size"]]
            at += spec["size"]
            lfs.append(load(spec, pickled))
    except LfError as e:
        return {"ok": False, "error": e.to_json()}
    except MemoryError:
        return {"ok": False, "error": {"kind": "memory", "lf": None,
                                       "message": "loading the LF set went over the template's memory limit"}}
    if header.get("warm"):
        _warm(lfs, header, init)
    gc.collect()
    gc.freeze()
    return {"ok": True, "rssKiB": limits.vm_kib("VmRSS")}


class _WarmUpOver(BaseException):
    """Warm-up ran out of time (a BaseException, so that the LFs' fault handling does not swallow it)."""


def _warm(lfs, header, init):
    """Runs the LFs on a few rows so that what they load lazily (models, lexicons) loads here, once, shared by
    every worker. Best effort and bounded: 2 s (SIGALRM), and the worker memory limit (a soft RLIMIT_AS,
    restored after). A crash here kills the template; the supervisor then loads again without warming."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit_mib = header.get("limitMiB", 0)

    def over(signum, frame):
        raise _WarmUpOver()

    previous = signal.signal(signal.SIGALRM, over)
    try:
        if limit_mib:
            resource.setrlimit(resource.RLIMIT_AS, (limits.vm_kib("VmSize") * 1024 + limit_mib * MIB, hard))
        signal.setitimer(signal.ITIMER_REAL, 2.0)
        batch = read_chunk(header["warm"], init["roots"]).slice(0, 16)
        label(lfs, batch, 0, header.get("classes", 127), [0, 0])
    except BaseException:  # noqa: BLE001 - warming is best effort; the real run reports errors
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        for lf in lfs:
            lf.reset_caches()


def _worker(init, header, lfs):
    limits.die_with_parent()
    if os.getppid() != header["template"]:
        return
    limit_mib = header.get("limitMiB", 0)
    # The address-space limit is a backstop for a single huge allocation; the supervisor watches RSS.
    limits.set_limits(as_bytes=_as_limit(2 * limit_mib) if limit_mib else 0,
                      processes=init.get("maxProcesses", 0))
    fd = os.open(header["stateFile"], os.O_RDWR)
    state_map = mmap.mmap(fd, 16)
    os.close(fd)
    state = memoryview(state_map).cast("q")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(init["socket"])
    rfile = sock.makefile("rb")
    send = sock.sendall
    frames.write_frame(send, {"op": "hello", "token": header["token"], "pid": os.getpid()})
    roots = init["roots"]
    while True:
        try:
            task, _ = frames.read_frame(rfile.read)
        except frames.Closed:
            return
        try:
            batch = read_chunk(task["path"], roots)
            if batch.num_rows != task["rows"]:
                raise LfError("protocol", None, f"chunk has {batch.num_rows} rows, expected {task['rows']}")
            out, faults = label(lfs, batch, task["firstRow"], task["classes"], state)
            del batch
            frames.write_frame(send, {"ok": True, "faults": faults}, to_ipc(out, task["rows"]))
        except LfError as e:
            frames.write_frame(send, {"ok": False, "error": e.to_json()})
        except MemoryError:
            i = state[1]
            name = lfs[i].name if 0 <= i < len(lfs) else None
            frames.write_frame(send, {"ok": False, "error": {
                "kind": "memory", "lf": name, "row": task["firstRow"] + state[0],
                "message": f"LF '{name}' used more than its limit of {limit_mib} MiB (an allocation failed)"}})


if __name__ == "__main__":
    sys.exit(main())
