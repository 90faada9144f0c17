#!/usr/bin/env bash
# CloudFront through the AWS CLI (v1) against a running vod-emulator, plus one viewer request to the edge.
#
#   EMULATOR_URL=http://127.0.0.1:4566 scripts/awscli-cloudfront.sh
#
# Environment (set by the caller; defaults in brackets): EMULATOR_URL [http://127.0.0.1:4566],
# AWS_ACCESS_KEY_ID [test], AWS_SECRET_ACCESS_KEY [test], AWS_DEFAULT_REGION [us-east-1].
# The emulator's deploy delay should be short (the default 1 s is fine): the script waits for Deployed.
# Needs: aws (CLI v1), python3 (to read and edit JSON), curl.
# Prints `N passed, M failed` and exits non-zero when anything failed.
set -u

URL="${EMULATOR_URL:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""
PORT="${URL##*:}"
PORT="${PORT%%/*}"
RUN="$(date +%s)-$$"
BUCKET="cf-cli-$$"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1${2:+: $2}"; }

cf() { aws --endpoint-url "$URL" --output json cloudfront "$@"; }
s3api() { aws --endpoint-url "$URL" --output json s3api "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
# expect_error CODE LABEL -- command...: the command must fail with that AWS error code.
expect_error() {
  local code="$1" label="$2"
  shift 3
  local out
  if out=$("$@" 2>&1); then
    ko "$label" "succeeded, expected $code"
  elif echo "$out" | grep -q "($code)"; then
    ok "$label refused with $code"
  else
    ko "$label" "$out"
  fi
}
wait_deployed() {
  local id="$1" status=""
  for _ in $(seq 1 100); do
    status=$(cf get-distribution --id "$id" 2>/dev/null | json "d['Distribution']['Status']")
    [ "$status" = "Deployed" ] && return 0
    sleep 0.2
  done
  return 1
}

# 1. An origin access control for S3.
if out=$(cf create-origin-access-control --origin-access-control-config \
  "Name=oac-$RUN,Description=cli,SigningProtocol=sigv4,SigningBehavior=always,OriginAccessControlOriginType=s3" 2>&1) &&
  OAC=$(echo "$out" | json "d['OriginAccessControl']['Id']") && [ -n "$OAC" ]; then
  ok "create-origin-access-control -> $OAC"
else
  ko "create-origin-access-control" "$out"
  OAC=""
fi

# 2. A cache policy from JSON.
cat >"$WORK/cache-policy.json" <<EOF
{
  "Name": "hls-$RUN",
  "Comment": "HLS from the CLI",
  "DefaultTTL": 5,
  "MaxTTL": 60,
  "MinTTL": 0,
  "ParametersInCacheKeyAndForwardedToOrigin": {
    "EnableAcceptEncodingGzip": false,
    "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Origin"]}},
    "CookiesConfig": {"CookieBehavior": "none"},
    "QueryStringsConfig": {"QueryStringBehavior": "none"}
  }
}
EOF
if out=$(cf create-cache-policy --cache-policy-config "file://$WORK/cache-policy.json" 2>&1) &&
  POLICY=$(echo "$out" | json "d['CachePolicy']['Id']") && POLICY_ETAG=$(echo "$out" | json "d['ETag']"); then
  ok "create-cache-policy -> $POLICY"
else
  ko "create-cache-policy" "$out"
  POLICY=""
  POLICY_ETAG=""
fi
expect_error CachePolicyAlreadyExists "create-cache-policy with a taken name" -- cf create-cache-policy --cache-policy-config "file://$WORK/cache-policy.json"

# 3. Managed policies under their real ids.
if out=$(cf list-cache-policies --type managed 2>&1) && echo "$out" | grep -q '658327ea-f89d-4fab-a63d-7e88639e58f6' &&
  echo "$out" | grep -q '08627262-05a9-4f76-9ded-b50ca2e3a84f'; then
  ok "list-cache-policies --type managed lists CachingOptimized and Elemental-MediaPackage"
else
  ko "list-cache-policies --type managed" "$out"
fi

# 4. A bucket with an object, then a distribution from a JSON config.
s3api create-bucket --bucket "$BUCKET" >/dev/null 2>&1
printf '#EXTM3U\n' >"$WORK/index.m3u8"
s3api put-object --bucket "$BUCKET" --key hls/index.m3u8 --body "$WORK/index.m3u8" --content-type application/vnd.apple.mpegurl >/dev/null 2>&1
cat >"$WORK/distribution.json" <<EOF
{
  "CallerReference": "cli-$RUN",
  "Comment": "from the CLI",
  "Enabled": true,
  "Origins": {"Quantity": 1, "Items": [{
    "Id": "s3",
    "DomainName": "$BUCKET.s3.$AWS_DEFAULT_REGION.amazonaws.com",
    "OriginAccessControlId": "$OAC",
    "S3OriginConfig": {"OriginAccessIdentity": ""}
  }]},
  "DefaultCacheBehavior": {
    "TargetOriginId": "s3",
    "ViewerProtocolPolicy": "redirect-to-https",
    "CachePolicyId": "$POLICY"
  },
  "PriceClass": "PriceClass_100"
}
EOF
if out=$(cf create-distribution --distribution-config "file://$WORK/distribution.json" 2>&1) &&
  DIST=$(echo "$out" | json "d['Distribution']['Id']") && ETAG=$(echo "$out" | json "d['ETag']") &&
  DOMAIN=$(echo "$out" | json "d['Distribution']['DomainName']") && ARN=$(echo "$out" | json "d['Distribution']['ARN']") &&
  [ "$(echo "$out" | json "d['Distribution']['Status']")" = "InProgress" ]; then
  ok "create-distribution -> $DIST ($DOMAIN, InProgress)"
else
  ko "create-distribution" "$out"
  DIST="ENONE"
  ETAG=""
  DOMAIN=""
  ARN=""
fi
case "$DOMAIN" in
  d*.cloudfront.localhost:"$PORT") ok "DomainName is d<13>.cloudfront.localhost:$PORT" ;;
  *) ko "DomainName" "$DOMAIN" ;;
esac
expect_error DistributionAlreadyExists "create-distribution reusing the CallerReference" -- cf create-distribution --distribution-config "file://$WORK/distribution.json"

# 5. get-distribution / get-distribution-config.
if out=$(cf get-distribution --id "$DIST" 2>&1) && [ "$(echo "$out" | json "d['ETag']")" = "$ETAG" ]; then
  ok "get-distribution returns the same ETag"
else
  ko "get-distribution" "$out"
fi
if out=$(cf get-distribution-config --id "$DIST" 2>&1) &&
  [ "$(echo "$out" | json "d['DistributionConfig']['Origins']['Items'][0]['OriginAccessControlId']")" = "$OAC" ] &&
  [ "$(echo "$out" | json "d['DistributionConfig']['PriceClass']")" = "PriceClass_100" ]; then
  echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin)['DistributionConfig']; d['Comment']='updated by the CLI'; json.dump(d, open('$WORK/updated.json','w'))"
  ok "get-distribution-config echoes the config"
else
  ko "get-distribution-config" "$out"
fi

# 6. The edge serves the object once the bucket policy allows this distribution.
cat >"$WORK/policy.json" <<EOF
{"Version": "2012-10-17", "Statement": [{"Sid": "AllowCloudFrontServicePrincipal", "Effect": "Allow",
  "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::$BUCKET/*",
  "Condition": {"StringEquals": {"AWS:SourceArn": "$ARN"}}}]}
EOF
s3api put-bucket-policy --bucket "$BUCKET" --policy "file://$WORK/policy.json" >/dev/null 2>&1
HOST="${DOMAIN%%:*}"
first=$(curl -s -D - -o "$WORK/body1" --resolve "$HOST:$PORT:127.0.0.1" "http://$DOMAIN/hls/index.m3u8" 2>&1)
second=$(curl -s -D - -o "$WORK/body2" --resolve "$HOST:$PORT:127.0.0.1" "http://$DOMAIN/hls/index.m3u8" 2>&1)
if echo "$first" | grep -qi '^x-cache: Miss from cloudfront' && echo "$second" | grep -qi '^x-cache: Hit from cloudfront' &&
  [ "$(cat "$WORK/body2")" = "#EXTM3U" ]; then
  ok "curl http://$DOMAIN/hls/index.m3u8: Miss then Hit"
else
  ko "edge request" "$first / $second"
fi

# 7. update-distribution needs --if-match; the ETag changes.
expect_error InvalidIfMatchVersion "update-distribution without --if-match" -- cf update-distribution --id "$DIST" --distribution-config "file://$WORK/updated.json"
expect_error PreconditionFailed "update-distribution with a wrong --if-match" -- cf update-distribution --id "$DIST" --if-match EWRONGETAG0000 --distribution-config "file://$WORK/updated.json"
if out=$(cf update-distribution --id "$DIST" --if-match "$ETAG" --distribution-config "file://$WORK/updated.json" 2>&1) &&
  NEW_ETAG=$(echo "$out" | json "d['ETag']") && [ "$NEW_ETAG" != "$ETAG" ] &&
  [ "$(echo "$out" | json "d['Distribution']['DistributionConfig']['Comment']")" = "updated by the CLI" ]; then
  ok "update-distribution --if-match: new ETag $NEW_ETAG"
  ETAG="$NEW_ETAG"
else
  ko "update-distribution" "$out"
fi

# 8. An invalidation.
if out=$(cf create-invalidation --distribution-id "$DIST" --paths "/hls/*" 2>&1) &&
  [ "$(echo "$out" | json "d['Invalidation']['Status']")" = "InProgress" ]; then
  ok "create-invalidation /hls/*"
else
  ko "create-invalidation" "$out"
fi

# 9. Deletion rules.
expect_error DistributionNotDisabled "delete-distribution while enabled" -- cf delete-distribution --id "$DIST" --if-match "$ETAG"
expect_error CachePolicyInUse "delete-cache-policy while a distribution uses it" -- cf delete-cache-policy --id "$POLICY" --if-match "$POLICY_ETAG"
expect_error NoSuchDistribution "get-distribution of an unknown id" -- cf get-distribution --id ENOSUCHDIST000
python3 -c "import json; d=json.load(open('$WORK/updated.json')); d['Enabled']=False; json.dump(d, open('$WORK/disabled.json','w'))"
if out=$(cf update-distribution --id "$DIST" --if-match "$ETAG" --distribution-config "file://$WORK/disabled.json" 2>&1) &&
  ETAG=$(echo "$out" | json "d['ETag']") && wait_deployed "$DIST" &&
  cf delete-distribution --id "$DIST" --if-match "$ETAG" >/dev/null 2>&1; then
  ok "disable, wait for Deployed, delete-distribution"
else
  ko "disable and delete" "$out"
fi
if cf delete-cache-policy --id "$POLICY" --if-match "$POLICY_ETAG" >/dev/null 2>&1 &&
  OAC_ETAG=$(cf get-origin-access-control --id "$OAC" | json "d['ETag']") &&
  cf delete-origin-access-control --id "$OAC" --if-match "$OAC_ETAG" >/dev/null 2>&1; then
  ok "delete-cache-policy and delete-origin-access-control once unused"
else
  ko "cleanup of policy and OAC"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
