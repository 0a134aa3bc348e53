"""The deployment templates, checked offline: cfn-lint, the queue and network rules
cfn-lint cannot see, the post-processing of `chalice package` output, and the
application's IAM policy."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.decode.cfn_yaml import loads as load_cfn_yaml

from infra import merge

ROOT = Path(__file__).resolve().parents[2]
DATA_STACK = ROOT / "infra" / "data-stack.yaml"
POLICY = ROOT / ".chalice" / "policy-prod.json"
DEPLOY = ROOT / "infra" / "deploy.sh"
QUEUES = {"ingest": "IngestQueue", "qc": "QcQueue", "asaqc": "AsaqcQueue", "navdata": "NavdataQueue"}
DATA_PLANE = ("sqs:", "s3:", "secretsmanager:", "rds-db:", "logs:")


def lint_errors(text: str) -> list[str]:
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint(text, regions=["eu-west-1"])]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def data_stack() -> dict[str, Any]:
    return load_cfn_yaml(DATA_STACK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def policy() -> dict[str, Any]:
    return json.loads(POLICY.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- a packaged template, as `chalice package` writes it


def _role(policy: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [{"PolicyDocument": copy.deepcopy(policy), "PolicyName": f"{name}Policy"}],
        },
    }


def _function(handler: str, role: str, timeout: int, stage: str = "prod", **extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Runtime": "python3.11",
            "Handler": handler,
            "CodeUri": "./deployment.zip",
            "Tags": {"aws-chalice": f"version=1.34.0:stage={stage}:app=dougal"},
            "Tracing": "PassThrough",
            "Timeout": timeout,
            "MemorySize": 1024,
            "Architectures": ["x86_64"],
            "Environment": {
                "Variables": {
                    "DOUGAL_STAGE": stage,
                    "DOUGAL_DATABASE_SECRET_ID": f"dougal/{stage}/database",
                    "DOUGAL_INGEST_QUEUE": f"dougal-{stage}-ingest",
                }
            },
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            **extra,
        },
    }


# A few of the app's routes as Chalice writes them in the API definition: public ones and guarded ones.
API_PATHS = {
    "/health": ("get",),
    "/login": ("post",),
    "/project": ("get", "post"),
    "/project/{project}/event/{id}": ("get", "put", "patch", "delete"),
}


def packaged(policy: dict[str, Any], stage: str = "prod", queue: str | None = None) -> dict[str, Any]:
    """api_handler, migrate and one SQS worker, the way Chalice 1.34 packages them."""
    queue = queue or f"dougal-{stage}-ingest"
    sqs_event = {
        "Type": "SQS",
        "Properties": {
            "Queue": {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{queue}"},
            "BatchSize": 5,
            "MaximumBatchingWindowInSeconds": 0,
        },
    }
    integration_uri = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${APIHandler.Arn}/invocations"
    )
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Outputs": {
            "EndpointURL": {
                "Value": {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"}
            }
        },
        "Resources": {
            "MigrateRole": _role(policy, "MigrateRole"),
            "Migrate": _function("app.migrate_database", "MigrateRole", 300, stage),
            "IngestUploadedFilesRole": _role(policy, "IngestUploadedFilesRole"),
            "IngestUploadedFiles": _function(
                "app.ingest_uploaded_files",
                "IngestUploadedFilesRole",
                28,
                stage,
                Events={"IngestUploadedFilesSqsEventSource": sqs_event},
            ),
            "ApiHandlerRole": _role(policy, "ApiHandlerRole"),
            "RestAPI": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "EndpointConfiguration": "REGIONAL",
                    "StageName": "api",
                    "DefinitionBody": {
                        "swagger": "2.0",
                        "info": {"version": "1.0", "title": "dougal"},
                        "schemes": ["https"],
                        "paths": {
                            path: {
                                method: {
                                    "responses": {"200": {"description": "200 response"}},
                                    "x-amazon-apigateway-integration": {
                                        "uri": {"Fn::Sub": integration_uri},
                                        "passthroughBehavior": "when_no_match",
                                        "httpMethod": "POST",
                                        "contentHandling": "CONVERT_TO_TEXT",
                                        "type": "aws_proxy",
                                    },
                                }
                                for method in methods
                            }
                            for path, methods in API_PATHS.items()
                        },
                    },
                },
            },
            "APIHandler": _function("app.app", "ApiHandlerRole", 28, stage),
            "AuthorizeRequest": _function("app.authorize_request", "ApiHandlerRole", 28, stage),
            "APIHandlerInvokePermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "APIHandler"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {
                        "Fn::Sub": [
                            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestAPIId}/*",
                            {"RestAPIId": {"Ref": "RestAPI"}},
                        ]
                    },
                },
            },
        },
    }


@pytest.fixture(scope="module")
def merged(policy: dict[str, Any]) -> dict[str, Any]:
    return merge.postprocess(packaged(policy), stage="prod", data_stack="dougal-prod-data")


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        lid: res["Properties"]
        for lid, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def imports(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["Fn::ImportValue"]} if isinstance(node.get("Fn::ImportValue"), str) else set()
        return found.union(*(imports(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(imports(v) for v in node))
    return set()


# ---------------------------------------------------------------- data stack


def test_data_stack_passes_cfn_lint() -> None:
    assert lint_errors(DATA_STACK.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("suffix", sorted(QUEUES))
def test_queue_redrives_to_its_dead_letter_queue_after_five_receives(data_stack: dict[str, Any], suffix: str) -> None:
    from scripts import awsresources

    resources = data_stack["Resources"]
    queue = resources[QUEUES[suffix]]["Properties"]
    dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert queue["QueueName"] == {"Fn::Sub": f"dougal-${{Stage}}-{suffix}"}
    assert resources[dlq_id]["Properties"]["QueueName"] == {"Fn::Sub": f"dougal-${{Stage}}-{suffix}-dlq"}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5 == awsresources.MAX_RECEIVE_COUNT
    assert queue["VisibilityTimeout"] >= 6 * merge.WORKER_TIMEOUT_SECONDS
    # merge.py checks worker timeouts against this number, and the local stack copies it.
    assert queue["VisibilityTimeout"] == merge.QUEUE_VISIBILITY_TIMEOUT_SECONDS == awsresources.VISIBILITY_TIMEOUT
    # A message must not expire in the DLQ before it would have in its queue.
    assert resources[dlq_id]["Properties"]["MessageRetentionPeriod"] >= queue["MessageRetentionPeriod"]


def test_uploads_notify_the_ingest_queue(data_stack: dict[str, Any]) -> None:
    resources = data_stack["Resources"]
    bucket = resources["UploadBucket"]
    props = bucket["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "dougal-${Stage}-uploads"}
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["NotificationConfiguration"]["QueueConfigurations"] == [
        {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["IngestQueue", "Arn"]}}
    ]
    # S3 checks it may send when the notification is set up, so the policy comes first.
    assert bucket["DependsOn"] == "IngestQueuePolicy"
    statement = resources["IngestQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::dougal-${Stage}-uploads"
    }


def _ingress_sources(resources: dict[str, Any], group: str) -> set[str]:
    """Security groups admitted into ``group`` (and fail on any address-range ingress)."""
    sources = set()
    rules = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    rules = [r for r in rules if r["GroupId"] == {"Ref": group}]
    rules += resources[group]["Properties"].get("SecurityGroupIngress", [])
    for rule in rules:
        assert "CidrIp" not in rule, f"{group} admits an address range"
        assert (rule["FromPort"], rule["ToPort"]) == (5432, 5432)
        sources.add(rule["SourceSecurityGroupId"]["Ref"])
    return sources


def test_database_is_reached_through_the_proxy_only(data_stack: dict[str, Any]) -> None:
    resources = data_stack["Resources"]
    assert _ingress_sources(resources, "ProxySecurityGroup") == {"LambdaSecurityGroup"}
    assert _ingress_sources(resources, "DatabaseSecurityGroup") == {"ProxySecurityGroup", "MigrationSecurityGroup"}
    assert resources["DatabaseCluster"]["Properties"]["VpcSecurityGroupIds"] == [{"Ref": "DatabaseSecurityGroup"}]
    assert resources["DatabaseProxy"]["Properties"]["VpcSecurityGroupIds"] == [{"Ref": "ProxySecurityGroup"}]


def test_in_vpc_functions_reach_aws_apis_through_endpoints(data_stack: dict[str, Any]) -> None:
    services = {
        res["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[-1]: res["Properties"]["VpcEndpointType"]
        for res in data_stack["Resources"].values()
        if res["Type"] == "AWS::EC2::VPCEndpoint"
    }
    assert services == {"s3": "Gateway", "sqs": "Interface", "secretsmanager": "Interface"}


def test_secrets_hold_what_the_application_reads(data_stack: dict[str, Any]) -> None:
    secrets = {
        res["Properties"]["Name"]["Fn::Sub"]: res["Properties"]
        for res in data_stack["Resources"].values()
        if res["Type"] == "AWS::SecretsManager::Secret"
    }
    assert {"dougal/${Stage}/jwt", "dougal/${Stage}/database", "dougal/${Stage}/asaqc"} <= set(secrets)
    assert secrets["dougal/${Stage}/jwt"]["GenerateSecretString"]["PasswordLength"] >= 48
    connection = re.sub(r"\$\{[^}]+\}", "x", secrets["dougal/${Stage}/database"]["SecretString"]["Fn::Sub"])
    assert set(json.loads(connection)) == {"host", "port", "username", "password", "dbname"}
    assert "${DatabaseProxy.Endpoint}" in secrets["dougal/${Stage}/database"]["SecretString"]["Fn::Sub"]


# ---------------------------------------------------------------- application stack (infra/merge.py)


def test_merged_template_passes_cfn_lint(merged: dict[str, Any]) -> None:
    assert lint_errors(json.dumps(merged)) == []


def test_every_sqs_event_source_reports_batch_item_failures(policy: dict[str, Any]) -> None:
    template = packaged(policy)
    template["Resources"]["ExtraMapping"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "FunctionName": {"Ref": "IngestUploadedFiles"},
            "EventSourceArn": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:dougal-prod-qc"},
        },
    }
    result = merge.postprocess(template, stage="prod", data_stack="dougal-prod-data")
    events = [
        event["Properties"]
        for props in functions(result).values()
        for event in (props.get("Events") or {}).values()
        if event["Type"] == "SQS"
    ]
    assert len(events) == 1
    assert events[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert events[0]["Queue"] == {"Fn::ImportValue": "dougal-prod-data-IngestQueueArn"}
    assert result["Resources"]["ExtraMapping"]["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_functions_run_in_the_vpc_with_the_data_stack_resources(merged: dict[str, Any]) -> None:
    found = functions(merged)
    assert set(found) == {"APIHandler", "AuthorizeRequest", "Migrate", "IngestUploadedFiles"}
    for logical_id, props in found.items():
        group = "MigrationSecurityGroupId" if logical_id == "Migrate" else "LambdaSecurityGroupId"
        assert props["VpcConfig"] == {
            "SecurityGroupIds": [{"Fn::ImportValue": f"dougal-prod-data-{group}"}],
            "SubnetIds": {"Fn::Split": [",", {"Fn::ImportValue": "dougal-prod-data-PrivateSubnetIds"}]},
        }
        variables = props["Environment"]["Variables"]
        secret = "DatabaseMasterSecretArn" if logical_id == "Migrate" else "DatabaseSecretArn"
        assert variables["DOUGAL_DATABASE_SECRET_ID"] == {"Fn::ImportValue": f"dougal-prod-data-{secret}"}
        assert variables["DOUGAL_UPLOAD_BUCKET"] == {"Fn::ImportValue": "dougal-prod-data-UploadBucketName"}
        assert variables["DOUGAL_STAGE"] == "prod"
        assert props["FunctionName"] == f"dougal-prod-{merge.chalice_name(logical_id)}"
    assert found["APIHandler"]["FunctionName"] == "dougal-prod-api_handler"
    assert found["IngestUploadedFiles"]["FunctionName"] == "dougal-prod-ingest_uploaded_files"


def test_every_import_is_exported_by_the_data_stack(merged: dict[str, Any], data_stack: dict[str, Any]) -> None:
    exported = {
        output["Export"]["Name"]["Fn::Sub"].replace("${AWS::StackName}", "dougal-prod-data")
        for output in data_stack["Outputs"].values()
        if "Export" in output and "Condition" not in output
    }
    wanted = imports(merged)
    assert wanted, "the merged template imports nothing"
    assert wanted <= exported


def test_environment_names_are_settings() -> None:
    from chalicelib.settings import Settings

    variables = [*merge.ENVIRONMENT_EXPORTS, *merge.SECRET_ENVIRONMENT.values(), *merge.TLS_ENVIRONMENT]
    names = {variable.removeprefix("DOUGAL_").lower() for variable in variables}
    assert names <= set(Settings.model_fields)


def test_worker_timeout_fits_the_queue_visibility(merged: dict[str, Any], data_stack: dict[str, Any]) -> None:
    worker = functions(merged)["IngestUploadedFiles"]
    visibility = data_stack["Resources"]["IngestQueue"]["Properties"]["VisibilityTimeout"]
    assert worker["Timeout"] == merge.WORKER_TIMEOUT_SECONDS
    assert 6 * worker["Timeout"] <= visibility
    # Functions without a queue keep the timeouts .chalice/config.json gave them.
    assert functions(merged)["Migrate"]["Timeout"] == 300
    assert functions(merged)["APIHandler"]["Timeout"] == 28


def test_a_worker_timeout_set_in_the_chalice_config_is_kept(policy: dict[str, Any]) -> None:
    config = {"stages": {"prod": {"lambda_functions": {"ingest_uploaded_files": {"lambda_timeout": 45}}}}}
    result = merge.postprocess(packaged(policy), stage="prod", data_stack="d", chalice_config=config)
    assert functions(result)["IngestUploadedFiles"]["Timeout"] == 45


def test_role_policies_name_this_account(merged: dict[str, Any]) -> None:
    text = json.dumps(merged["Resources"]["IngestUploadedFilesRole"])
    assert ":*:*:" not in text
    assert '"Fn::ImportValue": "dougal-prod-data-IngestQueueArn"' in text
    assert "log-group:/aws/lambda/dougal-prod-ingest_uploaded_files" in text


def _unknown_function(template: dict[str, Any]) -> dict[str, Any]:
    template["Resources"]["MineCoins"] = _function("app.mine_coins", "ApiHandlerRole", 28)
    return template


REFUSALS = [
    ("unknown queue", lambda p: packaged(p, queue="dougal-prod-p1-ingest"), {}, "reads queue 'dougal-prod-p1-ingest'"),
    ("other stage", lambda p: packaged(p, stage="dev"), {}, "packaged for stage 'dev'"),
    (
        "timeout too long for the queue",
        packaged,
        {"lambda_functions": {"ingest_uploaded_files": {"lambda_timeout": 120}}},
        "visibility timeout of at least 720 s",
    ),
    ("a function with no grants", lambda p: _unknown_function(packaged(p)), {}, "no grants declared for function"),
    ("not chalice output", lambda p: {"Resources": {}}, {}, "no Lambda functions"),
]


@pytest.mark.parametrize(("template", "config", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_merge_refuses_a_template_that_would_fail_in_aws(
    policy: dict[str, Any], template: Any, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(merge.MergeError, match=re.escape(message)):
        merge.postprocess(template(policy), stage="prod", data_stack="dougal-prod-data", chalice_config=config)


def test_merge_command_writes_the_template(policy: dict[str, Any], tmp_path: Path) -> None:
    source = tmp_path / "sam.json"
    source.write_text(json.dumps(packaged(policy)), encoding="utf-8")
    assert merge.main(["--stage", "prod", "--config", str(tmp_path / "none.json"), str(source)]) == 0
    written = json.loads((tmp_path / "template.json").read_text(encoding="utf-8"))
    assert "VpcConfig" in written["Resources"]["Migrate"]["Properties"]
    bad = tmp_path / "dev.json"
    bad.write_text(json.dumps(packaged(policy, stage="dev")), encoding="utf-8")
    assert merge.main(["--stage", "prod", str(bad), "-o", str(tmp_path / "out.json")]) == 1
    assert not (tmp_path / "out.json").exists()


# ---------------------------------------------------------------- IAM policy and deploy script


# ---------------------------------------------------------------- least privilege: one role per function


def _with_every_function(policy: dict[str, Any]) -> dict[str, Any]:
    """The packaged template with the QC and ASAQC functions too (roles as Chalice shares them: one)."""
    template = packaged(policy)
    resources = template["Resources"]
    for logical_id, handler, queue in (
        ("RunQcJobs", "app.run_qc_jobs", "qc"),
        ("SweepQc", "app.sweep_qc", None),
        ("SendAsaqcTransfers", "app.send_asaqc_transfers", "asaqc"),
        ("RedriveAsaqcTransfers", "app.redrive_asaqc_transfers", None),
        ("StoreNavdataMessages", "app.store_navdata_messages", "navdata"),
        ("ExpireNavdata", "app.expire_navdata", None),
    ):
        extra: dict[str, Any] = {}
        if queue:
            arn = f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:dougal-prod-{queue}"
            extra["Events"] = {
                f"{logical_id}SqsEventSource": {"Type": "SQS", "Properties": {"Queue": {"Fn::Sub": arn}}}
            }
        resources[logical_id] = _function(handler, "ApiHandlerRole", 28, **extra)
    return template


@pytest.fixture(scope="module")
def every(policy: dict[str, Any]) -> dict[str, Any]:
    return merge.postprocess(_with_every_function(policy), stage="prod", data_stack="dougal-prod-data")


def _statements_of(template: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    role = template["Resources"][logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = template["Resources"][role]["Properties"]["Policies"]
    return [st for p in policies for st in as_list(p["PolicyDocument"]["Statement"])]


def _granted(template: dict[str, Any], logical_id: str) -> dict[str, set[str]]:
    """action -> the resources (as JSON text) the function's role grants it on."""
    found: dict[str, set[str]] = {}
    for statement in _statements_of(template, logical_id):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            found.setdefault(action, set()).update(
                json.dumps(r, sort_keys=True) for r in as_list(statement["Resource"])
            )
    return found


def _export(name: str) -> str:
    return json.dumps({"Fn::ImportValue": f"dougal-prod-data-{name}"}, sort_keys=True)


def test_every_function_has_a_role_of_its_own(every: dict[str, Any]) -> None:
    found = functions(every)
    roles = {lid: props["Role"]["Fn::GetAtt"][0] for lid, props in found.items()}
    assert len(set(roles.values())) == len(found) == 10
    assert all(roles[lid] == f"{lid}Role" for lid in found)
    role_ids = {lid for lid, res in every["Resources"].items() if res["Type"] == "AWS::IAM::Role"}
    assert role_ids == set(roles.values())  # the role Chalice shared between functions is gone
    assert lint_errors(json.dumps(every)) == []


def test_the_api_may_not_write_uploads_nor_read_the_master_or_asaqc_secrets(every: dict[str, Any]) -> None:
    granted = _granted(every, "APIHandler")
    assert not any(action.startswith("s3:") for action in granted)
    assert granted["secretsmanager:GetSecretValue"] == {_export("JwtSecretArn"), _export("DatabaseSecretArn")}
    variables = functions(every)["APIHandler"]["Environment"]["Variables"]
    assert "DOUGAL_ASAQC_SECRET_ID" not in variables and "DOUGAL_APP_DATABASE_SECRET_ID" not in variables
    assert variables["DOUGAL_DATABASE_SECRET_ID"] == {"Fn::ImportValue": "dougal-prod-data-DatabaseSecretArn"}
    assert "sqs:ReceiveMessage" not in granted and "sqs:DeleteMessage" not in granted


def test_only_the_api_reads_queue_metrics_and_nothing_else_of_cloudwatch(every: dict[str, Any]) -> None:
    readers = {lid for lid in functions(every) if "cloudwatch:GetMetricData" in _granted(every, lid)}
    assert readers == {"APIHandler"}  # /status: the age of each queue's oldest message
    for logical_id in functions(every):
        assert not [
            a for a in _granted(every, logical_id) if a.startswith("cloudwatch:") and a != "cloudwatch:GetMetricData"
        ]


def test_only_the_asaqc_sender_reads_the_asaqc_secret_and_only_migrate_the_master(every: dict[str, Any]) -> None:
    readers: dict[str, set[str]] = {}
    for logical_id in functions(every):
        for secret in _granted(every, logical_id).get("secretsmanager:GetSecretValue", set()):
            readers.setdefault(secret, set()).add(logical_id)
    assert readers[_export("AsaqcSecretArn")] == {"SendAsaqcTransfers"}
    assert readers[_export("DatabaseMasterSecretArn")] == {"Migrate"}
    assert readers[_export("DatabaseAppCredentialsArn")] == {"Migrate"}
    assert readers[_export("JwtSecretArn")] == {"APIHandler", "AuthorizeRequest"}
    for logical_id, props in functions(every).items():
        variables = props["Environment"]["Variables"]
        assert ("DOUGAL_ASAQC_SECRET_ID" in variables) == (logical_id == "SendAsaqcTransfers")


def test_workers_receive_and_delete_only_their_own_queue(every: dict[str, Any]) -> None:
    own = {
        "IngestUploadedFiles": "IngestQueueArn",
        "RunQcJobs": "QcQueueArn",
        "SendAsaqcTransfers": "AsaqcQueueArn",
        "StoreNavdataMessages": "NavdataQueueArn",
    }
    for logical_id in functions(every):
        granted = _granted(every, logical_id)
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"):
            expected = {_export(own[logical_id])} if logical_id in own else set()
            assert granted.get(action, set()) == expected, (logical_id, action)
    assert _granted(every, "IngestUploadedFiles")["s3:GetObject"] == {
        json.dumps({"Fn::Join": ["", [{"Fn::ImportValue": "dougal-prod-data-UploadBucketArn"}, "/*"]]}, sort_keys=True)
    }
    assert not any("s3:PutObject" in _granted(every, lid) for lid in functions(every))


def test_no_data_plane_action_is_granted_on_every_resource(every: dict[str, Any]) -> None:
    for logical_id in functions(every):
        for action, resources in _granted(every, logical_id).items():
            if action.startswith(DATA_PLANE):
                assert '"*"' not in resources, (logical_id, action)


def test_a_worker_reading_a_queue_its_grants_do_not_name_is_refused(policy: dict[str, Any]) -> None:
    template = _with_every_function(policy)
    events = template["Resources"]["RunQcJobs"]["Properties"]["Events"]
    events["RunQcJobsSqsEventSource"]["Properties"]["Queue"]["Fn::Sub"] = events["RunQcJobsSqsEventSource"][
        "Properties"
    ]["Queue"]["Fn::Sub"].replace("dougal-prod-qc", "dougal-prod-ingest")
    with pytest.raises(merge.MergeError, match="grants do not name"):
        merge.postprocess(template, stage="prod", data_stack="dougal-prod-data")


def test_the_ingest_worker_takes_one_file_per_invocation(every: dict[str, Any]) -> None:
    """A file that runs past the time-out must not make the other files of its batch run again."""
    [event] = functions(every)["IngestUploadedFiles"]["Events"].values()
    assert event["Properties"]["BatchSize"] == 1
    from chalicelib.handlers.ingest import INGEST_BATCH_SIZE

    assert INGEST_BATCH_SIZE == 1


def test_the_api_stage_is_throttled(every: dict[str, Any]) -> None:
    [api] = [res for res in every["Resources"].values() if res["Type"] == "AWS::Serverless::Api"]
    [setting] = api["Properties"]["MethodSettings"]
    assert setting["ResourcePath"] == "/*" and setting["HttpMethod"] == "*"
    assert 0 < setting["ThrottlingRateLimit"] <= setting["ThrottlingBurstLimit"] <= 1000


def test_functions_verify_the_database_certificate_and_name(every: dict[str, Any]) -> None:
    for props in functions(every).values():
        variables = props["Environment"]["Variables"]
        assert variables["DOUGAL_DATABASE_SSLMODE"] == "verify-full"
        assert variables["DOUGAL_DATABASE_SSLROOTCERT"] == "/var/task/certs/aws-database-ca.pem"
    text = DEPLOY.read_text(encoding="utf-8")
    assert "vendor/certs" in text and "aws-database-ca.pem" in text
    assert "truststore.pki.rds.amazonaws.com" in text and "AmazonRootCA1.pem" in text
    # The bundle is in vendor/ before the package is built (infra.deploy_check runs chalice package).
    assert text.index("aws-database-ca.pem") < text.index("infra.deploy_check")


def test_the_proxy_admits_only_the_functions_dml_only_login(data_stack: dict[str, Any]) -> None:
    resources = data_stack["Resources"]
    auth = resources["DatabaseProxy"]["Properties"]["Auth"]
    assert [a["SecretArn"] for a in auth] == [{"Ref": "DatabaseAppCredentials"}]
    connection = resources["DatabaseSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    assert "${DatabaseAppCredentials}" in connection and "DatabaseMasterSecret" not in connection
    template = resources["DatabaseAppCredentials"]["Properties"]["GenerateSecretString"]["SecretStringTemplate"]
    assert (
        json.loads(template)["username"]
        != json.loads(resources["DatabaseMasterSecret"]["Properties"]["GenerateSecretString"]["SecretStringTemplate"])[
            "username"
        ]
    )


def test_the_policy_file_grants_only_logs(policy: dict[str, Any]) -> None:
    """Chalice needs a policy file; merge.py replaces the role it makes, so the file grants next to nothing."""
    actions = {a for st in policy["Statement"] for a in as_list(st["Action"])}
    assert actions <= {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}


# ---------------------------------------------------------------- the API Gateway authorizer


def test_every_method_but_the_public_ones_is_behind_the_request_authorizer(merged: dict[str, Any]) -> None:
    body = merged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = body["securityDefinitions"][merge.AUTHORIZER_NAME]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    assert authorizer["authorizerResultTtlInSeconds"] == 0  # revocation takes effect on the next request
    assert "${AuthorizeRequest.Arn}" in authorizer["authorizerUri"]["Fn::Sub"]
    guarded = {
        (path, method): operation.get("security")
        for path, methods in body["paths"].items()
        for method, operation in methods.items()
    }
    for (path, method), security in guarded.items():
        expected = None if path in merge.PUBLIC_PATHS else [{merge.AUTHORIZER_NAME: []}]
        assert security == expected, (path, method)
    assert guarded[("/project", "post")] == [{merge.AUTHORIZER_NAME: []}]
    permission = merged["Resources"]["AuthorizeRequestRestAPIInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Ref": "AuthorizeRequest"}


def test_the_authorizer_reads_the_signing_key_and_the_database_only(merged: dict[str, Any]) -> None:
    variables = merged["Resources"]["AuthorizeRequest"]["Properties"]["Environment"]["Variables"]
    assert "DOUGAL_JWT_SECRET_ID" in variables and "DOUGAL_DATABASE_SECRET_ID" in variables
    assert "DOUGAL_ASAQC_SECRET_ID" not in variables and "DOUGAL_APP_DATABASE_SECRET_ID" not in variables


def test_an_api_without_the_authorizer_function_is_refused(policy: dict[str, Any]) -> None:
    template = packaged(policy)
    del template["Resources"]["AuthorizeRequest"]
    with pytest.raises(merge.MergeError, match="authorize_request"):
        merge.postprocess(template, stage="prod", data_stack="dougal-prod-data")


def test_the_public_paths_of_the_gateway_are_the_apps_public_routes() -> None:
    from app import app
    from chalicelib.api.http import PUBLIC, ROUTE_ROLES

    public = {path for (path, _), role in ROUTE_ROLES.items() if role == PUBLIC}
    assert public == merge.PUBLIC_PATHS
    assert merge.AUTHORIZER_FUNCTION in {f.name for f in app.pure_lambda_functions}
