"""boto3 (with its paginators) and the AWS CLI against the local CloudTrail service; every
response is checked against botocore's own output shapes for the operation."""
import datetime as dt
import json
import subprocess

import boto3
import pytest

from conftest import until_ended


def client(service_info, name="cloudtrail"):
    return boto3.client(name, endpoint_url=service_info["endpoint"], region_name="us-east-1",
                        aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")


def check_shape(shape, value, path="$"):
    """Fails unless `value` (as botocore parsed it) conforms to `shape` from the service model."""
    if value is None:
        return
    t = shape.type_name
    if t == "structure":
        assert isinstance(value, dict), f"{path}: expected a structure, got {value!r}"
        for k, v in value.items():
            if k == "ResponseMetadata":
                continue
            assert k in shape.members, f"{path}.{k}: not a member of {shape.name}"
            check_shape(shape.members[k], v, f"{path}.{k}")
        for req in shape.required_members:
            assert req in value, f"{path}: required member {req} missing"
    elif t == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for i, v in enumerate(value):
            check_shape(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        for k, v in value.items():
            check_shape(shape.key, k, f"{path}.<key>")
            check_shape(shape.value, v, f"{path}.{k}")
    elif t == "string":
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif t in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer"
    elif t == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean"
    elif t == "timestamp":
        assert isinstance(value, dt.datetime), f"{path}: expected a timestamp"
    elif t in ("double", "float"):
        assert isinstance(value, (int, float)), f"{path}: expected a number"


def validated(c, op, response):
    shape = c.meta.service_model.operation_model(op).output_shape
    check_shape(shape, response)
    return response


def wait(c, qid):
    d = until_ended(lambda: validated(c, "DescribeQuery", c.describe_query(QueryId=qid)),
                    lambda d: d["QueryStatus"] not in ("QUEUED", "RUNNING"))
    assert d["QueryStatus"] not in ("QUEUED", "RUNNING"), "query never ended"
    return d


def test_lookup_events_paginator_matches_the_files(aws_env, invictus_events):
    c = client(aws_env)
    pages = c.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetSecretValue"}],
        StartTime=dt.datetime(2023, 7, 10, tzinfo=dt.timezone.utc),
        EndTime=dt.datetime(2023, 7, 11, tzinfo=dt.timezone.utc),
        PaginationConfig={"PageSize": 7},
    )
    got = []
    for page in pages:
        validated(c, "LookupEvents", page)
        assert len(page["Events"]) <= 7
        for e in page["Events"]:
            assert json.loads(e["CloudTrailEvent"])["eventID"] == e["EventId"]
            got.append(e["EventId"])
    expected = [e["eventID"] for e in sorted(
        (e for e in invictus_events if e["eventName"] == "GetSecretValue"),
        key=lambda e: (e["eventTime"], e["eventID"]), reverse=False)]
    assert sorted(got) == sorted(expected)
    assert len(got) == 60


def test_lake_query_with_boto3(aws_env, invictus_events):
    c = client(aws_env)
    store = aws_env["event_data_store"]
    qid = validated(c, "StartQuery", c.start_query(QueryStatement=(
        f"SELECT eventName, count(*) AS n FROM {store} "
        "WHERE eventTime >= '2023-07-10 00:00:00' AND eventSource = 'iam.amazonaws.com' "
        "GROUP BY eventName ORDER BY n DESC, eventName")))["QueryId"]
    assert wait(c, qid)["QueryStatus"] == "FINISHED"
    # botocore has no paginator for GetQueryResults: follow NextToken by hand.
    rows, kwargs, pages = [], {"QueryId": qid, "MaxQueryResults": 5}, 0
    while True:
        page = validated(c, "GetQueryResults", c.get_query_results(**kwargs))
        rows.extend(page["QueryResultRows"])
        pages += 1
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == -(-len(rows) // 5)
    got = {r[0]["eventName"]: int(r[1]["n"]) for r in rows}
    expected = {}
    for e in invictus_events:
        if e["eventSource"] == "iam.amazonaws.com":
            expected[e["eventName"]] = expected.get(e["eventName"], 0) + 1
    assert got == expected
    listed = validated(c, "ListQueries", c.list_queries(EventDataStore=aws_env["event_data_store_arn"]))
    assert any(q["QueryId"] == qid for q in listed["Queries"])


def test_typed_errors_in_boto3(aws_env):
    c = client(aws_env)
    with pytest.raises(c.exceptions.InvalidQueryStatementException):
        c.start_query(QueryStatement="SELEC nothing")
    with pytest.raises(c.exceptions.QueryIdNotFoundException):
        c.describe_query(QueryId="00000000-0000-0000-0000-000000000000")
    with pytest.raises(c.exceptions.InvalidTimeRangeException):
        c.lookup_events(StartTime=dt.datetime(2023, 7, 11), EndTime=dt.datetime(2023, 7, 10))
    with pytest.raises(c.exceptions.InvalidLookupAttributesException):
        c.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                          {"AttributeKey": "EventSource", "AttributeValue": "B"}])


def aws_cli(service_info, *args):
    out = subprocess.run(["aws", *args, "--endpoint-url", service_info["endpoint"], "--output", "json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_aws_cli_lookup_and_start_query(aws_env, invictus_events):
    logins = aws_cli(aws_env, "cloudtrail", "lookup-events",
                     "--lookup-attributes", "AttributeKey=EventName,AttributeValue=ConsoleLogin",
                     "--start-time", "2023-07-10T00:00:00Z", "--end-time", "2023-07-11T00:00:00Z")
    expected = sum(1 for e in invictus_events if e["eventName"] == "ConsoleLogin")
    assert len(logins["Events"]) == expected > 0
    started = aws_cli(aws_env, "cloudtrail", "start-query", "--query-statement",
                      f"SELECT count(*) FROM {aws_env['event_data_store']}")
    c = client(aws_env)
    assert wait(c, started["QueryId"])["QueryStatus"] == "FINISHED"
    results = aws_cli(aws_env, "cloudtrail", "get-query-results", "--query-id", started["QueryId"])
    assert results["QueryResultRows"] == [[{"_col0": str(len(invictus_events))}]]


def test_sns_with_boto3(aws_env):
    sns = client(aws_env, "sns")
    arn = sns.create_topic(Name="py-alerts")["TopicArn"]
    mid = sns.publish(TopicArn=arn, Message="hello", Subject="s",
                      MessageAttributes={"severity": {"DataType": "String", "StringValue": "low"}})["MessageId"]
    assert mid
    batch = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"}])
    assert [s["Id"] for s in batch["Successful"]] == ["a", "b"]
    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=arn + "-nope", Message="x")
