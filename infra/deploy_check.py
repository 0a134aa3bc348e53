"""``make deploy-check``: build the application stack as a deploy does, and check it without AWS.

    python -m infra.deploy_check [--stage prod] [--out DIR]

1. ``chalice package`` of a clean copy of the application (``app.py``, ``chalicelib/``, ``.chalice/``,
   ``requirements.txt``, ``vendor/``): Chalice downloads the Lambda runtime's wheels (manylinux x86_64,
   python3.11) of every requirement. A requirement with no such wheel is an error here (Chalice only warns,
   and the package would fail at import time in AWS), and so is a requirement or an import of the
   application that is in neither the package nor the Lambda runtime.
2. Bytecode of every module added to the zip (``infra/bytecode.py``: Lambda cannot write it), then the
   package's size against Lambda's limits: 50 MB zipped, 250 MB unzipped (printed).
3. ``infra/merge.py`` on Chalice's ``sam.json``.
4. The SAM -> CloudFormation transform (aws-sam-translator), offline: a made-up region and account,
   the local code path replaced by an S3 location as ``aws cloudformation package`` would, and a table of
   managed policies that is never loaded from IAM.
5. cfn-lint on the data stack, on the merged application stack and on its transformed form.
6. ``infra/checks.py`` on the data stack, the merged stack and the transformed stack; the application's route
   table (read from the packaged copy) is what every method of the API and its authorizer are checked against.
7. The web stack (``infra/web_stack.py``: the office page's bucket and CloudFront, its API paths derived from
   that route table), written to ``package/web-stack.json``, linted and checked.

Chalice keeps the downloaded dependencies by a hash of the requirements; they are kept across runs in
``.local/deploy-check/cache`` (the first run downloads them, about a minute and a half; later runs take
seconds). Exits 1 and lists the problems when any step fails. Nothing here calls AWS.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import bytecode, checks, merge, web_stack

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".local" / "deploy-check" / "cache"

#: Lambda's limits on a function's deployment package.
MIB = 1024 * 1024
MAX_ZIPPED_BYTES = 50 * MIB
MAX_UNZIPPED_BYTES = 250 * MIB
#: Modules the Lambda Python runtime provides; the package leaves them out.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore"})
#: What ``chalice package`` copies, besides ``.chalice/``.
SOURCES = ("app.py", "chalicelib", "requirements.txt", "vendor")
#: A made-up place for the offline transform: nothing is looked up there.
OFFLINE_REGION = "eu-west-1"
OFFLINE_ACCOUNT = "123456789012"
OFFLINE_ARTIFACTS = {"Bucket": "dougal-offline-check-artifacts", "Key": "deployment.zip"}
MISSING_DEPENDENCIES = "Could not install dependencies"


class OfflinePolicies:
    """The managed-policy table the SAM transform asks for, without asking IAM.

    Dougal's functions all come with a role of their own (``infra/merge.py``), so the transform needs no
    managed policy; the table holds the AWS policies SAM itself may name, by their well-known ARNs.
    """

    def __init__(self) -> None:
        self.loads = 0

    def load(self) -> dict[str, str]:
        self.loads += 1
        base = "arn:aws:iam::aws:policy/"
        return {
            "AWSLambdaBasicExecutionRole": base + "service-role/AWSLambdaBasicExecutionRole",
            "AWSLambdaVPCAccessExecutionRole": base + "service-role/AWSLambdaVPCAccessExecutionRole",
            "AWSLambdaSQSQueueExecutionRole": base + "service-role/AWSLambdaSQSQueueExecutionRole",
            "AWSXrayWriteOnlyAccess": base + "AWSXrayWriteOnlyAccess",
        }


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    package_dir: Path | None = None
    """Where Chalice's ``deployment.zip`` and ``sam.json``, and ``template.json`` (merged) are."""
    zipped_bytes: int = 0
    unzipped_bytes: int = 0
    compiled_modules: int = 0
    """Modules whose bytecode was added to the package (``infra/bytecode.py``)."""
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``data``, ``sam`` (Chalice's), ``merged`` (merge.py's), ``transformed`` (CloudFormation) and ``web``."""
    routes: dict[tuple[str, str], bool] = field(default_factory=dict)
    """The packaged application's route table: (path, method) -> public."""


# ---------------------------------------------------------------- package


def copy_sources(root: Path, destination: Path) -> None:
    """What ``chalice package`` reads, without caches, the virtualenv or local data."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
    for name in SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, destination / name)
    (destination / ".chalice").mkdir(exist_ok=True)
    for config in (root / ".chalice").glob("*.json"):
        shutil.copy2(config, destination / ".chalice" / config.name)


def chalice_package(project: Path, stage: str, out: Path, cache: Path) -> tuple[int, str]:
    """Run ``chalice package``; Chalice's dependency cache (``.chalice/deployments``) lives in ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    deployments = project / ".chalice" / "deployments"
    if not deployments.exists():
        deployments.symlink_to(cache.resolve(), target_is_directory=True)
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": OFFLINE_REGION}
    done = subprocess.run(
        [str(chalice), "--project-dir", str(project), "package", "--stage", stage, str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def missing_dependencies(output: str) -> list[str]:
    """The requirements Chalice found no Lambda wheel for, from the warning it prints."""
    if MISSING_DEPENDENCIES not in output:
        return []
    after = output.split(MISSING_DEPENDENCIES, 1)[1].lstrip(":").splitlines()
    names: list[str] = []
    for line in after:
        line = line.strip()
        if not line and names:
            break
        if line and not line.startswith("You will have to"):
            names.append(line)
        elif line:
            break
    return names or ["(unnamed)"]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def requirement_names(requirements: Path) -> list[str]:
    names = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(re.split(r"[\[=<>~! ;]", line, maxsplit=1)[0])
    return names


def application_imports(project: Path) -> set[str]:
    """Top-level modules that ``app.py`` and ``chalicelib`` import from outside the application."""
    found: set[str] = set()
    for path in [project / "app.py", *sorted((project / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name not in ("chalicelib", "app")}


def package_problems(
    package: Path,
    requirements: Path,
    imports: set[str],
    *,
    max_zipped: int = MAX_ZIPPED_BYTES,
    max_unzipped: int = MAX_UNZIPPED_BYTES,
) -> tuple[list[str], int, int]:
    """Sizes against Lambda's limits, every requirement in the zip, every import in the zip or the runtime."""
    with zipfile.ZipFile(package) as archive:
        entries = archive.infolist()
    zipped = package.stat().st_size
    unzipped = sum(entry.file_size for entry in entries)
    problems = []
    if zipped > max_zipped:
        problems.append(f"{package.name}: {zipped / MIB:.1f} MiB zipped, over the limit of {max_zipped / MIB:.1f} MiB")
    if unzipped > max_unzipped:
        problems.append(
            f"{package.name}: {unzipped / MIB:.1f} MiB unzipped, over the limit of {max_unzipped / MIB:.1f} MiB"
        )
    tops = {entry.filename.split("/", 1)[0] for entry in entries}
    distributions = {_normalized(top.split("-", 1)[0]) for top in tops if top.endswith(".dist-info")}
    modules = {re.split(r"[./]", top, maxsplit=1)[0] for top in tops}
    for name in requirement_names(requirements):
        if _normalized(name) not in distributions:
            problems.append(f"{package.name}: requirement {name} is not in the package")
    for module in sorted(imports - modules - RUNTIME_PROVIDED):
        problems.append(f"{package.name}: the application imports {module}, which the package does not hold")
    return problems, zipped, unzipped


# ---------------------------------------------------------------- templates


def lint_problems(template: dict[str, Any], label: str) -> list[str]:
    """cfn-lint errors and warnings (informational notes are not problems)."""
    from cfnlint.api import lint

    matches = lint(json.dumps(template), regions=[OFFLINE_REGION])
    return [
        f"cfn-lint {label}: {m.rule.id} {m.message} (line {m.linenumber})"
        for m in matches
        if not m.rule.id.startswith("I")
    ]


def sam_transform(template: dict[str, Any], policies: OfflinePolicies | None = None) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of ``template``, computed here, offline."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    policies = policies or OfflinePolicies()
    source = json.loads(json.dumps(template))
    for resource in source.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        code = props.get("CodeUri")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(code, str):
            if not code.startswith("s3://"):
                props["CodeUri"] = dict(OFFLINE_ARTIFACTS)  # what `aws cloudformation package` writes
    session = boto3.session.Session(
        region_name=OFFLINE_REGION,
        aws_access_key_id="offline",
        aws_secret_access_key="offline",  # noqa: S106
    )
    translator = Translator(None, Parser(), boto_session=session)
    parameters = {"AWS::Region": OFFLINE_REGION, "AWS::AccountId": OFFLINE_ACCOUNT, "AWS::Partition": "aws"}
    result: dict[str, Any] = translator.translate(
        source, parameter_values=parameters, get_managed_policy_map=policies.load
    )
    plain: dict[str, Any] = json.loads(json.dumps(result))  # the translator's own str and dict subclasses out
    return plain


def load_data_stack(path: Path) -> dict[str, Any]:
    from cfnlint.decode.cfn_yaml import loads

    loaded: dict[str, Any] = loads(path.read_text(encoding="utf-8"))
    return loaded


#: Prints the route table of the application in the current directory: [[path, method, public], ...].
_ROUTE_TABLE = """
import json
from app import app
from chalicelib.api.http import PUBLIC, ROUTE_ROLES
routes = [
    [path, method, ROUTE_ROLES.get((path, method)) == PUBLIC]
    for path, entries in app.routes.items()
    for method in entries
]
print(json.dumps(routes))
"""


def route_table(project: Path) -> dict[tuple[str, str], bool]:
    """(path, method) -> public, for every route of the application in ``project`` as Chalice registers it
    (what ``chalice package`` turns into the API), read in a fresh interpreter from that copy."""
    done = subprocess.run(
        [sys.executable, "-c", _ROUTE_TABLE],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return {(path, method): bool(public) for path, method, public in json.loads(done.stdout)}


def template_problems(
    data: dict[str, Any],
    merged: dict[str, Any],
    transformed: dict[str, Any],
    data_stack_name: str,
    routes: checks.RouteTable,
) -> list[str]:
    problems = [f"data stack: {p}" for p in checks.data_stack_problems(data, merge.WORKER_TIMEOUT_SECONDS)]
    problems += [f"application stack: {p}" for p in checks.app_stack_problems(merged, data, data_stack_name, routes)]
    problems += [
        f"application stack (transformed): {p}"
        for p in checks.app_stack_problems(transformed, data, data_stack_name, routes)
    ]
    return problems


# ---------------------------------------------------------------- the whole check


def run(
    stage: str = "prod",
    out: Path | None = None,
    root: Path = ROOT,
    cache: Path = CACHE,
    data_stack_name: str | None = None,
) -> Report:
    report = Report()
    out = out or Path(tempfile.mkdtemp(prefix="dougal-deploy-check-"))
    project, package_dir = out / "src", out / "package"
    if project.exists():
        shutil.rmtree(project)
    if package_dir.exists():
        shutil.rmtree(package_dir)
    copy_sources(root, project)
    report.package_dir = package_dir
    data_stack_name = data_stack_name or f"dougal-{stage}-data"

    code, output = chalice_package(project, stage, package_dir, cache)
    (out / "chalice-package.log").write_text(output, encoding="utf-8")
    missing = missing_dependencies(output)
    if missing:
        report.problems.append(
            "no Lambda (manylinux x86_64, python3.11) wheel for: "
            + ", ".join(missing)
            + "; pin versions that publish one"
        )
    if code != 0 or not (package_dir / "sam.json").exists():
        report.problems.append(f"chalice package failed (exit {code}):\n{output.strip()[-2000:]}")
        return report

    report.compiled_modules = bytecode.add_bytecode(package_dir / "deployment.zip")
    package_found, report.zipped_bytes, report.unzipped_bytes = package_problems(
        package_dir / "deployment.zip", project / "requirements.txt", application_imports(project)
    )
    report.problems += package_found

    try:
        report.routes = route_table(project)
    except (subprocess.SubprocessError, ValueError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        report.problems.append(f"the application's route table could not be read: {str(detail).strip()[-2000:]}")
        return report
    sam = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    config = json.loads((project / ".chalice" / "config.json").read_text(encoding="utf-8"))
    report.templates["sam"] = sam
    try:
        merged = merge.postprocess(sam, stage=stage, data_stack=data_stack_name, chalice_config=config)
    except merge.MergeError as exc:
        report.problems.append(f"infra/merge.py: {exc}")
        return report
    (package_dir / "template.json").write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    report.templates["merged"] = merged

    data = load_data_stack(root / "infra" / "data-stack.yaml")
    report.templates["data"] = data
    try:
        transformed = sam_transform(merged)
    except Exception as exc:  # noqa: BLE001 - the translator's errors name the resource at fault
        report.problems.append(f"SAM transform: {exc}")
        transformed = {}
    else:
        (package_dir / "transformed.json").write_text(json.dumps(transformed, indent=2) + "\n", encoding="utf-8")
        report.templates["transformed"] = transformed

    stage_name = next(
        (
            str((r.get("Properties") or {}).get("StageName", "api"))
            for r in merged.get("Resources", {}).values()
            if r.get("Type") == "AWS::Serverless::Api"
        ),
        "api",
    )
    web = web_stack.template({path for path, _ in report.routes}, stage_name)
    (package_dir / "web-stack.json").write_text(json.dumps(web, indent=2) + "\n", encoding="utf-8")
    report.templates["web"] = web

    report.problems += lint_problems(data, "infra/data-stack.yaml")
    report.problems += lint_problems(merged, "application stack")
    report.problems += lint_problems(web, "web stack")
    report.problems += [f"web stack: {p}" for p in checks.web_stack_problems(web, report.routes)]
    if transformed:
        report.problems += lint_problems(transformed, "application stack (transformed)")
        report.problems += template_problems(data, merged, transformed, data_stack_name, report.routes)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="prod", choices=["dev", "prod"])
    parser.add_argument("--out", type=Path, default=ROOT / ".local" / "deploy-check" / "out")
    parser.add_argument("--data-stack", help="the data stack's name (default: dougal-<stage>-data)")
    args = parser.parse_args(argv)
    report = run(args.stage, args.out.resolve(), data_stack_name=args.data_stack)
    if report.zipped_bytes:
        print(
            f"deployment.zip: {report.zipped_bytes / MIB:.1f} MiB zipped (limit {MAX_ZIPPED_BYTES / MIB:.0f}), "
            f"{report.unzipped_bytes / MIB:.1f} MiB unzipped (limit {MAX_UNZIPPED_BYTES / MIB:.0f}), "
            f"{report.compiled_modules} modules compiled in"
        )
    functions = [
        lid
        for lid, r in report.templates.get("transformed", {}).get("Resources", {}).items()
        if r.get("Type") == "AWS::Lambda::Function"
    ]
    if functions:
        print(f"{len(functions)} functions, one package: {', '.join(sorted(functions))}")
    web = report.templates.get("web")
    if web:
        behaviours = web["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
        print(
            f"web stack: {len(report.routes)} routes of the app sent to the API by {len(behaviours)} CloudFront "
            f"behaviours: {' '.join(b['PathPattern'] for b in behaviours)}"
        )
    print(f"templates in {args.out / 'package'}")
    for problem in report.problems:
        print(f"deploy-check: {problem}", file=sys.stderr)
    print("deploy-check: " + ("FAILED" if report.problems else "ok"))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
