"""Runs text extraction in a child process with a memory limit (RLIMIT_AS), a CPU-time limit
(RLIMIT_CPU) and a wall-clock deadline after which it is killed, so a hostile file can neither
take the server's memory nor hang a request. Children are forked from a forkserver that has the
parsers loaded already, so starting one costs milliseconds, not an interpreter start-up."""
from __future__ import annotations

import multiprocessing
import resource

from zegel.dlp.extract import Extracted

MEMORY_LIMIT = 1024 * 1024 * 1024  # address space of the child
CPU_SECONDS = 10
WALL_SECONDS = 15.0

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["zegel.dlp.extract", "pypdfium2", "defusedxml.ElementTree", "nh3"])


def _child(conn, name: str, memory: int, cpu: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    from zegel.dlp.extract import extract
    try:
        data = conn.recv_bytes()
        conn.send(extract(name, data))
    except MemoryError:
        conn.send(Extracted(problems=[("", "memory")]))
    finally:
        conn.close()


def extract_in_sandbox(name: str, data: bytes, *, memory: int = MEMORY_LIMIT, cpu: int = CPU_SECONDS,
                       wall: float = WALL_SECONDS) -> Extracted:
    """Text of one file, or the problem that stopped it ("timeout", "memory", …)."""
    parent, child = _context.Pipe()
    process = _context.Process(target=_child, args=(child, name, memory, cpu), daemon=True)
    process.start()
    child.close()
    try:
        parent.send_bytes(data)
        if parent.poll(wall):
            return parent.recv()
        return Extracted(problems=[("", "timeout")])
    except (EOFError, BrokenPipeError, ConnectionResetError):
        # Killed by the kernel: over its CPU time (SIGXCPU) or out of memory.
        return Extracted(problems=[("", "limits")])
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
