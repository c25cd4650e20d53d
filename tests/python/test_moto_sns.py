"""Alerts reach a real SNS implementation: the built lookup-alert function, run under the Lambda
Runtime API harness, publishes to moto_server's SNS; an SQS queue subscribed to the topic
receives the alert."""
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from conftest import REPO, trailwatch_bin


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    server = pathlib.Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.kill()
        proc.wait()


def test_lookup_alert_publishes_to_moto_sns_and_sqs_receives(moto, service):
    kw = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = sns.create_topic(Name="trailwatch-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    bins = pathlib.Path(trailwatch_bin()).parent
    payload = (REPO / "events" / "lookup-alert-api-call.json").read_text()
    env = dict(os.environ, AWS_ENDPOINT_URL_SNS=moto, AWS_ENDPOINT_URL_CLOUDTRAIL=service["endpoint"],
               AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="us-east-1",
               TRAILWATCH_ALERT_TOPIC_ARN=topic, RUST_LOG="warn")
    out = subprocess.run([str(bins / "lambda-harness"), "--bin", str(bins / "lookup-alert"), "--payload", payload],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["mode"] == "eventbridge" and result["notifications"] >= 1

    messages = []
    for _ in range(20):
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        messages.extend(got)
        if len(messages) >= result["notifications"]:
            break
    assert len(messages) == result["notifications"]
    rules, severities = set(), set()
    for m in messages:
        envelope = json.loads(m["Body"])
        assert len(envelope["Subject"]) < 100
        body = json.loads(envelope["Message"])
        severities.add(envelope["MessageAttributes"]["severity"]["Value"])
        for alert in body["alerts"]:
            rules.add(alert["rule_id"])
            assert alert["event"]["event_name"] == "StopLogging"
            assert alert["console_link"].startswith("https://us-east-1.console.aws.amazon.com/cloudtrailv2/")
    assert "cis-cw05-cloudtrail-config-changes" in rules
    assert "high" in severities
