"""The event store's Parquet cache, checked against DuckDB reading the raw trail-log files:
every bundled check and a set of Lake queries answer the same from a freshly built cache and
from a cache hit; a changed or added source file rebuilds it; a corrupt cache file is rebuilt
with a warning, never read."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import boto3
import duckdb
import pytest

from conftest import DATA, REPO, trailwatch_bin, until_ended

sys.path.insert(0, str(REPO / "benches" / "baseline"))
from scale_duckdb import condition  # noqa: E402  (the bench's Lake-to-DuckDB translation)

RAW = DATA / "CloudTrail"


@pytest.fixture(scope="module")
def raw():
    """DuckDB with the raw files' records as JSON values in `records(r)`."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE records AS SELECT unnest(Records) AS r FROM read_json("
                f"'{RAW}/*.json', columns = {{'Records': 'JSON[]'}}, format = 'auto')")
    return con


@contextmanager
def serve(data, cache):
    """`trailwatch serve` over `data` with its cache in `cache`; its stderr is kept in
    `serve.last_stderr` once it has stopped (a file, not a pipe, so logging never blocks it)."""
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(
            [trailwatch_bin(), "serve", "--addr", "127.0.0.1:0", "--data", str(data),
             "--cache-dir", str(cache), "--queued-ms", "0", "--running-ms", "0",
             "--lookup-rate", "0"],
            stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            yield json.loads(proc.stdout.readline())
        finally:
            proc.kill()
            proc.wait()
            err.seek(0)
            serve.last_stderr = err.read()


def lake(info, sql):
    c = boto3.client("cloudtrail", endpoint_url=info["endpoint"], region_name="us-east-1",
                     aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
    qid = c.start_query(QueryStatement=sql.format(store=info["event_data_store"]))["QueryId"]
    d = until_ended(lambda: c.describe_query(QueryId=qid),
                    lambda d: d["QueryStatus"] not in ("QUEUED", "RUNNING"))
    assert d["QueryStatus"] == "FINISHED", (d.get("ErrorMessage"), sql)
    rows, token = [], None
    while True:
        kw = {"QueryId": qid, **({"NextToken": token} if token else {})}
        page = c.get_query_results(**kw)
        rows += [tuple(next(iter(cell.values())) for cell in row)
                 for row in page.get("QueryResultRows", [])]
        token = page.get("NextToken")
        if not token:
            return rows


# Lake SQL, and the same question to DuckDB over the raw records (`r`).
QUERIES = [
    ("SELECT eventname, count(*) FROM {store} GROUP BY eventname",
     "SELECT r->>'eventName', count(*) FROM records GROUP BY 1"),
    ("SELECT useridentity.arn, count(*) FROM {store} WHERE useridentity.arn IS NOT NULL "
     "GROUP BY useridentity.arn",
     "SELECT r->>'$.userIdentity.arn', count(*) FROM records "
     "WHERE r->>'$.userIdentity.arn' IS NOT NULL GROUP BY 1"),
    ("SELECT eventid FROM {store} WHERE eventtime >= '2023-07-10 11:50:00' "
     "AND eventtime < '2023-07-10 12:00:00' AND errorcode IS NOT NULL",
     "SELECT r->>'eventID' FROM records WHERE r->>'eventTime' >= '2023-07-10T11:50:00Z' "
     "AND r->>'eventTime' < '2023-07-10T12:00:00Z' AND r->>'errorCode' IS NOT NULL"),
    ("SELECT eventid, element_at(requestparameters, 'bucketName') FROM {store} "
     "WHERE eventsource = 's3.amazonaws.com'",
     "SELECT r->>'eventID', r->>'$.requestParameters.bucketName' FROM records "
     "WHERE r->>'eventSource' = 's3.amazonaws.com'"),
    ("SELECT awsregion, readonly, count(*) FROM {store} GROUP BY awsregion, readonly",
     "SELECT r->>'awsRegion', CAST(r->'readOnly' AS VARCHAR), count(*) FROM records "
     "GROUP BY 1, 2"),
]


def normal(rows):
    # Lake's results are text; DuckDB's NULL is Lake's empty cell.
    return sorted(tuple("" if v is None else str(v) for v in row) for row in rows)


def test_lake_queries_from_built_and_hit_cache_equal_duckdb(tmp_path, raw):
    cache = tmp_path / "cache"
    states = []
    for _ in range(2):
        with serve(RAW, cache) as info:
            states.append(info["cache"]["state"])
            for ours, theirs in QUERIES:
                expected = normal(raw.execute(theirs).fetchall())
                assert expected, theirs
                assert normal(lake(info, ours)) == expected, ours
    assert states == ["built", "hit"]


def run_checks(data, cache):
    p = subprocess.run([trailwatch_bin(), "run", "--output", "json", "--data", str(data),
                        "--cache-dir", str(cache)], capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout), p.stderr


def test_every_check_from_the_cache_equals_duckdb_over_the_raw_files(tmp_path, raw):
    cache = tmp_path / "cache"
    stamps = []
    for _ in range(2):
        report, _ = run_checks(RAW, cache)
        # One folder, not rewritten by the second run: it was served from the cache.
        (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
        stamps.append({p: p.stat().st_mtime_ns for p in folder.rglob("*.parquet")})
        end = datetime.fromisoformat(report["window"]["time"]).astimezone(timezone.utc)
        start = end - timedelta(days=7)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        found = 0
        for check in report["checks"]:
            assert check["status"] == "FINISHED", check
            sql = (REPO / "checks" / f"{check['id']}.sql").read_text()
            expected = sorted(x for (x,) in raw.execute(
                f"SELECT r->>'eventID' FROM records WHERE {condition(sql)} "
                f"AND r->>'eventTime' >= '{start.strftime(fmt)}' "
                f"AND r->>'eventTime' < '{end.strftime(fmt)}'").fetchall())
            assert sorted(r["event_id"] for r in check["rows"]) == expected, check["id"]
            found += len(expected)
        assert found > 100
    assert stamps[0] and stamps[0] == stamps[1]


def count(info):
    return int(lake(info, "SELECT count(*) FROM {store}")[0][0])


def raw_count(folder):
    return sum(len(json.loads(f.read_text())["Records"]) for f in folder.glob("*.json"))


def test_a_changed_or_added_file_rebuilds_the_cache(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    shutil.copytree(RAW, data)
    with serve(data, cache) as info:
        assert info["cache"]["state"] == "built" and count(info) == raw_count(data)
    with serve(data, cache) as info:
        assert info["cache"]["state"] == "hit"
    # Change a file: drop its first record.
    victim = sorted(data.glob("*.json"))[0]
    log = json.loads(victim.read_text())
    log["Records"] = log["Records"][1:]
    victim.write_text(json.dumps(log))
    with serve(data, cache) as info:
        assert info["cache"]["state"] == "built"
        assert count(info) == raw_count(data)
    # Add a file: copies of another file's records with new ids.
    src = json.loads(sorted(data.glob("*.json"))[1].read_text())
    for i, r in enumerate(src["Records"]):
        r["eventID"] = f"00000000-0000-4000-8000-{i:012d}"
    (data / "added.json").write_text(json.dumps(src))
    with serve(data, cache) as info:
        assert info["cache"]["state"] == "built"
        assert count(info) == raw_count(data)
        dir_in_use = pathlib.Path(info["cache"]["dir"])
    # The outdated folders of this data set are gone; only the one in use is left.
    assert [p for p in cache.iterdir() if not p.name.startswith(".")] == [dir_in_use]


@pytest.mark.parametrize("damage", ["flip", "truncate", "stray"])
def test_a_corrupt_cache_is_rebuilt_with_a_warning_never_read(tmp_path, damage):
    cache = tmp_path / "cache"
    with serve(RAW, cache) as info:
        expected = normal(lake(info, QUERIES[0][0]))
        folder = pathlib.Path(info["cache"]["dir"])
    part = sorted(folder.rglob("*.parquet"))[0]
    data = bytearray(part.read_bytes())
    if damage == "flip":
        # Inside the data pages, keeping the size: only the checksum can tell.
        for i in range(len(data) // 3, len(data) // 3 + 64):
            data[i] ^= 0x5A
        part.write_bytes(bytes(data))
    elif damage == "truncate":
        part.write_bytes(bytes(data[: len(data) // 2]))
    else:
        shutil.copy(part, part.with_name("extra.parquet"))
    with serve(RAW, cache) as info:
        assert info["cache"]["state"] == "rebuilt", info["cache"]
        assert normal(lake(info, QUERIES[0][0])) == expected
    assert "warning: rebuilt the event cache" in serve.last_stderr


def test_lookup_pages_each_event_once_newest_first_even_when_two_files_hold_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    files = sorted(RAW.glob("*.json"))[:6]
    for f in files:
        shutil.copy(f, data / f.name)
    # The same events again, as an organization trail and an account trail both deliver them.
    shutil.copy(files[0], data / "copy-of-first.json")
    records = {}
    for f in files:
        for r in json.loads(f.read_text())["Records"]:
            if r.get("awsRegion") == "us-east-1":
                records[r["eventID"]] = r
    expected = [r["eventID"] for r in sorted(
        records.values(), key=lambda r: r["eventID"])]
    expected.sort(key=lambda i: records[i]["eventTime"], reverse=True)  # stable: ids ascending
    with serve(data, tmp_path / "cache") as info:
        c = boto3.client("cloudtrail", endpoint_url=info["endpoint"], region_name="us-east-1",
                         aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
        got = [e["EventId"]
               for page in c.get_paginator("lookup_events").paginate(
                   PaginationConfig={"PageSize": 7})
               for e in page["Events"]]
        # Lake keeps both copies, as an event data store fed twice would.
        assert count(info) == sum(len(json.loads(f.read_text())["Records"]) for f in
                                  data.glob("*.json"))
    assert len(expected) > 20
    assert got == expected


def test_a_query_bounded_in_time_reads_only_the_days_it_bounds(tmp_path):
    """The store keeps a folder of Parquet files per event date, and a query (Lake, Athena or
    LookupEvents) bounded by event time opens only its days' files: with one day's file
    damaged under the running service, queries over other days answer as Python counts from
    the records, and one that reaches the damaged day fails rather than answer without it."""
    data = tmp_path / "data"
    data.mkdir()
    days = [datetime(2024, 2, 27 + i, tzinfo=timezone.utc) for i in range(3)] + [
        datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 2, tzinfo=timezone.utc)]
    records = []
    for i, f in enumerate(sorted(RAW.glob("*.json"))[:10]):
        log = json.loads(f.read_text())
        for j, r in enumerate(log["Records"]):
            # Times across each day, the last one at its final millisecond.
            t = days[i % len(days)] + timedelta(seconds=(j * 997) % 86_400)
            if j == 0:
                t = days[i % len(days)] + timedelta(days=1, milliseconds=-1)
            r["eventTime"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            if j == 1 and t.date() == datetime(2024, 3, 1).date():
                # Written with an offset: 1 March's text, 29 February's instant and folder.
                r["eventTime"] = "2024-03-01T03:30:00.000+05:00"
            r["eventID"] = f"00000000-0000-4000-8000-{i:04d}{j:08d}"
            records.append(r)
        (data / f.name).write_text(json.dumps(log))

    def when(r):
        return datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")).astimezone(timezone.utc)

    def lake_failure(info, sql):
        c = boto3.client("cloudtrail", endpoint_url=info["endpoint"], region_name="us-east-1",
                         aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
        qid = c.start_query(QueryStatement=sql.format(store=info["event_data_store"]))["QueryId"]
        return until_ended(lambda: c.describe_query(QueryId=qid),
                           lambda d: d["QueryStatus"] not in ("QUEUED", "RUNNING"))

    with serve(data, tmp_path / "cache") as info:
        folder = pathlib.Path(info["cache"]["dir"])
        damaged = sorted(folder.glob("date=2024-02-28/*.parquet"))
        assert damaged
        for part in damaged:
            part.write_bytes(part.read_bytes()[:100])
        windows = [  # (Lake's bounds, Python's)
            ("eventTime >= '2024-02-29 00:00:00' AND eventTime < '2024-03-02 00:00:00'",
             lambda t: datetime(2024, 2, 29, tzinfo=timezone.utc) <= t < datetime(2024, 3, 2, tzinfo=timezone.utc)),
            ("eventTime > '2024-02-29 00:00:00'",
             lambda t: t > datetime(2024, 2, 29, tzinfo=timezone.utc)),
            ("eventTime <= '2024-02-27 23:59:59.999'",
             lambda t: t <= datetime(2024, 2, 27, 23, 59, 59, 999000, tzinfo=timezone.utc)),
            ("eventTime BETWEEN timestamp '2024-03-01 00:00:00' AND timestamp '2024-03-01 23:59:59.999'",
             lambda t: t.date() == datetime(2024, 3, 1).date()),
        ]
        for sql, keep in windows:
            want = sum(1 for r in records if keep(when(r)))
            assert want > 0, sql
            assert int(lake(info, "SELECT count(*) FROM {store} WHERE " + sql)[0][0]) == want, sql
        failed = lake_failure(info, "SELECT count(*) FROM {store} WHERE eventTime >= '2024-02-28 12:00:00'")
        assert failed["QueryStatus"] == "FAILED", failed
        # LookupEvents over the last two days.
        c = boto3.client("cloudtrail", endpoint_url=info["endpoint"], region_name="us-east-1",
                         aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
        start, end = datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 2, 23, tzinfo=timezone.utc)
        got = [e["EventId"] for page in c.get_paginator("lookup_events").paginate(
            StartTime=start, EndTime=end) for e in page["Events"]]
        want = {r["eventID"] for r in records
                if r.get("awsRegion") == "us-east-1" and start <= when(r) <= end}
        assert want and sorted(got) == sorted(want)
        # Athena's eventtime is the record's text: its bound keeps a day either side (a time
        # written with an offset), so a query from 1 March opens neither 28 February's files
        # nor any before.
        a = boto3.client("athena", endpoint_url=info["endpoint"], region_name="us-east-1",
                         aws_access_key_id="AKIDTEST", aws_secret_access_key="secret")
        athena = info["athena"]
        qid = a.start_query_execution(
            QueryString=f"SELECT count(*) FROM {athena['table']} WHERE eventtime >= '2024-03-01T00:00:00Z'",
            WorkGroup=athena["workgroup"],
            QueryExecutionContext={"Database": athena["database"]})["QueryExecutionId"]
        q = until_ended(lambda: a.get_query_execution(QueryExecutionId=qid),
                        lambda q: q["QueryExecution"]["Status"]["State"] not in ("QUEUED", "RUNNING"))
        assert q["QueryExecution"]["Status"]["State"] == "SUCCEEDED", q["QueryExecution"]["Status"]
        rows = a.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
        assert rows[1]["Data"][0]["VarCharValue"] == str(
            sum(1 for r in records if r["eventTime"] >= "2024-03-01T00:00:00Z"))
