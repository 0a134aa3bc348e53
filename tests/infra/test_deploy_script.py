"""`infra/deploy.sh`, never against AWS: shellcheck, and its commands as `--dry-run` prints them."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "infra" / "deploy.sh"


def _shellcheck() -> str | None:
    beside = Path(sys.executable).with_name("shellcheck")
    return str(beside) if beside.exists() else shutil.which("shellcheck")


@pytest.fixture()
def sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the script in an empty checkout, and a PATH whose aws, curl and python only leave a mark."""
    (tmp_path / "repo" / "infra").mkdir(parents=True)
    shutil.copy2(DEPLOY, tmp_path / "repo" / "infra" / "deploy.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "curl", "python3", "chalice"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{tmp_path}/ran"\n')
        (bin_dir / tool).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_REGION": "eu-west-1",
        "DOUGAL_ARTIFACT_BUCKET": "dougal-artifacts",
    }
    return tmp_path, env


def _dry_run(sandbox: tuple[Path, dict[str, str]], *args: str, **env: str) -> list[list[str]]:
    tmp_path, base = sandbox
    done = subprocess.run(
        ["bash", str(tmp_path / "repo" / "infra" / "deploy.sh"), "--dry-run", *args],
        capture_output=True,
        text=True,
        env={**base, **env},
        timeout=60,
        check=True,
    )
    assert not (tmp_path / "ran").exists(), "a dry run ran " + (tmp_path / "ran").read_text()
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["infra"], "a dry run wrote files"
    return [shlex.split(line[2:]) for line in done.stdout.splitlines() if line.startswith("+ ")]


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_deploy_script_is_shellcheck_clean() -> None:
    subprocess.run(["bash", "-n", str(DEPLOY)], check=True)
    shellcheck = _shellcheck()
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (requirements-dev.txt brings it)")
    done = subprocess.run([shellcheck, str(DEPLOY)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_a_deploy_checks_offline_then_deploys_data_then_application_then_migrates(sandbox) -> None:
    commands = _dry_run(sandbox, "prod", DOUGAL_ALARM_EMAIL="ops@example.com")
    aws = [c for c in commands if c[0] == "aws"]
    fetched = [c[-1] for c in commands if c[0] == "curl"]
    assert "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem" in fetched
    assert "https://www.amazontrust.com/repository/AmazonRootCA1.pem" in fetched
    assert all(url.startswith("https://") for url in fetched)
    [check] = [i for i, c in enumerate(commands) if c[1:3] == ["-m", "infra.deploy_check"]]
    assert commands[check][3:] == ["--stage", "prod", "--data-stack", "dougal-prod-data", "--out", "out"]
    # Nothing touches AWS before the package has passed the offline check; the CA bundle comes first.
    assert max(i for i, c in enumerate(commands) if c[0] == "curl") < check < commands.index(aws[0])
    assert [c[1:3] for c in aws] == [
        ["cloudformation", "deploy"],
        ["cloudformation", "package"],
        ["s3", "cp"],
        ["cloudformation", "deploy"],
        ["lambda", "invoke"],
        ["cloudformation", "deploy"],
        ["s3", "sync"],
        ["s3", "cp"],
        ["s3", "sync"],
    ]
    data, package, keep, app, migrate, web, assets, index, stale = aws
    assert _option(data, "--stack-name") == "dougal-prod-data"
    assert _option(data, "--template-file") == "infra/data-stack.yaml"
    assert data[data.index("--parameter-overrides") + 1 : data.index("--capabilities")] == [
        "Stage=prod",
        "EnableNatGateway=true",
        "AlarmEmail=ops@example.com",
    ]
    assert _option(package, "--template-file") == "out/package/template.json"  # what deploy_check wrote
    assert _option(package, "--s3-bucket") == "dougal-artifacts"
    assert keep[3] == "out/packaged.yaml" and keep[4].startswith("s3://dougal-artifacts/dougal-prod/releases/")
    assert _option(app, "--stack-name") == "dougal-prod"
    assert _option(app, "--template-file") == "out/packaged.yaml"
    assert "CAPABILITY_IAM" in app and "--no-fail-on-empty-changeset" in app
    assert _option(migrate, "--function-name") == "dougal-prod-migrate"
    # The page is built before anything in AWS changes, and uploaded once the application and the web stack
    # (its bucket, CloudFront, the API's paths) are deployed.
    [build] = [i for i, c in enumerate(commands) if c[0] == "make"]
    assert commands[build] == ["make", "web"]
    assert check < build < commands.index(aws[0])
    assert _option(web, "--stack-name") == "dougal-prod-web"
    assert _option(web, "--template-file") == "out/package/web-stack.json"  # what deploy_check wrote
    assert web[web.index("--parameter-overrides") + 1 : web.index("--no-fail-on-empty-changeset")] == [
        "Stage=prod",
        "AppStack=dougal-prod",
    ]
    assert commands.index(app) < commands.index(migrate) < commands.index(web) < commands.index(assets)
    assert assets[3:5] == ["web/dist", "s3://dougal-prod-web"] and "--delete" not in assets
    assert _option(assets, "--exclude") == "index.html"
    assert "immutable" in _option(assets, "--cache-control")
    assert index[3:5] == ["web/dist/index.html", "s3://dougal-prod-web/index.html"]
    assert _option(index, "--cache-control") == "no-cache"
    assert stale[3:5] == ["web/dist", "s3://dougal-prod-web"] and "--delete" in stale
    assert _option(stale, "--exclude") == "index.html"


def test_the_stack_names_and_nat_gateway_come_from_the_environment(sandbox) -> None:
    commands = _dry_run(
        sandbox, "dev", DOUGAL_DATA_STACK="d-data", DOUGAL_APP_STACK="d-app", DOUGAL_NAT_GATEWAY="false"
    )
    aws = [c for c in commands if c[0] == "aws"]
    assert [_option(c, "--stack-name") for c in aws if c[1:3] == ["cloudformation", "deploy"]] == [
        "d-data",
        "d-app",
        "dougal-dev-web",
    ]
    web = aws[-4]
    assert "AppStack=d-app" in web and "Stage=dev" in web
    assert aws[-1][4] == "s3://dougal-dev-web"
    assert "EnableNatGateway=false" in aws[0] and "Stage=dev" in aws[0]
    [migrate] = [c for c in aws if c[1:3] == ["lambda", "invoke"]]
    assert _option(migrate, "--function-name") == "dougal-dev-migrate"


def test_a_rollback_redeploys_a_kept_release_of_the_application_only(sandbox) -> None:
    commands = _dry_run(sandbox, "--rollback", "0123abcd4567", "prod")
    aws = [c for c in commands if c[0] == "aws"]
    assert aws[0] == [
        "aws",
        "s3",
        "cp",
        "s3://dougal-artifacts/dougal-prod/releases/0123abcd4567.yaml",
        "out/rollback.yaml",
    ]
    assert [c[1:3] for c in aws] == [["s3", "cp"], ["cloudformation", "deploy"]]
    assert _option(aws[1], "--stack-name") == "dougal-prod"
    assert _option(aws[1], "--template-file") == "out/rollback.yaml"
    assert not [c for c in commands if "infra.deploy_check" in c or c[0] in ("curl", "make")]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["staging"], {}, "usage"),
        (["--rollback"], {}, "needs a release"),
        (["prod"], {"DOUGAL_ARTIFACT_BUCKET": ""}, "DOUGAL_ARTIFACT_BUCKET"),
        (["prod"], {"AWS_REGION": ""}, "AWS_REGION"),
    ],
)
def test_a_deploy_without_what_it_needs_stops_before_any_command(sandbox, args, env, message) -> None:
    tmp_path, base = sandbox
    merged = {**base, **env}
    merged = {k: v for k, v in merged.items() if v}
    done = subprocess.run(
        ["bash", str(tmp_path / "repo" / "infra" / "deploy.sh"), *args],
        capture_output=True,
        text=True,
        env=merged,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "ran").exists()
    assert "+ " not in done.stdout
