#!/usr/bin/env python3
"""bench-repeat.py LOG.csv N DAYS: print the CSV log N times, copy k shifted by k*DAYS days.

For `make bench`'s memory check: the same keys and the same distinct values with N times
the events. The timestamp is the first column, ISO 8601 ("2024-03-01T00:00:36.264Z"); only
its date changes (whole days), so each distinct date is converted once.
"""
import datetime
import sys


def main():
    path, n, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = sys.stdout
    with open(path, encoding="utf-8", newline="") as f:
        header = f.readline()
        body = f.readlines()
    out.write(header)
    for k in range(n):
        shift = datetime.timedelta(days=k * days)
        cache = {}
        for line in body:
            d = line[:10]
            nd = cache.get(d)
            if nd is None:
                nd = (datetime.date.fromisoformat(d) + shift).isoformat()
                cache[d] = nd
            out.write(nd)
            out.write(line[10:])


if __name__ == "__main__":
    main()
