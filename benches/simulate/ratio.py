#!/usr/bin/env python3
"""`kezek simulate` against a plain Python serial dictatorship on the same city, in one run.

The Python side is written from the interchange format's rules alone (../shared/dataset/
README.md, docs/rules.md), not from Kezek's code: the policy kz-2013 (every category in one
first-priority tier strictly before everyone else), inside a district the order tier, then
`registered_at`, then `application_id`; each child in that order takes the first of its
preferences that has a group of its age (full years on 1 September of the academic year) and
language with a free seat — the lowest group id of those — or is skipped. CSV in and out are
timed on both sides. The two referrals.csv files are compared byte for byte: a ratio between
programs that disagree would mean nothing.

    python3 benches/simulate/ratio.py --city /tmp/city-1m --repeat 3
"""

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIRST_PRIORITY = {"disabled_parent", "no_parental_care", "orphan", "large_family", "veteran_equated"}


def serial_dictatorship(groups_csv, applications_csv, out_csv, year):
    # (kindergarten, age, language) -> [group id, free seats] by group id.
    groups = {}
    with open(groups_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            free = int(row["free_seats"])
            key = (row["kindergarten_id"], int(row["age_years"]), row["language"])
            groups.setdefault(key, []).append([row["group_id"], free])
    for gs in groups.values():
        gs.sort()
    children = []
    with open(applications_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            tier = 0 if row["category"] in FIRST_PRIORITY else 1
            by, bm, bd = (int(x) for x in row["birth_date"].split("-"))
            age = year - by - (1 if (bm, bd) > (9, 1) else 0)
            children.append((tier, row["registered_at"], row["application_id"], age, row["language"],
                             row["preferences"].split(";")))
    # Districts do not share kindergartens: one order over all of them gives the same result.
    children.sort(key=lambda c: (c[0], c[1], c[2]))
    referred = []
    for _, _, app, age, lang, prefs in children:
        for kg in prefs:
            found = next((g for g in groups.get((kg, age, lang), ()) if g[1] > 0), None)
            if found:
                found[1] -= 1
                referred.append((app, kg, found[0]))
                break
    referred.sort()
    with open(out_csv, "w", newline="", encoding="utf-8") as f:
        f.write("application_id,kindergarten_id,group_id\n")
        for r in referred:
            f.write(",".join(r) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--city", required=True, help="a city directory (groups.csv, applications.csv)")
    p.add_argument("--binary", default=str(ROOT / "target" / "release" / "kezek"))
    p.add_argument("--academic-year", type=int, default=2026)
    p.add_argument("--repeat", type=int, default=1, help="runs of each, alternating")
    args = p.parse_args()
    city = Path(args.city)
    work = Path(tempfile.mkdtemp(prefix="kezek-ratio-"))
    kezek_s, python_s = [], []
    for _ in range(args.repeat):
        started = time.monotonic()
        subprocess.run([args.binary, "simulate", "--groups", city / "groups.csv", "--applications",
                        city / "applications.csv", "--academic-year", str(args.academic_year),
                        "--out", work / "kezek.csv"], check=True, stdout=subprocess.DEVNULL)
        kezek_s.append(time.monotonic() - started)
        started = time.monotonic()
        serial_dictatorship(city / "groups.csv", city / "applications.csv", work / "python.csv",
                            args.academic_year)
        python_s.append(time.monotonic() - started)
    same = (work / "kezek.csv").read_bytes() == (work / "python.csv").read_bytes()
    referrals = sum(1 for _ in open(work / "kezek.csv")) - 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"city {city}: {referrals:,} referrals; referrals.csv {'identical' if same else 'DIFFERENT'}")
    print(f"kezek simulate: {', '.join(f'{s:.2f}' for s in kezek_s)} s")
    print(f"python serial dictatorship: {', '.join(f'{s:.2f}' for s in python_s)} s")
    print(f"ratio (median python / median kezek): {sorted(python_s)[len(python_s) // 2] / sorted(kezek_s)[len(kezek_s) // 2]:.1f}x")
    if not same:
        sys.exit("the two programs disagree: the ratio means nothing")


if __name__ == "__main__":
    main()
