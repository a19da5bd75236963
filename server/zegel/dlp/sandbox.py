"""Runs text extraction in a child process with a memory limit (RLIMIT_AS), a CPU-time limit
(RLIMIT_CPU) and a wall-clock deadline after which it is killed, so a hostile file can neither
take the server's memory nor hang a request. Children are forked from a forkserver that has the
parsers loaded already, so starting one costs milliseconds, not an interpreter start-up."""
from __future__ import annotations

import multiprocessing
import resource
import time

from zegel.dlp.extract import Extracted, is_pdf

MEMORY_LIMIT = 1024 * 1024 * 1024  # address space of the child
CPU_SECONDS = 10
WALL_SECONDS = 15.0

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["zegel.dlp.extract", "pypdfium2", "defusedxml.ElementTree", "nh3"])


PARALLEL_PDF_BYTES = 512 * 1024  # a PDF this large is read by two processes, half the pages each
PARTS = 2


def _child(conn, name: str, memory: int, cpu: int, part: tuple[int, int]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    from zegel.dlp.extract import extract
    try:
        data = conn.recv_bytes()
        conn.send(extract(name, data, part=part))
    except MemoryError:
        conn.send(Extracted(problems=[("", "memory")]))
    finally:
        conn.close()


def extract_in_sandbox(name: str, data: bytes, *, memory: int = MEMORY_LIMIT, cpu: int = CPU_SECONDS,
                       wall: float = WALL_SECONDS) -> Extracted:
    """Text of one file, or the problem that stopped it ("timeout", "memory", …). A large PDF is
    read by two children at once, each with the same limits, and their text joined in page order."""
    parts = PARTS if is_pdf(data) and len(data) >= PARALLEL_PDF_BYTES else 1
    children = []
    try:
        for k in range(parts):
            parent, child = _context.Pipe()
            process = _context.Process(target=_child, args=(child, name, memory, cpu, (k, parts)), daemon=True)
            process.start()
            child.close()
            children.append((parent, process))
        for parent, _process in children:
            parent.send_bytes(data)
        deadline = time.monotonic() + wall
        results = []
        for parent, _process in children:
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                return Extracted(problems=[("", "timeout")])
            results.append(parent.recv())
    except (EOFError, BrokenPipeError, ConnectionResetError):
        # Killed by the kernel: over its CPU time (SIGXCPU) or out of memory.
        return Extracted(problems=[("", "limits")])
    finally:
        for parent, process in children:
            if process.is_alive():
                process.kill()
            process.join(5)
            parent.close()
    merged = Extracted()
    for result in results:
        for inner, text in result.texts:
            merged.add(inner, text)
        merged.problems += [p for p in result.problems if p not in merged.problems]
    return merged
