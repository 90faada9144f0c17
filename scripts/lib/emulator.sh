# Sourced by scripts/demo and scripts/e2e: builds the emulator and the `vod` CLI, and starts the
# emulator on a free port with its data under "$1". Sets $bin, $emu (its pid) and the AWS_* variables
# (explicit credentials, Region and endpoint: nothing reaches for AWS). Stops the emulator on exit.
start_emulator() {
  local work=$1
  cargo build --quiet -p vod-emulator --bin vod-emulator
  cargo build --quiet --workspace --bin vod
  bin=target/debug
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin/vod-emulator" --listen "127.0.0.1:$port" --data-dir "$work/data" --deploy-delay 1s > "$work/emulator.log" 2>&1 &
  emu=$!
  trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do grep -q ready "$work/emulator.log" && break; sleep 0.1; done
  grep -q ready "$work/emulator.log" || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
}
