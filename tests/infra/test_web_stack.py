"""The office page in AWS: the web stack `infra/web_stack.py` writes from the packaged app's route table.

The stack keeps every rule of `checks.web_stack_problems` (private bucket, origin access control, the API's
paths sent to the API uncached with cookies and the Authorization header), passes cfn-lint, and a copy that
breaks any one rule is refused, naming what is wrong.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from infra import checks, deploy_check, merge, web_stack

Mutation = Callable[[dict[str, Any]], None]


def _resource(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return props


def _config(template: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = _resource(template, "WebDistribution")["DistributionConfig"]
    return config


def _origin(template: dict[str, Any], origin_id: str) -> dict[str, Any]:
    [origin] = [o for o in _config(template)["Origins"] if o["Id"] == origin_id]
    return origin


def _behaviour(template: dict[str, Any], pattern: str) -> dict[str, Any]:
    [behaviour] = [b for b in _config(template)["CacheBehaviors"] if b["PathPattern"] == pattern]
    return behaviour


def _bucket(key: str, value: Any = None) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        if value is None:
            del _resource(template, "WebBucket")[key]
        else:
            _resource(template, "WebBucket")[key] = value

    return change


def _public_access(setting: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _resource(template, "WebBucket")["PublicAccessBlockConfiguration"][setting] = False

    return change


def _policy_statement(sid: str, key: str, value: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        statements = _resource(template, "WebBucketPolicy")["PolicyDocument"]["Statement"]
        [statement] = [s for s in statements if s["Sid"] == sid]
        if value is None:
            statements.remove(statement)
        else:
            statement[key] = value

    return change


def _page_origin(key: str, value: Any = None) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        if value is None:
            del _origin(template, web_stack.PAGE_ORIGIN)[key]
        else:
            _origin(template, web_stack.PAGE_ORIGIN)[key] = value

    return change


def _access_control(key: str, value: Any) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _resource(template, "WebOriginAccessControl")["OriginAccessControlConfig"][key] = value

    return change


def _drop_behaviour(pattern: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _config(template)["CacheBehaviors"].remove(_behaviour(template, pattern))

    return change


def _behaviour_set(pattern: str, key: str, value: Any = None) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        if value is None:
            del _behaviour(template, pattern)[key]
        else:
            _behaviour(template, pattern)[key] = value

    return change


def _legacy_forwarding(template: dict[str, Any]) -> None:
    behaviour = _behaviour(template, "/project/*")
    del behaviour["CachePolicyId"], behaviour["OriginRequestPolicyId"]
    behaviour["ForwardedValues"] = {"QueryString": True, "Cookies": {"Forward": "all"}, "Headers": ["Authorization"]}
    behaviour["DefaultTTL"] = 86400


def _everything_to_the_api_first(template: dict[str, Any]) -> None:
    catch_all = copy.deepcopy(_behaviour(template, "/project/*"))
    catch_all["PathPattern"] = "/*"
    _config(template)["CacheBehaviors"].insert(0, catch_all)


def _default_to(origin_id: str) -> Mutation:
    def change(template: dict[str, Any]) -> None:
        _config(template)["DefaultCacheBehavior"]["TargetOriginId"] = origin_id

    return change


def _api_origin_over_http(template: dict[str, Any]) -> None:
    _origin(template, web_stack.API_ORIGIN)["CustomOriginConfig"]["OriginProtocolPolicy"] = "http-only"


CACHING_OPTIMIZED = web_stack.CACHING_OPTIMIZED
WEB_STACK_BREAKS: list[tuple[str, Mutation, str]] = [
    (f"bucket {setting} off", _public_access(setting), f"web bucket: PublicAccessBlockConfiguration.{setting} is not")
    for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
]
WEB_STACK_BREAKS += [
    ("bucket unencrypted", _bucket("BucketEncryption"), "web bucket: no encryption at rest"),
    (
        "bucket served as a website",
        _bucket("WebsiteConfiguration", {"IndexDocument": "index.html"}),
        "web bucket: website hosting or a canned ACL",
    ),
    ("bucket public-read", _bucket("AccessControl", "PublicRead"), "web bucket: website hosting or a canned ACL"),
    (
        "plain HTTP admitted",
        _policy_statement("DenyWithoutTls", "", None),
        "web bucket: no bucket policy denies requests without TLS",
    ),
    (
        "everyone may read the page's files",
        _policy_statement("CloudFrontReadsThePage", "Principal", "*"),
        'web bucket: a policy statement allows "*" "s3:GetObject", not only the distribution',
    ),
    (
        "any distribution may read the page's files",
        _policy_statement("CloudFrontReadsThePage", "Condition", {}),
        "not only the distribution WebDistribution to read",
    ),
    (
        "CloudFront may write the page's files",
        _policy_statement("CloudFrontReadsThePage", "Action", ["s3:GetObject", "s3:PutObject"]),
        "not only the distribution WebDistribution to read",
    ),
    (
        "no statement lets CloudFront read",
        _policy_statement("CloudFrontReadsThePage", "", None),
        "web bucket: no policy lets the distribution WebDistribution read the page",
    ),
    (
        "no origin access control",
        _page_origin("OriginAccessControlId"),
        "origin page reads the bucket without origin access control",
    ),
    (
        "origin access control that does not sign",
        _access_control("SigningBehavior", "never"),
        "origin page reads the bucket without origin access control",
    ),
    (
        "a legacy origin access identity",
        _page_origin("S3OriginConfig", {"OriginAccessIdentity": "origin-access-identity/cloudfront/E1"}),
        "origin page uses a legacy origin access identity",
    ),
    (
        "the navigation feed's paths go to the bucket",
        _drop_behaviour("/navdata/*"),
        "distribution: GET /navdata/latest reaches page, not the API origin",
    ),
    ("/login goes to the bucket", _drop_behaviour("/login"), "distribution: POST /login reaches page, not the API"),
    (
        "the API's answers cached",
        _behaviour_set("/project/*", "CachePolicyId", CACHING_OPTIMIZED),
        "distribution: GET /project/{project}: the API's answers may be cached (/project/*)",
    ),
    (
        "legacy forwarding with a day of caching",
        _legacy_forwarding,
        "GET /project/{project}: the API's answers may be cached",
    ),
    (
        "cookies and Authorization not forwarded",
        _behaviour_set("/project", "OriginRequestPolicyId"),
        "distribution: GET /project: cookies and the Authorization header are not forwarded (/project)",
    ),
    (
        "writes not forwarded",
        _behaviour_set("/project/*", "AllowedMethods", ["GET", "HEAD"]),
        "distribution: POST /project/{project}/event: CloudFront does not forward POST (/project/*)",
    ),
    (
        "API over plain HTTP for viewers",
        _behaviour_set("/audit", "ViewerProtocolPolicy", "allow-all"),
        "distribution: GET /audit: not HTTPS only (/audit)",
    ),
    ("every path to the API", _everything_to_the_api_first, "distribution: the page's / does not come from the bucket"),
    ("the page from the API", _default_to(web_stack.API_ORIGIN), "the default behaviour does not serve the page"),
    ("API origin over HTTP", _api_origin_over_http, "distribution: origin api is not reached over HTTPS only"),
]


def test_the_web_stack_keeps_every_rule_and_passes_cfn_lint(deploy_report: deploy_check.Report) -> None:
    web = deploy_report.templates["web"]
    assert checks.web_stack_problems(web, deploy_report.routes) == []
    assert deploy_check.lint_problems(web, "web stack") == []
    written = json.loads((deploy_report.package_dir / "web-stack.json").read_text())  # type: ignore[operator]
    assert written == web  # what deploy.sh deploys


@pytest.mark.parametrize(
    ("mutation", "message"), [b[1:] for b in WEB_STACK_BREAKS], ids=[b[0] for b in WEB_STACK_BREAKS]
)
def test_a_web_stack_missing_one_rule_is_refused(
    deploy_report: deploy_check.Report, mutation: Mutation, message: str
) -> None:
    broken = copy.deepcopy(deploy_report.templates["web"])
    mutation(broken)
    problems = checks.web_stack_problems(broken, deploy_report.routes)
    assert any(message in p for p in problems), problems


def test_every_route_of_the_app_has_a_behaviour_to_the_api(deploy_report: deploy_check.Report) -> None:
    """Independently of checks.py: each route's path starts with one API behaviour's pattern."""
    from app import app

    config = _config(deploy_report.templates["web"])
    api = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == web_stack.API_ORIGIN]
    assert len(api) == len(config["CacheBehaviors"]) <= 25
    for path in app.routes:
        covering = [
            b["PathPattern"]
            for b in api
            if path == b["PathPattern"] or (b["PathPattern"].endswith("/*") and path.startswith(b["PathPattern"][:-1]))
        ]
        assert len(covering) == 1, (path, covering)
    for behaviour in api:
        assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
        # Managed-AllViewerExceptHostHeader: every header but Host (Authorization too, caching being off),
        # every cookie, every query string.
        assert behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
        assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    patterns = {b["PathPattern"] for b in api}
    assert {"/login", "/logout", "/health", "/status", "/capabilities", "/openapi.json", "/docs", "/audit"} <= patterns
    assert {"/project", "/project/*", "/navdata/*", "/queue/*"} <= patterns


def test_the_api_origin_is_the_rest_apis_stage_the_app_stack_exports(deploy_report: deploy_check.Report) -> None:
    web = deploy_report.templates["web"]
    api = _origin(web, web_stack.API_ORIGIN)
    assert api["OriginPath"] == "/api"  # Chalice's stage
    domain, variables = api["DomainName"]["Fn::Sub"]
    assert domain == "${ApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    assert variables["ApiId"] == {"Fn::ImportValue": {"Fn::Sub": "${AppStack}-RestApiId"}}
    for form in ("merged", "transformed"):
        output = deploy_report.templates[form]["Outputs"]["RestAPIId"]
        assert output["Value"] == {"Ref": "RestAPI"}
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + merge.REST_API_EXPORT}}


def test_a_route_added_to_the_app_is_sent_to_the_api_by_the_next_web_stack(deploy_report: deploy_check.Report) -> None:
    routes = {**deploy_report.routes, ("/reports/{project}", "GET"): False, ("/reports/{project}", "POST"): False}
    stale = deploy_report.templates["web"]
    problems = checks.web_stack_problems(stale, routes)
    assert problems == [
        "distribution: GET /reports/{project} reaches page, not the API origin",
        "distribution: POST /reports/{project} reaches page, not the API origin",
    ]
    regenerated = web_stack.template({path for path, _ in routes}, "api")
    assert checks.web_stack_problems(regenerated, routes) == []
    assert "/reports/*" in {b["PathPattern"] for b in _config(regenerated)["CacheBehaviors"]}


@pytest.mark.parametrize(
    ("paths", "patterns"),
    [
        (["/login"], ["/login"]),
        (["/project", "/project/{project}", "/project/{project}/event"], ["/project", "/project/*"]),
        (["/queue/{id}"], ["/queue/*"]),
        (["/openapi.json", "/docs"], ["/docs", "/openapi.json"]),
    ],
)
def test_path_patterns_cover_exactly_the_first_segments(paths: list[str], patterns: list[str]) -> None:
    assert web_stack.path_patterns(paths) == patterns


def test_every_file_of_the_built_page_comes_from_the_bucket(deploy_report: deploy_check.Report) -> None:
    dist = deploy_check.ROOT / "web" / "dist"
    if not (dist / "index.html").exists():
        pytest.skip("the page is not built (make web)")
    config = _config(deploy_report.templates["web"])
    files = ["/" + str(f.relative_to(dist)) for f in dist.rglob("*") if f.is_file()]
    assert "/index.html" in files and len(files) > 1
    for path in ["/", *files]:
        assert checks._first_behaviour(config, path)["TargetOriginId"] == web_stack.PAGE_ORIGIN, path
