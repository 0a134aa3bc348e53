#!/usr/bin/env bash
# Deploy Dougal to AWS: data stack, application stack, then the migrations.
#
#   DOUGAL_ARTIFACT_BUCKET=my-artifacts infra/deploy.sh [prod|dev]
#
# Needs AWS credentials and a region (AWS_REGION or AWS_DEFAULT_REGION), the
# project's virtualenv (chalice, cfn-lint) and the AWS CLI v2. Run it from any
# directory; it works in the repository root. Each step stops the deploy on
# failure. Environment:
#   DOUGAL_ARTIFACT_BUCKET   S3 bucket for the packaged code (required)
#   DOUGAL_NAT_GATEWAY       "true" (default) or "false": internet egress for ASAQC
#   DOUGAL_DATA_STACK        default dougal-<stage>-data
#   DOUGAL_APP_STACK         default dougal-<stage>
set -euo pipefail

stage="${1:-prod}"
case "$stage" in
  dev | prod) ;;
  *) echo "usage: $0 [prod|dev]" >&2; exit 2 ;;
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
nat="${DOUGAL_NAT_GATEWAY:-true}"

cd "$(dirname "$0")/.."
venv_bin=".venv/bin"
[[ -x "$venv_bin/chalice" ]] || venv_bin="$(dirname "$(command -v chalice)")"
out="out"

step() { printf '\n== %s\n' "$*" >&2; }

step "1/7 lint the data stack"
"$venv_bin/cfn-lint" infra/data-stack.yaml

step "2/7 deploy the data stack $data_stack (NAT gateway: $nat)"
aws cloudformation deploy \
  --stack-name "$data_stack" \
  --template-file infra/data-stack.yaml \
  --parameter-overrides "Stage=$stage" "EnableNatGateway=$nat" \
  --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset

step "3/7 package the application (chalice package --stage $stage)"
rm -rf "$out"
# The functions check the database's certificate and name (sslmode=verify-full): the RDS CA
# bundle (the writer, for migrate) and Amazon's root CAs (RDS Proxy's certificate comes from
# ACM), fetched over HTTPS at every deploy and packaged from vendor/ (/var/task/certs/ in Lambda).
certs="vendor/certs"
mkdir -p "$certs"
bundle="$certs/aws-database-ca.pem"
: >"$bundle.part"
for url in \
  https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
  https://www.amazontrust.com/repository/AmazonRootCA1.pem \
  https://www.amazontrust.com/repository/AmazonRootCA2.pem \
  https://www.amazontrust.com/repository/AmazonRootCA3.pem \
  https://www.amazontrust.com/repository/AmazonRootCA4.pem \
  https://www.amazontrust.com/repository/SFSRootCAG2.pem; do
  curl --fail --silent --show-error --proto '=https' --tlsv1.2 "$url" >>"$bundle.part"
  echo >>"$bundle.part"
done
grep -q "BEGIN CERTIFICATE" "$bundle.part" || { echo "deploy: no certificate fetched for $bundle" >&2; exit 1; }
mv "$bundle.part" "$bundle"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"$venv_bin/chalice" package --stage "$stage" "$out" 2>&1 | tee "$log"
# Chalice only warns when a wheel is missing for the Lambda runtime and goes on
# to build a package that fails at import time in AWS.
if grep -q "Could not install dependencies" "$log"; then
  echo "deploy: chalice left dependencies out of the package (see above); pin versions with manylinux x86_64 wheels for python3.11" >&2
  exit 1
fi

step "4/7 wire the functions to $data_stack (infra/merge.py)"
"$venv_bin/python" infra/merge.py --stage "$stage" --data-stack "$data_stack" "$out/sam.json" --output "$out/template.json"

step "5/7 lint the application stack"
"$venv_bin/cfn-lint" "$out/template.json"

step "6/7 deploy the application stack $app_stack"
aws cloudformation package \
  --template-file "$out/template.json" \
  --s3-bucket "$artifact_bucket" \
  --s3-prefix "$app_stack" \
  --output-template-file "$out/packaged.yaml"
aws cloudformation deploy \
  --stack-name "$app_stack" \
  --template-file "$out/packaged.yaml" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --no-fail-on-empty-changeset

step "7/7 apply the database migrations (dougal-$stage-migrate)"
error="$(aws lambda invoke \
  --function-name "dougal-$stage-migrate" \
  --cli-read-timeout 310 \
  --cli-binary-format raw-in-base64-out \
  --payload '{}' \
  --query FunctionError --output text \
  "$out/migrate.json")"
cat "$out/migrate.json" >&2
echo >&2
if [[ "$error" != "None" ]]; then
  echo "deploy: the migrations failed ($error); the application is deployed but the schema is not current" >&2
  exit 1
fi

endpoint="$(aws cloudformation describe-stacks --stack-name "$app_stack" \
  --query "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue" --output text)"
echo "deployed $app_stack: $endpoint" >&2
