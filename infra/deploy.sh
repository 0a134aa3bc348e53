#!/usr/bin/env bash
# Deploy Dougal to AWS: package and check offline, build the office page, data stack, application
# stack, migrations, web stack (CloudFront and the page's bucket), the page's files.
#
#   DOUGAL_ARTIFACT_BUCKET=my-artifacts infra/deploy.sh [--dry-run] [prod|dev]
#   DOUGAL_ARTIFACT_BUCKET=my-artifacts infra/deploy.sh [--dry-run] --rollback RELEASE [prod|dev]
#
# Needs AWS credentials and a region (AWS_REGION or AWS_DEFAULT_REGION), the
# project's virtualenv (make venv) and the AWS CLI v2. Run it from any
# directory. Each step stops the deploy on failure. Every deploy keeps its
# packaged template as release <git commit> in the artifact bucket;
# --rollback RELEASE puts the application stack back to that release (the
# data stack and the database schema stay as they are). --dry-run prints the
# commands instead of running them (no credentials needed). Environment:
#   DOUGAL_ARTIFACT_BUCKET   S3 bucket for the packaged code and releases (required)
#   DOUGAL_NAT_GATEWAY       "true" (default) or "false": internet egress for ASAQC
#   DOUGAL_ALARM_EMAIL       address the queue alarms are mailed to (default: none)
#   DOUGAL_DATA_STACK        default dougal-<stage>-data
#   DOUGAL_APP_STACK         default dougal-<stage>
#   DOUGAL_WEB_STACK         default dougal-<stage>-web (its bucket: dougal-<stage>-web)
set -euo pipefail

usage() { printf 'usage:\n'; sed -n '4,5s/^#   /  /p' "$0"; }

dry_run=false
rollback=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=true; shift ;;
    --rollback)
      rollback="${2:-}"
      [[ -n "$rollback" ]] || { echo "deploy: --rollback needs a release (a git commit)" >&2; exit 2; }
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) break ;;
  esac
done

stage="${1:-prod}"
case "$stage" in
  dev | prod) ;;
  *) usage >&2; exit 2 ;;
esac

: "${AWS_REGION:=${AWS_DEFAULT_REGION:-}}"
if [[ -z "$AWS_REGION" ]]; then
  echo "deploy: set AWS_REGION (or AWS_DEFAULT_REGION)" >&2
  exit 2
fi
export AWS_REGION AWS_DEFAULT_REGION="$AWS_REGION"
artifact_bucket="${DOUGAL_ARTIFACT_BUCKET:?set DOUGAL_ARTIFACT_BUCKET to an S3 bucket for the packaged code}"
data_stack="${DOUGAL_DATA_STACK:-dougal-${stage}-data}"
app_stack="${DOUGAL_APP_STACK:-dougal-${stage}}"
web_stack="${DOUGAL_WEB_STACK:-dougal-${stage}-web}"
web_bucket="dougal-${stage}-web"
nat="${DOUGAL_NAT_GATEWAY:-true}"
alarm_email="${DOUGAL_ALARM_EMAIL:-}"

cd "$(dirname "$0")/.."
venv_bin=".venv/bin"
[[ -x "$venv_bin/python" ]] || venv_bin="$(dirname "$(command -v python3)")"
out="out"
releases="s3://$artifact_bucket/$app_stack/releases"

step() { printf '\n== %s\n' "$*" >&2; }
# Runs a command, or prints it (shell-quoted, after "+ ") under --dry-run.
run() {
  if "$dry_run"; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

deploy_app() {
  run aws cloudformation deploy \
    --stack-name "$app_stack" \
    --template-file "$1" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset
}

if [[ -n "$rollback" ]]; then
  step "1/2 fetch release $rollback of $app_stack"
  run mkdir -p "$out"
  run aws s3 cp "$releases/$rollback.yaml" "$out/rollback.yaml"
  step "2/2 deploy release $rollback to $app_stack (the data stack and the schema are left as they are)"
  deploy_app "$out/rollback.yaml"
  exit 0
fi

release="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unversioned)"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then
  release="$release-modified"
fi

step "1/9 fetch the database CA bundle"
# The functions check the database's certificate and name (sslmode=verify-full): the RDS CA
# bundle (the writer, for migrate) and Amazon's root CAs (RDS Proxy's certificate comes from
# ACM), fetched over HTTPS at every deploy and packaged from vendor/ (/var/task/certs/ in Lambda).
certs="vendor/certs"
bundle="$certs/aws-database-ca.pem"
run mkdir -p "$certs/parts"
for url in \
  https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
  https://www.amazontrust.com/repository/AmazonRootCA1.pem \
  https://www.amazontrust.com/repository/AmazonRootCA2.pem \
  https://www.amazontrust.com/repository/AmazonRootCA3.pem \
  https://www.amazontrust.com/repository/AmazonRootCA4.pem \
  https://www.amazontrust.com/repository/SFSRootCAG2.pem; do
  run curl --fail --silent --show-error --proto '=https' --tlsv1.2 --output "$certs/parts/${url##*/}" "$url"
done
if ! "$dry_run"; then
  for part in "$certs"/parts/*.pem; do
    cat "$part"
    echo
  done >"$bundle"
  rm -r "$certs/parts"
  grep -q "BEGIN CERTIFICATE" "$bundle" || { echo "deploy: no certificate fetched for $bundle" >&2; exit 1; }
fi

step "2/9 package and check offline (chalice package, infra/merge.py, SAM transform, cfn-lint: make deploy-check)"
# Fails on a requirement without a Lambda wheel (Chalice itself only warns), a package over
# Lambda's size limits, any cfn-lint error, or a template that breaks infra/checks.py.
run "$venv_bin/python" -m infra.deploy_check --stage "$stage" --data-stack "$data_stack" --out "$out"
template="$out/package/template.json"

step "3/9 build the office page (make web: web/dist)"
# Before anything in AWS changes: a page that does not build stops the deploy here.
run make web

step "4/9 deploy the data stack $data_stack (NAT gateway: $nat)"
run aws cloudformation deploy \
  --stack-name "$data_stack" \
  --template-file infra/data-stack.yaml \
  --parameter-overrides "Stage=$stage" "EnableNatGateway=$nat" "AlarmEmail=$alarm_email" \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset

step "5/9 upload the package, keep release $release"
run aws cloudformation package \
  --template-file "$template" \
  --s3-bucket "$artifact_bucket" \
  --s3-prefix "$app_stack" \
  --output-template-file "$out/packaged.yaml"
run aws s3 cp "$out/packaged.yaml" "$releases/$release.yaml"

step "6/9 deploy the application stack $app_stack"
deploy_app "$out/packaged.yaml"

step "7/9 apply the database migrations (dougal-$stage-migrate)"
migrate=(aws lambda invoke
  --function-name "dougal-$stage-migrate"
  --cli-read-timeout 310
  --cli-binary-format raw-in-base64-out
  --payload '{}'
  --query FunctionError --output text
  "$out/migrate.json")
if "$dry_run"; then
  run "${migrate[@]}"
else
  error="$("${migrate[@]}")"
  cat "$out/migrate.json" >&2
  echo >&2
  if [[ "$error" != "None" ]]; then
    echo "deploy: the migrations failed ($error); the application is deployed but the schema is not current" >&2
    exit 1
  fi
fi

step "8/9 deploy the web stack $web_stack (CloudFront: the page and the API from one origin)"
# Generated by deploy_check from the route table (infra/web_stack.py); it imports the REST API's
# id from $app_stack. The first run takes several minutes (the distribution).
run aws cloudformation deploy \
  --stack-name "$web_stack" \
  --template-file "$out/package/web-stack.json" \
  --parameter-overrides "Stage=$stage" "AppStack=$app_stack" \
  --no-fail-on-empty-changeset

step "9/9 upload the office page to s3://$web_bucket"
# New assets first (their names carry a hash: cached for good), then index.html (revalidated on every
# load, so the page switches to the new assets at once), then the old assets go.
run aws s3 sync web/dist "s3://$web_bucket" --exclude index.html \
  --cache-control "public, max-age=31536000, immutable"
run aws s3 cp web/dist/index.html "s3://$web_bucket/index.html" --cache-control "no-cache"
run aws s3 sync web/dist "s3://$web_bucket" --delete --exclude index.html \
  --cache-control "public, max-age=31536000, immutable"

if ! "$dry_run"; then
  endpoint="$(aws cloudformation describe-stacks --stack-name "$app_stack" \
    --query "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue" --output text)"
  page="$(aws cloudformation describe-stacks --stack-name "$web_stack" \
    --query "Stacks[0].Outputs[?OutputKey=='WebURL'].OutputValue" --output text)"
  echo "deployed $app_stack release $release: the office page and the API at $page (API Gateway: $endpoint)" >&2
fi
