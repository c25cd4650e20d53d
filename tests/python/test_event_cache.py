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
    assert d["QueryStatus"] == "FINISHED", d
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
