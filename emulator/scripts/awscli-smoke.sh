#!/usr/bin/env bash
# Smoke test of vod-emulator with the real AWS CLI (v1, from PyPI).
#
# - creates a venv (default emulator/target/awscli-venv, override with AWSCLI_VENV) and installs awscli and boto3 into it;
# - builds and starts the emulator binary on a free port with a fresh data dir;
# - runs S3 (mb, cp small, cp >8 MiB = multipart, ls, cp back + compare, rm, rb) and MediaStore
#   (control plane and, through the endpoint DescribeContainer gives, the data plane) commands, and boto3's
#   mediastore-data client through the same endpoint;
# - starts the emulator with AWS's service models (scripts/service-models), so every CLI request is checked against them;
# - runs awscli-cloudfront.sh and awscli-mediaconvert.sh next to this script if they exist, with the same
#   environment (AWS_ENDPOINT_URL and EMULATOR_URL = http://127.0.0.1:PORT, `aws` of the venv first in PATH, AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, AWS_DEFAULT_REGION=us-east-1,
#   PORT, AWS_CLI = path of the aws binary), adding their "N passed, M failed" counts;
# - stops the emulator with SIGTERM and checks it exits cleanly.
# Exits non-zero on any failure; the last line is "N passed, M failed".
set -u

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EMU_DIR="$(dirname "$HERE")"
VENV="${AWSCLI_VENV:-$EMU_DIR/target/awscli-venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vod-emulator-smoke.XXXXXX")"
PASSED=0
FAILED=0
EMU_PID=""

cleanup() {
    if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
        kill -TERM "$EMU_PID" 2>/dev/null
        wait "$EMU_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $1"; }

# check NAME CMD...: runs CMD, passes when it exits 0; shows its output on failure.
check() {
    local name="$1"
    shift
    local out
    if out="$("$@" 2>&1)"; then
        pass "$name"
    else
        fail "$name"
        echo "$out" | tail -20 | sed 's/^/    /'
    fi
}

# check_fails NAME EXPECTED_TEXT CMD...: passes when CMD fails and its output contains EXPECTED_TEXT.
check_fails() {
    local name="$1" expected="$2"
    shift 2
    local out
    if out="$("$@" 2>&1)"; then
        fail "$name (succeeded, expected $expected)"
    elif echo "$out" | grep -q -- "$expected"; then
        pass "$name"
    else
        fail "$name (expected $expected)"
        echo "$out" | tail -20 | sed 's/^/    /'
    fi
}

# check_output NAME EXPECTED_TEXT CMD...: passes when CMD succeeds and prints EXPECTED_TEXT.
check_output() {
    local name="$1" expected="$2"
    shift 2
    local out
    if out="$("$@" 2>&1)" && echo "$out" | grep -q -- "$expected"; then
        pass "$name"
    else
        fail "$name (expected output containing $expected)"
        echo "$out" | tail -20 | sed 's/^/    /'
    fi
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    if [ "$FAILED" -eq 0 ]; then exit 0; else exit 1; fi
}

# --- AWS CLI ---------------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/aws" ] || ! "$VENV/bin/python" -c 'import boto3' 2>/dev/null; then
    echo "installing awscli and boto3 into $VENV"
    if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check awscli boto3; }; then
        fail "install awscli and boto3"
        finish
    fi
fi
AWS="$VENV/bin/aws"
echo "using $("$AWS" --version 2>&1)"

# --- emulator --------------------------------------------------------------------------------------
if ! (cd "$EMU_DIR" && cargo build -q -p vod-emulator --bin vod-emulator); then
    fail "build vod-emulator"
    finish
fi
# The emulator is a member of the vod-pipeline workspace: ask cargo where its target directory is.
TARGET_DIR="${CARGO_TARGET_DIR:-$(cd "$EMU_DIR" && cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
BIN="$TARGET_DIR/debug/vod-emulator"
# Every request the CLI sends is also checked against AWS's service models (downloaded once, see the script).
if ! MODELS="$(bash "$EMU_DIR/scripts/service-models" | tail -1)"; then
    fail "download AWS's service models"
    finish
fi
"$BIN" --listen 127.0.0.1:0 --data-dir "$WORK/data" --deploy-delay 1s --service-models "$MODELS" \
    >"$WORK/emu.out" 2>"$WORK/emu.err" &
EMU_PID=$!
PORT=""
for _ in $(seq 1 100); do
    if grep -q "ready" "$WORK/emu.out" 2>/dev/null; then
        PORT="$(sed -n 's/.*ready on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/emu.out" | head -1)"
        break
    fi
    if ! kill -0 "$EMU_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$PORT" ]; then
    fail "emulator starts"
    cat "$WORK/emu.err"
    finish
fi
pass "emulator starts ($(head -1 "$WORK/emu.out"))"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" EMULATOR_URL="http://127.0.0.1:$PORT" PORT AWS_CLI="$AWS"
export PATH="$VENV/bin:$PATH"
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

# --- S3 ----------------------------------------------------------------------------------------------
echo "hello emulator" >"$WORK/small.txt"
head -c $((9 * 1024 * 1024 + 123)) /dev/urandom >"$WORK/big.bin"
check "s3 mb" "$AWS" s3 mb s3://smoke-bucket
check_fails "s3 mb twice (us-east-1 re-create is OK for the owner; other regions say BucketAlreadyOwnedByYou)" \
    "BucketAlreadyOwnedByYou" "$AWS" --region eu-west-1 s3api create-bucket --bucket smoke-bucket \
    --create-bucket-configuration LocationConstraint=eu-west-1
check "s3 cp small" "$AWS" s3 cp "$WORK/small.txt" s3://smoke-bucket/dir/small.txt --content-type text/plain
check "s3 cp >8 MiB (multipart)" "$AWS" s3 cp "$WORK/big.bin" s3://smoke-bucket/dir/big.bin
check_output "s3 ls" "big.bin" "$AWS" s3 ls s3://smoke-bucket/dir/
check_output "s3api head-object (multipart ETag)" '-2\\"' "$AWS" s3api head-object --bucket smoke-bucket --key dir/big.bin
check "s3 cp back" "$AWS" s3 cp s3://smoke-bucket/dir/big.bin "$WORK/big.out"
check "downloaded bytes match" cmp "$WORK/big.bin" "$WORK/big.out"
check_output "s3api get-object content type" "text/plain" "$AWS" s3api get-object --bucket smoke-bucket --key dir/small.txt "$WORK/small.out"
check "s3api put-bucket-policy" "$AWS" s3api put-bucket-policy --bucket smoke-bucket \
    --policy '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::smoke-bucket/*"}]}'
check_output "s3api get-bucket-policy" "cloudfront.amazonaws.com" "$AWS" s3api get-bucket-policy --bucket smoke-bucket
check_fails "s3 rb non-empty" "BucketNotEmpty" "$AWS" s3 rb s3://smoke-bucket
check_fails "s3api get-object missing key" "NoSuchKey" "$AWS" s3api get-object --bucket smoke-bucket --key nope "$WORK/nope"
check "s3 rm" "$AWS" s3 rm --recursive s3://smoke-bucket/dir/
check "s3 rb" "$AWS" s3 rb s3://smoke-bucket
check_fails "s3 ls missing bucket" "NoSuchBucket" "$AWS" s3 ls s3://smoke-bucket

# --- MediaStore --------------------------------------------------------------------------------------
check_output "mediastore create-container" '"CREATING"' "$AWS" mediastore create-container --container-name smoke_container
check_fails "mediastore create-container twice" "ContainerInUseException" "$AWS" mediastore create-container --container-name smoke_container
check_fails "mediastore create-container bad name" "ValidationException" "$AWS" mediastore create-container --container-name bad-name
sleep 0.4
check_output "mediastore describe-container (ACTIVE, endpoint)" "data.mediastore.us-east-1.localhost" "$AWS" mediastore describe-container --container-name smoke_container
check_output "mediastore list-containers" "smoke_container" "$AWS" mediastore list-containers
# The data plane is addressed the way AWS documents it: through the endpoint DescribeContainer gives
# (here a path-style URL on the emulator's port, http://127.0.0.1:PORT/_mediastore/<id>.data.mediastore.<region>.localhost).
MS_ENDPOINT="$("$AWS" mediastore describe-container --container-name smoke_container --query Container.Endpoint --output text)"
check_output "the endpoint is on the emulator's port" "http://127.0.0.1:$PORT/_mediastore/" echo "$MS_ENDPOINT"
MS_DATA=(--endpoint-url "$MS_ENDPOINT")
check "mediastore put-container-policy" "$AWS" mediastore put-container-policy --container-name smoke_container \
    --policy '{"Version":"2012-10-17","Statement":[{"Sid":"MediaStoreFullAccess","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"mediastore:*","Resource":"arn:aws:mediastore:us-east-1:123456789012:container/smoke_container/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"arn:aws:mediastore:us-east-1:123456789012:container/smoke_container/*"}]}'
check_output "mediastore get-container-policy" "PublicRead" "$AWS" mediastore get-container-policy --container-name smoke_container
check_fails "mediastore get-cors-policy before put" "CorsPolicyNotFoundException" "$AWS" mediastore get-cors-policy --container-name smoke_container
check "mediastore put-cors-policy" "$AWS" mediastore put-cors-policy --container-name smoke_container \
    --cors-policy '[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]'
check_output "mediastore get-cors-policy" "3000" "$AWS" mediastore get-cors-policy --container-name smoke_container
check "mediastore-data put-object" "$AWS" mediastore-data put-object "${MS_DATA[@]}" --path vod/smoke.txt \
    --body "$WORK/small.txt" --content-type text/plain --cache-control max-age=5
check_output "mediastore-data describe-object" "max-age=5" "$AWS" mediastore-data describe-object "${MS_DATA[@]}" --path vod/smoke.txt
check "mediastore-data get-object" "$AWS" mediastore-data get-object "${MS_DATA[@]}" --path vod/smoke.txt "$WORK/ms.out"
check "mediastore-data object bytes match" cmp "$WORK/small.txt" "$WORK/ms.out"
check_output "mediastore-data get-object range" '"StatusCode": 206' "$AWS" mediastore-data get-object "${MS_DATA[@]}" --path vod/smoke.txt --range bytes=0-4 "$WORK/ms.part"
check_output "mediastore-data list-items" '"FOLDER"' "$AWS" mediastore-data list-items "${MS_DATA[@]}"
check_fails "mediastore-data get-object missing" "ObjectNotFoundException" "$AWS" mediastore-data get-object "${MS_DATA[@]}" --path vod/none.txt "$WORK/none"
check_output "anonymous GET allowed by the container policy" "hello emulator" \
    curl -sS --fail "$MS_ENDPOINT/vod/smoke.txt"
check_output "the same object by container name (the emulator's shortcut)" "hello emulator" \
    curl -sS --fail "http://127.0.0.1:$PORT/_mediastore/smoke_container/vod/smoke.txt"
# boto3 too, through the endpoint DescribeContainer gives and nothing else.
check_output "boto3 mediastore-data put, get and delete through the endpoint" "boto3 ok" "$VENV/bin/python" - <<'PY'
import boto3, os
kw = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ms = boto3.client("mediastore", endpoint_url=os.environ["AWS_ENDPOINT_URL"], **kw)
endpoint = ms.describe_container(ContainerName="smoke_container")["Container"]["Endpoint"]
data = boto3.client("mediastore-data", endpoint_url=endpoint, **kw)
data.put_object(Path="vod/boto3.txt", Body=b"hello boto3", ContentType="text/plain")
assert data.get_object(Path="vod/boto3.txt")["Body"].read() == b"hello boto3"
data.delete_object(Path="vod/boto3.txt")
print("boto3 ok", endpoint)
PY
check_fails "mediastore delete-container non-empty" "ContainerInUseException" "$AWS" mediastore delete-container --container-name smoke_container
check "mediastore-data delete-object" "$AWS" mediastore-data delete-object "${MS_DATA[@]}" --path vod/smoke.txt
check "mediastore delete-cors-policy" "$AWS" mediastore delete-cors-policy --container-name smoke_container
check "mediastore delete-container" "$AWS" mediastore delete-container --container-name smoke_container
check_fails "mediastore describe-container deleted" "ContainerNotFoundException" "$AWS" mediastore describe-container --container-name smoke_container

# --- other services' scripts -----------------------------------------------------------------------
for script in awscli-cloudfront.sh awscli-mediaconvert.sh; do
    path="$HERE/$script"
    [ -f "$path" ] || { echo "SKIP: $script (not present)"; continue; }
    echo "--- $script"
    out="$(bash "$path" 2>&1)"
    rc=$?
    echo "$out" | sed 's/^/    /'
    counts="$(echo "$out" | grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' | tail -1)"
    if [ -n "$counts" ]; then
        p="$(echo "$counts" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/')"
        f="$(echo "$counts" | sed -E 's/.* ([0-9]+) failed.*/\1/')"
        PASSED=$((PASSED + p))
        FAILED=$((FAILED + f))
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "$script exited $rc"; fi
    elif [ "$rc" -eq 0 ]; then
        pass "$script"
    else
        fail "$script exited $rc"
    fi
done

# --- clean stop ----------------------------------------------------------------------------------------
kill -TERM "$EMU_PID"
stopped=""
for _ in $(seq 1 100); do
    if ! kill -0 "$EMU_PID" 2>/dev/null; then stopped=yes; break; fi
    sleep 0.1
done
if [ -n "$stopped" ] && wait "$EMU_PID"; then
    pass "emulator stops cleanly on SIGTERM"
else
    fail "emulator stops cleanly on SIGTERM"
    cat "$WORK/emu.err"
fi
EMU_PID=""
finish
