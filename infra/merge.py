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
* every function role: the ENI permissions a VPC function needs are checked,
  and the account and region in the policy's ARNs are pinned to the stack's.

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
from pathlib import Path
from typing import Any

#: Worker timeout when ``.chalice/config.json`` sets none for the function.
WORKER_TIMEOUT_SECONDS = 60
#: ``VisibilityTimeout`` of every queue in infra/data-stack.yaml (6 x the worker timeout).
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 360

#: Queues the data stack creates, by suffix (``dougal-<stage>-<suffix>``), and the export holding each ARN.
QUEUE_ARN_EXPORTS = {"ingest": "IngestQueueArn", "qc": "QcQueueArn", "asaqc": "AsaqcQueueArn"}

#: Environment variables every function gets, and the data-stack export each one imports.
ENVIRONMENT_EXPORTS = {
    "DOUGAL_UPLOAD_BUCKET": "UploadBucketName",
    "DOUGAL_INGEST_QUEUE": "IngestQueueName",
    "DOUGAL_QC_QUEUE": "QcQueueName",
    "DOUGAL_ASAQC_QUEUE": "AsaqcQueueName",
    "DOUGAL_JWT_SECRET_ID": "JwtSecretArn",
    "DOUGAL_DATABASE_SECRET_ID": "DatabaseSecretArn",
    "DOUGAL_ASAQC_SECRET_ID": "AsaqcSecretArn",
}

#: Functions that reach the database writer directly rather than through RDS Proxy.
WRITER_FUNCTIONS = frozenset({"migrate"})
WRITER_ENVIRONMENT_EXPORTS = {"DOUGAL_DATABASE_SECRET_ID": "DatabaseMasterSecretArn"}

FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")
BATCH_FAILURES = ["ReportBatchItemFailures"]

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

    for logical_id, function in functions.items():
        props = function.setdefault("Properties", {})
        name = chalice_name(logical_id)
        _check_stage(logical_id, props, stage)
        writer = name in WRITER_FUNCTIONS

        props.setdefault("FunctionName", f"dougal-{stage}-{name}")
        props["VpcConfig"] = {
            "SecurityGroupIds": [imported("MigrationSecurityGroupId" if writer else "LambdaSecurityGroupId")],
            "SubnetIds": {"Fn::Split": [",", imported("PrivateSubnetIds")]},
        }
        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        variables["DOUGAL_STAGE"] = stage
        exports = {**ENVIRONMENT_EXPORTS, **(WRITER_ENVIRONMENT_EXPORTS if writer else {})}
        for variable, export in exports.items():
            variables[variable] = imported(export)

        sqs_events = [event for event in (props.get("Events") or {}).values() if event.get("Type") == "SQS"]
        for event in sqs_events:
            event_props = event.setdefault("Properties", {})
            event_props["Queue"] = imported(_queue_export(logical_id, event_props.get("Queue"), stage))
            event_props["FunctionResponseTypes"] = list(BATCH_FAILURES)
        if sqs_events:
            props["Timeout"] = _worker_timeout(name, props, config, stage)

        _check_role(logical_id, props.get("Role"), resources)

    for mapping in resources.values():
        if mapping.get("Type") == "AWS::Lambda::EventSourceMapping":
            mapping_props = mapping.setdefault("Properties", {})
            if ":sqs:" in json.dumps(mapping_props.get("EventSourceArn")):
                mapping_props["FunctionResponseTypes"] = list(BATCH_FAILURES)

    for resource in resources.values():
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in resource.get("Properties", {}).get("Policies", []):
                _pin_account(policy.get("PolicyDocument", {}))

    result["Description"] = f"Dougal application ({stage}), wired to the data stack {data_stack}"
    return result


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


def _check_role(logical_id: str, role: Any, resources: dict[str, Any]) -> None:
    """A function in a VPC cannot be created unless its role may manage network interfaces."""
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        return  # a role created elsewhere (iam_role_arn); its owner answers for it
    role_resource = resources.get(role["Fn::GetAtt"][0], {})
    actions = set()
    for policy in role_resource.get("Properties", {}).get("Policies", []):
        for statement in _statements(policy.get("PolicyDocument", {})):
            if statement.get("Effect") == "Allow":
                action = statement.get("Action", [])
                actions.update([action] if isinstance(action, str) else action)
    missing = [action for action in VPC_ACTIONS if action not in actions and "ec2:*" not in actions]
    if missing:
        raise MergeError(
            f"{logical_id}: its role lacks {', '.join(missing)}, which a function in a VPC needs; "
            "give the stage an iam_policy_file like .chalice/policy-prod.json"
        )


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
