"""Peak RSS against the memory contract, shared by every harness under perf/ (issue 16.3).

The contract (README "Memory", docs/DESIGN.md): a LabelFlight server's RSS stays <= -Xmx + memory budget + 256 MiB
under any workload. Harnesses start servers with `server_flags()` (heap, direct-memory limit = budget + 64 MiB, an
explicit budget), read each server's peak RSS (VmHWM, kept by the kernel) with `ServerMemory.measure()` before
stopping it, and print `ServerMemory.cell()` / `summary()` next to their results. Peers and clients are measured
with `peak_rss_mib(pid)` or `self_peak_rss_mib()`.

Import from a harness with:  sys.path.insert(0, str(Path(__file__).resolve().parents[1])); import memory_contract
"""

from __future__ import annotations

import json
import resource
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
JVM_MARGIN_MIB = 256  # the contract's allowance for the JVM itself (metaspace, code, GC, threads, C allocator)
TRANSPORT_RESERVE_MIB = 64  # NodeSizing.TRANSPORT_RESERVE: direct memory outside the budget


def mib(size: str | int) -> int:
    """MiB in a JVM size ("512m", "2g") or a plain number of MiB."""
    text = str(size).strip().lower()
    if text.endswith("g"):
        return int(float(text[:-1]) * 1024)
    if text.endswith("m"):
        return int(float(text[:-1]))
    return int(text)


def server_flags(xmx_mib: int, budget_mib: int) -> tuple[list[str], dict[str, str]]:
    """JVM options and environment for a server with this heap and budget, as bin/serve starts one: the direct-memory
    limit is the budget plus the transport reserve, so every off-heap buffer is counted against the budget."""
    return ([f"-Xmx{xmx_mib}m", f"-XX:MaxDirectMemorySize={budget_mib + TRANSPORT_RESERVE_MIB}m"],
            {"LABELFLIGHT_MEMORY_BUDGETMIB": str(budget_mib)})


def status_kib(pid: int | str, field: str) -> int | None:
    """A field of /proc/PID/status in KiB (VmHWM, VmRSS, RssAnon, RssFile), or None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mib(pid: int | str) -> float | None:
    """Peak RSS (VmHWM) of a running process in MiB; read it before the process exits."""
    kib = status_kib(pid, "VmHWM")
    return None if kib is None else kib / 1024


def self_peak_rss_mib() -> float:
    """Peak RSS of this Python process (a client or an in-process peer such as Polars or DuckDB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def health(http_port: int, token: str | None = None) -> dict:
    """The node's /health; its details (memory, sizing, cluster) need a user's token unless auth is off."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/health", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


@dataclass
class ServerMemory:
    """One server process: its heap and budget (from /health) and, once measured, its peak RSS."""

    name: str
    pid: int
    heap_mib: float
    budget_mib: float
    peak_mib: float | None = None

    @classmethod
    def of(cls, name: str, pid: int, http_port: int, token: str | None = None) -> "ServerMemory":
        """Reads the server's max heap and budget from /health (with a user's token unless auth is off)."""
        h = health(http_port, token)
        heap = h["sizing"]["derivation"]["maxHeapBytes"] / MIB
        return cls(name, pid, heap, h["memory"]["budgetBytes"] / MIB)

    @property
    def contract_mib(self) -> float:
        return self.heap_mib + self.budget_mib + JVM_MARGIN_MIB

    def measure(self) -> "ServerMemory":
        """Reads VmHWM now (call it right before stopping the server); keeps the largest value seen."""
        peak = peak_rss_mib(self.pid)
        if peak is not None:
            self.peak_mib = max(self.peak_mib or 0.0, peak)
        return self

    @property
    def within(self) -> bool:
        return self.peak_mib is not None and self.peak_mib <= self.contract_mib

    def cell(self) -> str:
        """A table cell: 'peak / contract MiB (ok|OVER)'."""
        if self.peak_mib is None:
            return "not measured"
        return f"{self.peak_mib:,.0f} / {self.contract_mib:,.0f} MiB ({'ok' if self.within else 'OVER'})"

    def summary(self) -> str:
        """One sentence for a harness's output."""
        if self.peak_mib is None:
            return f"{self.name}: peak RSS not measured (process gone before it was read)"
        return (f"{self.name}: peak RSS (VmHWM) {self.peak_mib:,.0f} MiB, contract <= {self.contract_mib:,.0f} MiB "
                f"(-Xmx {self.heap_mib:,.0f} + budget {self.budget_mib:,.0f} + {JVM_MARGIN_MIB}): "
                f"{'within' if self.within else 'OVER THE CONTRACT'}")


def summarize(servers: list[ServerMemory]) -> str:
    """Lines for every server of a run, and whether all kept the contract."""
    lines = [s.summary() for s in servers]
    ok = all(s.within for s in servers)
    lines.append(f"memory contract: {'kept by every server' if ok else 'BROKEN'}")
    return "\n".join(lines)
