"""Turn ``chalice package`` output into Dougal's application stack.

    python infra/merge.py --stage prod out/sam.json            # writes out/template.json

Chalice's own ``--merge-template`` deep-merges a static template into the
packaged one by logical id. That cannot express what the application stack
needs: a static merge template naming ``IngestUploadedFiles`` would create half
a resource (no ``Type``) until that handler exists, a different intrinsic
function under the same key merges into an invalid object, and the SQS event
names are Chalice's to choose. So this script reads the packaged template and
changes only what is actually there:

* every function: a stable ``FunctionName`` (``dougal-<stage>-<name>``, as
  ``chalice deploy`` would name it), the VPC config and the data-plane
  environment variables, both imported from the data stack's exports;
* every SQS event source: ``FunctionResponseTypes: [ReportBatchItemFailures]``
  (Chalice cannot say it; without it a returned ``batchItemFailures`` is ignored
  and the whole batch is retried), the queue imported from the data stack, and
  the worker timeout checked against the queue's visibility timeout;
* one IAM role per function, made here from ``FUNCTION_GRANTS`` (whatever role
  Chalice packaged is dropped): its own log group, the VPC network interfaces,
  and only the secrets, queues and bucket actions that function uses, on the
  data stack's exact ARNs. A function with no entry is refused. Each function
  is given only the secret ids it may read;
* the REST API's id exported as ``<stack>-RestApiId`` for the web stack (``infra/web_stack.py``);
* the REST API: the REQUEST authorizer (``authorize_request``, the app's own token check) on every method
  but the public ones (``PUBLIC_PATHS``), results not cached, and API Gateway's permission to invoke it;
  an API without that function is refused (it would be unguarded at the gateway);
* the REST API stage: throttling (rate and burst) for every method;
* TLS to the database: ``sslmode=verify-full`` against the CA bundle that
  ``deploy.sh`` packages (``vendor/certs/``, at ``/var/task/certs/`` in Lambda).

The ``migrate`` function is the exception to the proxy rule: it connects to the
Aurora writer directly (its own security group and the master secret), because
migrations hold an advisory lock, which would pin a proxy connection.

Standard library only; nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Worker timeout when ``.chalice/config.json`` sets none for the function.
WORKER_TIMEOUT_SECONDS = 60
#: ``VisibilityTimeout`` of every queue in infra/data-stack.yaml (6 x the worker timeout).
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 360

#: Queues the data stack creates, by suffix (``dougal-<stage>-<suffix>``), and the export holding each ARN.
QUEUE_ARN_EXPORTS = {
    "ingest": "IngestQueueArn",
    "qc": "QcQueueArn",
    "asaqc": "AsaqcQueueArn",
    "navdata": "NavdataQueueArn",
}

#: Environment variables every function gets, and the data-stack export each one imports (names, not secrets).
ENVIRONMENT_EXPORTS = {
    "DOUGAL_UPLOAD_BUCKET": "UploadBucketName",
    "DOUGAL_INGEST_QUEUE": "IngestQueueName",
    "DOUGAL_QC_QUEUE": "QcQueueName",
    "DOUGAL_ASAQC_QUEUE": "AsaqcQueueName",
    "DOUGAL_NAVDATA_QUEUE": "NavdataQueueName",
}

#: Secret ids, each given only to the functions whose grants include that secret.
SECRET_ENVIRONMENT = {
    "JwtSecretArn": "DOUGAL_JWT_SECRET_ID",
    "DatabaseSecretArn": "DOUGAL_DATABASE_SECRET_ID",
    "DatabaseMasterSecretArn": "DOUGAL_DATABASE_SECRET_ID",
    "DatabaseAppCredentialsArn": "DOUGAL_APP_DATABASE_SECRET_ID",
    "AsaqcSecretArn": "DOUGAL_ASAQC_SECRET_ID",
}

#: Functions that reach the database writer directly rather than through RDS Proxy.
WRITER_FUNCTIONS = frozenset({"migrate"})

#: The CA bundle deploy.sh packages (RDS CAs for the writer, Amazon roots for the proxy's certificate).
DATABASE_CA_BUNDLE = "/var/task/certs/aws-database-ca.pem"
TLS_ENVIRONMENT = {"DOUGAL_DATABASE_SSLMODE": "verify-full", "DOUGAL_DATABASE_SSLROOTCERT": DATABASE_CA_BUNDLE}

#: The API Gateway REQUEST authorizer: its function, its name in the API definition, and the routes it does
#: not guard (the app's ``public`` routes; a unit test keeps this list equal to the app's route table).
AUTHORIZER_FUNCTION = "authorize_request"
AUTHORIZER_NAME = "dougal-token"
PUBLIC_PATHS = frozenset({"/health", "/login", "/logout", "/capabilities", "/openapi.json", "/docs"})

#: API Gateway stage throttling, every method: steady requests per second and the burst above it.
API_THROTTLING_RATE = 50
API_THROTTLING_BURST = 100


@dataclass(frozen=True)
class Grants:
    """What one function may do; its role allows this and nothing else."""

    secrets: tuple[str, ...]
    """Data-stack exports of the secrets it reads."""
    consumes: str | None = None
    """The queue (suffix) it receives from: its own, and only that one."""
    sends: tuple[str, ...] = ()
    """Queues it sends messages to."""
    inspects: tuple[str, ...] = ()
    """Queues it only looks up (``/health``)."""
    reads_uploads: bool = False
    reads_metrics: bool = False
    """CloudWatch metrics (``/status``: the age of each queue's oldest message)."""


DATABASE = "DatabaseSecretArn"
#: One role per function. The API reads neither the database master nor the ASAQC secret and
#: cannot write to the upload bucket; only the ASAQC sender reads the ASAQC secret; each worker
#: receives and deletes from its own queue only.
FUNCTION_GRANTS: dict[str, Grants] = {
    "api_handler": Grants(
        secrets=("JwtSecretArn", DATABASE),
        sends=("qc", "asaqc"),
        inspects=("ingest", "qc", "asaqc", "navdata"),
        reads_metrics=True,
    ),
    "migrate": Grants(secrets=("DatabaseMasterSecretArn", "DatabaseAppCredentialsArn")),
    # The authorizer checks tokens: the signing key, and the database for the accounts' token versions.
    "authorize_request": Grants(secrets=("JwtSecretArn", DATABASE)),
    "ingest_uploaded_files": Grants(secrets=(DATABASE,), consumes="ingest", sends=("qc",), reads_uploads=True),
    "run_qc_jobs": Grants(secrets=(DATABASE,), consumes="qc"),
    "sweep_qc": Grants(secrets=(DATABASE,), sends=("qc",)),
    "send_asaqc_transfers": Grants(secrets=(DATABASE, "AsaqcSecretArn"), consumes="asaqc"),
    "redrive_asaqc_transfers": Grants(secrets=(DATABASE,), sends=("asaqc",)),
    "store_navdata_messages": Grants(secrets=(DATABASE,), consumes="navdata"),
    "expire_navdata": Grants(secrets=(DATABASE,)),
}

CONSUME_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
SEND_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
INSPECT_ACTIONS = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]

FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)
BATCH_FAILURES = ["ReportBatchItemFailures"]
#: Workers that take one message per invocation: a file past the time-out makes no other file run again.
ONE_MESSAGE_FUNCTIONS = frozenset({"ingest_uploaded_files"})

_ANY_ACCOUNT_ARN = re.compile(r"^arn:aws:(?P<service>[a-z0-9-]+):\*:\*:(?P<rest>.+)$")


class MergeError(Exception):
    """The packaged template cannot be turned into a deployable stack."""


def chalice_name(logical_id: str) -> str:
    """The Chalice function name behind a packaged logical id (``RunQcJobs`` -> ``run_qc_jobs``)."""
    if logical_id == "APIHandler":
        return "api_handler"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", logical_id).lower()


def postprocess(
    template: dict[str, Any],
    *,
    stage: str,
    data_stack: str,
    chalice_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a copy of the packaged ``template`` wired to the data stack ``data_stack``."""
    result = copy.deepcopy(template)
    resources: dict[str, Any] = result.get("Resources", {})
    config = chalice_config or {}

    def imported(export: str) -> dict[str, Any]:
        return {"Fn::ImportValue": f"{data_stack}-{export}"}

    functions = {lid: res for lid, res in resources.items() if res.get("Type") in FUNCTION_TYPES}
    if not functions:
        raise MergeError("the template has no Lambda functions; is it `chalice package` output?")

    replaced_roles = set()
    for logical_id, function in functions.items():
        props = function.setdefault("Properties", {})
        name = chalice_name(logical_id)
        _check_stage(logical_id, props, stage)
        grants = FUNCTION_GRANTS.get(name)
        if grants is None:
            raise MergeError(
                f"{logical_id}: no grants declared for function {name!r}; add it to FUNCTION_GRANTS in "
                "infra/merge.py (every function gets a role of its own with only what it uses)"
            )
        writer = name in WRITER_FUNCTIONS
        function_name = props.setdefault("FunctionName", f"dougal-{stage}-{name}")
        props["VpcConfig"] = {
            "SecurityGroupIds": [imported("MigrationSecurityGroupId" if writer else "LambdaSecurityGroupId")],
            "SubnetIds": {"Fn::Split": [",", imported("PrivateSubnetIds")]},
        }
        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        for variable in set(SECRET_ENVIRONMENT.values()):
            variables.pop(variable, None)  # the stage's names in .chalice/config.json: only granted ones come back
        variables["DOUGAL_STAGE"] = stage
        for variable, export in ENVIRONMENT_EXPORTS.items():
            variables[variable] = imported(export)
        for export in grants.secrets:
            variables[SECRET_ENVIRONMENT[export]] = imported(export)
        variables.update(TLS_ENVIRONMENT)

        sqs_events = [event for event in (props.get("Events") or {}).values() if event.get("Type") == "SQS"]
        for event in sqs_events:
            event_props = event.setdefault("Properties", {})
            export = _queue_export(logical_id, event_props.get("Queue"), stage)
            if grants.consumes is None or QUEUE_ARN_EXPORTS[grants.consumes] != export:
                raise MergeError(f"{logical_id} reads a queue its grants do not name ({export})")
            event_props["Queue"] = imported(export)
            event_props["FunctionResponseTypes"] = list(BATCH_FAILURES)
            if name in ONE_MESSAGE_FUNCTIONS:
                event_props["BatchSize"] = 1
                event_props.pop("MaximumBatchingWindowInSeconds", None)
        if sqs_events:
            props["Timeout"] = _worker_timeout(name, props, config, stage)

        old_role = props.get("Role")
        if isinstance(old_role, dict) and "Fn::GetAtt" in old_role:
            replaced_roles.add(old_role["Fn::GetAtt"][0])
        elif isinstance(old_role, dict) and "Ref" in old_role:
            replaced_roles.add(old_role["Ref"])
        role_id = f"{logical_id}Role"
        resources[role_id] = _function_role(function_name, grants, imported)
        props["Role"] = {"Fn::GetAtt": [role_id, "Arn"]}
        props.pop("Policies", None)

    for role_id in replaced_roles:
        if role_id in resources and not _referenced(role_id, resources, skip=role_id):
            del resources[role_id]

    for mapping in resources.values():
        if mapping.get("Type") == "AWS::Lambda::EventSourceMapping":
            mapping_props = mapping.setdefault("Properties", {})
            if ":sqs:" in json.dumps(mapping_props.get("EventSourceArn")):
                mapping_props["FunctionResponseTypes"] = list(BATCH_FAILURES)

    for resource in resources.values():
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in resource.get("Properties", {}).get("Policies", []):
                _pin_account(policy.get("PolicyDocument", {}))
        if resource.get("Type") == "AWS::Serverless::Api":
            resource.setdefault("Properties", {})["MethodSettings"] = [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": API_THROTTLING_RATE,
                    "ThrottlingBurstLimit": API_THROTTLING_BURST,
                }
            ]

    _guard_api(resources, functions)
    _export_api(result)
    result["Description"] = f"Dougal application ({stage}), wired to the data stack {data_stack}"
    return result


#: The export naming the REST API, which the web stack (``infra/web_stack.py``) sends the API's paths to.
REST_API_EXPORT = "RestApiId"


def _export_api(template: dict[str, Any]) -> None:
    """Export the REST API's id as ``<this stack>-RestApiId`` (Chalice's ``RestAPIId`` output)."""
    apis = [lid for lid, r in template.get("Resources", {}).items() if r.get("Type") == "AWS::Serverless::Api"]
    if len(apis) != 1:
        return
    outputs = template.setdefault("Outputs", {})
    output = outputs.setdefault("RestAPIId", {"Value": {"Ref": apis[0]}})
    output["Export"] = {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{REST_API_EXPORT}"}}


def _guard_api(resources: dict[str, Any], functions: dict[str, Any]) -> None:
    """Put the REQUEST authorizer in front of every non-public method of every REST API."""
    apis = {lid: res for lid, res in resources.items() if res.get("Type") == "AWS::Serverless::Api"}
    if not apis:
        return
    authorizer = next((lid for lid in functions if chalice_name(lid) == AUTHORIZER_FUNCTION), None)
    if authorizer is None:
        raise MergeError(
            f"the API has no {AUTHORIZER_FUNCTION!r} function: every token would reach the app unchecked at the "
            "gateway (is chalicelib/handlers/authorizer.py registered in app.py?)"
        )
    uri = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        f"${{{authorizer}.Arn}}/invocations"
    )
    for api_id, api in apis.items():
        body = api.setdefault("Properties", {}).get("DefinitionBody")
        if not isinstance(body, dict):
            raise MergeError(f"{api_id}: no DefinitionBody to put the authorizer in")
        body.setdefault("securityDefinitions", {})[AUTHORIZER_NAME] = {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "request",
                # Not cached, so no identity source is required: a request with neither the header nor the
                # cookie still reaches the authorizer (an implicit guest network may admit it), and a
                # revoked token is refused from the next request on.
                "authorizerResultTtlInSeconds": 0,
                "authorizerUri": {"Fn::Sub": uri},
            },
        }
        for path, methods in (body.get("paths") or {}).items():
            for method, operation in methods.items():
                if method.lower() == "options" or not isinstance(operation, dict):
                    continue
                if path in PUBLIC_PATHS:
                    operation.pop("security", None)
                else:
                    operation["security"] = [{AUTHORIZER_NAME: []}]
        resources[f"{authorizer}{api_id}InvokePermission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": authorizer},
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {
                    "Fn::Sub": [
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiId}/authorizers/*",
                        {"ApiId": {"Ref": api_id}},
                    ]
                },
            },
        }


def _check_stage(logical_id: str, props: dict[str, Any], stage: str) -> None:
    tag = str((props.get("Tags") or {}).get("aws-chalice", ""))
    match = re.search(r"stage=([^:]+)", tag)
    if match and match.group(1) != stage:
        raise MergeError(f"{logical_id} was packaged for stage {match.group(1)!r}, not {stage!r}")


def _queue_export(logical_id: str, queue: Any, stage: str) -> str:
    """The export holding the ARN of the queue an SQS event reads; only the data stack's queues exist."""
    if isinstance(queue, dict) and "Fn::Sub" in queue:
        queue = queue["Fn::Sub"]
    if not isinstance(queue, str):
        raise MergeError(f"{logical_id}: cannot tell which queue {queue!r} is")
    name = queue.rsplit(":", 1)[-1]
    prefix = f"dougal-{stage}-"
    suffix = name[len(prefix) :] if name.startswith(prefix) else None
    if suffix not in QUEUE_ARN_EXPORTS:
        known = ", ".join(prefix + s for s in QUEUE_ARN_EXPORTS)
        raise MergeError(f"{logical_id} reads queue {name!r}; infra/data-stack.yaml creates only {known}")
    return QUEUE_ARN_EXPORTS[suffix]


def _configured_timeout(name: str, config: dict[str, Any], stage: str) -> int | None:
    """A timeout set for this very function in .chalice/config.json (stage first), if any."""
    stage_config = (config.get("stages") or {}).get(stage) or {}
    for scope in (stage_config, config):
        value = ((scope.get("lambda_functions") or {}).get(name) or {}).get("lambda_timeout")
        if value is not None:
            return int(value)
    return None


def _worker_timeout(name: str, props: dict[str, Any], config: dict[str, Any], stage: str) -> int:
    timeout = _configured_timeout(name, config, stage) or WORKER_TIMEOUT_SECONDS
    if 6 * timeout > QUEUE_VISIBILITY_TIMEOUT_SECONDS:
        raise MergeError(
            f"{name}: a {timeout} s timeout needs a queue visibility timeout of at least {6 * timeout} s; "
            f"the queues have {QUEUE_VISIBILITY_TIMEOUT_SECONDS} s (infra/data-stack.yaml and "
            "QUEUE_VISIBILITY_TIMEOUT_SECONDS in infra/merge.py change together)"
        )
    return timeout


def _function_role(function_name: str, grants: Grants, imported: Any) -> dict[str, Any]:
    """The role of one function: its log group, the VPC, and its grants on the data stack's ARNs."""
    log_group = (
        f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{function_name}"
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::Sub": log_group}, {"Fn::Sub": f"{log_group}:log-stream:*"}],
        },
        {"Sid": "RunInVpc", "Effect": "Allow", "Action": list(VPC_ACTIONS), "Resource": "*"},
        {
            "Sid": "SendTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
        {
            "Sid": "ReadOwnSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [imported(export) for export in grants.secrets],
        },
    ]
    if grants.consumes is not None:
        statements.append(
            {
                "Sid": "ConsumeOwnQueue",
                "Effect": "Allow",
                "Action": list(CONSUME_ACTIONS),
                "Resource": imported(QUEUE_ARN_EXPORTS[grants.consumes]),
            }
        )
    if grants.sends:
        statements.append(
            {
                "Sid": "SendToQueues",
                "Effect": "Allow",
                "Action": list(SEND_ACTIONS),
                "Resource": [imported(QUEUE_ARN_EXPORTS[q]) for q in grants.sends],
            }
        )
    inspected = [q for q in grants.inspects if q not in grants.sends]
    if inspected:
        statements.append(
            {
                "Sid": "LookUpQueues",
                "Effect": "Allow",
                "Action": list(INSPECT_ACTIONS),
                "Resource": [imported(QUEUE_ARN_EXPORTS[q]) for q in inspected],
            }
        )
    if grants.reads_metrics:
        # GetMetricData names no resource (CloudWatch has no resource-level permission for it): read-only.
        statements.append(
            {"Sid": "ReadQueueMetrics", "Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"}
        )
    if grants.reads_uploads:
        statements.append(
            {
                "Sid": "ReadUploads",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": {"Fn::Join": ["", [imported("UploadBucketArn"), "/*"]]},
            }
        )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "Policies": [
                {"PolicyName": function_name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }


def _referenced(logical_id: str, node: Any, skip: str | None = None) -> bool:
    """Whether anything in ``node`` (outside the resource ``skip``) refers to ``logical_id``."""
    if isinstance(node, dict):
        if node.get("Ref") == logical_id:
            return True
        att = node.get("Fn::GetAtt")
        if isinstance(att, list) and att and att[0] == logical_id:
            return True
        if isinstance(att, str) and att.split(".", 1)[0] == logical_id:
            return True
        sub = node.get("Fn::Sub")
        if isinstance(sub, str) and f"${{{logical_id}" in sub:
            return True
        return any(_referenced(logical_id, v) for k, v in node.items() if k != skip)
    if isinstance(node, list):
        return any(_referenced(logical_id, v) for v in node)
    return False


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    statements = document.get("Statement", [])
    yield from [statements] if isinstance(statements, dict) else statements


def _pin_account(document: dict[str, Any]) -> None:
    """``arn:aws:sqs:*:*:name`` -> this stack's partition, region and account."""
    for statement in _statements(document):
        resource = statement.get("Resource")
        if isinstance(resource, str):
            statement["Resource"] = _pinned(resource)
        elif isinstance(resource, list):
            statement["Resource"] = [_pinned(item) for item in resource]


def _pinned(resource: Any) -> Any:
    if not isinstance(resource, str) or "${" in resource:
        return resource
    match = _ANY_ACCOUNT_ARN.match(resource)
    if not match:
        return resource
    service, rest = match["service"], match["rest"]
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{rest}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packaged", type=Path, help="sam.json written by `chalice package`")
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--data-stack", help="data stack name (default: dougal-<stage>-data)")
    parser.add_argument("--config", type=Path, default=Path(".chalice/config.json"))
    parser.add_argument("--output", "-o", type=Path, help="default: template.json beside the input")
    args = parser.parse_args(argv)

    data_stack = args.data_stack or f"dougal-{args.stage}-data"
    output = args.output or args.packaged.with_name("template.json")
    config = json.loads(args.config.read_text(encoding="utf-8")) if args.config.exists() else {}
    try:
        merged = postprocess(
            json.loads(args.packaged.read_text(encoding="utf-8")),
            stage=args.stage,
            data_stack=data_stack,
            chalice_config=config,
        )
    except MergeError as exc:
        print(f"merge: {exc}", file=sys.stderr)
        return 1
    output.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    for logical_id, resource in merged["Resources"].items():
        if resource.get("Type") in FUNCTION_TYPES:
            props = resource["Properties"]
            queues = [
                e["Properties"]["Queue"]["Fn::ImportValue"]
                for e in (props.get("Events") or {}).values()
                if e.get("Type") == "SQS"
            ]
            detail = f", reads {', '.join(queues)}" if queues else ""
            print(f"{logical_id}: {props['FunctionName']}, timeout {props.get('Timeout')} s{detail}", file=sys.stderr)
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
