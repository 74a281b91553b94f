#!/usr/bin/env python3
"""Where the cores go during durable registrations on PostgreSQL: one node on a private
cluster, one wrk run of registrations, and the CPU time each kind of process used (from
/proc), in cores. The processes that ended during the run (wrk) are not counted.

    python3 benches/cluster/cpu.py --city /tmp/city-100k --seconds 8
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "http"))
import run as bench  # noqa: E402  (benches/http/run.py)
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("cluster", HERE / "run.py")
cluster = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cluster)


def cpu_ticks():
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[pid] = (comm, int(fields[11]) + int(fields[12]))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--city", required=True)
    p.add_argument("--binary", default=str(bench.ROOT / "target" / "release" / "kezek"))
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    city, binary = Path(args.city), Path(args.binary).resolve()
    work = Path(tempfile.mkdtemp(prefix="kezek-cpu-"))
    pg = cluster.Cluster(Path(tempfile.mkdtemp(prefix="kezek-pg-")))
    server = None
    try:
        data, on = work / "node", ["--database", pg.url]
        bench.check([binary, "import", "--data", data, *on, "--groups", city / "groups.csv",
                     "--applications", city / "applications.csv"])
        portal = bench.token(binary, data, [*on, "--role", "portal"])
        server = bench.Server(binary, data, on)
        _, last_birth = bench.applications(city)
        bodies = work / "bodies.txt"
        bench.write_bodies([bodies], city, last_birth, 20_000 * args.seconds, 1)
        before, started = cpu_ticks(), time.monotonic()
        run = bench.wrk(args, server.port, "register.lua", bodies, portal)
        after, wall = cpu_ticks(), time.monotonic() - started
        cores = {}
        for pid, (comm, ticks) in after.items():
            cores[comm] = cores.get(comm, 0) + ticks - before.get(pid, (comm, 0))[1]
        print(f"{bench.rate(run):,} durable registrations/s over {wall:.1f} s")
        for comm, ticks in sorted(cores.items(), key=lambda c: -c[1])[:4]:
            print(f"  {comm}: {ticks / os.sysconf('SC_CLK_TCK') / wall:.2f} cores")
    finally:
        if server is not None:
            server.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pg.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
