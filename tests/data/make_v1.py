#!/usr/bin/env python3
"""Makes tests/data/v1: a small data directory written by the kezek binary of commit 8419a2b
(the last one before the application layer), so that later binaries can be checked to replay
and verify it with the same hashes.

    python3 tests/data/make_v1.py --binary /path/to/old/kezek --out tests/data/v1

It imports a 40-child city (gen.py --children 40 --kindergartens 8 --seed 3), creates keys,
starts the server and drives every kind of write over HTTP (kindergarten upserts, live
registrations that meet a free seat, refusals, a retried Idempotency-Key, claim decisions,
vacancies, rounds, confirm/decline/enrol/no-show, a preference change, a withdrawal), stops it,
and records what `kezek verify` says and every application's queue number in expected.json.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def iin(birth, serial, female=False):
    """A valid IIN for a child born on `birth` (YYYY-MM-DD) in the 2000s."""
    y, m, d = birth.split("-")
    digits = [int(c) for c in f"{y[2:]}{m}{d}{6 if female else 5}{serial:04d}"]
    r = sum(x * (i + 1) for i, x in enumerate(digits)) % 11
    if r == 10:
        w = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        r = sum(x * wi for x, wi in zip(digits, w)) % 11
        if r == 10:
            return iin(birth, serial + 1, female)
    return "".join(map(str, digits)) + str(r)


class Client:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None, key=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if key:
            req.add_header("Idempotency-Key", key)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def application(child, district, prefs, category=None, docs=None):
    documents = docs or ["application_form", "applicant_id", "address_proof"]
    if category and docs is None:
        documents = documents + ["benefit_proof"]
    return {
        "child": {"iin": child, "name": "Бала"},
        "applicant": {"iin": "880101300123", "name": "Ата-ана", "representative": None},
        "district": district, "language": "kk", "preferences": prefs,
        "category": category, "documents": documents, "channel": "portal",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "v1"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    city = os.path.join(out + ".city")
    shutil.rmtree(city, ignore_errors=True)
    gen = os.path.join(HERE, "..", "..", "..", "shared", "dataset", "gen.py")
    subprocess.run([sys.executable, gen, "--children", "40", "--kindergartens", "8", "--seed", "3",
                    "--out", city], check=True, stdout=subprocess.DEVNULL)
    kezek = lambda *a: subprocess.run([args.binary, *a], check=True, capture_output=True, text=True)
    kezek("import", "--groups", f"{city}/groups.csv", "--applications",
          f"{city}/applications.csv", "--data", out)
    shutil.rmtree(city)

    def key(*a):
        return kezek("keys", "create", "--data", out, *a).stdout.strip().splitlines()[-1]
    portal = key("--role", "portal")
    staff = key("--role", "staff", "--district", "D01", "--district", "D02")
    kg = key("--role", "kindergarten", "--kindergarten", "KX1")
    auditor = key("--role", "auditor")

    server = subprocess.Popen([args.binary, "serve", "--listen", "127.0.0.1:0", "--data", out],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in server.stdout:
        if "listening on http://" in line:
            base = "http://" + line.rsplit("http://", 1)[1].strip()
            break
    c = Client(base)

    def ok(want, got):
        status, body = got
        assert status == want, (want, status, body)
        return body

    groups = [{"group_id": "g3", "age_years": 3, "language": "kk", "capacity": 2},
              {"group_id": "g4", "age_years": 4, "language": "kk", "capacity": 2}]
    ok(201, c.call("PUT", "/v1/kindergartens/KX1", staff,
                   {"name": "Балабақша", "district": "D01", "groups": groups}))
    ok(201, c.call("PUT", "/v1/kindergartens/KX2", staff,
                   {"name": "Second", "district": "D01", "groups": groups[:1]}))
    # Live registrations: the first two meet free seats at KX1 and are referred at once.
    a = ok(201, c.call("POST", "/v1/applications", portal,
                       application(iin("2022-03-04", 11), "D01", ["KX1"]), key="a"))
    assert a["status"] == "referred", a
    again = ok(201, c.call("POST", "/v1/applications", portal,
                           application(iin("2022-03-04", 11), "D01", ["KX1"]), key="a"))
    assert again == a
    b = ok(201, c.call("POST", "/v1/applications", portal,
                       application(iin("2022-07-01", 12, True), "D01", ["KX1", "KX2"])))
    ok(422, c.call("POST", "/v1/applications", portal,
                   application(iin("2022-07-02", 13), "D01", ["KX1"], docs=["application_form"])))
    ok(422, c.call("POST", "/v1/applications", portal,
                   application("123", "DZ", ["KX1", "KX1", "K000003"], category="nobody")))
    ok(409, c.call("POST", "/v1/applications", portal,
                   application(iin("2022-03-04", 11), "D01", ["KX1"])))
    claims = [ok(201, c.call("POST", "/v1/applications", portal,
                             application(iin("2023-01-0%d" % n, 20 + n), "D01", ["KX1", "KX2"],
                                         category="large_family")))
              for n in range(1, 5)]
    plain = [ok(201, c.call("POST", "/v1/applications", portal,
                            application(iin("2023-02-0%d" % n, 30 + n, True), "D01", ["KX2"])))
             for n in range(1, 5)]
    ok(200, c.call("POST", f"/v1/applications/{claims[0]['application_id']}/priority", staff,
                   {"decision": "verified", "reason": "справка"}))
    ok(200, c.call("POST", f"/v1/applications/{claims[1]['application_id']}/priority", staff,
                   {"decision": "rejected", "reason": "forged"}))
    ok(200, c.call("PUT", f"/v1/applications/{plain[0]['application_id']}/preferences", portal,
                   {"preferences": ["KX2", "KX1"]}))
    ok(200, c.call("POST", f"/v1/applications/{plain[1]['application_id']}/withdraw", portal))
    # The referrals of the live registrations: one confirmed and enrolled, one declined.
    ra = a["referral"]["referral_id"]
    ok(200, c.call("POST", f"/v1/referrals/{ra}/confirm", portal))
    ok(200, c.call("POST", f"/v1/referrals/{ra}/enroll", kg))
    at_kx1 = [x["referral"]["referral_id"] for x in claims
              if x["referral"] and x["referral"]["kindergarten_id"] == "KX1"]
    ok(200, c.call("POST", f"/v1/referrals/{at_kx1[0]}/no-show", kg))
    if b["referral"]:
        ok(200, c.call("POST", f"/v1/referrals/{b['referral']['referral_id']}/decline", portal))
    # Seats open in the imported city and at KX1/KX2; a district round hands them out.
    ok(200, c.call("POST", "/v1/kindergartens/KX1/groups/g4/vacancies", staff, {"seats": 1}))
    ok(200, c.call("PUT", "/v1/kindergartens/KX2", staff,
                   {"name": "Second", "district": "D01",
                    "groups": [dict(groups[0], capacity=4)]}))
    r = ok(201, c.call("POST", "/v1/districts/D01/allocations", staff, {"academic_year": 2026}))
    for n, ref in enumerate(r["referrals"]):
        action = ["confirm", "decline"][n % 2]
        ok(200, c.call("POST", f"/v1/referrals/{ref['referral_id']}/{action}", portal))
    # A round for a later academic year ages the older children of D02 out first.
    ok(201, c.call("POST", "/v1/districts/D02/allocations", staff, {"academic_year": 2029}))
    head = ok(200, c.call("GET", "/v1/journal/head", auditor))
    queue = {}
    seq = 0
    while True:
        page = ok(200, c.call("GET", f"/v1/journal?after={seq}&limit=1000", auditor))
        for e in page["events"]:
            if e["kind"] == "registered":
                queue[e["payload"]["application_id"]] = None
        if not page["events"]:
            break
        seq = page["next_after"]
    for app_id in queue:
        queue[app_id] = ok(200, c.call("GET", f"/v1/applications/{app_id}/position",
                                       portal))["queue_number"]
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    verified = kezek("verify", "--data", out).stdout.strip()
    assert os.path.exists(os.path.join(out, "kezek.sqlite-wal")) is False or \
        os.path.getsize(os.path.join(out, "kezek.sqlite-wal")) == 0
    for f in ("kezek.sqlite-wal", "kezek.sqlite-shm"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"head": head, "verify": verified, "queue_numbers": queue}, f, indent=1,
                  sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print(verified)


if __name__ == "__main__":
    main()
