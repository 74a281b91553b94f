#!/usr/bin/env python3
"""PostgreSQL and several nodes, side by side with SQLite in one run (BENCHMARKS.md).

Starts a private PostgreSQL cluster (initdb and pg_ctl into a temporary directory on a free
port, as the postgres user when run as root), imports the city into it and into a SQLite
data directory with the real binary, and measures, on the same machine in the same run:

1. start-up replay of the city's journal: SQLite, and PostgreSQL (the leader, then a follower);
2. durable registrations over HTTP with 64 clients (wrk): SQLite and PostgreSQL, runs
   alternating;
3. position queries: from one node, and from two nodes at once (a wrk for each);
4. follower lag under write load: registrations on the leader while the follower's
   /healthz `Kezek-Lag` is read every 10 ms;
5. failover: the leader killed with SIGKILL, the time until the other node says it leads,
   over --kills kills (the killed node comes back as a follower each time).

    python3 benches/cluster/run.py --city /tmp/city-1m
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "http"))
import run as bench  # noqa: E402  (the HTTP benchmark's helpers: wrk, Server, bodies)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--city", help="a city directory (groups.csv, applications.csv)")
    p.add_argument("--children", type=int, default=1_000_000)
    p.add_argument("--kindergartens", type=int, default=8000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--gen", default=str(bench.GEN))
    p.add_argument("--binary", default=str(bench.ROOT / "target" / "release" / "kezek"))
    p.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    p.add_argument("--repeat", type=int, default=2, help="wrk runs of each kind")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--out", default=str(bench.ROOT / "target" / "bench" / "cluster.json"))
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="kezek-cluster-"))
    # A directory of its own: the server runs as postgres, which cannot enter `work` (0700).
    pg = Cluster(Path(tempfile.mkdtemp(prefix="kezek-pg-")))
    try:
        results = run(args, Path(args.binary).resolve(), work, pg)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(pg.dir, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nresults: {args.out}")


class Cluster:
    """A private PostgreSQL cluster (Debian's binaries), default settings (fsync on)."""

    def __init__(self, dir):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            sys.exit("PostgreSQL is not installed: apt-get install -y postgresql")
        self.bin = bins[-1].parent
        self.dir = dir
        self.root = os.geteuid() == 0
        if self.root:
            subprocess.run(["chown", "postgres:postgres", str(dir)], check=True)
        self.pg(["initdb", "-D", str(dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.pg(["pg_ctl", "-D", str(dir / "data"), "-l", str(dir / "log"), "-w", "-o",
                 f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={dir} -c max_connections=200",
                 "start"])
        subprocess.run([str(self.bin / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                        "-c", "CREATE DATABASE kezek"], check=True)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/kezek"

    def pg(self, cmd):
        cmd = [str(self.bin / cmd[0]), *cmd[1:]]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        try:
            self.pg(["pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])
        except subprocess.CalledProcessError:
            pass


def health(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        return r.getheader("kezek-role"), int(r.getheader("kezek-lag") or 0)
    except OSError:
        return None, 0
    finally:
        conn.close()


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


def run(args, binary, work, pg):
    city = Path(args.city) if args.city else bench.generate(args, work / "city")
    results = {"machine": bench.machine(), "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "command": " ".join([sys.executable, *sys.argv]), "city": str(city), "binary": str(binary),
               "connections": args.connections, "seconds": args.seconds,
               "postgres": subprocess.run([str(pg.bin / "postgres"), "--version"], capture_output=True,
                                          text=True).stdout.strip()}
    lite, node_a, node_b = work / "sqlite", work / "node-a", work / "node-b"
    on_pg = ["--database", pg.url]
    for name, data, extra in (("sqlite", lite, []), ("postgres", node_a, on_pg)):
        started = time.monotonic()
        bench.check([binary, "import", "--data", data, *extra, "--groups", city / "groups.csv",
                     "--applications", city / "applications.csv"])
        results[f"import_s_{name}"] = round(time.monotonic() - started, 2)
    districts = sorted({row["district"] for row in bench.read_csv(city / "groups.csv")})
    portal_lite = bench.token(binary, lite, ["--role", "portal"])
    portal_pg = bench.token(binary, node_a, [*on_pg, "--role", "portal"])
    key = node_a / "authority.key"
    node_b.mkdir()

    lite_server = bench.Server(binary, lite)
    a = bench.Server(binary, node_a, on_pg)
    b = bench.Server(binary, node_b, [*on_pg, "--authority-key", key])
    servers = [lite_server, a, b]
    try:
        results["replay"] = {"sqlite_s": lite_server.ready_s, "sqlite_log_ms": lite_server.replay_ms,
                             "postgres_leader_s": a.ready_s, "postgres_leader_log_ms": a.replay_ms,
                             "postgres_follower_s": b.ready_s, "postgres_follower_log_ms": b.replay_ms}
        assert health(a.port)[0] == "leader" and health(b.port)[0] == "follower"

        apps, last_birth = bench.applications(city)
        bodies = [work / f"bodies-{i}.txt" for i in range(args.repeat + 1)]
        bench.write_bodies(bodies, city, last_birth, 20_000 * args.seconds, args.seed)
        reg = {"sqlite": [], "postgres": []}
        for i in range(args.repeat):
            reg["sqlite"].append(bench.wrk(args, lite_server.port, "register.lua", bodies[i], portal_lite))
            reg["postgres"].append(bench.wrk(args, a.port, "register.lua", bodies[i], portal_pg))
        results["registrations"] = {k: [bench.rate(r) for r in v] for k, v in reg.items()}
        results["registrations_p99_ms"] = {k: [r["latency_us"]["p99"] / 1000 for r in v] for k, v in reg.items()}

        # The follower's lag while the leader takes registrations.
        lags, stop = [], threading.Event()

        def watch():
            while not stop.is_set():
                role, lag = health(b.port)
                if role == "follower":
                    lags.append(lag)
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        loaded = bench.wrk(args, a.port, "register.lua", bodies[args.repeat], portal_pg)
        stop.set()
        watcher.join()
        results["follower_lag_records"] = {"p50": percentile(lags, 0.5), "p99": percentile(lags, 0.99),
                                           "max": max(lags) if lags else None, "samples": len(lags),
                                           "leader_registrations_per_s": bench.rate(loaded)}

        ids = work / "ids.txt"
        ids.write_text("".join(x + "\n" for x in random.Random(args.seed).sample(apps, min(100_000, len(apps)))))
        one = [bench.wrk(args, a.port, "position.lua", ids, portal_pg) for _ in range(args.repeat)]
        two = []
        for _ in range(args.repeat):
            pair = [None, None]

            def load(i, port):
                pair[i] = bench.wrk(args, port, "position.lua", ids, portal_pg)

            threads = [threading.Thread(target=load, args=(0, a.port)), threading.Thread(target=load, args=(1, b.port))]
            [t.start() for t in threads]
            [t.join() for t in threads]
            two.append(pair)
        results["positions_one_node"] = [bench.rate(r) for r in one]
        results["positions_two_nodes"] = [bench.rate(p[0]) + bench.rate(p[1]) for p in two]
        results["positions_p99_ms"] = {"one_node": [r["latency_us"]["p99"] / 1000 for r in one],
                                       "two_nodes": [max(p[0]["latency_us"]["p99"], p[1]["latency_us"]["p99"]) / 1000 for p in two]}

        # Failover: kill whichever node leads; time until the other says it leads.
        lite_server.stop()
        servers.remove(lite_server)
        nodes = {a.port: (a, node_a, on_pg), b.port: (b, node_b, [*on_pg, "--authority-key", key])}
        times = []
        for _ in range(args.kills):
            leader_port = next(p for p in nodes if health(p)[0] == "leader")
            other_port = next(p for p in nodes if p != leader_port)
            server, data, extra = nodes.pop(leader_port)
            server.kill()
            servers.remove(server)
            killed = time.monotonic()
            while health(other_port)[0] != "leader":
                if time.monotonic() - killed > 30:
                    sys.exit("no takeover in 30 s")
                time.sleep(0.005)
            times.append(round((time.monotonic() - killed) * 1000, 1))
            back = bench.Server(binary, data, extra)
            servers.append(back)
            nodes[back.port] = (back, data, extra)
        results["failover_ms"] = {"each": times, "p50": percentile(times, 0.5), "max": max(times)}
    finally:
        for s in servers:
            try:
                s.stop()
            except Exception:  # already gone
                pass
    return results


def table(r):
    reg, rep = r["registrations"], r["replay"]
    rows = [
        ("start-up replay, SQLite / PostgreSQL leader / PostgreSQL follower",
         f"{rep['sqlite_s']} / {rep['postgres_leader_s']} / {rep['postgres_follower_s']} s (replay {rep['sqlite_log_ms']} / {rep['postgres_leader_log_ms']} / {rep['postgres_follower_log_ms']} ms)"),
        ("import of the city, SQLite / PostgreSQL", f"{r['import_s_sqlite']} / {r['import_s_postgres']} s"),
        ("durable registrations/s, 64 clients, SQLite (each run)", ", ".join(f"{x:,}" for x in reg["sqlite"])),
        ("durable registrations/s, 64 clients, PostgreSQL (each run)", ", ".join(f"{x:,}" for x in reg["postgres"])),
        ("positions/s, one node (each run)", ", ".join(f"{x:,}" for x in r["positions_one_node"])),
        ("positions/s, two nodes at once (each run, summed)", ", ".join(f"{x:,}" for x in r["positions_two_nodes"])),
        ("follower lag under write load (records): p50 / p99 / max",
         f"{r['follower_lag_records']['p50']} / {r['follower_lag_records']['p99']} / {r['follower_lag_records']['max']} ({r['follower_lag_records']['samples']} samples; leader at {r['follower_lag_records']['leader_registrations_per_s']:,} registrations/s)"),
        (f"failover over {len(r['failover_ms']['each'])} kills (SIGKILL → the other node leads)",
         f"p50 {r['failover_ms']['p50']} ms, max {r['failover_ms']['max']} ms"),
    ]
    lines = ["| what | measured |", "|---|---|"]
    lines += [f"| {w} | {m} |" for w, m in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
