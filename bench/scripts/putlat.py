#!/usr/bin/env python3
"""A second opinion on Eddy's acknowledgement latency, from a client with no JIT and no threads.

One keep-alive HTTP/1.1 connection (Python's http.client), one Kinesis JSON 1.1 PutRecord at a time, paced at
RATE per second (closed loop: a slow answer delays the next call, unlike `eddy bench --latency`, whose open-loop
schedule counts that wait). Creates STREAM (one shard) if it does not exist; the first tenth of the calls warm
up and are not counted.

usage: putlat.py [--endpoint http://localhost:4567] [--rate 20] [--count 600] [--stream putlat] [--size 100]
"""
import argparse
import base64
import http.client
import json
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--endpoint', default='http://localhost:4567')
    ap.add_argument('--rate', type=float, default=20)
    ap.add_argument('--count', type=int, default=600)
    ap.add_argument('--stream', default='putlat')
    ap.add_argument('--size', type=int, default=100)
    a = ap.parse_args()
    url = urllib.parse.urlparse(a.endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80)

    def call(action, body):
        conn.request('POST', '/', body=json.dumps(body), headers={
            'X-Amz-Target': 'Kinesis_20131202.' + action, 'Content-Type': 'application/x-amz-json-1.1'})
        response = conn.getresponse()
        return response.status, response.read()

    status, answer = call('CreateStream', {'StreamName': a.stream, 'ShardCount': 1})
    if status != 200 and b'ResourceInUseException' not in answer:
        raise SystemExit('CreateStream answered %d: %s' % (status, answer))
    while json.loads(call('DescribeStreamSummary', {'StreamName': a.stream})[1])[
            'StreamDescriptionSummary']['StreamStatus'] != 'ACTIVE':
        time.sleep(0.1)
    data = base64.b64encode(b'x' * a.size).decode()
    latencies = []
    start = time.perf_counter()
    for i in range(a.count):
        due = start + i / a.rate
        while (now := time.perf_counter()) < due:
            time.sleep(min(due - now, 0.01))
        sent = time.perf_counter()
        status, answer = call('PutRecord', {'StreamName': a.stream, 'PartitionKey': 'k%d' % (i % 64), 'Data': data})
        latencies.append((time.perf_counter() - sent) * 1000)
        if status != 200:
            raise SystemExit('PutRecord answered %d: %s' % (status, answer))
    measured = sorted(latencies[a.count // 10:])

    def q(p):
        return measured[min(len(measured) - 1, int(p * len(measured)))]

    print('PutRecord at %g/s, %d calls after %d warm-up calls: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms'
          % (a.rate, len(measured), a.count - len(measured), q(.5), q(.9), q(.99), measured[-1]))


if __name__ == '__main__':
    main()
