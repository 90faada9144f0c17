#!/usr/bin/env bash
# MediaConvert through the AWS CLI (v1) against a running vod-emulator.
#
#   EMULATOR_URL=http://127.0.0.1:4566 scripts/awscli-mediaconvert.sh
#
# Environment (set by the caller; defaults in brackets): EMULATOR_URL [http://127.0.0.1:4566],
# AWS_ACCESS_KEY_ID [test], AWS_SECRET_ACCESS_KEY [test], AWS_DEFAULT_REGION [us-east-1].
# Needs: aws (CLI v1), ffmpeg (to make a 2 s test clip), python3 (to read JSON).
# Prints `N passed, M failed` and exits non-zero when anything failed.
set -u

URL="${EMULATOR_URL:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_PAGER=""
ROLE="arn:aws:iam::123456789012:role/MediaConvertRole"
RUN="$(date +%s)-$$"
BUCKET="mc-cli-$$"
TEMPLATE="cli-template-$RUN"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $1"; }
ko() { fail=$((fail + 1)); echo "FAIL - $1${2:+: $2}"; }

mc() { aws --endpoint-url "$URL" --output json mediaconvert "$@"; }
s3() { aws --endpoint-url "$URL" s3 "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }

# 1. list-queues: the Default queue.
if out=$(mc list-queues 2>&1) && [ "$(echo "$out" | json "d['Queues'][0]['Arn']")" = "arn:aws:mediaconvert:$AWS_DEFAULT_REGION:123456789012:queues/Default" ]; then
  ok "list-queues shows the Default queue"
else
  ko "list-queues" "$out"
fi

# 2. describe-endpoints answers with the emulator's URL.
if out=$(mc describe-endpoints 2>&1) && [ "$(echo "$out" | json "d['Endpoints'][0]['Url']")" = "$URL" ]; then
  ok "describe-endpoints returns $URL"
else
  ko "describe-endpoints" "$out"
fi

# 3. create-job-template / get-job-template.
cat >"$WORK/template-settings.json" <<EOF
{
  "OutputGroups": [{
    "Name": "Apple HLS",
    "OutputGroupSettings": {"Type": "HLS_GROUP_SETTINGS",
      "HlsGroupSettings": {"Destination": "s3://$BUCKET/hls/", "SegmentLength": 2, "MinSegmentLength": 0}},
    "Outputs": [
      {"NameModifier": "_360p", "ContainerSettings": {"Container": "M3U8"},
       "VideoDescription": {"Width": 640, "Height": 360, "CodecSettings": {"Codec": "H_264",
         "H264Settings": {"RateControlMode": "QVBR", "MaxBitrate": 1000000, "GopSize": 1, "GopSizeUnits": "SECONDS"}}},
       "AudioDescriptions": [{"CodecSettings": {"Codec": "AAC", "AacSettings": {"Bitrate": 64000, "SampleRate": 48000, "CodingMode": "CODING_MODE_2_0"}}}]},
      {"NameModifier": "_180p", "ContainerSettings": {"Container": "M3U8"},
       "VideoDescription": {"Width": 320, "Height": 180, "CodecSettings": {"Codec": "H_264",
         "H264Settings": {"RateControlMode": "QVBR", "MaxBitrate": 400000, "GopSize": 1, "GopSizeUnits": "SECONDS"}}},
       "AudioDescriptions": [{"CodecSettings": {"Codec": "AAC", "AacSettings": {"Bitrate": 64000, "SampleRate": 48000, "CodingMode": "CODING_MODE_2_0"}}}]}
    ]
  }]
}
EOF
if out=$(mc create-job-template --name "$TEMPLATE" --settings "file://$WORK/template-settings.json" 2>&1); then
  ok "create-job-template $TEMPLATE"
else
  ko "create-job-template" "$out"
fi
if out=$(mc get-job-template --name "$TEMPLATE" 2>&1) && [ "$(echo "$out" | json "d['JobTemplate']['Settings']['OutputGroups'][0]['Outputs'][1]['NameModifier']")" = "_180p" ]; then
  ok "get-job-template echoes the settings"
else
  ko "get-job-template" "$out"
fi
if out=$(mc get-job-template --name "no-such-template-$RUN" 2>&1); then
  ko "get-job-template of a missing template should fail" "$out"
elif echo "$out" | grep -q NotFoundException; then
  ok "get-job-template of a missing template: NotFoundException"
else
  ko "get-job-template of a missing template" "$out"
fi

# 4. An input uploaded with `aws s3 cp`.
if ! command -v ffmpeg >/dev/null; then
  ko "ffmpeg not found on PATH: install it (apt-get install ffmpeg)"
else
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=30:duration=2 \
    -f lavfi -i sine=frequency=440:sample_rate=48000:duration=2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    -c:a aac -shortest "$WORK/sample.mp4"
  if out=$(s3 mb "s3://$BUCKET" 2>&1) && out=$(s3 cp "$WORK/sample.mp4" "s3://$BUCKET/in/sample.mp4" 2>&1); then
    ok "aws s3 cp of the input"
  else
    ko "aws s3 mb/cp" "$out"
  fi
fi

# 5. create-job from a JSON file (using the template's output groups), get-job until COMPLETE, list-jobs.
cat >"$WORK/job.json" <<EOF
{
  "Role": "$ROLE",
  "JobTemplate": "$TEMPLATE",
  "UserMetadata": {"run": "$RUN"},
  "Settings": {"Inputs": [{"FileInput": "s3://$BUCKET/in/sample.mp4",
    "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}}}]}
}
EOF
JOB=""
if out=$(mc create-job --cli-input-json "file://$WORK/job.json" 2>&1) && JOB=$(echo "$out" | json "d['Job']['Id']") && [ -n "$JOB" ]; then
  ok "create-job --cli-input-json: $JOB"
else
  ko "create-job" "$out"
fi
status=""
if [ -n "$JOB" ]; then
  for _ in $(seq 1 120); do
    out=$(mc get-job --id "$JOB" 2>&1) || break
    status=$(echo "$out" | json "d['Job']['Status']")
    case "$status" in COMPLETE | ERROR | CANCELED) break ;; esac
    sleep 0.5
  done
  if [ "$status" = "COMPLETE" ]; then
    ok "get-job reaches COMPLETE"
  else
    ko "get-job did not reach COMPLETE (status $status)" "$out"
  fi
  if out=$(mc list-jobs --max-results 20 2>&1) && echo "$out" | json "[j['Id'] for j in d['Jobs']]" | grep -q "$JOB"; then
    ok "list-jobs lists $JOB"
  else
    ko "list-jobs" "$out"
  fi
  if out=$(mc list-jobs --status COMPLETE 2>&1) && [ "$(echo "$out" | json "all(j['Status'] == 'COMPLETE' for j in d['Jobs'])")" = "True" ]; then
    ok "list-jobs --status COMPLETE filters"
  else
    ko "list-jobs --status COMPLETE" "$out"
  fi
fi

# 6. The outputs are in the bucket.
if out=$(s3 ls "s3://$BUCKET/hls/" 2>&1) && echo "$out" | grep -q " sample.m3u8" && echo "$out" | grep -q "sample_180p_00001.ts"; then
  ok "outputs: sample.m3u8 and sample_180p_00001.ts"
else
  ko "outputs in s3://$BUCKET/hls/" "$out"
fi
if out=$(s3 cp "s3://$BUCKET/hls/sample.m3u8" - 2>&1) && echo "$out" | grep -q "RESOLUTION=320x180"; then
  ok "master playlist lists the 320x180 rendition"
else
  ko "master playlist" "$out"
fi

# 7. Errors.
if out=$(mc get-job --id "1700000000000-nojob0" 2>&1); then
  ko "get-job of a missing job should fail" "$out"
elif echo "$out" | grep -q NotFoundException; then
  ok "get-job of a missing job: NotFoundException"
else
  ko "get-job of a missing job" "$out"
fi
if out=$(mc create-job --role "not-a-role" --settings "{}" 2>&1); then
  ko "create-job with a bad role should fail" "$out"
elif echo "$out" | grep -q BadRequestException; then
  ok "create-job with a bad role: BadRequestException"
else
  ko "create-job with a bad role" "$out"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
