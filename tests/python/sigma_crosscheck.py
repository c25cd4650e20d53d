#!/usr/bin/env python3
"""Independent Sigma evaluation of CloudTrail events: pySigma + a DuckDB SQL backend.

trailwatch evaluates Sigma rules with its own Rust engine. This script is a second, unrelated
engine used to cross-check it: pySigma parses each rule and a subclass of pySigma-backend-duckdb
turns the detection into a DuckDB SQL WHERE clause, which DuckDB runs over the events. Nothing
here reads or imports trailwatch's code.

Usage (with the venv of tests/python/requirements.txt):
    python sigma_crosscheck.py --rules DIR [DIR...] \
        [--events FILE.jsonl ...] [--trail-logs DIR ...] [--unwrap KEY] \
        [--label eventID|position] --out matches.json [--dump-sql FILE]
    python sigma_crosscheck.py --self-test

Output: {"rules": {rule id: [eventID, ...]}, "unconvertible": {rule id: reason}, "meta": {...}}.
Events are listed in input order. An event without an eventID is named by its position: "line:N"
(1-based line of a JSONL file) or "record:N" (0-based index in a trail log's Records), prefixed
with "FILE:" when more than one input file is read. A rule without an id is keyed "FILE:title".

Data model: every event is stored whole as a DuckDB JSON value (table `events`), then flattened
with json_tree() into table `fv` of (event idx, path, type, text). The path is the dotted key path
with array indexes dropped, so `requestParameters.layers` names the array itself *and* each of its
elements, and `a.b.c` reaches `c` inside objects held in an array `b`. A Sigma field condition
becomes `EXISTS (SELECT 1 FROM fv WHERE idx = event AND path = field AND <test on text>)`.
Why this shape:
  * heterogeneous events need no common struct schema (read_json_auto would have to unify them);
  * "any element of an array matches" falls out of EXISTS;
  * EXISTS is never SQL NULL, so `NOT selection` keeps events where the field is absent (with a
    plain `col = 'x'` the NOT of a NULL comparison is NULL and the event would silently drop out).

Value semantics (decided here, independently of trailwatch):
  * the text of a node is: a JSON string's contents; a number's / boolean's JSON text as DuckDB
    prints it (integers exactly; floats canonically, e.g. 1.50 -> "1.5");
  * objects, arrays and JSON null have no text: they never match a value or a wildcard (so
    `x|contains: '*'` needs at least one scalar value: [], null and a list of objects do not match;
    a rule tests inside objects by naming the nested key, `a.b.c`, which reaches into lists);
  * strings, wildcards and modifiers (contains/startswith/endswith/all/cidr/windash/...) compare
    case-insensitively (ILIKE); `|cased` uses LIKE; `*`/`?` are the only wildcards, literal `%`, `_`
    and `\\` are escaped;
  * numbers compare by text (Sigma `1` vs JSON "1" or 1 match; Sigma 1 vs JSON 1.0 does not);
    booleans compare by text too (`enable: 'false'` matches JSON false), case-insensitively;
  * `field: null` matches when no node at the path has a non-null value: the field is absent or
    JSON null. An empty array or object counts as present. `field|exists: true` is its opposite;
  * `|re` is an unanchored RE2 search (DuckDB regexp_matches), case-sensitive unless `|re|i`;
  * `|lt/lte/gt/gte` compare the text cast to DOUBLE (non-numeric text never matches);
  * `|fieldref` compares the two fields' texts case-insensitively, any element against any element;
  * field names are case-sensitive JSON key paths; a key that itself contains a dot is reached by
    the same dotted name (ambiguous but harmless for CloudTrail);
  * logsource is not checked: every rule is run against every event (all inputs are CloudTrail);
  * keyword (field-less) searches, placeholders and correlation rules are reported unconvertible.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import sys
import time
from importlib import metadata
from typing import Any, Iterable, Iterator

import duckdb
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionFieldEqualsValueExpression
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaIdentifierError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

# The package installs as `sigma_backend_duckdb`, not under `sigma.backends` as its README claims.
from sigma_backend_duckdb import DuckDBBackend

# Default rule folder for --self-test: this file lives in <repo>/tests/python/.
DEFAULT_RULES = pathlib.Path(__file__).resolve().parent.parent.parent / "rules"


def sql_str(text: str) -> str:
    """SQL string literal. DuckDB literals only need '' doubling (backslash is not special)."""
    return "'" + text.replace("'", "''") + "'"


def like_pattern(value: SigmaString) -> str:
    """Sigma string -> LIKE pattern for `ESCAPE '\\'`.

    Built from pySigma's parsed parts rather than SigmaString.convert() so that a literal % or _
    in a rule can never act as a LIKE wildcard (the stock backend does not escape them)."""
    out = []
    for part in value.s:
        if isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        elif part == SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, Placeholder):
            raise NotImplementedError(f"placeholder %{part.name}% is not supported")
        else:
            raise NotImplementedError(f"unsupported string part {part!r}")
    return sql_str("".join(out))


class CloudTrailJsonBackend(DuckDBBackend):
    """pySigma-backend-duckdb with field conditions rewritten for nested, heterogeneous JSON.

    The stock DuckDB backend quotes `requestParameters.bucketName` as one flat column name,
    compares plain strings with case-sensitive `=`, leaves % and _ unescaped in ILIKE and emits
    `IS NULL` (three-valued under NOT). Only the field-level conversion is replaced; pySigma and
    the stock backend still do the boolean structure (and/or/not, 1 of/all of, precedence), modifier
    expansion (contains/all/windash/base64/cidr...) and rule parsing."""

    name = "DuckDB backend over json_tree-flattened CloudTrail events (trailwatch cross-check)"
    # Rules a correlation counts are still turned into whole queries: each is checked alone.
    finalize_correlation_subqueries = True

    def __init__(self) -> None:
        # Empty pipeline: Sigma field names are used as JSON paths unchanged.
        super().__init__(processing_pipeline=ProcessingPipeline())

    @staticmethod
    def _any(field: str, test: str, alias: str = "v") -> str:
        """True when some node at `field` of the current event passes `test` (aliased `alias`)."""
        return (
            f"EXISTS (SELECT 1 FROM fv {alias} WHERE {alias}.idx = ev.idx"
            f" AND {alias}.path = {sql_str(field)} AND {test})"
        )

    def convert_condition_field_eq_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Any:
        field, value = cond.field, cond.value
        # Order matters: SigmaCasedString is a SigmaString subclass.
        if isinstance(value, SigmaNull):
            return "(NOT " + self._any(field, "v.type <> 'NULL'") + ")"
        if isinstance(value, SigmaExists):
            present = self._any(field, "v.type <> 'NULL'")
            return present if value.exists else "(NOT " + present + ")"
        if isinstance(value, SigmaCasedString):
            return self._any(field, f"v.is_value AND v.val LIKE {like_pattern(value)} ESCAPE '\\'")
        if isinstance(value, SigmaString):
            return self._any(field, f"v.is_value AND v.val ILIKE {like_pattern(value)} ESCAPE '\\'")
        if isinstance(value, SigmaNumber):
            return self._any(field, f"v.is_value AND v.val = {sql_str(str(value.number))}")
        if isinstance(value, SigmaBool):
            return self._any(field, f"v.is_value AND lower(v.val) = {sql_str(str(value.boolean).lower())}")
        if isinstance(value, SigmaRegularExpression):
            # Flags (i, m, s) become an inline (?ims) prefix, which RE2 understands.
            regex = value.escape((), "", False, True)
            return self._any(field, f"v.is_value AND regexp_matches(v.val, {sql_str(regex)})")
        if isinstance(value, SigmaCompareExpression):
            op = self.compare_operators[value.op]
            number = value.number.number
            return self._any(field, f"v.is_value AND TRY_CAST(v.val AS DOUBLE) {op} {number!r}")
        if isinstance(value, SigmaFieldReference):
            if value.starts_with and value.ends_with:
                test = "contains(lower(v.val), lower(w.val))"
            elif value.starts_with:
                test = "starts_with(lower(v.val), lower(w.val))"
            elif value.ends_with:
                test = "ends_with(lower(v.val), lower(w.val))"
            else:
                test = "lower(v.val) = lower(w.val)"
            other = self._any(value.field, f"w.is_value AND {test}", alias="w")
            return self._any(field, f"v.is_value AND {other}")
        if isinstance(value, (SigmaCIDRExpression, SigmaExpansion)):
            # The parent classes expand these into an OR of plain strings, which come back here.
            return super().convert_condition_field_eq_val(cond, state)
        raise NotImplementedError(f"value type {type(value).__name__} is not supported")

    def finalize_query_default(self, rule, query, index, state) -> str:
        return f"SELECT ev.idx FROM events AS ev WHERE {query}"


# ---------------------------------------------------------------- events


def open_text(path: pathlib.Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def unwrap_event(obj: Any, key: str | None) -> Any:
    """Some fixtures wrap the event ({"event": {...}} or {"log": {...}}); take it out."""
    if key is None:
        return obj
    inner = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(inner, str):  # e.g. a CloudTrailEvent held as a JSON string
        inner = json.loads(inner)
    return inner


def read_jsonl(path: pathlib.Path, unwrap: str | None) -> Iterator[tuple[str, Any]]:
    """(position, event) per non-blank line; position is the 1-based line number."""
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                yield f"line:{lineno}", unwrap_event(json.loads(line), unwrap)


def trail_log_files(root: pathlib.Path) -> list[pathlib.Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".json", ".json.gz")))


def read_trail_log(path: pathlib.Path, unwrap: str | None) -> Iterator[tuple[str, Any]]:
    """(position, event) per element of a CloudTrail log file's Records array (0-based)."""
    with open_text(path) as fh:
        records = json.load(fh).get("Records", [])
    for n, rec in enumerate(records):
        yield f"record:{n}", unwrap_event(rec, unwrap)


def load_events(jsonl: list[str], trail_dirs: list[str], unwrap: str | None, by_position: bool = False):
    """Return (labels, json texts, stats). Labels are eventIDs, or a position for events without
    one (or for every event with by_position, for fixtures that reuse eventIDs)."""
    sources: list[tuple[pathlib.Path, Iterable[tuple[str, Any]]]] = []
    for f in jsonl:
        p = pathlib.Path(f)
        sources.append((p, read_jsonl(p, unwrap)))
    for d in trail_dirs:
        for p in trail_log_files(pathlib.Path(d)):
            sources.append((p, read_trail_log(p, unwrap)))
    prefix_file = len(sources) > 1  # a bare "line:N" is only unambiguous with one input file

    labels, docs = [], []
    skipped = without_id = 0
    for path, items in sources:
        for pos, event in items:
            if not isinstance(event, dict):  # null/absent wrapped event, or not an object
                skipped += 1
                continue
            event_id = event.get("eventID")
            if isinstance(event_id, str) and event_id and not by_position:
                labels.append(event_id)
            else:
                without_id += not (isinstance(event_id, str) and event_id)
                labels.append(f"{path.name}:{pos}" if prefix_file else pos)
            docs.append(json.dumps(event, ensure_ascii=False))
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    stats = {
        "events": len(docs),
        "source_files": len(sources),
        "skipped_not_an_object": skipped,
        "without_event_id": without_id,
        "duplicate_labels": sum(1 for c in seen.values() if c > 1),
    }
    return labels, docs, stats


# Flatten every event. The regex splits json_tree's fullkey ($.a."b.c"[0].d) into key segments,
# array indexes give empty captures and are dropped, quoted keys are unquoted as JSON strings.
FLATTEN_SQL = r"""
CREATE TABLE fv AS
SELECT ev.idx,
       array_to_string(list_transform(
           list_filter(regexp_extract_all(t.fullkey, '\.("(?:[^"\\]|\\.)*"|[^."\[]+)|\[[0-9]+\]', 1),
                       lambda s: s <> ''),
           lambda s: CASE WHEN starts_with(s, '"') THEN s::JSON ->> '$' ELSE s END), '.') AS path,
       t.type AS type,
       t.type NOT IN ('ARRAY', 'OBJECT', 'NULL') AS is_value,
       CASE WHEN t.type = 'VARCHAR' THEN t.value ->> '$' ELSE t.value::VARCHAR END AS val
FROM events AS ev, json_tree(ev.ev) AS t
WHERE t.fullkey <> '$'
"""


def build_database(docs: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE events AS SELECT unnest(?::INTEGER[]) AS idx, unnest(?::VARCHAR[])::JSON AS ev",
        [list(range(len(docs))), docs],
    )
    con.execute(FLATTEN_SQL)
    return con


# ---------------------------------------------------------------- rules


def rule_files(dirs: list[str]) -> list[pathlib.Path]:
    files: list[pathlib.Path] = []
    for d in dirs:
        p = pathlib.Path(d)
        files.extend([p] if p.is_file() else sorted(p.rglob("*.yml")) + sorted(p.rglob("*.yaml")))
    return files


def rule_key(rule: SigmaRule | SigmaCorrelationRule, path: pathlib.Path) -> str:
    return str(rule.id) if rule.id else f"{path}:{rule.title}"


def evaluate(rule_dirs: list[str], con: duckdb.DuckDBPyConnection, labels: list[str]):
    """Convert and run every rule. Returns (matches, unconvertible, sql, titles)."""
    backend = CloudTrailJsonBackend()
    matches: dict[str, list[str]] = {}
    unconvertible: dict[str, str] = {}
    sql: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for path in rule_files(rule_dirs):
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
        except SigmaError as e:
            unconvertible[str(path)] = f"cannot parse file: {e}"
            continue
        if not collection.rules:
            unconvertible[str(path)] = "no rule in file: " + "; ".join(map(str, collection.errors))
            continue
        for rule in collection.rules:
            key = rule_key(rule, path)
            titles[key] = rule.title
            if key in matches or key in unconvertible:
                unconvertible[f"{key} ({path})"] = "duplicate rule id"
                continue
            if isinstance(rule, SigmaCorrelationRule):
                unconvertible[key] = "correlation rules are not supported"
                continue
            # A non-UUID id (trailwatch's own rules) is a SigmaHQ convention, not a detection error.
            errors = [e for e in rule.errors if not isinstance(e, SigmaIdentifierError)]
            if errors:
                unconvertible[key] = "; ".join(map(str, errors))
                continue
            # A rule a correlation counts (generate: false) has its output disabled by pySigma;
            # each detection rule is still checked on its own here.
            rule._output = True
            try:
                queries = backend.convert_rule(rule, "default")
            except (SigmaError, NotImplementedError) as e:
                unconvertible[key] = f"{type(e).__name__}: {e}"
                continue
            sql[key] = queries
            hit: set[int] = set()
            try:
                for q in queries:  # several conditions in one rule: an event matching any counts
                    hit.update(row[0] for row in con.execute(q).fetchall())
            except duckdb.Error as e:
                unconvertible[key] = f"DuckDB could not run the query: {e}"
                continue
            matches[key] = [labels[i] for i in sorted(hit)]
    return matches, unconvertible, sql, titles


def versions() -> dict[str, str]:
    return {p: metadata.version(p) for p in ("pySigma", "pySigma-backend-duckdb", "duckdb")}


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    labels, docs, stats = load_events(args.events or [], args.trail_logs or [], args.unwrap,
                                       args.label == "position")
    con = build_database(docs)
    t1 = time.perf_counter()
    matches, unconvertible, sql, titles = evaluate(args.rules, con, labels)
    t2 = time.perf_counter()
    stats.update(
        rules_total=len(matches) + len(unconvertible),
        rules_converted=len(matches),
        load_seconds=round(t1 - t0, 3),
        evaluate_seconds=round(t2 - t1, 3),
        versions=versions(),
    )
    out = {"rules": matches, "unconvertible": unconvertible, "meta": stats}
    pathlib.Path(args.out).write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if args.dump_sql:
        pathlib.Path(args.dump_sql).write_text(json.dumps(sql, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    # Human summary on stderr; the JSON file is the machine-readable result.
    print(json.dumps(stats), file=sys.stderr)
    for key in sorted(matches, key=lambda k: (-len(matches[k]), titles.get(k, ""))):
        print(f"{len(matches[key]):6d}  {titles.get(key, '')}  [{key}]", file=sys.stderr)
    for key, reason in sorted(unconvertible.items()):
        print(f"unconvertible  {titles.get(key, '')}  [{key}]: {reason}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- self-test

# Tiny events for the semantics the cross-check depends on. Names say what each one exercises.
SELF_TEST_EVENTS = [
    {"eventID": "s3-ok-no-errorcode", "eventName": "DeleteBucket", "eventSource": "s3.amazonaws.com"},
    {"eventID": "s3-errorcode-json-null", "eventName": "DeleteBucket", "errorCode": None},
    {"eventID": "s3-errorcode-success", "eventName": "DeleteBucket", "errorCode": "Success"},
    {"eventID": "s3-denied", "eventName": "DeleteBucket", "errorCode": "AccessDenied"},
    {"eventID": "s3-lowercase-name", "eventName": "deletebucket"},
    {"eventID": "ssm-ok", "eventName": "SendCommand", "eventSource": "ssm.amazonaws.com"},
    {"eventID": "ssm-failed", "eventName": "SendCommand", "eventSource": "ssm.amazonaws.com",
     "errorCode": "InvalidInstanceId"},
    {"eventID": "vpc-ok", "eventName": "DeleteFlowLogs", "responseElements": {"unsuccessful": []}},
    {"eventID": "vpc-denied", "eventName": "DeleteFlowLogs", "errorCode": "Client.UnauthorizedOperation"},
    {"eventID": "layer-strings", "eventSource": "lambda.amazonaws.com",
     "eventName": "UpdateFunctionConfiguration20150331v2",
     "requestParameters": {"functionName": "f", "layers": ["arn:aws:lambda:us-east-1:1:layer:L:1"]}},
    {"eventID": "layer-objects", "eventSource": "lambda.amazonaws.com",
     "eventName": "UpdateFunctionConfiguration20150331v2",
     "requestParameters": {"layers": [{"arn": "arn:aws:lambda:us-east-1:1:layer:Evil:3", "codeSize": 10}]}},
    {"eventID": "layer-empty-list", "eventSource": "lambda.amazonaws.com",
     "eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": {"layers": []}},
    {"eventID": "layer-absent", "eventSource": "lambda.amazonaws.com",
     "eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": {"functionName": "f"}},
    {"eventID": "layer-null", "eventSource": "lambda.amazonaws.com",
     "eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": {"layers": None}},
    {"eventID": "misc", "eventName": "PutThing", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/Bob"},
     "requestParameters": {"userName": "BOB", "count": 42, "enable": False, "pct_done": "50%",
                           "tags": [{"key": "Env", "value": "PROD"}, {"key": "team", "value": "x"}]}},
    {"noEventID": True, "eventName": "PutThing"},
]

# (title, detection, expected matching labels). Labels without eventID are "line:N" (1-based).
# A detection without "condition" gets "condition: sel".
SELF_TEST_RULES = [
    ("case-insensitive equality", {"sel": {"eventName": "DELETEBUCKET"}},
     {"s3-ok-no-errorcode", "s3-errorcode-json-null", "s3-errorcode-success", "s3-denied", "s3-lowercase-name"}),
    ("cased modifier", {"sel": {"eventName|cased": "DeleteBucket"}},
     {"s3-ok-no-errorcode", "s3-errorcode-json-null", "s3-errorcode-success", "s3-denied"}),
    ("null = absent or JSON null", {"sel": {"eventName": "DeleteBucket", "errorCode": None}},
     {"s3-ok-no-errorcode", "s3-errorcode-json-null", "s3-lowercase-name"}),
    ("NOT keeps events lacking the field (no SQL three-valued NOT)",
     {"sel": {"eventName": "PutThing"}, "f": {"requestParameters.userName": "alice"},
      "condition": "sel and not f"},
     {"misc", "line:16"}),
    ("list of objects: nested key of any element", {"sel": {"requestParameters.tags.value": "prod"}}, {"misc"}),
    ("list of objects: an object is no text", {"sel": {"requestParameters.tags|contains": '"key":"team"'}}, set()),
    ("list of objects: no wildcard on an object", {"sel": {"requestParameters.tags": "*"}}, set()),
    ("number by text", {"sel": {"requestParameters.count": 42}}, {"misc"}),
    ("number as string by text", {"sel": {"requestParameters.count": "42"}}, {"misc"}),
    ("boolean by text", {"sel": {"requestParameters.enable": "FALSE"}}, {"misc"}),
    ("literal % and _ are not wildcards", {"sel": {"requestParameters.pct_done": "5_%"}}, set()),
    ("literal % matched literally", {"sel": {"requestParameters.pct_done|endswith": "0%"}}, {"misc"}),
    ("regex unanchored, case-sensitive", {"sel": {"userIdentity.arn|re": "user/B.b"}}, {"misc"}),
    ("regex case-sensitive miss", {"sel": {"userIdentity.arn|re": "user/bob"}}, set()),
    ("regex i flag", {"sel": {"userIdentity.arn|re|i": "USER/bob$"}}, {"misc"}),
    ("fieldref endswith, case-insensitive",
     {"sel": {"userIdentity.arn|fieldref|endswith": "requestParameters.userName"}}, {"misc"}),
    ("exists false", {"sel": {"eventName": "PutThing", "eventID|exists": False}}, {"line:16"}),
    ("compare gt", {"sel": {"requestParameters.count|gt": 41}}, {"misc"}),
    ("contains|all across list elements", {"sel": {"requestParameters.tags.key|contains|all": ["env", "tea"]}},
     {"misc"}),
]

# The SigmaHQ rules the brief singled out (they rely on `errorCode: null` and on a list field),
# by id -> (title, expected matches among SELF_TEST_EVENTS).
NAMED_RULES = {
    "39c9f26d-6e3b-4dbb-9c7a-4154b0281112": ("AWS Bucket Deleted", {
        "s3-ok-no-errorcode", "s3-errorcode-json-null", "s3-errorcode-success", "s3-lowercase-name"}),
    "38e7f511-3f74-41d4-836e-f57dfa18eead": ("Potential Malicious Usage of CloudTrail System Manager", {"ssm-ok"}),
    "e386b9b5-af12-450e-afff-761730fb8a98": ("AWS VPC Flow Logs Deleted", {"vpc-ok"}),
    "97fbabf8-8e1b-47a2-b7d5-a418d2b95e3d": ("AWS New Lambda Layer Attached", {"layer-strings"}),
}


def self_test(rule_dirs: list[str]) -> int:
    labels = [e.get("eventID") or f"line:{n}" for n, e in enumerate(SELF_TEST_EVENTS, start=1)]
    con = build_database([json.dumps(e) for e in SELF_TEST_EVENTS])
    backend = CloudTrailJsonBackend()
    checks: list[tuple[str, set[str], set[str], str]] = []

    def run_rule(rule: SigmaRule) -> tuple[set[str], str]:
        queries = backend.convert_rule(rule, "default")
        got = {labels[row[0]] for q in queries for row in con.execute(q).fetchall()}
        return got, " UNION ".join(queries)

    for title, detection, expected in SELF_TEST_RULES:
        rule = SigmaRule.from_dict({
            "title": title,
            "logsource": {"product": "aws", "service": "cloudtrail"},
            "detection": {"condition": "sel", **detection},
        })
        got, sql = run_rule(rule)
        checks.append((title, expected, got, sql))

    by_id = {}
    for path in rule_files(rule_dirs):
        for rule in SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True).rules:
            by_id[str(rule.id)] = rule
    for rule_id, (title, expected) in NAMED_RULES.items():
        if rule_id not in by_id:
            checks.append((title, expected, {"<rule not found>"}, ""))
            continue
        got, sql = run_rule(by_id[rule_id])
        checks.append((f"{title} [{rule_id}]", expected, got, sql))

    failed = 0
    for title, expected, got, sql in checks:
        ok = got == expected
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {title}: {sorted(got)}")
        if not ok:
            print(f"      expected {sorted(expected)}\n      sql: {sql}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", nargs="+", metavar="DIR", help="rule folders (searched recursively) or files")
    ap.add_argument("--events", nargs="+", metavar="FILE", help="JSONL files, one CloudTrail event a line (.gz ok)")
    ap.add_argument("--trail-logs", nargs="+", metavar="DIR",
                    help="folders of CloudTrail log files (*.json, *.json.gz) holding a Records array")
    ap.add_argument("--unwrap", metavar="KEY", help="take each event from this key of the line/record "
                    "(e.g. 'event' or 'log' in wrapped fixtures); lines where it is not an object are skipped")
    ap.add_argument("--label", choices=("eventID", "position"), default="eventID",
                    help="name events by eventID (default; a position when absent) or always by position "
                    "([FILE:]line:N, 1-based, or FILE:record:N, 0-based)")
    ap.add_argument("--out", metavar="FILE", help="where to write the matches JSON")
    ap.add_argument("--dump-sql", metavar="FILE", help="also write each rule's generated SQL here")
    ap.add_argument("--self-test", action="store_true",
                    help="check the matching semantics on built-in synthetic events and exit")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test(args.rules or [str(DEFAULT_RULES)])
    if not args.rules or not args.out or not (args.events or args.trail_logs):
        ap.error("--rules, --out and at least one of --events / --trail-logs are required")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
