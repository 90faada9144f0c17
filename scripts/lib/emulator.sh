# Sourced by scripts/demo and scripts/e2e: builds the emulator and the `vod` CLI, and starts the
# emulator on a free port with its data under "$1". Sets $bin (where cargo put the binaries, which
# honours CARGO_TARGET_DIR), $emu (its pid) and the AWS_* variables (explicit credentials, Region and
# endpoint: nothing reaches for AWS). Stops the emulator on exit.
start_emulator() {
  local work=$1
  echo "$(basename "$0"): building vod-emulator and vod (cargo's progress follows; the first build takes 3 to 5 minutes on 2 cores, later ones seconds)" >&2
  # One build of both (one feature resolution): two would compile the AWS SDK crates twice.
  cargo build --workspace --bin vod-emulator --bin vod
  bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The log exists before the emulator starts, so that the wait below never reads a missing file.
  : > "$work/emulator.log"
  "$bin/vod-emulator" --listen "127.0.0.1:$port" --data-dir "$work/data" --deploy-delay 1s >> "$work/emulator.log" 2>&1 &
  emu=$!
  trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null || true' EXIT
  # Ctrl-C (or a TERM) sent to this script alone stops the emulator too: with a trap set, `wait`
  # returns at once, the trap exits, and the EXIT trap above stops the emulator.
  trap 'echo "$(basename "$0"): stopping the emulator" >&2; exit 130' INT TERM
  for _ in $(seq 1 100); do grep -qs ready "$work/emulator.log" && break; sleep 0.1; done
  grep -qs ready "$work/emulator.log" || { cat "$work/emulator.log"; echo "the emulator did not start" >&2; exit 1; }
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
}
