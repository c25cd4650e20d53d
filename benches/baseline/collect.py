"""boto3 equivalent of collect-results: GetQueryResults page by page (1,000 rows), rows decoded
into records, one alert per row (same fields and deterministic id), packed 50 to an SNS message
and published in PublishBatch requests of at most 10 messages and 256 KiB in all (SNS's limits)."""
import hashlib
import json


def alert(query, row):
    event = {k: row.get(k, "") for k in ("event_id", "event_time", "event_name", "event_source", "principal",
                                         "principal_type", "source_ip", "region", "account")}
    h = hashlib.sha256(query["check_id"].encode() + b"\0" + event["event_id"].encode()).hexdigest()[:32]
    region = event["region"] or "us-east-1"
    return {"id": h, "origin": "check", "rule_id": query["check_id"], "title": query["title"],
            "severity": query["severity"], "event": event,
            "console_link": f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{event['event_id']}"}


def publish(sns, topic, query, alerts):
    messages = []
    for i in range(0, len(alerts), 50):
        chunk = alerts[i:i + 50]
        body = {"rule_id": query["check_id"], "title": query["title"], "severity": query["severity"],
                "origin": "check", "count": len(chunk), "alerts": chunk}
        messages.append({"Id": f"m{len(messages) % 10}", "Message": json.dumps(body),
                         "Subject": f"[{query['severity'].upper()}] trailwatch: {query['title']} ({len(chunk)} events)"[:99],
                         "MessageAttributes": {"severity": {"DataType": "String", "StringValue": query["severity"]},
                                               "rule_id": {"DataType": "String", "StringValue": query["check_id"]}}})
    def size(m):
        attrs = sum(len(k) + len(v["DataType"]) + len(v["StringValue"]) for k, v in m["MessageAttributes"].items())
        return len(m["Message"].encode()) + attrs

    batch, total = [], 0
    for m in messages + [None]:
        if m is None or len(batch) == 10 or (batch and total + size(m) > 262_144):
            for j, b in enumerate(batch):
                b["Id"] = f"m{j}"
            if batch:
                sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=batch)
            batch, total = [], 0
        if m is not None:
            batch.append(m)
            total += size(m)
    return len(messages)


def collect(cloudtrail, sns, topic, query):
    rows = pages = notes = 0
    kwargs = {"QueryId": query["query_id"], "MaxQueryResults": 1000}
    while True:
        page = cloudtrail.get_query_results(**kwargs)
        records = [{k: v for cell in r for k, v in cell.items()} for r in page.get("QueryResultRows", [])]
        notes += publish(sns, topic, query, [alert(query, r) for r in records])
        rows += len(records)
        pages += 1
        token = page.get("NextToken")
        if not token:
            return {"rows": rows, "pages": pages, "notifications": notes}
        kwargs["NextToken"] = token
