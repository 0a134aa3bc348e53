"""The rules of `infra/checks.py` on the real stacks, and a stack that breaks any one of them is refused.

Every rule is shown twice: the data stack (`infra/data-stack.yaml`) and the application stack (the real
`chalice package` output after `infra/merge.py`, and after the SAM transform) keep it, and a copy that
lacks just that one thing is reported, naming what is missing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from infra import checks, deploy_check, merge

DATA = deploy_check.load_data_stack(deploy_check.ROOT / "infra" / "data-stack.yaml")
DATA_STACK_NAME = "dougal-prod-data"
QUEUES = {"ingest": "Ingest", "qc": "Qc", "asaqc": "Asaqc", "navdata": "Navdata"}

Mutation = Callable[[dict[str, Any]], None]


def _props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return props


def _set(logical_id: str, key: str, value: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _props(template, logical_id)[key] = value

    return change


def _drop(logical_id: str, key: str | None = None) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        if key is None:
            del template["Resources"][logical_id]
        else:
            del _props(template, logical_id)[key]

    return change


def _redrive(logical_id: str, count: int) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _props(template, logical_id)["RedrivePolicy"]["maxReceiveCount"] = count

    return change


def _public_access(setting: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _props(template, "UploadBucket")["PublicAccessBlockConfiguration"][setting] = False

    return change


def _plain_http_allowed(template: dict[str, Any]) -> None:
    [statement] = _props(template, "UploadBucketPolicy")["PolicyDocument"]["Statement"]
    statement["Condition"]["Bool"]["aws:SecureTransport"] = "true"


def _proxy_reads(resource: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        [statement] = _props(template, "DatabaseProxyRole")["Policies"][0]["PolicyDocument"]["Statement"]
        statement["Resource"] = resource

    return change


DATA_STACK_BREAKS: list[tuple[str, Mutation, str]] = []
for suffix, prefix in QUEUES.items():
    queue, dlq = f"{prefix}Queue", f"{prefix}DeadLetterQueue"
    DATA_STACK_BREAKS += [
        (f"{suffix} queue missing", _drop(queue), f"queue dougal-<stage>-{suffix}: missing"),
        (f"{suffix} without a DLQ", _drop(queue, "RedrivePolicy"), f"queue {queue}: no dead-letter queue"),
        (f"{suffix} redrive after 10", _redrive(queue, 10), f"queue {queue}: RedrivePolicy.maxReceiveCount is 10"),
        (f"{suffix} visibility 300 s", _set(queue, "VisibilityTimeout", 300), f"queue {queue}: VisibilityTimeout 300"),
        (f"{suffix} no DLQ alarm", _drop(f"{dlq}Alarm"), f"queue {queue}: no alarm on the depth of its dead-letter"),
        (f"{suffix} silent DLQ alarm", _drop(f"{dlq}Alarm", "AlarmActions"), "dead-letter alarm has no AlarmActions"),
        (
            f"{suffix} DLQ alarm at 10 messages",
            _set(f"{dlq}Alarm", "Threshold", 10),
            f"queue {queue}: dead-letter alarm: threshold 10",
        ),
        (
            f"{suffix} no age alarm",
            _drop(f"{prefix}QueueAgeAlarm"),
            f"queue {queue}: no alarm on the age of its oldest",
        ),
        (
            f"{suffix} age alarm after the message expired",
            _set(f"{prefix}QueueAgeAlarm", "Threshold", 400000),
            f"queue {queue}: oldest-message alarm: threshold 400000",
        ),
        (
            f"{suffix} age alarm below its threshold",
            _set(f"{prefix}QueueAgeAlarm", "ComparisonOperator", "LessThanThreshold"),
            "oldest-message alarm fires on LessThanThreshold",
        ),
    ]
DATA_STACK_BREAKS += [
    (f"bucket {setting} off", _public_access(setting), f"PublicAccessBlockConfiguration.{setting} is not true")
    for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
]
DATA_STACK_BREAKS += [
    ("bucket unencrypted", _drop("UploadBucket", "BucketEncryption"), "upload bucket: no encryption at rest"),
    ("bucket policy missing", _drop("UploadBucketPolicy"), "no bucket policy denies requests without TLS"),
    ("bucket admits plain HTTP", _plain_http_allowed, "no bucket policy denies requests without TLS"),
    (
        "deletion protection in prod only",
        _set("DatabaseCluster", "DeletionProtection", {"Fn::If": ["IsProd", True, False]}),
        "DeletionProtection is not true in every stage",
    ),
    ("no deletion protection", _drop("DatabaseCluster", "DeletionProtection"), "DeletionProtection is not true"),
    (
        "one day of backups in dev",
        _set("DatabaseCluster", "BackupRetentionPeriod", {"Fn::If": ["IsProd", 14, 1]}),
        "BackupRetentionPeriod",
    ),
    ("backups unset", _drop("DatabaseCluster", "BackupRetentionPeriod"), "BackupRetentionPeriod None"),
    ("database unencrypted", _drop("DatabaseCluster", "StorageEncrypted"), "StorageEncrypted is not true"),
    (
        "a role reads every secret",
        _proxy_reads("*"),
        "DatabaseProxyRole read-database-credentials: allows secretsmanager:GetSecretValue on *",
    ),
    (
        "a role reads every secret of the account, through Fn::Sub",
        _proxy_reads({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*"}),
        "allows secretsmanager:GetSecretValue on arn:<ref>:secretsmanager:<ref>:<ref>:secret:*",
    ),
    (
        "a role reads every secret, in one branch of an Fn::If",
        _proxy_reads({"Fn::If": ["IsProd", {"Ref": "DatabaseSecret"}, {"Fn::Sub": "arn:${AWS::Partition}:*:*:*:*"}]}),
        "allows secretsmanager:GetSecretValue on arn:<ref>:*:*:*:*",
    ),
]


def test_the_data_stack_keeps_every_rule() -> None:
    assert checks.data_stack_problems(DATA, merge.WORKER_TIMEOUT_SECONDS) == []


@pytest.mark.parametrize(
    ("mutation", "message"), [b[1:] for b in DATA_STACK_BREAKS], ids=[b[0] for b in DATA_STACK_BREAKS]
)
def test_a_data_stack_missing_one_rule_is_refused(mutation: Mutation, message: str) -> None:
    broken = copy.deepcopy(DATA)
    mutation(broken)
    problems = checks.data_stack_problems(broken, merge.WORKER_TIMEOUT_SECONDS)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    ("operator", "threshold"), [("GreaterThanOrEqualToThreshold", 1), ("GreaterThanThreshold", 0.5)]
)
def test_a_dead_letter_alarm_may_say_one_message_either_way(operator: str, threshold: float) -> None:
    changed = copy.deepcopy(DATA)
    _set("QcDeadLetterQueueAlarm", "ComparisonOperator", operator)(changed)
    _set("QcDeadLetterQueueAlarm", "Threshold", threshold)(changed)
    assert checks.data_stack_problems(changed, merge.WORKER_TIMEOUT_SECONDS) == []


def test_a_dead_letter_alarm_always_in_alarm_is_refused() -> None:
    changed = copy.deepcopy(DATA)
    _set("QcDeadLetterQueueAlarm", "ComparisonOperator", "GreaterThanOrEqualToThreshold")(changed)
    _set("QcDeadLetterQueueAlarm", "Threshold", 0)(changed)
    [problem] = checks.data_stack_problems(changed, merge.WORKER_TIMEOUT_SECONDS)
    assert "queue QcQueue: dead-letter alarm: threshold 0" in problem


def test_every_queue_alarm_reaches_the_alarm_topic() -> None:
    alarms = [r["Properties"] for r in DATA["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) == 2 * len(QUEUES)
    assert all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    assert DATA["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    subscription = DATA["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "WithAlarmEmail" and subscription["Properties"]["Protocol"] == "email"


# ---------------------------------------------------------------- the application stack


def _function_id(template: dict[str, Any], name: str) -> str:
    [found] = [
        lid
        for lid, r in template["Resources"].items()
        if r["Type"] in checks.FUNCTION_TYPES and r["Properties"].get("FunctionName") == f"dougal-prod-{name}"
    ]
    return found


def _timeout(name: str, seconds: int) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _props(template, _function_id(template, name))["Timeout"] = seconds

    return change


def _no_trigger(name: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        function_id = _function_id(template, name)
        _props(template, function_id).pop("Events", None)
        for lid, resource in list(template["Resources"].items()):
            if resource["Type"] == "AWS::Lambda::EventSourceMapping" and resource["Properties"]["FunctionName"] == {
                "Ref": function_id
            }:
                del template["Resources"][lid]

    return change


def _no_batch_failures(template: dict[str, Any]) -> None:
    for _, _, event in checks.sqs_sources(template):
        event.pop("FunctionResponseTypes", None)


def _grant(role: str, action: str, resource: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        statements = _props(template, role)["Policies"][0]["PolicyDocument"]["Statement"]
        statements.append({"Effect": "Allow", "Action": action, "Resource": resource})

    return change


def _api_bodies(template: dict[str, Any]) -> list[dict[str, Any]]:
    bodies = list(checks.api_definitions(template).values())
    assert len(bodies) == 1
    return bodies


def _unguard(path: str, method: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        for body in _api_bodies(template):
            del body["paths"][path][method]["security"]

    return change


def _guard(path: str, method: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        for body in _api_bodies(template):
            body["paths"][path][method]["security"] = [{merge.AUTHORIZER_NAME: []}]

    return change


def _add_method(path: str, method: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        for body in _api_bodies(template):
            body["paths"].setdefault(path, {})[method] = copy.deepcopy(body["paths"]["/health"]["get"])

    return change


def _drop_path(path: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        for body in _api_bodies(template):
            del body["paths"][path]

    return change


def _authorizer(key: str, value: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        for body in _api_bodies(template):
            body["securityDefinitions"][merge.AUTHORIZER_NAME]["x-amazon-apigateway-authorizer"][key] = value

    return change


APP_STACK_BREAKS: list[tuple[str, Mutation, str]] = [
    (
        "a project route without the authorizer",
        _unguard("/project/{project}", "get"),
        "RestAPI: GET /project/{project} is not behind the REQUEST authorizer (security null)",
    ),
    (
        "an event write without the authorizer",
        _unguard("/project/{project}/event", "post"),
        "POST /project/{project}/event is not behind the REQUEST authorizer",
    ),
    ("a public route guarded", _guard("/health", "get"), "GET /health is a public route, yet the API guards it"),
    ("a method the app does not have", _add_method("/debug", "get"), "RestAPI: GET /debug is not a route of the app"),
    ("a route missing from the API", _drop_path("/status"), "the app's route GET /status is not a method of the API"),
    (
        "the authorizer's answers cached",
        _authorizer("authorizerResultTtlInSeconds", 300),
        "RestAPI: no uncached REQUEST authorizer run by a function of this stack",
    ),
    (
        "a TOKEN authorizer",
        _authorizer("type", "token"),
        "RestAPI: no uncached REQUEST authorizer run by a function of this stack",
    ),
    (
        "an authorizer run by a function of another stack",
        _authorizer("authorizerUri", "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/x/invocations"),
        "is not behind the REQUEST authorizer",
    ),
    (
        "ingest worker outlasts the visibility",
        _timeout("ingest_uploaded_files", 61),
        "timeout 61 s needs a visibility timeout of 366 s on IngestQueue",
    ),
    ("QC worker outlasts the visibility", _timeout("run_qc_jobs", 300), "on QcQueue, which has 360"),
    ("ASAQC queue unread", _no_trigger("send_asaqc_transfers"), "queue asaqc (AsaqcQueue) is read by []"),
    ("navdata queue unread", _no_trigger("store_navdata_messages"), "queue navdata (NavdataQueue) is read by []"),
    ("whole batches retried", _no_batch_failures, "does not report batch item failures"),
    (
        "the API sends to every queue",
        _grant("APIHandlerRole", "sqs:SendMessage", "*"),
        "allows sqs:SendMessage on *",
    ),
    (
        "the ingest worker reads every bucket",
        _grant("IngestUploadedFilesRole", ["s3:GetObject"], ["arn:aws:s3:::*"]),
        "allows s3:GetObject on arn:aws:s3:::*",
    ),
    (
        "the ingest worker reads every object",
        _grant("IngestUploadedFilesRole", "s3:GetObject", "arn:aws:s3:::*/*"),
        "allows s3:GetObject on arn:aws:s3:::*/*",
    ),
    (
        "the API sends to every queue, through Fn::Sub",
        _grant("APIHandlerRole", "sqs:SendMessage", {"Fn::Sub": "arn:${AWS::Partition}:sqs:*:*:*"}),
        "allows sqs:SendMessage on arn:<ref>:sqs:*:*:*",
    ),
    (
        "the API sends to every queue of the account, through Fn::Sub with variables",
        _grant(
            "APIHandlerRole",
            "sqs:SendMessage",
            {"Fn::Sub": ["arn:${P}:sqs:${R}:${A}:${Q}", {"P": "aws", "R": "eu-west-1", "A": "123456789012", "Q": "*"}]},
        ),
        "allows sqs:SendMessage on arn:aws:sqs:eu-west-1:123456789012:*",
    ),
    (
        "the ingest worker reads every bucket, through Fn::Sub with a reference",
        _grant(
            "IngestUploadedFilesRole",
            "s3:GetObject",
            {"Fn::Sub": ["arn:${P}:s3:::*", {"P": {"Ref": "AWS::Partition"}}]},
        ),
        "allows s3:GetObject on arn:<ref>:s3:::*",
    ),
    (
        "the ingest worker reads every object, through Fn::Join",
        _grant(
            "IngestUploadedFilesRole",
            "s3:GetObject",
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::*/*"]]},
        ),
        "allows s3:GetObject on arn:<ref>:s3:::*/*",
    ),
    (
        "the QC worker reads every secret, through Fn::Join",
        _grant(
            "RunQcJobsRole",
            "secretsmanager:GetSecretValue",
            {"Fn::Join": [":", ["arn", {"Ref": "AWS::Partition"}, "secretsmanager", {"Ref": "AWS::Region"}, "*", "*"]]},
        ),
        "allows secretsmanager:GetSecretValue on arn:<ref>:secretsmanager:<ref>:*:*",
    ),
    (
        "migrate may do anything to secrets",
        _grant("MigrateRole", "secretsmanager:*", {"Fn::ImportValue": "dougal-prod-data-JwtSecretArn"}),
        "allows every action of a service (secretsmanager:*)",
    ),
]


@pytest.mark.parametrize("form", ["merged", "transformed"])
def test_the_application_stack_keeps_every_rule(deploy_report: deploy_check.Report, form: str) -> None:
    template = deploy_report.templates[form]
    assert checks.app_stack_problems(template, DATA, DATA_STACK_NAME, deploy_report.routes) == []
    # Every work queue is read by its worker, through the data stack's export.
    readers = {queue["Fn::ImportValue"]: function for function, queue, _ in checks.sqs_sources(template)}
    assert len(readers) == len(QUEUES)


@pytest.mark.parametrize("form", ["merged", "transformed"])
@pytest.mark.parametrize(
    ("mutation", "message"), [b[1:] for b in APP_STACK_BREAKS], ids=[b[0] for b in APP_STACK_BREAKS]
)
def test_an_application_stack_missing_one_rule_is_refused(
    deploy_report: deploy_check.Report, form: str, mutation: Mutation, message: str
) -> None:
    broken = copy.deepcopy(deploy_report.templates[form])
    mutation(broken)
    problems = checks.app_stack_problems(broken, DATA, DATA_STACK_NAME, deploy_report.routes)
    assert any(message in p for p in problems), problems


def test_a_worker_reading_a_queue_the_data_stack_does_not_export_is_refused(
    deploy_report: deploy_check.Report,
) -> None:
    broken = copy.deepcopy(deploy_report.templates["merged"])
    [event] = _props(broken, _function_id(broken, "run_qc_jobs"))["Events"].values()
    event["Properties"]["Queue"] = {"Fn::ImportValue": "dougal-prod-data-UploadBucketArn"}
    problems = checks.app_stack_problems(broken, DATA, DATA_STACK_NAME, deploy_report.routes)
    assert any("not a queue the data stack exports" in p for p in problems), problems


def test_the_worker_timeouts_are_those_the_visibility_was_sized_for(deploy_report: deploy_check.Report) -> None:
    """Independently of checks.py: each worker's timeout x 6 fits its queue's visibility timeout."""
    merged = deploy_report.templates["merged"]
    exports = {
        f"{DATA_STACK_NAME}-{prefix}QueueArn": DATA["Resources"][f"{prefix}Queue"]["Properties"]["VisibilityTimeout"]
        for prefix in QUEUES.values()
    }
    seen = 0
    for resource in merged["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                seen += 1
                visibility = exports[event["Properties"]["Queue"]["Fn::ImportValue"]]
                assert 6 * resource["Properties"]["Timeout"] <= visibility
    assert seen == len(QUEUES)


def test_the_route_table_checked_is_the_apps(deploy_report: deploy_check.Report) -> None:
    """Read from the packaged copy; independently, from the application imported here."""
    from app import app
    from chalicelib.api.http import PUBLIC, ROUTE_ROLES

    expected = {(path, method) for path, entries in app.routes.items() for method in entries}
    assert set(deploy_report.routes) == expected
    assert {key for key, public in deploy_report.routes.items() if public} == {
        key for key, role in ROUTE_ROLES.items() if role == PUBLIC
    }
    assert {path for path, _ in deploy_report.routes if not deploy_report.routes[(path, _)]} >= {
        "/project",
        "/project/{project}",
        "/audit",
    }


def test_deploy_check_reports_an_unguarded_route(deploy_report: deploy_check.Report) -> None:
    merged = copy.deepcopy(deploy_report.templates["merged"])
    transformed = copy.deepcopy(deploy_report.templates["transformed"])
    for template in (merged, transformed):
        _unguard("/project/{project}/sequence", "get")(template)
    problems = deploy_check.template_problems(DATA, merged, transformed, DATA_STACK_NAME, deploy_report.routes)
    assert [p for p in problems if "authorizer" in p] == [
        "application stack: RestAPI: GET /project/{project}/sequence is not behind the REQUEST authorizer "
        "(security null)",
        "application stack (transformed): RestAPI: GET /project/{project}/sequence is not behind the REQUEST "
        "authorizer (security null)",
    ]


@pytest.mark.parametrize(
    ("expression", "shown"),
    [
        ("arn:aws:sqs:eu-west-1:1:q", "arn:aws:sqs:eu-west-1:1:q"),
        ({"Fn::Sub": "arn:${AWS::Partition}:sqs:*:*:*"}, "arn:<ref>:sqs:*:*:*"),
        ({"Fn::Sub": "arn:aws:s3:::${!literal}/*"}, "arn:aws:s3:::${literal}/*"),
        ({"Fn::Sub": ["arn:${P}:s3:::${B}/*", {"P": "aws", "B": {"Ref": "Bucket"}}]}, "arn:aws:s3:::<ref>/*"),
        ({"Fn::Join": ["", ["arn:aws:s3:::", {"Fn::Sub": "${Bucket}"}, "/*"]]}, "arn:aws:s3:::<ref>/*"),
        ({"Fn::GetAtt": ["Queue", "Arn"]}, "<ref>"),
        ({"Fn::Base64": "x"}, None),
    ],
)
def test_an_arn_built_with_intrinsics_is_read_as_written(expression: Any, shown: str | None) -> None:
    assert checks.rendered(expression) == shown
