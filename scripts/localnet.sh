#!/usr/bin/env bash
# A local chain: CometBFT + depind on 127.0.0.1, in the background. One validator by default;
# with --validators N (N > 1), N validators made by `depind testnet` (N cometbft + N depind
# processes, homes <home>/node0 .. node<N-1>).
#
#   scripts/localnet.sh [--validators N] [--preset P]
#                                          start (initialises on first run), wait for blocks, print endpoints;
#                                          P: a seed network's genesis (iot, compute, storage, identity;
#                                          `depind preset list`), applied when the chain is made
#   scripts/localnet.sh init [--validators N] [--preset P]
#                                          make the chain without starting it: edit its genesis
#                                          (depind genesis add-maker|set-param|add-account), then start
#   scripts/localnet.sh stop               stop every process (state kept)
#   scripts/localnet.sh reset              stop and delete the chain
#   scripts/localnet.sh status             print the latest height (of each node)
#
# Installs CometBFT (scripts/install-cometbft.sh) and builds depind with cargo when needed.
# Settings: LOCALNET_HOME (default .localnet), CHAIN_ID (default depin-local-1),
# DEPIND (a depind binary to use instead of building one), COMETBFT (a cometbft binary),
# LOCALNET_PORT (default 26656; with one validator the defaults are P2P 26656, RPC 26657,
# ABCI 26658, gRPC 9090, REST 1317 unless LOCALNET_PORT is set): node i uses LOCALNET_PORT+10i (p2p),
# +1 (RPC), +2 (ABCI), +3 (gRPC), +4 (REST).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
home="${LOCALNET_HOME:-$root/.localnet}"
chain_id="${CHAIN_ID:-depin-local-1}"
rpc="127.0.0.1:26657"
p2p="127.0.0.1:26656"
abci="127.0.0.1:26658"
grpc="127.0.0.1:9090"
api="127.0.0.1:1317"
if [ -n "${LOCALNET_PORT:-}" ]; then
  p2p="127.0.0.1:$LOCALNET_PORT"
  rpc="127.0.0.1:$((LOCALNET_PORT + 1))"
  abci="127.0.0.1:$((LOCALNET_PORT + 2))"
  grpc="127.0.0.1:$((LOCALNET_PORT + 3))"
  api="127.0.0.1:$((LOCALNET_PORT + 4))"
fi
cmd="start"
validators=""
preset=""
base_port="${LOCALNET_PORT:-26656}"
while [ $# -gt 0 ]; do
  case "$1" in
    --validators) validators="${2:?--validators takes a number}"; shift 2 ;;
    --validators=*) validators="${1#*=}"; shift ;;
    --preset) preset="${2:?--preset takes a name: iot, compute, storage or identity}"; shift 2 ;;
    --preset=*) preset="${1#*=}"; shift ;;
    start|init|stop|reset|status) cmd="$1"; shift ;;
    *) echo "usage: $0 [start|init|stop|reset|status] [--validators N] [--preset NAME]" >&2; exit 2 ;;
  esac
done
# An existing chain keeps the number of validators it was made with (a one-validator home
# made before the validators file existed counts as 1).
if [ ! -f "$home/validators" ] && [ -f "$home/config/app.toml" ]; then
  echo 1 > "$home/validators"
fi
# A preset applies when the chain is made; the chain remembers it ($home/preset), and asking
# for another one later is an error rather than silently ignored.
if [ -n "$preset" ] && [ -f "$home/validators" ] && { [ "$cmd" = start ] || [ "$cmd" = init ]; } \
  && [ "$(cat "$home/preset" 2>/dev/null || true)" != "$preset" ]; then
  made_with="$(cat "$home/preset" 2>/dev/null || true)"
  echo "$home was made with ${made_with:-no preset}, not preset $preset: scripts/localnet.sh reset first" >&2
  exit 2
fi
if [ -f "$home/validators" ]; then
  made="$(cat "$home/validators")"
  if [ -n "$validators" ] && [ "$validators" != "$made" ] && { [ "$cmd" = start ] || [ "$cmd" = init ]; }; then
    echo "$home was made with $made validator(s): scripts/localnet.sh reset first" >&2
    exit 1
  fi
  validators="$made"
fi
validators="${validators:-1}"
case "$validators" in
  ''|*[!0-9]*|0) echo "--validators must be a positive number" >&2; exit 2 ;;
esac

# The homes holding pid files: the home itself (one validator) or node0 .. node<N-1>.
node_homes() {
  if [ "$validators" = 1 ]; then
    echo "$home"
  else
    for i in $(seq 0 $((validators - 1))); do echo "$home/node$i"; done
  fi
}

stop() {
  for h in $(node_homes); do
    for p in cometbft depind; do
      if [ -f "$h/$p.pid" ]; then
        kill "$(cat "$h/$p.pid")" 2>/dev/null || true
        rm -f "$h/$p.pid"
      fi
    done
  done
}

# The latest height at $rpc, or nothing while the node does not answer (never a failure: the
# callers poll it under set -e and pipefail).
height() {
  { curl -s "http://$rpc/status" 2>/dev/null || true; } \
    | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'
}

node_rpc() { echo "127.0.0.1:$((base_port + 1 + 10 * $1))"; }

# The height at $rpc, only if our node answers there (not another chain's on the same port).
our_height() {
  # Read the whole answer first: grep -q leaving a pipe early would fail it under pipefail.
  local status
  status="$(curl -s "http://$rpc/status" 2>/dev/null || true)"
  case "$status" in
    *"\"id\":\"$node0_id\""*) height ;;
  esac
}

case "$cmd" in
  stop) stop; echo "stopped (state kept in $home)"; exit 0 ;;
  reset) stop; rm -rf "$home"; echo "removed $home"; exit 0 ;;
  status)
    if [ "$validators" = 1 ]; then
      echo "height: $(height)"
    else
      for i in $(seq 0 $((validators - 1))); do
        rpc="$(node_rpc "$i")"
        echo "node$i height: $(height)"
      done
    fi
    exit 0 ;;
  start|init) ;;
esac

command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 1; }
if [ -n "${COMETBFT:-}" ]; then
  cometbft="$COMETBFT"
else
  cometbft="$(scripts/install-cometbft.sh | tail -n 1)"
fi
if [ -n "${DEPIND:-}" ]; then
  depind="$DEPIND"
else
  echo "building depind (cargo build -p depin-simapp)..." >&2
  cargo build -q -p depin-simapp --bin depind
  depind="${CARGO_TARGET_DIR:-$root/target}/debug/depind"
fi

if [ "$validators" -gt 1 ]; then
  if [ ! -f "$home/validators" ]; then
    mkdir -p "$home"
    "$depind" testnet --validators "$validators" --output-dir "$home" --chain-id "$chain_id" \
      --starting-port "$base_port" --cometbft "$cometbft" ${preset:+--preset "$preset"} \
      --output json > "$home/testnet.json"
    echo "$validators" > "$home/validators"
    if [ -n "$preset" ]; then echo "$preset" > "$home/preset"; fi
    made_now=1
  fi
  if [ "$cmd" = init ]; then
    if [ -z "${made_now:-}" ]; then
      echo "$home already holds a chain (scripts/localnet.sh reset to start over)"
      exit 0
    fi
    echo "made $validators validator homes in $home (node0 .. node$((validators - 1))), not started:"
    echo "edit node0's genesis (depind genesis ... --home $home/node0); the first start copies it"
    echo "to every node. Start with scripts/localnet.sh"
    exit 0
  fi
  # Before the first start, node0's genesis (perhaps edited after init) is every node's.
  if [ ! -f "$home/started" ]; then
    for h in $(node_homes); do
      [ "$h" = "$home/node0" ] || cp "$home/node0/config/genesis.json" "$h/config/genesis.json"
    done
    touch "$home/started"
  fi
  for h in $(node_homes); do
    if [ -f "$h/depind.pid" ] && kill -0 "$(cat "$h/depind.pid")" 2>/dev/null; then
      echo "$(basename "$h") already running"
      continue
    fi
    "$depind" start --home "$h" > "$h/depind.log" 2>&1 &
    echo $! > "$h/depind.pid"
  done
  sleep 0.5
  for h in $(node_homes); do
    if [ -f "$h/cometbft.pid" ] && kill -0 "$(cat "$h/cometbft.pid")" 2>/dev/null; then
      continue
    fi
    # config.toml (written by depind testnet) holds each node's ports and peers.
    "$cometbft" start --home "$h" > "$h/cometbft.log" 2>&1 &
    echo $! > "$h/cometbft.pid"
  done
  rpc="$(node_rpc 0)"
  node0_id="$("$cometbft" show-node-id --home "$home/node0")"
  for _ in $(seq 1 90); do
    h="$(our_height || true)"
    if [ -n "$h" ] && [ "$h" -ge 2 ]; then break; fi
    for n in $(node_homes); do
      for p in depind cometbft; do
        if ! kill -0 "$(cat "$n/$p.pid")" 2>/dev/null; then
          echo "$p of $(basename "$n") exited (a port in use? set LOCALNET_PORT); see $n/$p.log" >&2
          stop
          exit 1
        fi
      done
    done
    sleep 1
  done
  h="$(our_height || true)"
  if [ -z "$h" ] || [ "$h" -lt 2 ]; then
    echo "the chain did not produce blocks; see $home/node*/depind.log and cometbft.log" >&2
    exit 1
  fi
  echo "depin localnet '$chain_id' with $validators validators is producing blocks (height $h)."
  for i in $(seq 0 $((validators - 1))); do
    base=$((base_port + 10 * i))
    echo "  node$i  RPC http://127.0.0.1:$((base + 1))  gRPC 127.0.0.1:$((base + 3))  REST http://127.0.0.1:$((base + 4))  p2p $base  home $home/node$i"
    echo "         key node$i: $("$depind" keys show "node$i" -a --keyring-backend test --home "$home/node$i")  (mnemonic in $home/node$i/key_seed.json)"
  done
  cat <<TXT

Try:
  $depind query staking validators --node tcp://$rpc --home $home/node0
  $depind tx staking delegate <depinvaloper1...> 1000000udepin --from node0 --home $home/node0 --node tcp://$rpc --gas auto --wait
Stop with scripts/localnet.sh stop.
TXT
  exit 0
fi

if [ ! -f "$home/config/app.toml" ]; then
  mkdir -p "$home"
  "$cometbft" init --home "$home" >/dev/null
  "$depind" init localnet --chain-id "$chain_id" --home "$home" ${preset:+--preset "$preset"} >/dev/null
  "$depind" keys add demo --keyring-backend test --home "$home" --output json > "$home/demo-key.json"
  "$depind" genesis add-account demo 1000000000000udepin --home "$home" >/dev/null
  "$depind" genesis validate --home "$home" >/dev/null
  echo 1 > "$home/validators"
  if [ -n "$preset" ]; then echo "$preset" > "$home/preset"; fi
  made_now=1
  # One-second blocks, RPC and P2P on loopback only, every event indexed for tx_search.
  sed -i \
    -e 's/^timeout_commit = .*/timeout_commit = "1s"/' \
    -e "s#^laddr = \"tcp://0.0.0.0:26656\"#laddr = \"tcp://$p2p\"#" \
    "$home/config/config.toml"
fi
if [ "$cmd" = init ]; then
  if [ -z "${made_now:-}" ]; then
    echo "$home already holds a chain (scripts/localnet.sh reset to start over)"
    exit 0
  fi
  echo "made the chain in $home (not started): edit its genesis, e.g."
  echo "  $depind genesis set-param rewards epoch_blocks 10 --home $home"
  echo "then start it with scripts/localnet.sh"
  exit 0
fi

if [ -f "$home/depind.pid" ] && kill -0 "$(cat "$home/depind.pid")" 2>/dev/null; then
  echo "already running (scripts/localnet.sh stop to stop it)"
else
  "$depind" start --home "$home" --abci "tcp://$abci" --grpc "$grpc" --api "$api" \
    --rpc "tcp://$rpc" > "$home/depind.log" 2>&1 &
  echo $! > "$home/depind.pid"
  sleep 0.5
  "$cometbft" start --home "$home" --proxy_app "tcp://$abci" \
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
  gRPC           $grpc
  REST (LCD)     http://$api
  home           $home   (logs: depind.log, cometbft.log)
  demo account   $demo  (1000000udepin x 10^6; key 'demo', keyring-backend test)
  demo mnemonic  $mnemonic
                 (also in $home/demo-key.json)

Try:
  $depind query bank balances $demo --home $home --node tcp://$rpc
  $depind tx bank send demo <address> 1000udepin --home $home --node tcp://$rpc --gas auto --wait
Stop with scripts/localnet.sh stop.
TXT
