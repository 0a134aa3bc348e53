"""The rules the deployed stacks must keep, checked on the templates (no AWS account needed).

cfn-lint checks that a template is valid CloudFormation; these check that it is the system we mean to run:

* every work queue (``QUEUE_SUFFIXES``) has a dead-letter queue it moves a message to after
  ``MAX_RECEIVE_COUNT`` receives, a visibility timeout of at least 6 x its worker's timeout, and two
  CloudWatch alarms with an action: a message in its dead-letter queue, and the age of its oldest message;
* the upload bucket blocks public access, is encrypted at rest and denies requests without TLS;
* the Aurora cluster has deletion protection and keeps at least ``MIN_BACKUP_RETENTION_DAYS`` of backups
  in every stage;
* no IAM policy allows a data action (queues, objects, secrets, logs, the database) on every resource, whether
  the ARN is written out or built with ``Fn::Sub`` / ``Fn::Join``;
* every route of the application is a method of the REST API and nothing else is; every method but the public
  ones carries the uncached REQUEST authorizer, and the public ones do not.

``data_stack_problems`` reads ``infra/data-stack.yaml``; ``app_stack_problems`` reads the application
stack, either as ``infra/merge.py`` writes it (SAM) or after the SAM transform (plain CloudFormation), against
the application's route table.
Each returns a list of problems, empty when the template keeps every rule. Standard library only.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: The work queues of the data stack, by the suffix of their name (``dougal-<stage>-<suffix>``).
QUEUE_SUFFIXES = ("ingest", "qc", "asaqc", "navdata")
MAX_RECEIVE_COUNT = 5
#: A message stays invisible while its worker runs: at least this many times the worker's timeout.
VISIBILITY_FACTOR = 6
MIN_BACKUP_RETENTION_DAYS = 7
#: Lambda's timeout when a function sets none.
LAMBDA_DEFAULT_TIMEOUT = 3
#: Actions on data: no policy may allow them on every resource.
DATA_ACTION_PREFIXES = ("sqs:", "s3:", "secretsmanager:", "logs:", "rds-db:", "rds-data:", "kms:", "sns:", "lambda:")
UPLOAD_BUCKET_NAME = "dougal-${Stage}-uploads"
FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
POLICY_TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})

#: ARNs that name every resource of a service, or every resource of one type: ``arn:aws:sqs:*:*:*``,
#: ``arn:aws:s3:::*``, ``arn:aws:s3:::*/*``, ``arn:aws:secretsmanager:<region>:<account>:secret:*``.
_WHOLE_SERVICE_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:(\*(/\*)?|[A-Za-z0-9_-]+[:/]\*(/\*)?)$")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> list[Any]:
    """Every value ``value`` can take: both branches of an ``Fn::If`` (recursively), else itself."""
    if isinstance(value, dict) and list(value) == ["Fn::If"]:
        _, when_true, when_false = value["Fn::If"]
        return branches(when_true) + branches(when_false)
    return [value]


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _get_att(value: Any) -> tuple[str, str] | None:
    """``{"Fn::GetAtt": ["Queue", "Arn"]}`` (or ``"Queue.Arn"``) -> ``("Queue", "Arn")``."""
    if not isinstance(value, dict) or "Fn::GetAtt" not in value:
        return None
    att = value["Fn::GetAtt"]
    if isinstance(att, str):
        logical_id, _, attribute = att.partition(".")
        return logical_id, attribute
    if isinstance(att, list) and len(att) == 2 and all(isinstance(a, str) for a in att):
        return att[0], att[1]
    return None


def _refers_to(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id} or (_get_att(value) or ("",))[0] == logical_id


# ---------------------------------------------------------------- data stack


def queue_ids(template: dict[str, Any]) -> dict[str, str]:
    """suffix -> logical id of the work queue named ``dougal-${Stage}-<suffix>``."""
    found = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::SQS::Queue":
            continue
        name = (resource.get("Properties") or {}).get("QueueName")
        if isinstance(name, dict):
            name = name.get("Fn::Sub")
        for suffix in QUEUE_SUFFIXES:
            if name == f"dougal-${{Stage}}-{suffix}":
                found[suffix] = logical_id
    return found


def data_stack_problems(template: dict[str, Any], worker_timeout: int) -> list[str]:
    """What the data stack lacks; ``worker_timeout`` is the longest timeout a worker may be given."""
    problems: list[str] = []
    problems += _queue_problems(template, worker_timeout)
    problems += _upload_bucket_problems(template)
    problems += _database_problems(template)
    problems += iam_problems(template)
    return problems


def _alarms(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r.get("Properties") or {}
        for r in resources.values()
        if r.get("Type") == "AWS::CloudWatch::Alarm" and (r.get("Properties") or {}).get("Namespace") == "AWS/SQS"
    ]


def _alarm_on(alarms: list[dict[str, Any]], metric: str, queue_id: str) -> dict[str, Any] | None:
    for alarm in alarms:
        dimensions = alarm.get("Dimensions") or []
        if alarm.get("MetricName") == metric and any(
            d.get("Name") == "QueueName" and _get_att(d.get("Value")) == (queue_id, "QueueName") for d in dimensions
        ):
            return alarm
    return None


def _queue_problems(template: dict[str, Any], worker_timeout: int) -> list[str]:
    resources = template.get("Resources", {})
    ids = queue_ids(template)
    alarms = _alarms(resources)
    problems = []
    for suffix in QUEUE_SUFFIXES:
        if suffix not in ids:
            problems.append(f"queue dougal-<stage>-{suffix}: missing")
            continue
        queue_id = ids[suffix]
        props = resources[queue_id].get("Properties") or {}
        where = f"queue {queue_id}"
        visibility = _number(props.get("VisibilityTimeout"))
        if visibility is None or visibility < VISIBILITY_FACTOR * worker_timeout:
            problems.append(
                f"{where}: VisibilityTimeout {props.get('VisibilityTimeout')} is under "
                f"{VISIBILITY_FACTOR} x the {worker_timeout} s worker timeout"
            )
        redrive = props.get("RedrivePolicy") or {}
        dlq = _get_att(redrive.get("deadLetterTargetArn"))
        dlq_id = dlq[0] if dlq and dlq[1] == "Arn" else None
        if dlq_id is None or resources.get(dlq_id, {}).get("Type") != "AWS::SQS::Queue":
            problems.append(f"{where}: no dead-letter queue (RedrivePolicy.deadLetterTargetArn)")
        if _number(redrive.get("maxReceiveCount")) != MAX_RECEIVE_COUNT:
            problems.append(
                f"{where}: RedrivePolicy.maxReceiveCount is {redrive.get('maxReceiveCount')}, not {MAX_RECEIVE_COUNT}"
            )
        retention = _number(props.get("MessageRetentionPeriod")) or 345600.0
        if dlq_id is not None:
            alarm = _alarm_on(alarms, "ApproximateNumberOfMessagesVisible", dlq_id)
            if alarm is None:
                problems.append(f"{where}: no alarm on the depth of its dead-letter queue {dlq_id}")
            else:
                problems += _alarm_problems(f"{where}: dead-letter alarm", alarm, fires_by=1)
        alarm = _alarm_on(alarms, "ApproximateAgeOfOldestMessage", queue_id)
        if alarm is None:
            problems.append(f"{where}: no alarm on the age of its oldest message (ApproximateAgeOfOldestMessage)")
        else:
            problems += _alarm_problems(f"{where}: oldest-message alarm", alarm, fires_by=retention)
    return problems


def _alarm_problems(where: str, alarm: dict[str, Any], fires_by: float) -> list[str]:
    """An alarm that tells someone (an action) and fires once the metric reaches ``fires_by``, not before 0."""
    problems = []
    if not alarm.get("AlarmActions"):
        problems.append(f"{where} has no AlarmActions")
    if alarm.get("ActionsEnabled") is False:
        problems.append(f"{where} has its actions disabled")
    threshold = _number(alarm.get("Threshold"))
    operator = alarm.get("ComparisonOperator")
    if operator == "GreaterThanThreshold":
        fires = threshold is not None and 0 <= threshold < fires_by
    elif operator == "GreaterThanOrEqualToThreshold":
        fires = threshold is not None and 0 < threshold <= fires_by
    else:
        problems.append(f"{where} fires on {operator}, not on a value above its threshold")
        return problems
    if not fires:
        problems.append(f"{where}: threshold {alarm.get('Threshold')} (it must fire by {fires_by:g}, above 0)")
    return problems


def _upload_bucket_problems(template: dict[str, Any]) -> list[str]:
    resources = template.get("Resources", {})
    buckets = [
        lid
        for lid, r in resources.items()
        if r.get("Type") == "AWS::S3::Bucket"
        and (r.get("Properties") or {}).get("BucketName") in (UPLOAD_BUCKET_NAME, {"Fn::Sub": UPLOAD_BUCKET_NAME})
    ]
    if len(buckets) != 1:
        return [f"upload bucket {UPLOAD_BUCKET_NAME}: {len(buckets)} found, not 1"]
    [bucket_id] = buckets
    return _bucket_problems("upload bucket", resources, bucket_id)


def _bucket_problems(where: str, resources: dict[str, Any], bucket_id: str) -> list[str]:
    """Public access blocked, encrypted at rest, and a bucket policy denying requests without TLS."""
    props = resources[bucket_id].get("Properties") or {}
    problems = []
    block = props.get("PublicAccessBlockConfiguration") or {}
    for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        if not _truthy(block.get(setting)):
            problems.append(f"{where}: PublicAccessBlockConfiguration.{setting} is not true")
    rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    algorithms = {(rule.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") for rule in rules}
    if not algorithms & {"AES256", "aws:kms", "aws:kms:dsse"}:
        problems.append(f"{where}: no encryption at rest (BucketEncryption)")
    if not any(_denies_plain_http(r, bucket_id) for r in resources.values()):
        problems.append(f"{where}: no bucket policy denies requests without TLS (aws:SecureTransport false)")
    return problems


def _denies_plain_http(resource: dict[str, Any], bucket_id: str) -> bool:
    props = resource.get("Properties") or {}
    if resource.get("Type") != "AWS::S3::BucketPolicy" or not _refers_to(props.get("Bucket"), bucket_id):
        return False
    for statement in statements(props.get("PolicyDocument") or {}):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        secure = condition.get("aws:SecureTransport")
        if (
            statement.get("Effect") == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and set(as_list(statement.get("Action"))) & {"s3:*", "*"}
            and (secure is False or str(secure).lower() == "false")
        ):
            covered = json.dumps(statement.get("Resource"))
            return bucket_id in covered and "/*" in covered
    return False


def _database_problems(template: dict[str, Any]) -> list[str]:
    clusters = {
        lid: r.get("Properties") or {}
        for lid, r in template.get("Resources", {}).items()
        if r.get("Type") == "AWS::RDS::DBCluster"
    }
    if not clusters:
        return ["no Aurora cluster (AWS::RDS::DBCluster)"]
    problems = []
    for logical_id, props in clusters.items():
        if not all(_truthy(v) for v in branches(props.get("DeletionProtection"))):
            problems.append(f"database {logical_id}: DeletionProtection is not true in every stage")
        days = [_number(v) for v in branches(props.get("BackupRetentionPeriod"))]
        if any(d is None or d < MIN_BACKUP_RETENTION_DAYS for d in days):
            problems.append(
                f"database {logical_id}: BackupRetentionPeriod {props.get('BackupRetentionPeriod')} "
                f"(at least {MIN_BACKUP_RETENTION_DAYS} days in every stage)"
            )
        if not all(_truthy(v) for v in branches(props.get("StorageEncrypted"))):
            problems.append(f"database {logical_id}: StorageEncrypted is not true")
    return problems


# ---------------------------------------------------------------- IAM, both stacks


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from as_list(document.get("Statement") or [])


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, document) for every identity policy: inline role policies, policies, SAM function policies."""
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::IAM::Role":
            for policy in props.get("Policies") or []:
                yield f"{logical_id} {policy.get('PolicyName')}", policy.get("PolicyDocument") or {}
        elif kind in POLICY_TYPES:
            yield logical_id, props.get("PolicyDocument") or {}
        elif kind == "AWS::Serverless::Function":
            for policy in as_list(props.get("Policies") or []):
                if isinstance(policy, dict) and "Statement" in policy:
                    yield f"{logical_id} Policies", policy


#: What a reference inside an ARN stands for once rendered: never ``*``, never a ``:``.
_REFERENCE = "<ref>"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]*)\}")


def rendered(value: Any) -> str | None:
    """The ARN a resource expression stands for, each reference (``Ref``, ``Fn::GetAtt``, ``${...}``) shown as
    ``<ref>`` and literal text kept: ``{"Fn::Sub": "arn:${AWS::Partition}:sqs:*:*:*"}`` -> ``arn:<ref>:sqs:*:*:*``.
    ``Fn::Sub`` (a string, or ``[string, variables]`` whose literal variables are put in) and ``Fn::Join`` are
    rendered; ``None`` for anything else that is not a string."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    [(function, argument)] = value.items()
    if function == "Fn::Sub":
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2:
            text, variables = argument
        else:
            return None
        if not isinstance(text, str) or not isinstance(variables, dict):
            return None

        def put_in(match: re.Match[str]) -> str:
            name = match.group(1)
            literal = rendered(variables[name]) if name in variables else None
            return literal if literal is not None else _REFERENCE

        return _SUB_VARIABLE.sub(put_in, text).replace("${!", "${")
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        delimiter, parts = argument
        if not isinstance(delimiter, str) or not isinstance(parts, list):
            return None
        return delimiter.join(_REFERENCE if (shown := rendered(part)) is None else shown for part in parts)
    return _REFERENCE if function in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::If") else None


def _wide(arn: str) -> bool:
    return arn == "*" or bool(_WHOLE_SERVICE_ARN.match(arn))


def iam_problems(template: dict[str, Any]) -> list[str]:
    """Allowed data actions on every resource, and wildcard data actions."""
    problems = []
    for where, document in policy_documents(template):
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in as_list(statement.get("Action") or [])]
            data = [a for a in actions if a == "*" or a.lower().startswith(DATA_ACTION_PREFIXES)]
            for action in data:
                if action == "*" or action.endswith(":*"):
                    problems.append(f"{where}: allows every action of a service ({action})")
            resources = [r for resource in as_list(statement.get("Resource") or []) for r in branches(resource)]
            if "NotResource" in statement or "NotAction" in statement:
                problems.append(f"{where}: NotResource/NotAction grants more than it names")
            wide = [shown for shown in (rendered(r) for r in resources) if shown and _wide(shown)]
            if data and wide:
                problems.append(f"{where}: allows {', '.join(sorted(data))} on {', '.join(wide)}")
    return problems


# ---------------------------------------------------------------- application stack


def exported_queues(data_stack: dict[str, Any], data_stack_name: str) -> dict[str, str]:
    """Import name (``<data stack>-IngestQueueArn``) -> logical id of the queue whose ARN it exports."""
    found = {}
    for output in (data_stack.get("Outputs") or {}).values():
        name = ((output.get("Export") or {}).get("Name") or {}).get("Fn::Sub", "")
        att = _get_att(output.get("Value"))
        queue = att is not None and (data_stack.get("Resources", {}).get(att[0]) or {}).get("Type") == "AWS::SQS::Queue"
        if name.startswith("${AWS::StackName}-") and att and att[1] == "Arn" and queue:
            found[name.replace("${AWS::StackName}", data_stack_name, 1)] = att[0]
    return found


def sqs_sources(template: dict[str, Any]) -> list[tuple[str, Any, dict[str, Any]]]:
    """(function logical id, queue ARN expression, event properties) for every SQS trigger, SAM or not."""
    resources = template.get("Resources", {})
    found = []
    for logical_id, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            for event in (props.get("Events") or {}).values():
                if event.get("Type") == "SQS":
                    event_props = event.get("Properties") or {}
                    found.append((logical_id, event_props.get("Queue"), event_props))
        elif resource.get("Type") == "AWS::Lambda::EventSourceMapping":
            function = props.get("FunctionName")
            target = function.get("Ref") if isinstance(function, dict) else None
            if target is None and _get_att(function):
                target = _get_att(function)[0]  # type: ignore[index]
            found.append((str(target), props.get("EventSourceArn"), props))
    return found


#: The app's route table as the checks read it: (resource path, HTTP method) -> the route is public.
RouteTable = Mapping[tuple[str, str], bool]
API_TYPES = {"AWS::Serverless::Api": "DefinitionBody", "AWS::ApiGateway::RestApi": "Body"}
#: Methods API Gateway answers itself (CORS preflight), not routes of the app.
GATEWAY_METHODS = frozenset({"OPTIONS"})


def api_definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """logical id -> the OpenAPI body of every REST API, SAM (``DefinitionBody``) or not (``Body``)."""
    found = {}
    for logical_id, resource in template.get("Resources", {}).items():
        key = API_TYPES.get(resource.get("Type", ""))
        body = (resource.get("Properties") or {}).get(key or "")
        if key is not None:
            found[logical_id] = body if isinstance(body, dict) else {}
    return found


def _request_authorizers(template: dict[str, Any], body: dict[str, Any]) -> set[str]:
    """Names of the body's security definitions that are uncached REQUEST authorizers run by a function of
    this stack."""
    functions = {lid for lid, r in template.get("Resources", {}).items() if r.get("Type") in FUNCTION_TYPES}
    names = set()
    for name, definition in (body.get("securityDefinitions") or {}).items():
        authorizer = (definition or {}).get("x-amazon-apigateway-authorizer") or {}
        uri = rendered(authorizer.get("authorizerUri")) or ""
        uri_text = json.dumps(authorizer.get("authorizerUri"))
        runs_ours = any(f"${{{lid}.Arn}}" in uri_text or f'"{lid}", "Arn"' in uri_text for lid in functions)
        if (
            str(authorizer.get("type", "")).lower() == "request"
            and _number(authorizer.get("authorizerResultTtlInSeconds")) == 0
            and uri.endswith("/invocations")
            and runs_ours
        ):
            names.add(name)
    return names


def api_authorizer_problems(template: dict[str, Any], routes: RouteTable) -> list[str]:
    """Every route of the app is a method of the API, nothing else is, and every method but the public ones
    is guarded by the REQUEST authorizer (uncached, run by this stack's function); public ones are not."""
    apis = api_definitions(template)
    if not apis:
        return ["no REST API (AWS::Serverless::Api or AWS::ApiGateway::RestApi)"]
    problems = []
    for api_id, body in apis.items():
        authorizers = _request_authorizers(template, body)
        if not authorizers:
            problems.append(f"{api_id}: no uncached REQUEST authorizer run by a function of this stack")
        default = body.get("security")
        methods: dict[tuple[str, str], Any] = {}
        for path, operations in (body.get("paths") or {}).items():
            for method, operation in (operations or {}).items():
                if method.upper() in GATEWAY_METHODS or not isinstance(operation, dict):
                    continue
                methods[(path, method.upper())] = operation.get("security", default)
        for path, method in sorted(set(routes) - set(methods)):
            problems.append(f"{api_id}: the app's route {method} {path} is not a method of the API")
        for path, method in sorted(set(methods) - set(routes)):
            problems.append(f"{api_id}: {method} {path} is not a route of the app")
        for key in sorted(set(methods) & set(routes)):
            requirements = [r for r in (methods[key] or []) if r]
            guarded = len(requirements) == 1 and set(requirements[0]) <= authorizers and bool(requirements[0])
            if routes[key] and requirements:
                problems.append(f"{api_id}: {key[1]} {key[0]} is a public route, yet the API guards it")
            elif not routes[key] and not guarded:
                problems.append(
                    f"{api_id}: {key[1]} {key[0]} is not behind the REQUEST authorizer "
                    f"(security {json.dumps(methods[key])})"
                )
    return problems


def app_stack_problems(
    app: dict[str, Any], data_stack: dict[str, Any], data_stack_name: str, routes: RouteTable
) -> list[str]:
    """Queues read by the right worker with room for its timeout; least-privilege roles; every route of the
    app (``routes``) a method of the API, behind the REQUEST authorizer unless it is public."""
    resources = app.get("Resources", {})
    exported = exported_queues(data_stack, data_stack_name)
    queues = queue_ids(data_stack)
    problems = []
    readers: dict[str, list[str]] = {}
    for function_id, queue, event in sqs_sources(app):
        name = queue.get("Fn::ImportValue") if isinstance(queue, dict) else None
        queue_id = exported.get(str(name))
        if queue_id is None:
            problems.append(f"{function_id} reads {json.dumps(queue)}, not a queue the data stack exports")
            continue
        readers.setdefault(queue_id, []).append(function_id)
        function = resources.get(function_id) or {}
        if function.get("Type") not in FUNCTION_TYPES:
            problems.append(f"an SQS trigger of {queue_id} names {function_id}, not a function of this stack")
            continue
        timeout = _number((function.get("Properties") or {}).get("Timeout")) or LAMBDA_DEFAULT_TIMEOUT
        visibility = _number((data_stack["Resources"][queue_id].get("Properties") or {}).get("VisibilityTimeout"))
        if visibility is None or visibility < VISIBILITY_FACTOR * timeout:
            problems.append(
                f"{function_id}: timeout {timeout:g} s needs a visibility timeout of {VISIBILITY_FACTOR * timeout:g} s "
                f"on {queue_id}, which has {visibility}"
            )
        if "ReportBatchItemFailures" not in (event.get("FunctionResponseTypes") or []):
            problems.append(f"{function_id}: its SQS trigger does not report batch item failures")
    for suffix, queue_id in queues.items():
        if len(readers.get(queue_id, [])) != 1:
            problems.append(f"queue {suffix} ({queue_id}) is read by {readers.get(queue_id, [])}, not one worker")
    problems += iam_problems(app)
    problems += api_authorizer_problems(app, routes)
    return problems


# ---------------------------------------------------------------- web stack (the office page)

#: CloudFront's managed policies the API's behaviours may use (``infra/web_stack.py``).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
#: Managed origin request policies that forward every cookie and, caching being off, ``Authorization``.
FORWARD_ALL_VIEWER = frozenset({"b689b0a8-53d0-40ab-baf2-68738e2966ac", "216adef6-5c7f-47e4-b989-5492eafa07d3"})
API_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"})
MAX_CACHE_BEHAVIOURS = 25
#: What the page itself is asked for: these reach the bucket, never the API.
PAGE_PATHS = ("/", "/index.html", "/assets/index.js", "/favicon.ico")


def _sample(path: str) -> str:
    """A request path for a route path: each ``{parameter}`` replaced by a value."""
    return re.sub(r"\{[^}]*\}", "x1", path)


def _first_behaviour(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The cache behaviour CloudFront picks for ``path``: the first whose pattern matches, else the default."""
    for behaviour in config.get("CacheBehaviors") or []:
        pattern = str(behaviour.get("PathPattern", ""))
        if fnmatch.fnmatchcase(path, pattern if pattern.startswith("/") else "/" + pattern):
            return dict(behaviour)
    return dict(config.get("DefaultCacheBehavior") or {})


def _origin_is_bucket(origin: dict[str, Any], bucket_id: str) -> bool:
    return _get_att(origin.get("DomainName")) in ((bucket_id, "RegionalDomainName"), (bucket_id, "DomainName"))


def web_stack_problems(template: dict[str, Any], routes: RouteTable) -> list[str]:
    """The office page's bucket is private (public access blocked, TLS only, encrypted, read by CloudFront only,
    through origin access control); CloudFront serves it by default and sends every route of the app to the
    API origin, uncached, with cookies and the Authorization header."""
    resources = template.get("Resources", {})
    buckets = [lid for lid, r in resources.items() if r.get("Type") == "AWS::S3::Bucket"]
    distributions = [lid for lid, r in resources.items() if r.get("Type") == "AWS::CloudFront::Distribution"]
    if len(buckets) != 1 or len(distributions) != 1:
        return [f"web stack: {len(buckets)} buckets and {len(distributions)} distributions, not one of each"]
    [bucket_id], [distribution_id] = buckets, distributions
    problems = _bucket_problems("web bucket", resources, bucket_id)
    bucket = resources[bucket_id].get("Properties") or {}
    if "WebsiteConfiguration" in bucket or "AccessControl" in bucket:
        problems.append("web bucket: website hosting or a canned ACL (the page is served by CloudFront only)")
    problems += _web_bucket_policy_problems(resources, bucket_id, distribution_id)
    config = (resources[distribution_id].get("Properties") or {}).get("DistributionConfig") or {}
    origins = {str(o.get("Id")): o for o in config.get("Origins") or []}
    page = [oid for oid, o in origins.items() if _origin_is_bucket(o, bucket_id)]
    api = [oid for oid, o in origins.items() if ".execute-api." in (rendered(o.get("DomainName")) or "")]
    if len(page) != 1:
        problems.append(f"distribution: {len(page)} origins read the web bucket, not one")
    if len(api) != 1:
        problems.append(f"distribution: {len(api)} API Gateway origins, not one")
    for oid in page:
        origin = origins[oid]
        access_control = _get_att(origin.get("OriginAccessControlId"))
        control = resources.get(access_control[0] if access_control else "", {})
        settings = (control.get("Properties") or {}).get("OriginAccessControlConfig") or {}
        if (
            control.get("Type") != "AWS::CloudFront::OriginAccessControl"
            or settings.get("OriginAccessControlOriginType") != "s3"
            or settings.get("SigningBehavior") != "always"
        ):
            problems.append(f"distribution: origin {oid} reads the bucket without origin access control (s3, always)")
        if ((origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "") != "":
            problems.append(f"distribution: origin {oid} uses a legacy origin access identity")
    for oid in api:
        custom = origins[oid].get("CustomOriginConfig") or {}
        if custom.get("OriginProtocolPolicy") != "https-only":
            problems.append(f"distribution: origin {oid} is not reached over HTTPS only")
        if not str(origins[oid].get("OriginPath", "")).startswith("/"):
            problems.append(f"distribution: origin {oid} has no OriginPath (the API's stage)")
    default = config.get("DefaultCacheBehavior") or {}
    if page and default.get("TargetOriginId") != page[0]:
        problems.append("distribution: the default behaviour does not serve the page from the bucket")
    if default.get("ViewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
        problems.append("distribution: the page is served over plain HTTP")
    behaviours = config.get("CacheBehaviors") or []
    if len(behaviours) > MAX_CACHE_BEHAVIOURS:
        problems.append(f"distribution: {len(behaviours)} cache behaviours, over CloudFront's {MAX_CACHE_BEHAVIOURS}")
    for path, method in sorted(routes):
        behaviour = _first_behaviour(config, _sample(path))
        where = f"distribution: {method} {path}"
        if not api or behaviour.get("TargetOriginId") != api[0]:
            problems.append(f"{where} reaches {behaviour.get('TargetOriginId')}, not the API origin")
            continue
        if method not in (behaviour.get("AllowedMethods") or []):
            problems.append(f"{where}: CloudFront does not forward {method} ({behaviour.get('PathPattern')})")
        if behaviour.get("CachePolicyId") != CACHING_DISABLED or "ForwardedValues" in behaviour:
            problems.append(f"{where}: the API's answers may be cached ({behaviour.get('PathPattern')})")
        if behaviour.get("OriginRequestPolicyId") not in FORWARD_ALL_VIEWER:
            problems.append(
                f"{where}: cookies and the Authorization header are not forwarded ({behaviour.get('PathPattern')})"
            )
        if behaviour.get("ViewerProtocolPolicy") != "https-only":
            problems.append(f"{where}: not HTTPS only ({behaviour.get('PathPattern')})")
    for path in PAGE_PATHS:
        if page and _first_behaviour(config, path).get("TargetOriginId") != page[0]:
            problems.append(f"distribution: the page's {path} does not come from the bucket")
    return problems


def _web_bucket_policy_problems(resources: dict[str, Any], bucket_id: str, distribution_id: str) -> list[str]:
    """Only this distribution may read the bucket: every Allow names CloudFront's service principal, s3:GetObject
    and the distribution's ARN as its source."""
    problems = []
    allows = 0
    for resource in resources.values():
        props = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::S3::BucketPolicy" or not _refers_to(props.get("Bucket"), bucket_id):
            continue
        for statement in statements(props.get("PolicyDocument") or {}):
            if statement.get("Effect") != "Allow":
                continue
            allows += 1
            source = ((statement.get("Condition") or {}).get("StringEquals") or {}).get("AWS:SourceArn")
            shown = rendered(source) or ""
            if (
                statement.get("Principal") != {"Service": "cloudfront.amazonaws.com"}
                or set(as_list(statement.get("Action"))) != {"s3:GetObject"}
                or not shown.endswith(":distribution/<ref>")
                or f"${{{distribution_id}}}" not in json.dumps(source)
            ):
                problems.append(
                    f"web bucket: a policy statement allows {json.dumps(statement.get('Principal'))} "
                    f"{json.dumps(statement.get('Action'))}, not only the distribution {distribution_id} to read"
                )
    if allows == 0:
        problems.append(f"web bucket: no policy lets the distribution {distribution_id} read the page")
    return problems
