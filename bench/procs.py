"""CPU time of the processes under test, read from /proc (Linux), and the machine's load."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of `root` and its live descendants (uvicorn's workers)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields:
            parents[pid] = int(fields[1])
            cpu[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in members]
        members.update(children)
        frontier += children
    return sum(cpu.get(pid, 0.0) for pid in members)


def database_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL backends serving `database` (their titles name it)."""
    total = 0.0
    needle = f" {database} "
    for pid in _pids():
        if needle in _cmdline(pid) + " ":
            fields = _stat(pid)
            if fields:
                total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def loadavg() -> float:
    """The one-minute load average (this machine is shared: a high one makes figures noisy)."""
    return float(Path("/proc/loadavg").read_text().split()[0])
