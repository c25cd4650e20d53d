"""The SAM template's IAM is least privilege: no wildcard action anywhere, Lake actions only on
the event data store parameter, Publish only on the alert topic, Step Functions invoking only
trailwatch's own functions."""
import pathlib

import pytest
from cfnlint.decode import cfn_yaml

TEMPLATE = pathlib.Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
LAKE = {"cloudtrail:StartQuery", "cloudtrail:DescribeQuery", "cloudtrail:GetQueryResults", "cloudtrail:CancelQuery"}
# Actions AWS only grants on all resources.
STAR_ONLY = {"cloudtrail:LookupEvents", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
             "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
             "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"}


@pytest.fixture(scope="module")
def template():
    return cfn_yaml.loads(TEMPLATE.read_text())


def as_list(v):
    return v if isinstance(v, list) else [v]


def statements(template):
    """(resource name, statement) for every IAM statement: inline policies and the key policy."""
    out = []
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        for policy in props.get("Policies", []) or []:
            if isinstance(policy, dict) and "Statement" in policy:
                out.extend((name, s) for s in policy["Statement"])
        if "KeyPolicy" in props:
            out.extend((name, s) for s in props["KeyPolicy"]["Statement"])
    return out


def test_there_are_statements_to_check(template):
    assert len(statements(template)) >= 12


def test_no_wildcard_action_anywhere(template):
    for name, s in statements(template):
        for a in as_list(s["Action"]):
            assert "*" not in a, f"{name}: wildcard action {a}"
        assert "NotAction" not in s, f"{name}: NotAction"


def test_lake_actions_only_on_the_event_data_store(template):
    seen = set()
    for name, s in statements(template):
        actions = set(as_list(s["Action"]))
        if actions & LAKE:
            assert actions <= LAKE, f"{name}: Lake actions mixed with others: {actions}"
            assert s["Resource"] == {"Ref": "EventDataStoreArn"}, f"{name}: {s['Resource']}"
            seen |= actions
    assert seen == LAKE


def test_publish_only_to_the_alert_topic(template):
    publishers = []
    for name, s in statements(template):
        if "sns:Publish" in as_list(s["Action"]):
            assert as_list(s["Action"]) == ["sns:Publish"]
            assert s["Resource"] == {"Ref": "AlertTopic"}, f"{name}: {s['Resource']}"
            publishers.append(name)
    assert sorted(publishers) == ["CheckStateMachine", "CollectResultsFunction", "LookupAlertFunction"]


def test_star_resources_only_where_aws_requires_them(template):
    for name, s in statements(template):
        if s.get("Resource") == "*" and name != "AlertKey":
            assert set(as_list(s["Action"])) <= STAR_ONLY, f"{name}: {s['Action']} on *"


def test_lookup_events_only_for_lookup_alert(template):
    users = [name for name, s in statements(template) if "cloudtrail:LookupEvents" in as_list(s["Action"])]
    assert users == ["LookupAlertFunction"]


def test_state_machine_invokes_only_its_functions(template):
    sm = template["Resources"]["CheckStateMachine"]["Properties"]
    invoked = [p["LambdaInvokePolicy"]["FunctionName"] for p in sm["Policies"] if "LambdaInvokePolicy" in p]
    assert invoked == [{"Ref": "StartQueryFunction"}, {"Ref": "PollQueryFunction"}, {"Ref": "CollectResultsFunction"}]
    outer = template["Resources"]["ChecksStateMachine"]["Properties"]["Policies"]
    assert not any("LambdaInvokePolicy" in p for p in outer)
    start = [s for p in outer if "Statement" in p for s in p["Statement"] if "states:StartExecution" in as_list(s["Action"])]
    assert [s["Resource"] for s in start] == [{"Ref": "CheckStateMachine"}]


def test_functions_are_rust_on_al2023_with_an_architecture_parameter(template):
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    fns = {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert len(fns) == 4
    for name, fn in fns.items():
        assert fn["Metadata"]["BuildMethod"] == "rust-cargolambda", name
    assert template["Globals"]["Function"]["Runtime"] == "provided.al2023"
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]
