"""Upload and download throughput of Zegel's encrypted tus path against a plain-file baseline.

Both run under gunicorn with the same settings on loopback. Prints the
figures and, as the last line, one JSON object. Usage:

    .venv/bin/python bench/uploads.py --size 2GiB
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_OPTS = ["--worker-class", "gthread", "--workers", "1", "--threads", "4", "--timeout", "600"]
UNITS = {"": 1, "k": 1024, "kib": 1024, "m": 1024 ** 2, "mib": 1024 ** 2, "g": 1024 ** 3, "gib": 1024 ** 3}


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([a-zA-Z]*)", text.strip())
    if not match or match.group(2).lower() not in UNITS:
        raise argparse.ArgumentTypeError(f"size like 2GiB or 500MiB, got {text!r}")
    return int(match.group(1)) * UNITS[match.group(2).lower()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    for _ in range(150):
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class RssSampler(threading.Thread):
    """Peak resident memory of a process group's members (the gunicorn master and its worker)."""

    def __init__(self, pgid: int):
        super().__init__(daemon=True)
        self.pgid, self.peak, self.stop = pgid, 0, threading.Event()

    def current(self) -> int:
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.getpgid(int(pid)) != self.pgid:
                    continue
                status = Path(f"/proc/{pid}/status").read_text()
            except (OSError, ProcessLookupError):
                continue
            rss = re.search(r"VmRSS:\s+(\d+) kB", status)
            total = max(total, int(rss.group(1)) * 1024) if rss else total  # the biggest process: the worker
        return total

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(0.1)


class Source:
    """``size`` bytes to send, made on the fly (a 1 MiB random block over and over), so a 20 GiB run
    needs no 20 GiB source file; requests sends it with a Content-Length because it has a length."""

    block = os.urandom(1024 * 1024)

    def __init__(self, size: int):
        self.size, self.pos = size, 0

    def __len__(self) -> int:
        return self.size - self.pos

    def read(self, n: int = -1) -> bytes:
        n = len(self) if n is None or n < 0 else min(n, len(self))
        start = self.pos % len(self.block)
        piece = self.block[start:start + n]
        while len(piece) < n:
            piece += self.block[: n - len(piece)]
        self.pos += n
        return piece


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def drain(resp) -> int:
    total = 0
    for chunk in resp.iter_content(1024 * 1024):
        total += len(chunk)
    return total


def sms_code(url: str) -> str:
    for _ in range(100):
        items = [i for i in requests.get(f"{url}/dev/outbox.json").json()["items"] if i["kind"] == "sms"]
        if items:
            return re.search(r"\b(\d{6})\b", items[-1]["text"]).group(1)
        time.sleep(0.1)
    raise SystemExit("no login code in the dev outbox")


def web_login(url: str) -> requests.Session:
    """Anna's browser session (downloads in the mailbox use the session cookie)."""
    web = requests.Session()
    page = web.get(f"{url}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    web.post(f"{url}/login", data={"csrf_token": token, "email": "anna@demo.test", "password": "zegel-demo-2026"})
    time.sleep(1.5)
    page = web.get(f"{url}/login/verify").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    web.post(f"{url}/login/verify", data={"csrf_token": token, "code": sms_code(url)})
    return web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=parse_size, default=parse_size("2GiB"))
    parser.add_argument("--repeat", type=int, default=3, help="transfers per side; medians are compared")
    args = parser.parse_args()
    bench_dir = Path(os.environ.get("BENCH_DIR", str(ROOT / "var")))
    bench_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="zegel-bench-", dir=bench_dir))
    env = {**os.environ, "ZEGEL_VAR_DIR": str(work / "zegel"), "ZEGEL_DEV_OUTBOX": "1", "ZEGEL_DATABASE_URL": "",
           "ZEGEL_KEYRING_PATH": "", "ZEGEL_RATELIMIT_ENABLED": "0", "BASELINE_FILE": str(work / "baseline.bin")}
    py = sys.executable
    for command in (["init"], ["demo"]):
        subprocess.run([py, "-m", "zegel.cli", *command], env=env, check=True, capture_output=True)
    zport, bport = free_port(), free_port()
    zegel = subprocess.Popen([py, "-m", "zegel.cli", "serve", "--port", str(zport), "--workers", "1", "--threads", "4"],
                             env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = subprocess.Popen([py, "-m", "gunicorn", *GUNICORN_OPTS, "--bind", f"127.0.0.1:{bport}",
                                 "--chdir", str(ROOT / "bench"), "baseline_app:app"], env=env,
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    zurl, burl = f"http://127.0.0.1:{zport}", f"http://127.0.0.1:{bport}"
    try:
        wait_up(f"{zurl}/login")
        wait_up(f"{burl}/blob")
        challenge = requests.post(f"{zurl}/api/v1/auth/login",
                                  json={"email": "anna@demo.test", "password": "zegel-demo-2026"}).json()
        tokens = requests.post(f"{zurl}/api/v1/auth/verify",
                               json={"challenge_id": challenge["challenge_id"], "code": sms_code(zurl)}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}", "Tus-Resumable": "1.0.0"}
        web = web_login(zurl)
        sampler = RssSampler(os.getpgid(zegel.pid))
        rss_before = sampler.current()
        sampler.start()

        def base_upload():
            requests.put(f"{burl}/blob", data=Source(args.size)).raise_for_status()

        uploads = []

        def zegel_upload():
            location = requests.post(f"{zurl}/api/v1/uploads/", headers={**auth, "Upload-Length": str(args.size)}
                                     ).headers["Location"]
            resp = requests.patch(location, data=Source(args.size), headers={
                **auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
            assert resp.headers.get("Upload-Offset") == str(args.size), resp.text
            uploads.append(location)

        # Transfers alternate between the two servers and each is repeated, so a burst of noise on
        # this shared machine hits both sides; the medians are compared.
        times = {"base_up": [], "zegel_up": [], "base_down": [], "zegel_down": []}
        download_url = None
        for _round in range(args.repeat):
            times["base_up"].append(timed(base_upload))
            times["zegel_up"].append(timed(zegel_upload))
            if download_url is None:
                upload_id = uploads[0].rsplit("/", 1)[1]
                sent = requests.post(f"{zurl}/api/v1/messages", headers=auth, json={
                    "subject": "bench", "attachments": [upload_id],
                    "recipients": [{"email": "bram@demo.test", "verification": {"method": "account"}}]}).json()
                download_url = f"{zurl}/messages/{sent['id']}/attachments/{upload_id}"
            else:  # keep the disk from filling up: only the first upload is needed
                requests.delete(uploads[-1], headers=auth).raise_for_status()
            times["base_down"].append(timed(lambda: drain(requests.get(f"{burl}/blob", stream=True))))
            got = {}
            times["zegel_down"].append(timed(
                lambda got=got, url=download_url: got.update(n=drain(web.get(url, stream=True)))))
            assert got["n"] == args.size, got
        sampler.stop.set()
        sampler.join()
    finally:
        for proc in (zegel, baseline):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    base_up, zegel_up, base_down, zegel_down = (statistics.median(times[k]) for k in
                                                ("base_up", "zegel_up", "base_down", "zegel_down"))
    mib = args.size / 1024 ** 2
    result = {
        "size_bytes": args.size, "repeat": args.repeat,
        "baseline_upload_mib_s": round(mib / base_up, 1), "zegel_upload_mib_s": round(mib / zegel_up, 1),
        "baseline_download_mib_s": round(mib / base_down, 1), "zegel_download_mib_s": round(mib / zegel_down, 1),
        "upload_ratio": round(base_up / zegel_up, 3), "download_ratio": round(base_down / zegel_down, 3),
        "rss_before_mb": round(rss_before / 1024 ** 2, 1), "rss_peak_mb": round(sampler.peak / 1024 ** 2, 1),
        "rss_growth_mb": round((sampler.peak - rss_before) / 1024 ** 2, 1),
    }
    print(f"size {mib:.0f} MiB, medians of {args.repeat} transfers per side")
    print(f"upload   baseline {result['baseline_upload_mib_s']} MiB/s, zegel {result['zegel_upload_mib_s']} MiB/s, "
          f"ratio {result['upload_ratio']} (target >= 0.8)")
    print(f"download baseline {result['baseline_download_mib_s']} MiB/s, zegel {result['zegel_download_mib_s']} MiB/s, "
          f"ratio {result['download_ratio']} (target >= 0.8)")
    print(f"worker RSS {result['rss_before_mb']} MB before, peak {result['rss_peak_mb']} MB, growth "
          f"{result['rss_growth_mb']} MB (target < 64)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
