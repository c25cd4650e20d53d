"""The SAM template's IAM is least privilege: no wildcard action in any grant, Lake actions only on
the event data store parameter (and only when the engine is Lake), Athena actions only on the
workgroup, Glue only on the trail's table, trail log reads only under the trail's prefix, Publish
only on the alert topic, Step Functions invoking only trailwatch's own functions. Both branches of
every Fn::If are checked; the Athena resources (Glue table, workgroup) are checked as AWS documents
them."""
import pathlib
import re

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


NO_VALUE = {"Ref": "AWS::NoValue"}


def branches(node, conds=()):
    """Every value `node` can take, each with the (condition, branch taken) pairs that lead to it:
    both branches of every Fn::If, AWS::NoValue dropped."""
    if isinstance(node, dict) and list(node) == ["Fn::If"]:
        cond, yes, no = node["Fn::If"]
        yield from branches(yes, conds + ((cond, True),))
        yield from branches(no, conds + ((cond, False),))
    elif node != NO_VALUE:
        yield node, conds


def all_statements(template):
    """(resource name, statement, conditions, kind) for every statement of every policy, in both
    branches of every Fn::If: kind is "identity" (function and state machine policies), "key" (the
    KMS key policy) or "resource" (bucket policies); conditions include the resource's own."""
    out = []
    for name, res in template["Resources"].items():
        props = res.get("Properties", {})
        base = ((res["Condition"], True),) if "Condition" in res else ()
        docs = []
        for policy in props.get("Policies", []) or []:
            docs.extend((doc, conds, "identity") for doc, conds in branches(policy, base))
        if "KeyPolicy" in props:
            docs.append((props["KeyPolicy"], base, "key"))
        if "PolicyDocument" in props:
            docs.append((props["PolicyDocument"], base, "resource"))
        for doc, conds, kind in docs:
            if not (isinstance(doc, dict) and "Statement" in doc):
                continue  # a SAM policy template (LambdaInvokePolicy)
            for stmt in as_list(doc["Statement"]):
                out.extend((name, s, c, kind) for s, c in branches(stmt, conds))
    return out


def statements(template):
    """(resource name, statement) for every IAM grant: inline policies and the key policy."""
    return [(name, s) for name, s, _, kind in all_statements(template) if kind in ("identity", "key")]


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
    assert sorted(publishers) == ["CheckStateMachine", "CollectResultsFunction", "LookupAlertFunction",
                                  "LookupSweepFunction"]


def test_ledger_writes_only_to_the_ledger_table(template):
    writers = []
    for name, s in statements(template):
        actions = [a for a in as_list(s["Action"]) if a.startswith("dynamodb:")]
        if actions:
            # Every writer claims (PutItem), marks (BatchWriteItem) and gives back unpublished
            # claims (a conditional DeleteItem); the lookup functions read the correlation state
            # and the sweep its checkpoints (GetItem). Nobody scans or queries.
            expected = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem"]
            if name in ("LookupSweepFunction", "LookupAlertFunction"):
                expected = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem",
                            "dynamodb:PutItem"]
            assert sorted(as_list(s["Action"])) == expected, name
            assert s["Resource"] == {"Fn::GetAtt": ["AlertLedger", "Arn"]}, f"{name}: {s['Resource']}"
            writers.append(name)
    assert sorted(writers) == ["CollectResultsFunction", "LookupAlertFunction", "LookupSweepFunction"]
    table = template["Resources"]["AlertLedger"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_star_resources_only_where_aws_requires_them(template):
    for name, s in statements(template):
        if s.get("Resource") == "*" and name != "AlertKey":
            assert set(as_list(s["Action"])) <= STAR_ONLY, f"{name}: {s['Action']} on *"


def test_lookup_events_only_for_the_sweep(template):
    users = [name for name, s in statements(template) if "cloudtrail:LookupEvents" in as_list(s["Action"])]
    assert users == ["LookupSweepFunction"]


def test_one_sweep_at_a_time(template):
    sweep = template["Resources"]["LookupSweepFunction"]["Properties"]
    assert sweep["ReservedConcurrentExecutions"] == 1
    assert "Sweep" in sweep["Events"] and "ApiCalls" not in sweep["Events"]
    realtime = template["Resources"]["LookupAlertFunction"]["Properties"]
    assert "ApiCalls" in realtime["Events"] and "Sweep" not in realtime["Events"]
    env = sweep["Environment"]["Variables"]
    assert env["TRAILWATCH_LOOKUP_LATE"] == {"Ref": "LookupLateHorizon"}
    assert "TRAILWATCH_LOOKUP_REGIONS" in env


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
    # Four binaries; lookup-alert's is deployed twice (real-time path and sweep).
    assert len(fns) == 5
    binaries = sorted(fn["Metadata"]["BuildProperties"]["Binary"] for fn in fns.values())
    assert binaries == ["collect-results", "lookup-alert", "lookup-alert", "poll-query", "start-query"]
    for name, fn in fns.items():
        assert fn["Metadata"]["BuildMethod"] == "rust-cargolambda", name
    assert template["Globals"]["Function"]["Runtime"] == "provided.al2023"
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]


# --- The Athena engine ----------------------------------------------------------------------------

ATHENA = {"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
          "athena:StopQueryExecution", "athena:GetWorkGroup"}
GLUE = {"glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"}
WORKGROUP_ARN = {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${QueryWorkGroup}"}
GLUE_ARNS = [
    {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog"},
    {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:database/${TrailDatabase}"},
    {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:table/${TrailDatabase}/${TrailTable}"},
]
RESULTS_BUCKET = [{"Fn::GetAtt": ["QueryResultsBucket", "Arn"]}, {"Fn::Sub": "${QueryResultsBucket.Arn}/*"}]
QUERY_FUNCTIONS = ["StartQueryFunction", "PollQueryFunction", "CollectResultsFunction"]

# What a deployment's values resolve to, for the scenarios below.
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "111122223333",
          "AWS::StackName": "trailwatch"}
RESOURCE_VALUES = {"QueryWorkGroup": "trailwatch", "TrailDatabase": "trailwatch", "TrailTable": "cloudtrail_logs",
                   "QueryResultsBucket": "trailwatch-results", "QueryResultsBucket.Arn": "arn:aws:s3:::trailwatch-results",
                   "AlertTopic": "arn:aws:sns:us-east-1:111122223333:alerts",
                   "AlertKey.Arn": "arn:aws:kms:us-east-1:111122223333:key/alert-key",
                   "DeadLetterQueue.Arn": "arn:aws:sqs:us-east-1:111122223333:dlq"}
TRAIL_KEY = "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-0000-4000-8000-000000000000"
SCENARIOS = {
    "lake": {"QueryEngine": "CloudTrailLake",
             "EventDataStoreArn": "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/abc-123"},
    "athena": {"QueryEngine": "Athena", "TrailBucketName": "my-trail-bucket"},
    "athena-org": {"QueryEngine": "Athena", "TrailBucketName": "org-trail", "TrailPrefix": "logs/ct",
                   "TrailOrganizationId": "o-abc123defg", "TrailAccountIds": "111122223333,444455556666",
                   "TrailRegions": "eu-west-1,eu-central-1", "TrailKmsKeyArn": TRAIL_KEY},
}


class _NoValue:
    pass


def resolve(node, params, conditions):
    """`node` as CloudFormation would deploy it with `params`: Ref, Fn::Sub, Fn::Join, Fn::If,
    Fn::GetAtt, conditions and AWS::NoValue (dropped from lists and mappings)."""
    if isinstance(node, list):
        items = (resolve(i, params, conditions) for i in node)
        return [i for i in items if not isinstance(i, _NoValue)]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Ref":
            return _NoValue() if arg == "AWS::NoValue" else params.get(arg, RESOURCE_VALUES.get(arg, f"<{arg}>"))
        if fn == "Fn::GetAtt":
            return RESOURCE_VALUES.get(".".join(arg), f"<{'.'.join(arg)}>")
        if fn == "Fn::If":
            cond, yes, no = arg
            return resolve(yes if conditions[cond] else no, params, conditions)
        if fn == "Fn::Join":
            sep, items = arg
            return sep.join(resolve(items, params, conditions))
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else arg
            values = {**params, **{k: resolve(v, params, conditions) for k, v in extra.items()}}

            def sub(m):
                if m.group(1):
                    return "${" + m.group(2) + "}"
                name = m.group(2)
                return values.get(name, RESOURCE_VALUES.get(name, f"<{name}>"))
            return re.sub(r"\$\{(!?)([^}]+)\}", sub, text)
        if fn in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            return evaluate(node, params, conditions)
    out = {k: resolve(v, params, conditions) for k, v in node.items()}
    return {k: v for k, v in out.items() if not isinstance(v, _NoValue)}


def evaluate(node, params, conditions):
    (fn, arg), = node.items()
    if fn == "Condition":
        return conditions[arg]
    if fn == "Fn::Equals":
        a, b = (resolve(x, params, conditions) for x in arg)
        return a == b
    if fn == "Fn::Not":
        return not evaluate(arg[0], params, conditions)
    if fn == "Fn::And":
        return all(evaluate(x, params, conditions) for x in arg)
    if fn == "Fn::Or":
        return any(evaluate(x, params, conditions) for x in arg)
    raise AssertionError(f"unexpected condition function {fn}")


def deployment(template, scenario):
    """(params, conditions) of a scenario (a name in SCENARIOS or parameter values): the
    template's defaults overridden by its values."""
    params = {k: str(p.get("Default", "")) for k, p in template["Parameters"].items()}
    params.update(SCENARIOS[scenario] if isinstance(scenario, str) else scenario)
    for k, v in params.items():
        pattern = template["Parameters"][k].get("AllowedPattern")
        assert pattern is None or re.fullmatch(pattern, v), f"{scenario}: {k}={v!r} does not match its pattern"
    params.update(PSEUDO)
    conditions = {}
    pending = dict(template["Conditions"])
    while pending:  # conditions may refer to earlier ones
        for name, node in list(pending.items()):
            try:
                conditions[name] = evaluate(node, params, conditions)
                del pending[name]
            except KeyError:
                pass
    return params, conditions


def deployed_statements(template, scenario, names=None):
    """(resource name, statement) as deployed in a scenario: resources whose condition holds,
    policies and statements whose Fn::If branches hold, every value resolved."""
    params, conditions = deployment(template, scenario)
    out = []
    for name, res in template["Resources"].items():
        if names is not None and name not in names:
            continue
        if "Condition" in res and not conditions[res["Condition"]]:
            continue
        props = res.get("Properties", {})
        docs = [resolve(p, params, conditions) for p in props.get("Policies", []) or []]
        docs += [resolve(props[k], params, conditions) for k in ("KeyPolicy", "PolicyDocument") if k in props]
        for doc in docs:
            if isinstance(doc, dict) and "Statement" in doc:
                out.extend((name, s) for s in as_list(doc["Statement"]))
    return out


def test_the_athena_branch_is_walked(template):
    conds = [c for _, _, c, _ in all_statements(template)]
    assert any(("UseAthena", True) in c for c in conds)
    assert any(("UseLake", True) in c for c in conds)
    assert any(("HasTrailKmsKey", True) in c for c in conds)


def test_no_wildcard_action_in_any_branch_of_any_policy(template):
    """(a) No Allow statement, in either branch of any Fn::If, has a wildcard action or NotAction,
    in function, state machine, key or bucket policies. The only wildcard is the results bucket's
    TLS-only Deny (s3:* as CIS 2.1.1 and AWS Config require it), which grants nothing."""
    checked = 0
    for name, s, conds, kind in all_statements(template):
        assert "NotAction" not in s, f"{name}: NotAction"
        actions = [a for node in as_list(s["Action"]) for a, _ in branches(node)]
        wild = [a for a in actions if "*" in a]
        if s["Effect"] == "Allow":
            assert not wild, f"{name}: wildcard action {wild} in {conds}"
            checked += 1
        else:
            assert s["Effect"] == "Deny"
            assert not wild or (kind == "resource" and s["Principal"] == "*"
                                and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}), f"{name}: {s}"
    assert checked >= 20


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_wildcard_action_in_any_deployed_grant(template, scenario):
    for name, s in deployed_statements(template, scenario):
        if s["Effect"] == "Allow":
            assert not [a for a in as_list(s["Action"]) if "*" in a], f"{scenario}/{name}: {s['Action']}"


def test_lake_statements_only_when_the_engine_is_lake(template):
    for name, s, conds, _ in all_statements(template):
        if set(as_list(s["Action"])) & LAKE:
            assert ("UseLake", True) in conds, f"{name}: Lake statement outside UseLake"
    for name, s in deployed_statements(template, "athena") + deployed_statements(template, "athena-org"):
        assert not set(as_list(s["Action"])) & LAKE, f"{name}: Lake action in an Athena deployment"
        assert "cloudtrail:StartQuery" not in str(s)


def test_athena_and_glue_only_when_the_engine_is_athena(template):
    for name, s, conds, _ in all_statements(template):
        services = {a.split(":")[0] for a in as_list(s["Action"])}
        if services & {"athena", "glue"} or "TrailBucketName" in str(s) or "QueryResultsBucket" in str(s):
            assert ("UseAthena", True) in conds, f"{name}: {s}"
    for name, s in deployed_statements(template, "lake"):
        assert not [a for a in as_list(s["Action"]) if a.split(":")[0] in ("athena", "glue")], name
        assert "s3:" not in str(s["Action"]), name


@pytest.mark.parametrize("scenario", ["athena", "athena-org"])
def test_trail_bucket_reads_are_scoped_to_the_trail_prefix(template, scenario):
    """(b) s3:GetObject only on BUCKET/[PREFIX/]AWSLogs/*, s3:ListBucket only with an s3:prefix
    condition on that prefix, nothing else on the trail bucket but GetBucketLocation."""
    params, _ = deployment(template, scenario)
    bucket = f"arn:aws:s3:::{params['TrailBucketName']}"
    prefix = f"{params['TrailPrefix']}/" if params["TrailPrefix"] else ""
    seen = set()
    for name, s in deployed_statements(template, scenario):
        resources = as_list(s.get("Resource", []))
        on_trail = [r for r in resources if r == bucket or r.startswith(bucket + "/")]
        if not on_trail:
            continue
        assert name == "StartQueryFunction", f"{name} reads the trail bucket"
        assert on_trail == resources, f"{name}: trail bucket mixed with other resources: {resources}"
        actions = set(as_list(s["Action"]))
        seen |= actions
        if actions == {"s3:GetObject"}:
            assert resources == [f"{bucket}/{prefix}AWSLogs/*"], resources
        elif actions == {"s3:ListBucket"}:
            assert resources == [bucket]
            assert s["Condition"] == {"StringLike": {"s3:prefix": f"{prefix}AWSLogs/*"}}, s.get("Condition")
        else:
            assert actions == {"s3:GetBucketLocation"} and resources == [bucket], f"{name}: {actions} on {resources}"
    assert seen == {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}


def test_trail_bucket_statements_in_both_prefix_branches(template):
    """(b) Structurally, in both branches of HasTrailPrefix."""
    for name, s, conds, _ in all_statements(template):
        if "TrailBucketName" not in str(s.get("Resource")):
            continue
        for res, rconds in branches(s["Resource"], conds):
            text = res["Fn::Sub"]
            assert text.startswith("arn:${AWS::Partition}:s3:::${TrailBucketName}"), text
            if "s3:GetObject" in as_list(s["Action"]):
                expected = "${TrailPrefix}/AWSLogs/*" if ("HasTrailPrefix", True) in rconds else "AWSLogs/*"
                assert text == "arn:${AWS::Partition}:s3:::${TrailBucketName}/" + expected, text
            else:
                assert text == "arn:${AWS::Partition}:s3:::${TrailBucketName}", text
        if "s3:ListBucket" in as_list(s["Action"]):
            prefixes = [p for p, _ in branches(s["Condition"]["StringLike"]["s3:prefix"])]
            assert prefixes == [{"Fn::Sub": "${TrailPrefix}/AWSLogs/*"}, "AWSLogs/*"]


def test_results_bucket_access_is_the_documented_minimum(template):
    allowed = {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation",
               "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    seen = set()
    for name, s, conds, kind in all_statements(template):
        if kind != "identity" or "QueryResultsBucket" not in str(s.get("Resource")):
            continue
        assert name in ("StartQueryFunction", "CollectResultsFunction"), name
        assert set(as_list(s["Action"])) <= allowed, f"{name}: {s['Action']}"
        assert all(r in RESULTS_BUCKET for r in as_list(s["Resource"])), f"{name}: {s['Resource']}"
        seen |= set(as_list(s["Action"]))
    assert seen == allowed


def test_athena_actions_only_on_the_workgroup(template):
    """(c)"""
    seen, users = set(), set()
    for name, s, conds, _ in all_statements(template):
        actions = set(as_list(s["Action"]))
        if any(a.startswith("athena:") for a in actions):
            assert actions <= ATHENA, f"{name}: {actions}"
            assert s["Resource"] == WORKGROUP_ARN, f"{name}: {s['Resource']}"
            assert ("UseAthena", True) in conds
            seen |= actions
            users.add(name)
    assert seen == ATHENA
    assert sorted(users) == sorted(QUERY_FUNCTIONS)


def test_glue_actions_only_on_the_catalog_database_and_table(template):
    """(d)"""
    seen = set()
    for name, s, conds, _ in all_statements(template):
        actions = set(as_list(s["Action"]))
        if any(a.startswith("glue:") for a in actions):
            assert actions <= GLUE, f"{name}: {actions}"
            assert as_list(s["Resource"]) == GLUE_ARNS, f"{name}: {s['Resource']}"
            assert ("UseAthena", True) in conds
            seen |= actions
    assert seen == GLUE
    params, _ = deployment(template, "athena")
    assert params["AthenaDatabaseName"] == "trailwatch"
    assert template["Resources"]["TrailDatabase"]["Properties"]["DatabaseInput"]["Name"] == {"Ref": "AthenaDatabaseName"}


def test_kms_decrypt_on_the_trail_key_only_under_its_condition(template):
    """(e) kms:Decrypt in a grant is on the alert key, or on TrailKmsKeyArn only under
    HasTrailKmsKey, which holds only for Athena with a key given."""
    trail_key_grants = 0
    for name, s, conds, kind in all_statements(template):
        if kind != "identity":
            continue
        if "TrailKmsKeyArn" in str(s):
            assert as_list(s["Action"]) == ["kms:Decrypt"], f"{name}: {s['Action']}"
            assert s["Resource"] == {"Ref": "TrailKmsKeyArn"}
            assert ("HasTrailKmsKey", True) in conds, f"{name}: trail key outside HasTrailKmsKey"
            trail_key_grants += 1
        elif "kms:Decrypt" in as_list(s["Action"]):
            assert s["Resource"] == {"Fn::GetAtt": ["AlertKey", "Arn"]}, f"{name}: {s['Resource']}"
    assert trail_key_grants == 1
    decrypts = lambda sc: [s for _, s in deployed_statements(template, sc) if s.get("Resource") == TRAIL_KEY]
    assert decrypts("athena") == [] and decrypts("lake") == []
    assert [as_list(s["Action"]) for s in decrypts("athena-org")] == [["kms:Decrypt"]]
    assert decrypts({**SCENARIOS["lake"], "TrailKmsKeyArn": TRAIL_KEY}) == []


DOCUMENTED_COLUMNS = {
    "eventversion": "string", "eventtime": "string", "eventsource": "string", "eventname": "string",
    "awsregion": "string", "sourceipaddress": "string", "useragent": "string", "errorcode": "string",
    "errormessage": "string", "requestparameters": "string", "responseelements": "string",
    "additionaleventdata": "string", "requestid": "string", "eventid": "string", "readonly": "string",
    "resources": "array<struct<arn:string,accountid:string,type:string>>", "eventtype": "string",
    "apiversion": "string", "recipientaccountid": "string", "serviceeventdetails": "string",
    "sharedeventid": "string", "vpcendpointid": "string", "vpcendpointaccountid": "string",
    "eventcategory": "string",
    "addendum": "struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>",
    "sessioncredentialfromconsole": "string", "edgedevicedetails": "string",
    "tlsdetails": "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>",
}


def test_glue_table_is_the_documented_cloudtrail_table_with_partition_projection(template):
    """(f) AWS's "Create the table for CloudTrail logs in Athena using partition projection", with
    account and region projected too."""
    table = template["Resources"]["TrailTable"]
    assert table["Condition"] == "UseAthena"
    ti = table["Properties"]["TableInput"]
    assert ti["Name"] == "cloudtrail_logs"
    assert ti["TableType"] == "EXTERNAL_TABLE"
    sd = ti["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert sd["InputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    columns = {c["Name"]: c["Type"] for c in sd["Columns"]}
    assert all(name == name.lower() for name in columns)
    for name, type_ in DOCUMENTED_COLUMNS.items():
        assert columns.get(name) == type_, f"{name}: {columns.get(name)}"
    identity = columns["useridentity"]
    for field in ("type:string", "principalid:string", "arn:string", "accountid:string", "invokedby:string",
                  "accesskeyid:string", "username:string", "onbehalfof:struct<userid:string,identitystorearn:string>",
                  "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>",
                  "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>",
                  "sourceidentity:string", "ec2roledelivery:string"):
        assert field in identity, field
    assert identity.count("<") == identity.count(">")
    assert [(k["Name"], k["Type"]) for k in ti["PartitionKeys"]] == [
        ("account", "string"), ("region", "string"), ("timestamp", "string")]
    props = ti["Parameters"]
    assert props["projection.enabled"] == "true"
    assert props["projection.account.type"] == "enum"
    assert props["projection.region.type"] == "enum"
    assert props["projection.region.values"] == {"Ref": "TrailRegions"}
    assert props["projection.timestamp.type"] == "date"
    assert props["projection.timestamp.format"] == "yyyy/MM/dd"
    assert props["projection.timestamp.range"] == "2020/01/01,NOW"
    assert props["projection.timestamp.interval"] == "1"
    assert props["projection.timestamp.interval.unit"] == "DAYS"


@pytest.mark.parametrize("scenario,location,accounts,regions", [
    ("athena", "s3://my-trail-bucket/AWSLogs/${account}/CloudTrail/${region}/${timestamp}", "111122223333",
     "us-east-1,us-east-2,us-west-1,us-west-2,eu-west-1,eu-central-1,ap-southeast-1,ap-northeast-1"),
    ("athena-org", "s3://org-trail/logs/ct/AWSLogs/o-abc123defg/${account}/CloudTrail/${region}/${timestamp}",
     "111122223333,444455556666", "eu-west-1,eu-central-1"),
])
def test_glue_table_as_deployed(template, scenario, location, accounts, regions):
    """(f) The projected location has no empty path segment and keeps ${...} for Athena."""
    params, conditions = deployment(template, scenario)
    ti = resolve(template["Resources"]["TrailTable"]["Properties"]["TableInput"], params, conditions)
    assert ti["Parameters"]["storage.location.template"] == location
    assert ti["StorageDescriptor"]["Location"] == location.split("${account}")[0]
    assert ti["Parameters"]["projection.account.values"] == accounts
    assert ti["Parameters"]["projection.region.values"] == regions


def test_workgroup_enforces_its_configuration_and_a_cost_guard(template):
    """(g)"""
    wg = template["Resources"]["QueryWorkGroup"]
    assert wg["Condition"] == "UseAthena"
    props = wg["Properties"]
    assert props["RecursiveDeleteOption"] is True
    cfg = props["WorkGroupConfiguration"]
    assert cfg["EnforceWorkGroupConfiguration"] is True
    assert cfg["PublishCloudWatchMetricsEnabled"] is True
    assert cfg["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert cfg["EngineVersion"] == {"SelectedEngineVersion": "AUTO"}
    assert cfg["ResultConfiguration"]["OutputLocation"] == {"Fn::Sub": "s3://${QueryResultsBucket}/results/"}
    assert cfg["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    cutoff = template["Parameters"]["AthenaBytesScannedCutoff"]
    assert cutoff["Default"] == 10737418240 and cutoff["MinValue"] == 10000000


def test_results_bucket_is_private_encrypted_tls_only_and_expires(template):
    bucket = template["Resources"]["QueryResultsBucket"]
    assert bucket["Condition"] == "UseAthena"
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rule = props["LifecycleConfiguration"]["Rules"][0]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {"Ref": "AthenaResultsRetentionDays"}
    policy = template["Resources"]["QueryResultsBucketPolicy"]
    assert policy["Condition"] == "UseAthena"
    assert policy["Properties"]["Bucket"] == {"Ref": "QueryResultsBucket"}
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == RESULTS_BUCKET


def test_function_environment_names_the_engine(template):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["TRAILWATCH_ENGINE"] == {"Fn::If": ["UseAthena", "athena", "lake"]}
    assert env["TRAILWATCH_EVENT_DATA_STORE"] == {"Fn::If": ["UseLake", {"Ref": "EventDataStoreArn"}, NO_VALUE]}
    for var, res in (("TRAILWATCH_ATHENA_WORKGROUP", "QueryWorkGroup"), ("TRAILWATCH_ATHENA_DATABASE", "TrailDatabase"),
                     ("TRAILWATCH_ATHENA_TABLE", "TrailTable")):
        assert env[var] == {"Fn::If": ["UseAthena", {"Ref": res}, NO_VALUE]}, var
    for var in ("RUST_LOG", "TRAILWATCH_OWNER_ACCOUNT_ID", "TRAILWATCH_ALERT_TOPIC_ARN"):
        assert var in env
    for scenario, engine in (("lake", "lake"), ("athena", "athena")):
        params, conditions = deployment(template, scenario)
        deployed = resolve(env, params, conditions)
        assert deployed["TRAILWATCH_ENGINE"] == engine
        assert ("TRAILWATCH_EVENT_DATA_STORE" in deployed) == (engine == "lake")
        assert ("TRAILWATCH_ATHENA_WORKGROUP" in deployed) == (engine == "athena")
    # Lake's result delivery only reaches start-query with Lake: Athena refuses a delivery URI.
    delivery = template["Resources"]["StartQueryFunction"]["Properties"]["Environment"]["Variables"]
    for scenario, present in (("lake", True), ("athena", False)):
        params, conditions = deployment(template, {**SCENARIOS[scenario], "DeliveryS3Uri": "s3://results/lake"})
        assert ("TRAILWATCH_DELIVERY_S3_URI" in resolve(delivery, params, conditions)) == present, scenario


def test_parameters_accept_what_each_engine_needs(template):
    p = template["Parameters"]
    assert p["QueryEngine"]["AllowedValues"] == ["CloudTrailLake", "Athena"]
    assert p["QueryEngine"]["Default"] == "CloudTrailLake"
    ok = lambda name, v: re.fullmatch(p[name]["AllowedPattern"], v) is not None
    assert ok("EventDataStoreArn", "") and ok("EventDataStoreArn", SCENARIOS["lake"]["EventDataStoreArn"])
    assert ok("TrailPrefix", "") and ok("TrailPrefix", "a/b-c")
    for bad in ("/a", "a/", "a//b", "a*", "*", "a?b"):
        assert not ok("TrailPrefix", bad), bad
    assert not ok("TrailAccountIds", "1234") and not ok("TrailAccountIds", "111122223333, 444455556666")
    assert not ok("TrailRegions", "us-east-1, eu-west-1") and ok("TrailRegions", "us-gov-west-1")
    assert not ok("TrailKmsKeyArn", "arn:aws:kms:us-east-1:111122223333:alias/trail")
    for name in ("TrailOrganizationId", "TrailAccountIds", "TrailKmsKeyArn", "TrailPrefix", "TrailBucketName"):
        assert p[name]["Default"] == "", name
    assert p["AthenaResultsRetentionDays"]["Default"] == 7


def test_athena_outputs(template):
    outputs = template["Outputs"]
    for name, res in (("AthenaWorkGroup", "QueryWorkGroup"), ("AthenaDatabase", "TrailDatabase"), ("AthenaTable", "TrailTable")):
        assert outputs[name]["Condition"] == "UseAthena"
        assert outputs[name]["Value"] == {"Ref": res}
