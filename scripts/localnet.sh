#!/usr/bin/env bash
# A local one-validator chain: CometBFT + depind on 127.0.0.1, in the background.
#
#   scripts/localnet.sh            start (initialises on first run), wait for blocks, print endpoints
#   scripts/localnet.sh stop       stop both processes (state kept)
#   scripts/localnet.sh reset      stop and delete the chain
#   scripts/localnet.sh status     print the latest height
#
# Installs CometBFT (scripts/install-cometbft.sh) and builds depind with cargo when needed.
# Settings: LOCALNET_HOME (default .localnet), CHAIN_ID (default depin-local-1).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
home="${LOCALNET_HOME:-$root/.localnet}"
chain_id="${CHAIN_ID:-depin-local-1}"
rpc="127.0.0.1:26657"
cmd="${1:-start}"

stop() {
  for p in cometbft depind; do
    if [ -f "$home/$p.pid" ]; then
      kill "$(cat "$home/$p.pid")" 2>/dev/null || true
      rm -f "$home/$p.pid"
    fi
  done
}

height() {
  curl -s "http://$rpc/status" 2>/dev/null \
    | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'
}

case "$cmd" in
  stop) stop; echo "stopped (state kept in $home)"; exit 0 ;;
  reset) stop; rm -rf "$home"; echo "removed $home"; exit 0 ;;
  status) echo "height: $(height)"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 [start|stop|reset|status]" >&2; exit 2 ;;
esac

command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 1; }
cometbft="$(scripts/install-cometbft.sh | tail -n 1)"
echo "building depind (cargo build -p depin-simapp)..." >&2
cargo build -q -p depin-simapp --bin depind
depind="$root/target/debug/depind"

if [ ! -f "$home/config/app.toml" ]; then
  mkdir -p "$home"
  "$cometbft" init --home "$home" >/dev/null
  "$depind" init localnet --chain-id "$chain_id" --home "$home" >/dev/null
  "$depind" keys add demo --keyring-backend test --home "$home" --output json > "$home/demo-key.json"
  "$depind" genesis add-account demo 1000000000000udepin --home "$home" >/dev/null
  "$depind" genesis validate --home "$home" >/dev/null
  # One-second blocks, RPC and P2P on loopback only, every event indexed for tx_search.
  sed -i \
    -e 's/^timeout_commit = .*/timeout_commit = "1s"/' \
    -e 's#^laddr = "tcp://0.0.0.0:26656"#laddr = "tcp://127.0.0.1:26656"#' \
    "$home/config/config.toml"
fi

if [ -f "$home/depind.pid" ] && kill -0 "$(cat "$home/depind.pid")" 2>/dev/null; then
  echo "already running (scripts/localnet.sh stop to stop it)"
else
  "$depind" start --home "$home" > "$home/depind.log" 2>&1 &
  echo $! > "$home/depind.pid"
  sleep 0.5
  "$cometbft" start --home "$home" --proxy_app tcp://127.0.0.1:26658 \
    --rpc.laddr "tcp://$rpc" > "$home/cometbft.log" 2>&1 &
  echo $! > "$home/cometbft.pid"
fi

for _ in $(seq 1 60); do
  h="$(height)"
  if [ -n "$h" ] && [ "$h" -ge 2 ]; then break; fi
  sleep 1
done
h="$(height)"
if [ -z "$h" ] || [ "$h" -lt 2 ]; then
  echo "the chain did not produce blocks; see $home/depind.log and $home/cometbft.log" >&2
  exit 1
fi

demo="$("$depind" keys show demo -a --keyring-backend test --home "$home")"
mnemonic="$(sed -n 's/.*"mnemonic":"\([^"]*\)".*/\1/p' "$home/demo-key.json")"
cat <<TXT
depin localnet '$chain_id' is producing blocks (height $h).
  CometBFT RPC   http://$rpc
  gRPC           127.0.0.1:9090
  REST (LCD)     http://127.0.0.1:1317
  home           $home   (logs: depind.log, cometbft.log)
  demo account   $demo  (1000000udepin x 10^6; key 'demo', keyring-backend test)
  demo mnemonic  $mnemonic
                 (also in $home/demo-key.json)

Try:
  $depind query bank balances $demo --home $home
  $depind tx bank send demo <address> 1000udepin --home $home --gas auto --wait
Stop with scripts/localnet.sh stop.
TXT
