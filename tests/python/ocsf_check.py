#!/usr/bin/env python3
"""Checks trailwatch's OCSF Detection Findings with an independent OCSF implementation.

Each finding must validate as a DetectionFinding of py-ocsf-models (Prowler's pydantic models of
OCSF 1.5) and dump back to exactly what trailwatch wrote: a field the model does not know, or a
value it had to coerce (a number written as a string), shows as a difference. Then its values
are recomputed here from the alert it came from (trailwatch's own JSON alert, read as data): the
class and type ids, the event time in epoch milliseconds, the severity id, the ATT&CK references
of the rule's tags, the account and region, the CloudTrail event. Nothing here imports trailwatch.

py-ocsf-models requires a `name` where OCSF 1.5 only recommends one (an ATT&CK technique, an
account): Sigma tags give technique ids and CloudTrail gives account ids, not names, so the check
supplies a placeholder name there before validating and removes it before comparing.

Usage: python ocsf_check.py --findings FILE.jsonl --alerts FILE.jsonl --out report.json
       python ocsf_check.py --self-test
Exit 1 when any finding fails; the report lists every failure.
"""

import argparse
import copy
import datetime
import json
import re
import sys

from py_ocsf_models.events.findings.detection_finding import DetectionFinding

PLACEHOLDER = "\u0000placeholder"

SEVERITY_IDS = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

# ATT&CK Enterprise tactics (v19 splits Defense Evasion into Stealth and Defense Impairment).
TACTICS = {
    "reconnaissance": ("TA0043", "Reconnaissance"),
    "resource-development": ("TA0042", "Resource Development"),
    "initial-access": ("TA0001", "Initial Access"),
    "execution": ("TA0002", "Execution"),
    "persistence": ("TA0003", "Persistence"),
    "privilege-escalation": ("TA0004", "Privilege Escalation"),
    "defense-evasion": ("TA0005", "Defense Evasion"),
    "stealth": ("TA0005", "Stealth"),
    "defense-impairment": ("TA0112", "Defense Impairment"),
    "credential-access": ("TA0006", "Credential Access"),
    "discovery": ("TA0007", "Discovery"),
    "lateral-movement": ("TA0008", "Lateral Movement"),
    "collection": ("TA0009", "Collection"),
    "command-and-control": ("TA0011", "Command and Control"),
    "exfiltration": ("TA0010", "Exfiltration"),
    "impact": ("TA0040", "Impact"),
}
TECHNIQUE = re.compile(r"^attack\.t(\d+)(?:\.(\d+))?$", re.IGNORECASE)


def expected_attacks(tags):
    out = []
    for tag in tags:
        low = tag.lower()
        if low.startswith("attack.") and low[len("attack."):] in TACTICS:
            uid, name = TACTICS[low[len("attack."):]]
            out.append({"tactic": {"uid": uid, "name": name,
                                   "src_url": f"https://attack.mitre.org/tactics/{uid}/"}})
            continue
        m = TECHNIQUE.match(tag)
        if not m:
            continue
        parent, sub = m.group(1), m.group(2)
        entry = {"technique": {"uid": f"T{parent}",
                               "src_url": f"https://attack.mitre.org/techniques/T{parent}/"}}
        if sub:
            entry["sub_technique"] = {"uid": f"T{parent}.{sub}",
                                      "src_url": f"https://attack.mitre.org/techniques/T{parent}/{sub}/"}
        out.append(entry)
    return out


def epoch_ms(text, finding):
    """The event's time; for an event without one, the finding's creation (OCSF allows either),
    which must be the finding's own `time` and after 2020."""
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        created = finding.get("time")
        return created if isinstance(created, int) and created > 1577836800000 else None
    return int(t.timestamp() * 1000)


def fill_names(finding):
    """The finding with placeholders where py-ocsf-models requires a name OCSF leaves optional."""
    filled = copy.deepcopy(finding)
    for attack in filled.get("finding_info", {}).get("attacks", []):
        if "technique" in attack and "name" not in attack["technique"]:
            attack["technique"]["name"] = PLACEHOLDER
    account = filled.get("cloud", {}).get("account")
    if account is not None and "name" not in account:
        account["name"] = PLACEHOLDER
    return filled


def strip_placeholders(value):
    if isinstance(value, dict):
        return {k: strip_placeholders(v) for k, v in value.items() if v != PLACEHOLDER}
    if isinstance(value, list):
        return [strip_placeholders(v) for v in value]
    return value


def schema_errors(finding):
    """What py-ocsf-models rejects, or what does not survive its round trip."""
    try:
        model = DetectionFinding.model_validate(fill_names(finding))
    except Exception as e:  # pydantic.ValidationError, with every failing field
        return [f"does not validate: {e}"]
    dumped = strip_placeholders(model.model_dump(mode="json", exclude_unset=True))
    if dumped != finding:
        return [f"differs after the model's round trip: wrote {json.dumps(finding, sort_keys=True)}, "
                f"the model reads {json.dumps(dumped, sort_keys=True)}"]
    return []


def value_errors(finding, alert):
    """Each field recomputed from the alert."""
    e = alert["event"]
    time = epoch_ms(e["event_time"], finding)
    severity_id = SEVERITY_IDS[alert["severity"]]
    want = {
        ("class_uid",): 2004,
        ("category_uid",): 2,
        ("activity_id",): 1,
        ("type_uid",): 2004 * 100 + 1,
        ("severity_id",): severity_id,
        ("severity",): SEVERITY_NAMES[severity_id],
        ("status_id",): 1,
        ("time",): time,
        ("start_time",): time,
        ("end_time",): time,
        ("message",): alert["title"],
        ("metadata", "uid"): alert["id"],
        ("metadata", "version"): "1.5.0",
        ("finding_info", "uid"): alert["id"],
        ("finding_info", "title"): alert["title"],
        ("finding_info", "src_url"): alert["console_link"],
        ("finding_info", "first_seen_time"): time,
        ("finding_info", "last_seen_time"): time,
        ("finding_info", "analytic", "uid"): alert["rule_id"],
        ("finding_info", "analytic", "type_id"): 1,
        ("finding_info", "attacks"): expected_attacks(alert.get("tags", [])) or None,
        ("cloud", "provider"): "AWS",
        ("cloud", "region"): e["region"] or None,
        ("cloud", "account", "uid"): e["account"] or None,
        ("api", "operation"): e["event_name"],
        ("api", "request", "uid"): e["event_id"],
        ("evidences",): [{"data": {k: e[k] for k in (
            "event_id", "event_time", "event_name", "event_source",
            "principal", "principal_type", "source_ip")}}],
    }
    errors = []
    for path, expected in want.items():
        got = finding
        for key in path:
            got = got.get(key) if isinstance(got, dict) else None
        if got != expected:
            errors.append(f"{'.'.join(path)}: {got!r}, expected {expected!r}")
    if alert.get("author") and alert["author"] not in finding["finding_info"].get("desc", ""):
        errors.append("finding_info.desc does not name the rule's author")
    return errors


def check(findings, alerts):
    by_id = {a["id"]: a for a in alerts}
    failures, seen = [], set()
    for f in findings:
        uid = f.get("metadata", {}).get("uid")
        errors = schema_errors(f)
        if uid not in by_id:
            errors.append(f"no alert with id {uid!r}")
        else:
            seen.add(uid)
            errors += value_errors(f, by_id[uid])
        if errors:
            failures.append({"uid": uid, "errors": errors})
    for missing in sorted(set(by_id) - seen):
        failures.append({"uid": missing, "errors": ["no finding for this alert"]})
    return {"checked": len(findings), "failures": failures}


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


SAMPLE_ALERT = {
    "id": "0123456789abcdef0123456789abcdef", "origin": "rule", "rule_id": "r-1",
    "title": "Root user activity", "severity": "high", "author": "Someone",
    "tags": ["attack.privilege-escalation", "attack.t1078.004"],
    "console_link": "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/e-1",
    "event": {"event_id": "e-1", "event_time": "2023-07-10T12:00:01Z", "event_name": "ListBuckets",
              "event_source": "s3.amazonaws.com", "principal": "arn:aws:iam::111122223333:root",
              "principal_type": "Root", "source_ip": "198.51.100.7", "region": "us-east-1",
              "account": "111122223333"},
}


def sample_finding():
    """A finding written by hand from OCSF 1.5's Detection Finding, for SAMPLE_ALERT."""
    t = 1688990401000
    return {
        "activity_id": 1, "activity_name": "Create", "category_uid": 2, "category_name": "Findings",
        "class_uid": 2004, "class_name": "Detection Finding", "type_uid": 200401,
        "type_name": "Detection Finding: Create", "severity_id": 4, "severity": "High",
        "status_id": 1, "status": "New", "time": t, "start_time": t, "end_time": t,
        "message": "Root user activity",
        "metadata": {"version": "1.5.0", "uid": SAMPLE_ALERT["id"],
                     "product": {"name": "trailwatch", "vendor_name": "trailwatch", "version": "0.1.0"},
                     "labels": SAMPLE_ALERT["tags"]},
        "finding_info": {
            "uid": SAMPLE_ALERT["id"], "title": "Root user activity", "desc": "Sigma rule by Someone",
            "analytic": {"uid": "r-1", "name": "Root user activity", "type_id": 1, "type": "Rule"},
            "attacks": [
                {"tactic": {"uid": "TA0004", "name": "Privilege Escalation",
                            "src_url": "https://attack.mitre.org/tactics/TA0004/"}},
                {"technique": {"uid": "T1078", "src_url": "https://attack.mitre.org/techniques/T1078/"},
                 "sub_technique": {"uid": "T1078.004",
                                   "src_url": "https://attack.mitre.org/techniques/T1078/004/"}},
            ],
            "src_url": SAMPLE_ALERT["console_link"], "first_seen_time": t, "last_seen_time": t,
            "types": ["Sigma rule"], "data_sources": ["AWS CloudTrail"],
        },
        "cloud": {"provider": "AWS", "region": "us-east-1",
                  "account": {"uid": "111122223333", "type_id": 10, "type": "AWS Account"}},
        "api": {"operation": "ListBuckets", "request": {"uid": "e-1"}},
        "evidences": [{"data": {k: SAMPLE_ALERT["event"][k] for k in (
            "event_id", "event_time", "event_name", "event_source",
            "principal", "principal_type", "source_ip")}}],
    }


def self_test():
    """The checker's own cases: a correct finding passes; each kind of fault is caught."""
    good = sample_finding()
    cases = [("correct", good, True)]
    unknown = copy.deepcopy(good)
    unknown["finding_info"]["rule_name"] = "x"
    cases.append(("an attribute OCSF does not define", unknown, False))
    stringly = copy.deepcopy(good)
    stringly["time"] = str(stringly["time"])
    cases.append(("a number written as a string", stringly, False))
    wrong_severity = copy.deepcopy(good)
    wrong_severity["severity_id"] = 3
    cases.append(("a severity that is not the alert's", wrong_severity, False))
    no_class = copy.deepcopy(good)
    del no_class["class_uid"]
    cases.append(("a missing required class", no_class, False))
    wrong_attack = copy.deepcopy(good)
    wrong_attack["finding_info"]["attacks"][0]["tactic"]["uid"] = "TA0003"
    cases.append(("a tactic that is not the tag's", wrong_attack, False))
    bad_type = copy.deepcopy(good)
    bad_type["type_uid"] = 200402
    cases.append(("a type that is not Create", bad_type, False))
    failed = 0
    for name, finding, ok in cases:
        report = check([finding], [SAMPLE_ALERT])
        if (not report["failures"]) != ok:
            failed += 1
            print(f"self-test {name!r}: expected {'pass' if ok else 'failure'}, got {report}",
                  file=sys.stderr)
    return failed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--findings")
    p.add_argument("--alerts")
    p.add_argument("--out")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    if args.self_test:
        return 1 if self_test() else 0
    report = check(read_jsonl(args.findings), read_jsonl(args.alerts))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
