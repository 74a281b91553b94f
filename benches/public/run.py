#!/usr/bin/env python3
"""The public journal of a city, produced and checked as anyone would (BENCHMARKS.md).

Imports a city with the real binary, starts publishing (`kezek public enable`), starts the
server, runs an allocation round in every district, then measures on the same machine in
the same run:

1. `kezek verify --public http://127.0.0.1:PORT --save DIR`: every page of the public
   journal produced by the server (personal data taken out, chained, rounds certified and
   signed) and checked while it downloads — wall time, the checker's peak memory, the
   server's peak memory;
2. `kezek verify --public DIR`: the saved copy checked again — wall time, peak memory;
3. the copy's size on disk, and the records, rounds and persons the check reports.

Each figure is printed with its target and a verdict that judges it.

    python3 benches/public/run.py                      # 10^6 children, 8,000 kindergartens
    python3 benches/public/run.py --children 20000 --kindergartens 200   # a smoke run
"""

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "http"))
import run as bench  # noqa: E402  (the HTTP benchmark's helpers: city, Server, rounds)

# For 10^6 children; the times scale with the city (so a smoke run is judged too), the
# memory does not (a small city's is mostly the program itself).
TARGETS = {
    "download_and_check_s": 45,
    "check_saved_s": 20,
    "checker_peak_mb": 800,
    "server_peak_mb": 900,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--city", help="a city directory (groups.csv, applications.csv)")
    p.add_argument("--children", type=int, default=1_000_000)
    p.add_argument("--kindergartens", type=int, default=8000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--gen", default=str(bench.GEN))
    p.add_argument("--binary", default=str(bench.ROOT / "target" / "release" / "kezek"))
    p.add_argument("--out", default=str(bench.ROOT / "target" / "bench" / "public.json"))
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kezek-public-"))
    try:
        results = run(args, Path(args.binary), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    report(results)
    print(f"\nresults: {args.out}")


def peak_of(cmd):
    """Runs `cmd` as a child of its own and returns (stdout, seconds, peak MB) from wait4."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = round(time.monotonic() - started, 2)
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{problem}")
    return text, seconds, round(usage.ru_maxrss / 1024)


def run(args, binary, work):
    city = Path(args.city) if args.city else bench.generate(args, work / "city")
    data = work / "data"
    results = {"machine": bench.machine(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "command": " ".join([sys.executable, *sys.argv]), "city": str(city), "binary": str(binary)}
    out = bench.check([binary, "import", "--data", data, "--groups", city / "groups.csv",
                       "--applications", city / "applications.csv"])
    results["children"] = sum(1 for _ in open(city / "applications.csv")) - 1
    results["events"] = int(re.search(r"imported (\d+) events", out).group(1))
    bench.check([binary, "public", "enable", "--data", data])
    districts = sorted({row["district"] for row in bench.read_csv(city / "groups.csv")})
    staff = bench.token(binary, data, ["--role", "staff", *[a for d in districts for a in ("--district", d)]])
    server = bench.Server(binary, data, ("--snapshot-every", "0"))
    try:
        results["round"] = bench.rounds(server.port, staff, districts)
        saved = work / "public"
        said, seconds, peak = peak_of([binary, "verify", "--public", f"http://127.0.0.1:{server.port}",
                                       "--save", saved])
        results["download_and_check_s"] = seconds
        results["checker_peak_mb"] = peak
        results["server_peak_mb"] = server.peak_mb()
        results["said"] = said.strip()
    finally:
        server.stop()
    said, seconds, peak = peak_of([binary, "verify", "--public", saved])
    results["check_saved_s"] = seconds
    results["checker_saved_peak_mb"] = peak
    results["saved_mb"] = round((saved / "journal.jsonl").stat().st_size / 2**20)
    m = re.search(r"(\d+) records chained.*?(\d+) allocation rounds.*?(\d+) applications .*?of (\d+) persons", said)
    results["records"], results["rounds"], results["applications"], results["persons"] = map(int, m.groups())
    scale = max(results["children"], 1) / 1_000_000
    results["targets"] = {k: (round(v * max(scale, 0.02), 1) if k.endswith("_s") else v)
                          for k, v in TARGETS.items()}
    return results


def report(r):
    t = r["targets"]
    rows = [
        ("public journal downloaded (produced by the server) and checked",
         f"{r['download_and_check_s']} s", f"<= {t['download_and_check_s']} s",
         r["download_and_check_s"] <= t["download_and_check_s"]),
        ("saved copy checked again", f"{r['check_saved_s']} s", f"<= {t['check_saved_s']} s",
         r["check_saved_s"] <= t["check_saved_s"]),
        ("checker's peak memory (download / saved copy)",
         f"{r['checker_peak_mb']} / {r['checker_saved_peak_mb']} MB", f"<= {t['checker_peak_mb']} MB",
         max(r["checker_peak_mb"], r["checker_saved_peak_mb"]) <= t["checker_peak_mb"]),
        ("server's peak memory while publishing", f"{r['server_peak_mb']} MB", f"<= {t['server_peak_mb']} MB",
         r["server_peak_mb"] <= t["server_peak_mb"]),
        ("records checked (the whole journal)", f"{r['records']:,} of {r['events']:,}+", "all",
         r["records"] >= r["events"]),
        ("rounds re-run and certified", f"{r['rounds']}", f"{len(r['round']['districts'])}",
         r["rounds"] == len(r["round"]["districts"])),
    ]
    print(f"machine: {r['machine']['cpus']} × {r['machine']['cpu']}, {r['machine']['memory_gb']} GB; "
          f"city: {r['children']:,} children, {r['events']:,} events imported, {r['round']['referrals']:,} referrals "
          f"in {len(r['round']['districts'])} rounds; copy {r['saved_mb']} MB, {r['persons']:,} persons")
    for what, got, target, met in rows:
        print(f"{'✅' if met else '❌'} {what}: {got} (target {target})")


if __name__ == "__main__":
    main()
