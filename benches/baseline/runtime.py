"""The Python/boto3 baseline: what users would otherwise deploy. A Lambda custom runtime loop
equivalent to the Rust functions' main: build the same boto3 clients once at start-up, then take
invocations from the Lambda Runtime API. Handles one kind of work: `collect`, the same paging,
decoding and alert publishing as collect-results (see collect.py)."""
import json
import os
import urllib.request

import boto3

import collect

# Start-up work, as in the Rust functions: configuration and clients, once.
CLOUDTRAIL = boto3.client("cloudtrail")
SNS = boto3.client("sns")
TOPIC = os.environ.get("TRAILWATCH_ALERT_TOPIC_ARN", "")

API = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"

while True:
    with urllib.request.urlopen(f"{API}/next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    try:
        result = collect.collect(CLOUDTRAIL, SNS, TOPIC, event["query"]) if "query" in event else {"ok": True}
        url, body = f"{API}/{request_id}/response", json.dumps(result)
    except Exception as e:  # report like the Python runtime does
        url, body = f"{API}/{request_id}/error", json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)})
    urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), method="POST")).read()
