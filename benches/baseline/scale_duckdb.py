"""DuckDB's side of the scale benchmark: every bundled check counted in one pass over the
gzipped trail logs (one SELECT with one filtered aggregate per check), as a team using DuckDB
or Tailpipe would count them.

Usage: scale_duckdb.py DATA_DIR CHECKS_DIR WINDOW_START WINDOW_END
Prints one JSON object: {"seconds": ..., "counts": {check_id: n}}.

Each check's WHERE clause is read from its file and translated from Lake's SQL to DuckDB's:
columns and `element_at(map, 'key')` become JSON extractions from the record, and the window
is the same half-open [start, end) on eventTime.
"""

import json
import pathlib
import re
import sys
import time

import duckdb

# Lake columns the checks name, and where DuckDB finds them in the record.
PATHS = {
    "eventname": "$.eventName",
    "eventsource": "$.eventSource",
    "eventtype": "$.eventType",
    "errorcode": "$.errorCode",
    "errormessage": "$.errorMessage",
}


def translate(where: str) -> str:
    def element_at(m: re.Match) -> str:
        return f"json_extract_string(r, '$.{m.group(1)}.{m.group(2)}')"

    sql = re.sub(r"element_at\((\w+),\s*'(\w+)'\)", element_at, where)
    sql = re.sub(
        r"\buserIdentity\.(\w+)\b",
        lambda m: f"json_extract_string(r, '$.userIdentity.{m.group(1)}')",
        sql,
    )

    def column(m: re.Match) -> str:
        path = PATHS.get(m.group(0).lower())
        return f"json_extract_string(r, '{path}')" if path else m.group(0)

    return re.sub(r"\b(eventName|eventSource|eventType|errorCode|errorMessage)\b", column, sql)


def condition(sql: str) -> str:
    body = re.search(r"\bWHERE\b(.*?)\bORDER BY\b", sql, re.S | re.I).group(1)
    # The window is applied once, for every check alike; the rest is the check's own filter.
    parts = [p for p in re.split(r"\n\s*AND\s", body) if "{window_" not in p]
    return translate(" AND ".join(f"({p.strip()})" for p in parts if p.strip()))


def main() -> None:
    data, checks_dir, start, end = sys.argv[1:5]
    checks = sorted(pathlib.Path(checks_dir).glob("*.sql"))
    aggregates = []
    for c in checks:
        aggregates.append(f"count(*) FILTER (WHERE {condition(c.read_text())}) AS \"{c.stem}\"")
    query = f"""
        WITH records AS (
            SELECT unnest(Records) AS r
            FROM read_json('{data}/**/*.json.gz', columns = {{'Records': 'JSON[]'}},
                           format = 'auto', compression = 'gzip')
        )
        SELECT {", ".join(aggregates)} FROM records
        WHERE json_extract_string(r, '$.eventTime') >= '{start}'
          AND json_extract_string(r, '$.eventTime') < '{end}'
    """
    con = duckdb.connect()
    t = time.perf_counter()
    row = con.execute(query).fetchone()
    seconds = time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "counts": {c.stem: n for c, n in zip(checks, row)}}))


if __name__ == "__main__":
    main()
