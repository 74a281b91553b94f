#!/usr/bin/env python3
"""The service benchmark of the HTTP, replay and memory targets (BENCHMARKS.md).

Takes a city in the dataset format (made with ../shared/dataset/gen.py, or a directory
given with --city), imports it into a fresh data dir with the real binary, starts the
server on 127.0.0.1 and measures, in this order:

1. start-up: the time until the server listens (the journal replay), and its resident memory;
   then again from the snapshot that first start wrote;
2. position queries with wrk: keep-alive, 64 connections, random applications of the city;
3. a full allocation round over HTTP in every district (the city's free seats);
4. durable registrations with wrk: 64 connections, each request a new child with its own
   Idempotency-Key; only 201 answers count;
5. resident memory after all of that.

wrk (Debian package `wrk`) runs on the same machine and only talks to 127.0.0.1.
The results go to a JSON file (--out) and a Markdown table on stdout.

    python3 benches/http/run.py --children 1000000 --kindergartens 8000 --seed 42
"""

import argparse
import csv
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GEN = ROOT.parent / "shared" / "dataset" / "gen.py"

TARGETS = {
    "registrations_per_s": ">= 10000",
    "positions_per_s": ">= 40000",
    "positions_p99_ms": "<= 5",
    "replay_s": "<= 5",
    "rss_mb": "<= 600 (peak included)",
    "round_ms": "<= 2500",
    "import_s": "<= 4",
}


def main():
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    binary = Path(args.binary).resolve()
    if not binary.exists():
        sys.exit(f"no binary at {binary}: cargo build --release")
    work = Path(tempfile.mkdtemp(prefix="kezek-bench-"))
    try:
        results = run(args, binary, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nresults: {args.out}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--city", help="an existing city directory (groups.csv, applications.csv)")
    p.add_argument("--children", type=int, default=1_000_000)
    p.add_argument("--kindergartens", type=int, default=8000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--gen", default=str(GEN), help="path of the dataset generator gen.py")
    p.add_argument("--binary", default=str(ROOT / "target" / "release" / "kezek"))
    p.add_argument("--seconds", type=int, default=20, help="duration of each wrk run")
    p.add_argument("--repeat", type=int, default=3, help="wrk runs of each kind; the median is reported")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--out", default=str(ROOT / "target" / "bench" / "http.json"))
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    return p.parse_args()


def run(args, binary, work):
    city = Path(args.city) if args.city else generate(args, work / "city")
    data = work / "data"
    results = {"machine": machine(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "command": " ".join([sys.executable, *sys.argv]), "city": str(city),
               "binary": str(binary), "connections": args.connections, "seconds": args.seconds,
               "targets": TARGETS}

    started = time.monotonic()
    out = check([binary, "import", "--data", data, "--groups", city / "groups.csv",
                 "--applications", city / "applications.csv"])
    results["import_s"] = round(time.monotonic() - started, 2)
    results["import"] = out.strip().splitlines()[-1]
    results["events"] = int(re.search(r"imported (\d+) events", out).group(1))
    districts = sorted({row["district"] for row in read_csv(city / "groups.csv")})
    portal = token(binary, data, ["--role", "portal"])
    staff = token(binary, data, ["--role", "staff", *[a for d in districts for a in ("--district", d)]])

    # A snapshot at least once per city, small cities too (the default is every 100,000).
    every = ("--snapshot-every", str(max(1, min(100_000, results["events"]))))
    server = Server(binary, data, every)
    try:
        results["replay_s"] = server.ready_s
        results["replay_log_ms"] = server.replay_ms
        results["rss_mb_after_start"] = server.rss_mb()
        results["rss_peak_mb_after_start"] = server.peak_mb()

        # The first start replayed the whole journal and wrote a snapshot of what it built;
        # the next one starts from it and replays only what came after (nothing here).
        snapshots = data / "snapshots"
        deadline = time.monotonic() + 120
        while not list(snapshots.glob("snapshot-*.bin")):
            if time.monotonic() > deadline:
                sys.exit("the server wrote no snapshot")
            time.sleep(0.2)
        server.stop()
        server = Server(binary, data, every)
        results["snapshot_start_s"] = server.ready_s
        results["snapshot_start_log_ms"] = server.replay_ms
        results["rss_mb_after_snapshot_start"] = server.rss_mb()

        ids = work / "ids.txt"
        apps, last_birth = applications(city)
        sample = random.Random(args.seed).sample(apps, min(100_000, len(apps)))
        ids.write_text("".join(a + "\n" for a in sample))
        runs = [wrk(args, server.port, "position.lua", ids, portal) for _ in range(args.repeat)]
        results["positions"] = runs
        pos = median_run(runs)
        results["positions_per_s"] = rate(pos)
        results["positions_per_s_range"] = [min(map(rate, runs)), max(map(rate, runs))]
        results["positions_p50_ms"] = pos["latency_us"]["p50"] / 1000
        results["positions_p99_ms"] = pos["latency_us"]["p99"] / 1000

        results["round"] = rounds(server.port, staff, districts)
        results["rss_mb_after_round"] = server.rss_mb()
        results["rss_peak_mb_after_round"] = server.peak_mb()

        bodies = [work / f"bodies-{i}.txt" for i in range(args.repeat)]
        write_bodies(bodies, city, last_birth, 30_000 * args.seconds, args.seed)
        runs = [wrk(args, server.port, "register.lua", b, portal) for b in bodies]
        results["registrations"] = runs
        reg = median_run(runs)
        results["registrations_per_s"] = rate(reg)
        results["registrations_per_s_range"] = [min(map(rate, runs)), max(map(rate, runs))]
        results["registrations_p99_ms"] = reg["latency_us"]["p99"] / 1000
        results["rss_mb"] = server.rss_mb()
        results["rss_peak_mb"] = server.peak_mb()
    finally:
        server.stop()
    return results


def generate(args, out):
    gen = Path(args.gen)
    if not gen.exists():
        sys.exit(f"no generator at {gen}: pass --gen or --city")
    check([sys.executable, gen, "--children", str(args.children), "--kindergartens",
           str(args.kindergartens), "--seed", str(args.seed), "--out", out])
    return out


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem / 2**20, 1),
            "kernel": platform.release(), "note": "shared virtual machine; wrk runs on the same cores"}


def check(cmd):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr}")
    return done.stdout


def token(binary, data, role):
    return check([binary, "keys", "create", "--data", data, *role]).strip().splitlines()[-1]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Server:
    """`kezek serve` on 127.0.0.1, port chosen by the system."""

    def __init__(self, binary, data, extra=()):
        # The log goes to a file: a pipe nobody reads would fill up and stall the server.
        self.log = open(data / "serve.log", "w+", encoding="utf-8")
        started = time.monotonic()
        self.proc = subprocess.Popen([str(binary), "serve", "--data", str(data), "--listen", "127.0.0.1:0",
                                      *map(str, extra)],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        for line in self.proc.stdout:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            self.log.seek(0)
            sys.exit(f"the server did not start:\n{self.log.read()}")
        self.ready_s = round(time.monotonic() - started, 2)
        # The log line `journal replayed events=… ms=…` comes before the listening line.
        self.log.seek(0)
        log = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read())
        m = re.search(r"journal replayed.*?ms=(\d+)", log)
        self.replay_ms = int(m.group(1)) if m else None
        status, _ = request(self.port, "GET", "/healthz")
        assert status == 200, status

    def status(self, field):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024)
        return None

    def rss_mb(self):
        return self.status("VmRSS")

    def peak_mb(self):
        return self.status("VmHWM")

    def kill(self):
        """SIGKILL, as a crash."""
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def stop(self):
        self.proc.stdout.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(port, method, path, body=None, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def rate(run):
    """Answers per second that were 2xx."""
    return round(run["ok"] / run["seconds"])


def median_run(runs):
    """The run with the median rate (the machine is shared: single runs vary by 20%)."""
    return sorted(runs, key=rate)[len(runs) // 2]


def wrk(args, port, script, data_file, token):
    env = dict(os.environ, KEZEK_WRK_DONE=str(HERE / "done.lua"), KEZEK_WRK_THREADS=str(args.threads))
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
           "--timeout", "10s", "-s", str(HERE / script), f"http://127.0.0.1:{port}", "--", str(data_file), token]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"wrk failed:\n{out.stderr}")
    line = next(l for l in out.stdout.splitlines() if l.startswith('{"requests"'))
    res = json.loads(line)
    errors = sum(res["errors"].values())
    res["ok"] = res["requests"] - errors
    res["seconds"] = res["duration_us"] / 1e6
    return res


def rounds(port, staff, districts):
    per = []
    for d in districts:
        started = time.monotonic()
        status, body = request(port, "POST", f"/v1/districts/{d}/allocations", {}, staff)
        ms = (time.monotonic() - started) * 1000
        if status != 201:
            sys.exit(f"round in {d} answered {status}: {body[:300]!r}")
        answer = json.loads(body)
        per.append({"district": d, "ms": round(ms, 1), "referrals": len(answer["referrals"]),
                    "free_seats_left": answer["free_seats_left"]})
    return {"total_ms": round(sum(p["ms"] for p in per), 1), "max_ms": max(p["ms"] for p in per),
            "referrals": sum(p["referrals"] for p in per), "districts": per}


def applications(city):
    """The city's application ids and its last birth date."""
    ids, last = [], ""
    with open(city / "applications.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ids.append(row["application_id"])
            last = max(last, row["birth_date"])
    return ids, dt.date.fromisoformat(last)


def write_bodies(paths, city, last_birth, count, seed):
    """`count` registrations into each file, of children born after every child of the city
    (from the day after the city's last birth date to yesterday), so no IIN collides with
    the city or another file; preferences from the child's district."""
    rng = random.Random(seed)
    kgs = {}
    for row in read_csv(city / "groups.csv"):
        kgs.setdefault(row["district"], set()).add(row["kindergarten_id"])
    kgs = {d: sorted(k) for d, k in kgs.items()}
    districts = sorted(kgs)
    first = last_birth + dt.timedelta(days=1)
    last = dt.date.today() - dt.timedelta(days=1)
    if last < first:
        sys.exit("the city has children born up to yesterday: no room for new IINs")
    children = iins(first, last)
    for path in paths:
        with open(path, "w", encoding="utf-8") as f:
            for _, iin in zip(range(count), children):
                d = rng.choice(districts)
                body = {"child": {"iin": iin, "name": "Бала"},
                        "applicant": {"iin": "880101300123", "name": "Ата-ана", "representative": None},
                        "district": d, "language": rng.choice(["kk", "ru"]),
                        "preferences": rng.sample(kgs[d], min(len(kgs[d]), rng.randint(1, 3))),
                        "category": None, "documents": ["application_form", "applicant_id", "address_proof"],
                        "channel": "portal"}
                f.write(json.dumps(body, ensure_ascii=False) + "\n")


def iins(first, last):
    """Valid IINs of children born between the two dates (21st century), serial first."""
    days = (last - first).days + 1
    for serial in range(10000):
        for day in range(days):
            born = first + dt.timedelta(days=day)
            for sex in (5, 6):
                body = [int(c) for c in f"{born:%y%m%d}{sex}{serial:04d}"]
                control = iin_control(body)
                if control is not None:
                    yield "".join(map(str, body)) + str(control)


def iin_control(d11):
    c = sum((i + 1) * d for i, d in enumerate(d11)) % 11
    if c == 10:
        c = sum(((i + 2) % 11 + 1) * d for i, d in enumerate(d11)) % 11
    return None if c == 10 else c


def table(r):
    rows = [
        ("durable registrations over HTTP, 64 clients", f"{r['registrations_per_s']:,}/s (runs {r['registrations_per_s_range'][0]:,}–{r['registrations_per_s_range'][1]:,})", TARGETS["registrations_per_s"] + "/s",
         r["registrations_per_s"] >= 10000),
        ("position queries over HTTP, 64 keep-alive connections",
         f"{r['positions_per_s']:,}/s (runs {r['positions_per_s_range'][0]:,}–{r['positions_per_s_range'][1]:,}), p50 {r['positions_p50_ms']:.2f} ms, p99 {r['positions_p99_ms']:.2f} ms",
         ">= 40000/s, p99 <= 5 ms", r["positions_per_s"] >= 40000 and r["positions_p99_ms"] <= 5),
        (f"start-up replay of {r['events']:,} events", f"{r['replay_s']} s", "<= 5 s", r["replay_s"] <= 5),
        ("start-up from a snapshot of them", f"{r['snapshot_start_s']} s", "<= 0.5 s (issue 15)", r["snapshot_start_s"] <= 0.5),
        ("resident memory (after start / after round / after registrations)",
         f"{r['rss_mb_after_start']} / {r['rss_mb_after_round']} / {r['rss_mb']} MB (peak {r['rss_peak_mb']})",
         # Every figure printed is judged (issue 29): the peak too, snapshots included.
         "<= 600 MB at every moment, peak included",
         max(r["rss_mb_after_start"], r["rss_mb_after_round"], r["rss_mb"], r["rss_peak_mb"]) <= 600),
        (f"allocation round over HTTP, {len(r['round']['districts'])} districts",
         f"{r['round']['total_ms']} ms, {r['round']['referrals']:,} referrals", "<= 2500 ms (core: <= 300 ms)",
         r["round"]["total_ms"] <= 2500),
        ("import of the city (one transaction)", f"{r['import_s']} s", "<= 4 s (issue 29)", r["import_s"] <= 4),
    ]
    lines = ["| what | measured | target | |", "|---|---|---|---|"]
    for what, got, target, ok in rows:
        mark = "" if ok is None else ("✅" if ok else "❌")
        lines.append(f"| {what} | {got} | {target} | {mark} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
