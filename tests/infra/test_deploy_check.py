"""`make deploy-check`: the real package passes, and each way a package can be undeployable is caught."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest
from chalice.constants import MISSING_DEPENDENCIES_TEMPLATE

from infra import deploy_check

MIB = 1024 * 1024


# ---------------------------------------------------------------- the application as it would be deployed


def test_the_packaged_application_passes_the_deploy_check(deploy_report: deploy_check.Report) -> None:
    assert deploy_report.problems == []
    # Lambda's limits, with the figures printed by `make deploy-check`.
    assert 0 < deploy_report.zipped_bytes <= 50 * MIB
    assert deploy_report.zipped_bytes < deploy_report.unzipped_bytes <= 250 * MIB
    print(
        f"deployment.zip {deploy_report.zipped_bytes / MIB:.1f} MiB zipped, "
        f"{deploy_report.unzipped_bytes / MIB:.1f} MiB unzipped"
    )


def test_the_transformed_stack_holds_every_function_trigger_and_the_authorizer(
    deploy_report: deploy_check.Report,
) -> None:
    resources = deploy_report.templates["transformed"]["Resources"]
    assert not [lid for lid, r in resources.items() if r["Type"].startswith("AWS::Serverless::")]
    functions = {r["Properties"]["FunctionName"] for r in resources.values() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == {
        f"dougal-prod-{name}"
        for name in (
            "api_handler",
            "authorize_request",
            "migrate",
            "ingest_uploaded_files",
            "run_qc_jobs",
            "sweep_qc",
            "send_asaqc_transfers",
            "redrive_asaqc_transfers",
            "store_navdata_messages",
            "expire_navdata",
        )
    }
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert sorted(m["EventSourceArn"]["Fn::ImportValue"] for m in mappings) == sorted(
        f"dougal-prod-data-{q}QueueArn" for q in ("Ingest", "Qc", "Asaqc", "Navdata")
    )
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    [api] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    authorizer = api["Body"]["securityDefinitions"]["dougal-token"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request" and authorizer["authorizerResultTtlInSeconds"] == 0


def test_the_package_holds_every_requirement_and_leaves_out_what_the_runtime_provides(
    deploy_report: deploy_check.Report,
) -> None:
    sam = deploy_report.templates["sam"]
    assert {r["Properties"]["CodeUri"] for r in sam["Resources"].values() if "CodeUri" in r.get("Properties", {})} == {
        "./deployment.zip"
    }
    assert deploy_report.package_dir is not None
    assert (deploy_report.package_dir / "template.json").is_file()  # what deploy.sh uploads
    with zipfile.ZipFile(deploy_report.package_dir / "deployment.zip") as archive:
        names = set(archive.namelist())
        tops = {name.split("/", 1)[0] for name in names}
    # Compiled in: Lambda cannot write bytecode, so a cold start would compile these again each time.
    for module in ("app.py", "chalicelib/api/http.py", "pydantic/main.py", "chalice/app.py"):
        folder, _, name = module.rpartition("/")
        assert f"{folder + '/' if folder else ''}__pycache__/{name[:-3]}.cpython-311.pyc" in names, module
    assert deploy_report.compiled_modules > 300
    assert {"numpy", "pyproj", "psycopg", "psycopg_binary", "pydantic", "fpdf", "chalicelib", "app.py"} <= tops
    # boto3 comes with the Lambda runtime; Chalice's command line (pip, click, inquirer…) is no runtime need.
    assert not tops & {"boto3", "botocore", "pip", "click", "inquirer", "setuptools"}


# ---------------------------------------------------------------- a missing Lambda wheel


def test_chalices_missing_wheel_warning_names_the_requirements() -> None:
    output = "Creating deployment package.\n" + MISSING_DEPENDENCIES_TEMPLATE % "pyproj==3.7.1\nshapely==2.1.0"
    assert deploy_check.missing_dependencies(output) == ["pyproj==3.7.1", "shapely==2.1.0"]
    assert deploy_check.missing_dependencies("Creating deployment package.\n") == []


def test_a_requirement_without_a_lambda_wheel_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Chalice warns, exits 0 and writes a package without it (as it does for pyproj 3.7.2); the check fails."""
    real = deploy_check.chalice_package

    def package_missing_pyproj(project: Path, stage: str, out: Path, cache: Path) -> tuple[int, str]:
        code, output = real(project, stage, out, cache)
        return code, output + MISSING_DEPENDENCIES_TEMPLATE % "pyproj==3.7.2"

    monkeypatch.setattr(deploy_check, "chalice_package", package_missing_pyproj)
    assert deploy_check.main(["--out", str(tmp_path)]) == 1
    printed = capsys.readouterr()
    assert printed.err.splitlines() == [
        "deploy-check: no Lambda (manylinux x86_64, python3.11) wheel for: pyproj==3.7.2; pin versions that publish one"
    ]
    assert "deployment.zip: " in printed.out and "MiB zipped (limit 50)" in printed.out
    assert printed.out.rstrip().endswith("deploy-check: FAILED")


# ---------------------------------------------------------------- package contents and size


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


@pytest.fixture()
def small_package(tmp_path: Path) -> tuple[Path, Path]:
    package = _zip(
        tmp_path / "deployment.zip",
        {
            "numpy/__init__.py": b"x" * 4000,
            "numpy-2.2.6.dist-info/METADATA": b"Name: numpy",
            "jwt/__init__.py": b"",
            "PyJWT-2.10.1.dist-info/METADATA": b"Name: PyJWT",
            "psycopg/__init__.py": b"",
            "psycopg-3.3.9.dist-info/METADATA": b"Name: psycopg",
            "typing_extensions.py": b"",
            "app.py": b"",
        },
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# runtime\nnumpy==2.2.6\nPyJWT==2.10.1  # tokens\npsycopg[binary]==3.3.9\n")
    return package, requirements


def test_a_complete_package_within_the_limits_passes(small_package: tuple[Path, Path]) -> None:
    package, requirements = small_package
    problems, zipped, unzipped = deploy_check.package_problems(
        package, requirements, {"numpy", "jwt", "psycopg", "typing_extensions", "boto3"}
    )
    assert problems == []
    assert zipped == package.stat().st_size
    assert unzipped == 4000 + len("Name: numpy") + len("Name: PyJWT") + len("Name: psycopg")


PACKAGE_FAILURES = [
    ("requirement left out", {"requirement": "pyproj==3.7.1"}, "requirement pyproj is not in the package"),
    ("import not packaged", {"imports": {"shapely"}}, "the application imports shapely"),
    ("over the zipped limit", {"max_zipped": 100}, "MiB zipped, over the limit"),
    ("over the unzipped limit", {"max_unzipped": 1000}, "MiB unzipped, over the limit"),
]


@pytest.mark.parametrize(("change", "message"), [f[1:] for f in PACKAGE_FAILURES], ids=[f[0] for f in PACKAGE_FAILURES])
def test_an_undeployable_package_is_refused(
    small_package: tuple[Path, Path], change: dict[str, Any], message: str
) -> None:
    package, requirements = small_package
    if "requirement" in change:
        requirements.write_text(requirements.read_text() + change["requirement"] + "\n")
    limits = {k: v for k, v in change.items() if k.startswith("max_")}
    problems, _, _ = deploy_check.package_problems(
        package, requirements, {"numpy", "jwt", *change.get("imports", ())}, **limits
    )
    assert len(problems) == 1 and message in problems[0], problems


def test_the_application_imports_are_read_from_its_source() -> None:
    imports = deploy_check.application_imports(deploy_check.ROOT)
    assert {"chalice", "pydantic", "psycopg", "numpy", "pyproj", "jwt", "boto3"} <= imports
    assert not imports & {"json", "os", "chalicelib", "app"}


# ---------------------------------------------------------------- the SAM transform and cfn-lint, offline


def test_the_sam_transform_runs_without_the_network(
    deploy_report: deploy_check.Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the offline transform opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    policies = deploy_check.OfflinePolicies()
    transformed = deploy_check.sam_transform(deploy_report.templates["merged"], policies)
    assert transformed == deploy_report.templates["transformed"]
    code = {
        json.dumps(r["Properties"]["Code"], sort_keys=True)
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert code == {json.dumps({"S3Bucket": "dougal-offline-check-artifacts", "S3Key": "deployment.zip"})}


def test_a_template_error_fails_the_lint_step(deploy_report: deploy_check.Report) -> None:
    broken = json.loads(json.dumps(deploy_report.templates["transformed"]))
    broken["Resources"]["Migrate"]["Properties"]["Runtime"] = "python2.1"
    broken["Resources"]["Migrate"]["Properties"]["MemorySize"] = 64
    problems = deploy_check.lint_problems(broken, "application stack")
    assert problems and all(p.startswith("cfn-lint application stack: E") for p in problems)
    assert any("python2.1" in p for p in problems) and any("64" in p for p in problems)
    assert deploy_check.lint_problems(deploy_report.templates["transformed"], "application stack") == []
