"""Reads a shard with boto3's subscribe_to_shard (enhanced fan-out over HTTP/1.1, chunked event stream).

Usage: subscribe_to_shard.py ENDPOINT CONSUMER_ARN SHARD_ID COUNT [AFTER_SEQUENCE_NUMBER]

Subscribes at TRIM_HORIZON (or after the sequence number), reads events until COUNT records arrived, and prints
one JSON line per event: {"records": [[sequence number, data as text, partition key], ...],
"continuation": ..., "behind": ...}. Exits 0, or 1 with the error on stderr.
"""
import json
import sys

import boto3
from botocore.config import Config


def main():
    endpoint, consumer_arn, shard_id, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    position = {"Type": "TRIM_HORIZON"}
    if len(sys.argv) > 5:
        position = {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sys.argv[5]}
    kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(read_timeout=30, retries={"max_attempts": 1}))
    response = kinesis.subscribe_to_shard(ConsumerARN=consumer_arn, ShardId=shard_id, StartingPosition=position)
    seen = 0
    for event in response["EventStream"]:
        e = event["SubscribeToShardEvent"]
        records = [[r["SequenceNumber"], r["Data"].decode("utf-8"), r["PartitionKey"]] for r in e["Records"]]
        print(json.dumps({"records": records, "continuation": e.get("ContinuationSequenceNumber"),
                          "behind": e["MillisBehindLatest"]}), flush=True)
        seen += len(records)
        if seen >= count:
            break
    response["EventStream"].close()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # reported to the test, which shows it
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
