#!/usr/bin/env python3
"""The floor under any durable acknowledgement on this machine: one small write and one fdatasync, at a rate.

Appends RECORD bytes to a preallocated file in DIR (Eddy's segment log does the same: a write into a
zero-filled segment, then fdatasync) at RATE per second, COUNT times, and prints the percentiles. Run it where
the data directory lives; a low rate finds the disk and the CPUs idle, as a 20/s producer does.

usage: syncfloor.py [--dir /tmp] [--rate 20] [--count 400] [--record 200]
"""
import argparse
import os
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dir', default=tempfile.gettempdir())
    ap.add_argument('--rate', type=float, default=20)
    ap.add_argument('--count', type=int, default=400)
    ap.add_argument('--record', type=int, default=200)
    a = ap.parse_args()
    fd, path = tempfile.mkstemp(prefix='syncfloor-', dir=a.dir)
    try:
        os.ftruncate(fd, a.count * a.record + 4096)
        os.fsync(fd)
        record = b'x' * a.record
        latencies = []
        start = time.perf_counter()
        for i in range(a.count):
            due = start + i / a.rate
            while (now := time.perf_counter()) < due:
                time.sleep(min(due - now, 0.01))
            began = time.perf_counter()
            os.pwrite(fd, record, i * a.record)
            os.fdatasync(fd)
            latencies.append((time.perf_counter() - began) * 1000)
        latencies.sort()

        def q(p):
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

        print('write + fdatasync at %g/s, %d times in %s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms'
              % (a.rate, a.count, a.dir, q(.5), q(.9), q(.99), latencies[-1]))
    finally:
        os.close(fd)
        os.unlink(path)


if __name__ == '__main__':
    main()
