"""boto3's Athena client (its get_query_results paginator included) and the AWS CLI against the
local service's Athena API; every response is checked against botocore's own output shapes, and
results against an independent computation over the trail files."""

import pytest

from conftest import until_ended
from test_local_service_boto3 import aws_cli, client, validated


def athena(info):
    return client(info, "athena")


def wait(c, qid):
    q = until_ended(
        lambda: validated(c, "GetQueryExecution", c.get_query_execution(QueryExecutionId=qid)),
        lambda q: q["QueryExecution"]["Status"]["State"] not in ("QUEUED", "RUNNING"))
    assert q["QueryExecution"]["Status"]["State"] not in ("QUEUED", "RUNNING"), "query never ended"
    return q


def start(c, info, sql):
    a = info["athena"]
    return validated(c, "StartQueryExecution", c.start_query_execution(
        QueryString=sql, WorkGroup=a["workgroup"],
        QueryExecutionContext={"Database": a["database"]}))["QueryExecutionId"]


def test_serve_names_its_athena_table(aws_env):
    a = aws_env["athena"]
    assert set(a) == {"workgroup", "database", "table"}
    c = athena(aws_env)
    wg = validated(c, "GetWorkGroup", c.get_work_group(WorkGroup=a["workgroup"]))["WorkGroup"]
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"].startswith("s3://")
    assert wg["Configuration"]["EnforceWorkGroupConfiguration"] is True


def test_paginated_results_match_the_files(aws_env, invictus_events):
    c = athena(aws_env)
    t = aws_env["athena"]["table"]
    qid = start(c, aws_env, (
        f"SELECT eventid, eventname, json_extract_scalar(requestparameters, '$.userName') AS u "
        f"FROM {t} WHERE eventsource = 'iam.amazonaws.com' AND eventtime >= '2023-07-10T00:00:00Z' "
        f"AND \"timestamp\" BETWEEN '2023/07/10' AND '2023/07/10' ORDER BY eventid"))
    done = wait(c, qid)["QueryExecution"]
    assert done["Status"]["State"] == "SUCCEEDED"
    assert done["Statistics"]["DataScannedInBytes"] > 0
    pages = c.get_paginator("get_query_results").paginate(
        QueryExecutionId=qid, PaginationConfig={"PageSize": 7})
    rows, header, n = [], None, 0
    for page in pages:
        validated(c, "GetQueryResults", page)
        n += 1
        data = [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        if header is None:
            header, data = data[0], data[1:]
            cols = [ci["Name"] for ci in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
            assert header == cols == ["eventid", "eventname", "u"]
        rows.extend(data)
    expected = sorted(
        [e["eventID"], e["eventName"], (e.get("requestParameters") or {}).get("userName")]
        for e in invictus_events if e["eventSource"] == "iam.amazonaws.com")
    assert rows == expected
    assert n == -(-(len(rows) + 1) // 7) > 1


def test_one_day_partition_scans_less_than_the_table(aws_env):
    c = athena(aws_env)
    t = aws_env["athena"]["table"]
    whole = wait(c, start(c, aws_env, f"SELECT count(*) FROM {t}"))["QueryExecution"]
    none = wait(c, start(c, aws_env,
                         f"SELECT count(*) FROM {t} WHERE \"timestamp\" = '2020/01/01'"))["QueryExecution"]
    assert whole["Statistics"]["DataScannedInBytes"] > 0
    assert none["Statistics"]["DataScannedInBytes"] == 0


def test_typed_errors(aws_env):
    c = athena(aws_env)
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.start_query_execution(QueryString="SELECT 1", WorkGroup="primary")
    t = aws_env["athena"]["table"]

    def failed(sql):
        """A statement the engine refuses starts, and FAILS with the engine's reason."""
        q = wait(c, start(c, aws_env, sql))["QueryExecution"]["Status"]
        assert q["State"] == "FAILED" and q["AthenaError"]["ErrorCategory"] == 2, q
        return q["StateChangeReason"]
    assert failed("SELEC nothing").startswith("SYNTAX_ERROR: ")
    assert failed("SELECT 1 FROM no_such_table").startswith("TABLE_NOT_FOUND: ")
    # Trino's analysis errors, with Trino's error name first as Athena reports them.
    assert "COLUMN_NOT_FOUND: line 2:3: Column 'nosuch' cannot be resolved" in failed(
        f"SELECT eventname,\n  nosuch FROM {t}")
    assert ("EXPRESSION_NOT_AGGREGATE: line 1:8: 'eventsource' must be an aggregate expression or "
            "appear in GROUP BY clause") in failed(f"SELECT eventsource, count(*) FROM {t}")
    # A runtime error: FAILED, with the reason.
    q = wait(c, start(c, aws_env, f"SELECT from_iso8601_timestamp(eventname) FROM {t}"))
    assert q["QueryExecution"]["Status"]["State"] == "FAILED"
    assert "malformed" in q["QueryExecution"]["Status"]["StateChangeReason"]
    with pytest.raises(c.exceptions.InvalidRequestException):
        c.get_query_results(QueryExecutionId=q["QueryExecution"]["QueryExecutionId"])
    listed = validated(c, "ListQueryExecutions",
                       c.list_query_executions(WorkGroup=aws_env["athena"]["workgroup"]))
    assert q["QueryExecution"]["QueryExecutionId"] in listed["QueryExecutionIds"]


def test_deep_statements_never_hurt_the_service(aws_env, invictus_events):
    """Statements as long as Athena takes (262,144 bytes): a 10,000-term OR and a 1,000-term
    AND run and count what Python counts; a chain nesting 100,000 deep or an AND of 1,001
    terms FAILS as Trino's statement too large, and so does a deep one that does not parse; the
    service goes on serving."""
    c = athena(aws_env)
    t = aws_env["athena"]["table"]
    names = sorted({e["eventName"] for e in invictus_events})[:3] + [f"N{i}" for i in range(9997)]
    sql = f"SELECT count(*) FROM {t} WHERE " + " OR ".join(f"eventname = '{n}'" for n in names)
    assert len(sql) < 262_144
    q = wait(c, start(c, aws_env, sql))
    assert q["QueryExecution"]["Status"]["State"] == "SUCCEEDED", q
    rows = c.get_query_results(QueryExecutionId=q["QueryExecution"]["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == str(sum(e["eventName"] in names for e in invictus_events))
    # 1,000 conjuncts (DataFusion's filter push-down rebuilds them 1,000 deep) run.
    names = {e["eventName"] for e in invictus_events}
    sql = f"SELECT count(*) FROM {t} WHERE " + " AND ".join(f"eventname<>'N{i}'" for i in range(1_000))
    q = wait(c, start(c, aws_env, sql))
    assert q["QueryExecution"]["Status"]["State"] == "SUCCEEDED", q
    rows = c.get_query_results(QueryExecutionId=q["QueryExecution"]["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == str(sum(
        e["eventName"] not in {f"N{i}" for i in range(1_000)} for e in invictus_events))
    assert names
    for sql, reason in [
        (f"SELECT count(*) FROM {t} WHERE length(eventname)" + "+1" * 100_000 + " > 0",
         "STACK_OVERFLOW: statement is too large (stack overflow during analysis)"),
        (f"SELECT count(*) FROM {t} WHERE " + " AND ".join(["eventname<>''"] * 1_001),
         "STACK_OVERFLOW: statement is too large (stack overflow during analysis)"),
        (f"SELECT count(*) FROM {t} WHERE length(eventname)" + "+1" * 100_000 + "+)", "SYNTAX_ERROR: "),
    ]:
        q = wait(c, start(c, aws_env, sql))["QueryExecution"]["Status"]
        assert q["State"] == "FAILED" and q["StateChangeReason"].startswith(reason), q
    q = wait(c, start(c, aws_env, f"SELECT count(*) FROM {t}"))
    assert q["QueryExecution"]["Status"]["State"] == "SUCCEEDED"


def test_aws_cli_start_and_results(aws_env, invictus_events):
    a = aws_env["athena"]
    started = aws_cli(aws_env, "athena", "start-query-execution",
                      "--query-string", f"SELECT count(*) AS n FROM {a['table']}",
                      "--work-group", a["workgroup"],
                      "--query-execution-context", f"Database={a['database']}")
    c = athena(aws_env)
    assert wait(c, started["QueryExecutionId"])["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    results = aws_cli(aws_env, "athena", "get-query-results",
                      "--query-execution-id", started["QueryExecutionId"])
    rows = results["ResultSet"]["Rows"]
    assert rows == [{"Data": [{"VarCharValue": "n"}]},
                    {"Data": [{"VarCharValue": str(len(invictus_events))}]}]
