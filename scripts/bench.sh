#!/usr/bin/env bash
# The benchmark suite of issue 6: builds the `release` preset, runs every scenario on SQLite
# and on PostgreSQL (a throwaway server it starts itself), and prints one table.
#
#   scripts/bench.sh                      full run (20–30 minutes on 2 cores)
#   scripts/bench.sh --smoke              reduced run (seconds); what CTest's bench.smoke runs
#   options: --stores sqlite,postgres     which stores (default both; postgres is skipped with
#                                         a note when no PostgreSQL server binaries exist)
#            --bin-dir DIR --axon PATH    use already built tools instead of building
#            --results FILE               also keep the raw RESULT lines here, and the
#                                         soak's samples over time in FILE.samples
#            --only a,b                   only these of: ceiling drain https ingest latency noisy
#                                         tenants backlog scaleout soak e2e e2e_batch
#                                         ingest_alone batch_alone api_latency hotpath (https =
#                                         the HTTPS drain, compared with drain; scaleout =
#                                         PostgreSQL drain with 2 and 3 nodes; tenants = the
#                                         noisy-tenant run; hotpath = the database's CPU
#                                         for the store's ingest, claim and outcome alone;
#                                         outbox = 4 producers calling axon.emit_event)
#   env BENCH_NOISY_NO_LIMITS=0           skip the noisy-neighbour run without endpoint limits
#   env BENCH_SOAK_SECONDS=1800           soak length (full run default 60, smoke 3)
#   env BENCH_SOAK_RATE=200               soak events/s, 10 deliveries each (default 200)
#   env BENCH_SOAK_RETENTION=5m           serve --retention during the soak (default 5m)
#
# The smoke run asserts only that every scenario ran and produced numbers, never a speed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

smoke=0; stores="sqlite,postgres"; bin_dir=""; axon=""; results_copy=""
only="ceiling,drain,https,ingest,latency,noisy,tenants,backlog,scaleout,soak,e2e,e2e_batch,ingest_alone,batch_alone,api_latency,hotpath,outbox"
while (($#)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --stores) stores=$2; shift ;;
    --bin-dir) bin_dir=$2; shift ;;
    --axon) axon=$2; shift ;;
    --results) results_copy=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ -z $bin_dir ]]; then
  export CCACHE_DIR=${CCACHE_DIR:-$ROOT/build/.ccache}
  echo "== building the release preset (bench tools + axon-webhooks)" >&2
  cmake --preset release -DAXON_BUILD_TESTS=OFF -DAXON_BUILD_BENCH=ON >/dev/null
  cmake --build --preset release --target bench_tools >&2
  bin_dir=$ROOT/build/release/bench
  axon=$ROOT/build/release/axon-webhooks
fi
[[ -z $axon ]] && axon=$(dirname "$bin_dir")/axon-webhooks
for tool in "$bin_dir/bench_loadgen" "$bin_dir/bench_blaster" "$bin_dir/bench_receiver" \
  "$bin_dir/bench_store_hot_path" "$axon"; do
  [[ -x $tool ]] || { echo "bench.sh: missing $tool" >&2; exit 1; }
done

# --- sizes: full run vs smoke ---
if ((smoke)); then
  CEIL_S=1; DRAIN_EVENTS=300; INGEST_S=1; LAT_S=2; NOISY_EVENTS=300
  BACKLOG_SMALL=100; BACKLOG_BIG=1000; WARMUP=0.2; HANG_TIMEOUT=3s; E2E_EVENTS=300
  NOISY_TENANT_ENDPOINTS=100
else
  CEIL_S=10; DRAIN_EVENTS=10000; INGEST_S=10; LAT_S=30; NOISY_EVENTS=10000
  BACKLOG_SMALL=1000; BACKLOG_BIG=100000; WARMUP=1; HANG_TIMEOUT=60s; E2E_EVENTS=20000
  NOISY_TENANT_ENDPOINTS=1000
fi
# Soak: a steady load with a short retention; store size, RSS and descriptors sampled.
if ((smoke)); then SOAK_S=3; SOAK_RATE=20; SOAK_RETENTION=2s; SOAK_SAMPLE=1
else SOAK_S=60; SOAK_RATE=200; SOAK_RETENTION=5m; SOAK_SAMPLE=10; fi
SOAK_S=${BENCH_SOAK_SECONDS:-$SOAK_S}
SOAK_RATE=${BENCH_SOAK_RATE:-$SOAK_RATE}
SOAK_RETENTION=${BENCH_SOAK_RETENTION:-$SOAK_RETENTION}
RECEIVER_THREADS=2
NOISY_ENDPOINT_OPTIONS='"max_in_flight":64'
NOISY_NO_LIMITS=${BENCH_NOISY_NO_LIMITS:-1}  # 0 skips the "hang, no limits" run
CEIL_CONCURRENCY=64

work=$(mktemp -d "${TMPDIR:-/tmp}/axon-benchsh-XXXXXX")
chmod 755 "$work"
results=$work/results.txt; samples=$work/samples.txt; log=$work/bench.log
: >"$results"; : >"$samples"
pg_dir=""; pg_ctl_user=()

cleanup() {
  if [[ -n $pg_dir ]]; then
    "${pg_ctl_user[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m immediate stop \
      >/dev/null 2>&1 || true
  fi
  if [[ -n $results_copy ]]; then
    cp "$results" "$results_copy" 2>/dev/null || true
    [[ -s $samples ]] && cp "$samples" "$results_copy.samples" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts a throwaway PostgreSQL 15 on 127.0.0.1 (unprivileged user when we are root).
pg_port=""
start_postgres() {
  local bin=/usr/lib/postgresql/15/bin
  [[ -x $bin/initdb ]] || return 1
  pg_dir=$work/pg; mkdir -p "$pg_dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$pg_dir"
    pg_ctl_user=(runuser -u postgres --)
  fi
  pg_port=$(free_port)
  "${pg_ctl_user[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 \
    >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; return 1; }
  "${pg_ctl_user[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200" \
    start >/dev/null || { cat "$pg_dir/server.log" >&2; return 1; }
}

# Prints the --db argument for a fresh database of `store` (runs in a subshell: the name
# must be unique without shared state).
fresh_db() {
  if [[ $1 == sqlite ]]; then echo sqlite; return; fi
  local name; name=bench_$(date +%s%N)
  /usr/lib/postgresql/15/bin/psql -q -h 127.0.0.1 -p "$pg_port" -U postgres \
    -c "CREATE DATABASE $name" >/dev/null
  echo "postgres://postgres@127.0.0.1:$pg_port/$name"
}

# run LABEL STORE SUFFIX_KEY CMD…: runs a tool, keeps its RESULT lines tagged with the label
# (plus the value of SUFFIX_KEY when the tool prints several lines), logs the rest.
run() {
  local label=$1 store=$2 suffix_key=$3; shift 3
  echo "== $label on $store: $*" >>"$log"
  printf '== %-12s %-9s ' "$label" "$store" >&2
  local out rc=0 start=$SECONDS
  out=$("$@" 2>>"$log") || rc=$?
  echo "$out" >>"$log"
  while read -r line; do
    [[ $line == RESULT* ]] || continue
    local tag=$label
    if [[ $suffix_key != - ]]; then
      tag+=$(sed -n "s/.* $suffix_key=\([^ ]*\).*/\1/p" <<<"$line")
    fi
    echo "$tag $store ${line#RESULT }" >>"$results"
  done <<<"$out"
  grep '^SAMPLE' <<<"$out" >>"$samples" || true
  echo "rc=$rc $((SECONDS - start))s" >&2
  return 0
}

db_pid_args=()  # --db-pid POSTMASTER: the load generator then also reports PostgreSQL's CPU
loadgen() {
  "$bin_dir/bench_loadgen" --axon "$axon" --receiver-threads "$RECEIVER_THREADS" \
    "${db_pid_args[@]}" "$@"
}

# Scenario 5: blaster → receiver, no store (needs no server; same for both stores).
ceiling() {
  local rfile=$work/receiver.out
  "$bin_dir/bench_receiver" --ports 10 --threads "$RECEIVER_THREADS" --no-record >"$rfile" &
  local rpid=$!
  for _ in $(seq 100); do [[ -s $rfile ]] && break; sleep 0.05; done
  local ports; ports=$(head -1 "$rfile" | cut -d' ' -f2- | tr ' ' ',')
  run ceiling - - "$bin_dir/bench_blaster" --port-list "$ports" \
    --concurrency "$CEIL_CONCURRENCY" --seconds "$CEIL_S" --warmup "$WARMUP"
  kill -TERM "$rpid"; wait "$rpid" || true
}

want() { [[ ",$only," == *",$1,"* ]]; }

scenarios_for() {
  local s=$1
  db_pid_args=()
  [[ $s == postgres ]] && db_pid_args=(--db-pid "$(head -1 "$pg_dir/data/postmaster.pid")")
  want drain && run drain "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
    --events "$DRAIN_EVENTS"
  # The same drain to a TLS receiver (keep-alive, session tickets), right after the plain one.
  want https && run drain_https "$s" - loadgen --scenario drain --tls --store "$s" \
    --db "$(fresh_db "$s")" --events "$DRAIN_EVENTS"
  want ingest && run ingest "$s" clients loadgen --scenario ingest --store "$s" \
    --db "$(fresh_db "$s")" --clients 1,32 --seconds "$INGEST_S"
  want latency && run lat "$s" events_per_s loadgen --scenario latency --store "$s" \
    --db "$(fresh_db "$s")" --rates 50,1000 --seconds "$LAT_S" --warmup "$WARMUP"
  if want noisy; then
    # As the issue intends, per-endpoint max_in_flight is what keeps it fair; the last run
    # shows what happens to endpoints with default options (no limit) next to a hung one.
    run noisy_hang "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
      --events "$NOISY_EVENTS" --noisy hang --request-timeout "$HANG_TIMEOUT" \
      --endpoint-options "$NOISY_ENDPOINT_OPTIONS"
    run noisy_fail "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
      --events "$NOISY_EVENTS" --noisy fail --endpoint-options "$NOISY_ENDPOINT_OPTIONS"
    ((NOISY_NO_LIMITS)) && run noisy_hang_default "$s" - loadgen --scenario drain --store "$s" \
      --db "$(fresh_db "$s")" --events "$NOISY_EVENTS" --noisy hang \
      --request-timeout "$HANG_TIMEOUT"
  fi
  # The database's share of a delivery with no HTTP and no dispatcher: claim and outcome
  # statements on a backlog of DRAIN_EVENTS events x 10 endpoints. On SQLite the database's
  # CPU is the tool's own (SQLite runs in it); there it is the one writer's work per delivery.
  if want hotpath; then
    if [[ $s == postgres ]]; then
      run hotpath "$s" - "$bin_dir/bench_store_hot_path" --db "$(fresh_db "$s")" \
        --db-pid "$(head -1 "$pg_dir/data/postmaster.pid")" --events "$DRAIN_EVENTS"
    else
      run hotpath "$s" - "$bin_dir/bench_store_hot_path" --db "sqlite:$work/hotpath.sqlite" \
        --events "$DRAIN_EVENTS" --batch 512
    fi
  fi
  # The outbox: 4 producers, one axon.emit_event (10 deliveries) per transaction, no node
  # running (the deliveries queue up).
  want outbox && [[ $s == postgres ]] && run outbox "$s" commit loadgen --scenario outbox \
    --store "$s" --db "$(fresh_db "$s")" --clients 4 --seconds "$INGEST_S"
  if want scaleout && [[ $s == postgres ]]; then
    for n in 2 3; do
      run drain_nodes$n "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
        --events "$DRAIN_EVENTS" --nodes $n
    done
  fi
  want soak && run soak "$s" - loadgen --scenario soak --store "$s" --db "$(fresh_db "$s")" \
    --rates "$SOAK_RATE" --seconds "$SOAK_S" --retention "$SOAK_RETENTION" \
    --sample-every "$SOAK_SAMPLE"
  # Issue 13: ingest as fast as delivery. The per-key API rate limit is off in every run
  # (bench_loadgen passes --api-rate-limit 0), so one key is not capped at 1,000 requests/s.
  want e2e && run e2e "$s" - loadgen --scenario e2e --store "$s" --db "$(fresh_db "$s")" \
    --events "$E2E_EVENTS" --ingest-clients 32
  want e2e_batch && run e2e_batch "$s" - loadgen --scenario e2e --store "$s" \
    --db "$(fresh_db "$s")" --events "$E2E_EVENTS" --ingest-clients 32 --batch 100
  want ingest_alone && run ingest_alone "$s" - loadgen --scenario ingest --store "$s" \
    --db "$(fresh_db "$s")" --clients 32 --seconds "$INGEST_S" --fanout 0
  # The API alone at a fixed 1,000 single events/s: paced like `latency`, nothing delivered.
  want api_latency && run api_lat "$s" events_per_s loadgen --scenario latency --store "$s" \
    --db "$(fresh_db "$s")" --rates 1000 --seconds "$LAT_S" --warmup "$WARMUP" --fanout 0
  want batch_alone && run batch_alone "$s" - loadgen --scenario ingest --store "$s" \
    --db "$(fresh_db "$s")" --clients 4 --seconds "$INGEST_S" --fanout 1 --disabled-endpoints \
    --batch 1000
  # One tenant's 1,000 hung endpoints (2 events of 250 KB) against another tenant's latency.
  want tenants && run tenants "$s" - loadgen --scenario tenants --store "$s" \
    --db "$(fresh_db "$s")" --noisy-endpoints "$NOISY_TENANT_ENDPOINTS" \
    --request-timeout "$HANG_TIMEOUT"
  if want backlog; then
    run backlog_small "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
      --events "$BACKLOG_SMALL"
    run backlog_big "$s" - loadgen --scenario drain --store "$s" --db "$(fresh_db "$s")" \
      --events "$BACKLOG_BIG" --request-timeout 30m
  fi
  return 0
}

echo "== $(date -u +%FT%TZ)  nproc=$(nproc)  cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
want ceiling && ceiling
store_list=()
for s in ${stores//,/ }; do
  if [[ $s == postgres ]] && [[ -z $pg_port ]] && ! start_postgres; then
    echo "== postgres: no PostgreSQL server could be started; skipped" >&2
    echo "postgres_unavailable" >>"$results"
    continue
  fi
  store_list+=("$s")
  scenarios_for "$s"
done

# --- the table ---
get() {  # get TAG STORE KEY
  awk -v t="$1" -v s="$2" -v k="$3" '$1==t && $2==s { for (i=3;i<=NF;i++) { split($i,kv,"="); if (kv[1]==k) { print kv[2]; exit } } }' "$results"
}
num() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }
verdict() {  # verdict VALUE OP LIMIT -> PASS, FAIL or 'no data'
  num "$1" || { echo "no data"; return; }
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op==">=") ? v>=l : v<=l; print ok ? "PASS" : "FAIL" }'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b>0) printf "%.0f", 100*a/b; else print "?" }'; }

missing=0
need() { num "$1" || { missing=$((missing + 1)); echo "bench.sh: missing figure: $2" >&2; }; }
rows=()
row() { rows+=("$(printf '| %-28s | %-8s | %-60s | %-30s | %-7s |' "$@")"); }

if want ceiling; then
  ceil=$(get ceiling - rate); need "$ceil" "ceiling rate"
  row "5 raw ceiling (blaster)" "-" "${ceil:-?} req/s (c=$CEIL_CONCURRENCY)" "(reference)" "-"
fi
ceil=$(get ceiling - rate)
for s in "${store_list[@]}"; do
  d=$(get drain "$s" rate)
  if want drain; then
    need "$d" "drain $s"
    dcpu=$(get drain "$s" cpu_s); ddb=$(get drain "$s" db_cpu_s); drss=$(get drain "$s" rss_mb)
    min=20000; [[ $s == postgres ]] && min=15000
    share=$(pct "${d:-0}" "${ceil:-0}")
    v=$(verdict "${d:-x}" ">=" $min)
    [[ $s == sqlite && $v == PASS ]] && v=$(verdict "$share" ">=" 60)
    row "1 drain 100k" "$s" \
      "${d:-?}/s (${share}% of ceiling), CPU ${dcpu:-?} s$([[ $s == postgres ]] && echo " + PG ${ddb:-?} s")" \
      ">= $min/s$([[ $s == sqlite ]] && echo ', >= 60% of ceiling')" "$v"
    row "1 drain peak RSS" "$s" "${drss:-?} MB" "<= 100 MB" "$(verdict "${drss:-x}" "<=" 100)"
  fi
  if want https; then
    dh=$(get drain_https "$s" rate); need "$dh" "drain_https $s"
    hs=$(get drain_https "$s" handshakes_per_delivery)
    share=$(pct "${dh:-0}" "${d:-0}")
    row "1b HTTPS drain" "$s" "${dh:-?}/s = ${share}% of plain drain; ${hs:-?} handshakes/delivery" \
      ">= 60% of plain drain" "$(verdict "$share" ">=" 60)"
  fi
  if want ingest; then
    for c in 1 32; do
      r=$(get ingest$c "$s" rate); need "$r" "ingest $c $s"
      row "2 ingest, $c client(s)" "$s" "${r:-?} events/s (x10 deliveries)" "(none)" "-"
    done
  fi
  if want latency; then
    for e in 50 1000; do
      p50=$(get lat$e "$s" p50_ms); p99=$(get lat$e "$s" p99_ms); p999=$(get lat$e "$s" p999_ms)
      ach=$(get lat$e "$s" achieved_events_per_s)
      need "$p99" "latency $e $s"
      lim=10; [[ $e == 1000 ]] && lim=25; [[ $e == 50 && $s == postgres ]] && lim=5  # issue 14
      row "3 latency $((e * 10)) deliv/s" "$s" \
        "p50 ${p50:-?} / p99 ${p99:-?} / p99.9 ${p999:-?} ms (sent ${ach:-?} ev/s)" \
        "p99 <= $lim ms" "$(verdict "${p99:-x}" "<=" $lim)"
    done
    if [[ $s == postgres ]]; then  # issue 14: graphile-worker's 2.5-3.8 s here
      c=$(get lat50 "$s" db_cpu_s_per_10k); need "$c" "latency db cpu $s"
      row "14 PG CPU at 500 deliv/s" "$s" "${c:-?} s per 10,000 deliveries (ingest + delivery)" \
        "<= 3 s" "$(verdict "${c:-x}" "<=" 3)"
    fi
  fi
  if want noisy; then
    variants=(hang fail); ((NOISY_NO_LIMITS)) && variants+=(hang_default)
    for m in "${variants[@]}"; do
      r=$(get noisy_$m "$s" rate); need "$r" "noisy $m $s"
      base=$(awk -v d="${d:-0}" 'BEGIN { print d*0.9 }')
      share=$(pct "${r:-0}" "$base")
      note=""; [[ $(get noisy_$m "$s" complete) == 0 ]] && note=" (starved: gave up)"
      label="4 noisy ($m), other 9"
      [[ $m == hang_default ]] && label="4 noisy (hang), no limits"
      row "$label" "$s" "${r:-?}/s = ${share}% of their rate in 1$note" ">= 90%" \
        "$(verdict "$share" ">=" 90)"
    done
  fi
  if want scaleout && [[ $s == postgres ]]; then
    for n in 2 3; do
      r=$(get drain_nodes$n "$s" rate); need "$r" "drain with $n nodes $s"
      ddb=$(get drain_nodes$n "$s" db_cpu_s); dn=$(get drain_nodes$n "$s" deliveries)
      us=$(awk -v c="${ddb:-0}" -v n="${dn:-0}" 'BEGIN { if (n>0) printf "%.0f", c*1e6/n; else print "?" }')
      v="-"; num "${d:-x}" && v=$(verdict "${r:-x}" ">=" "$d")
      row "7 drain 100k, $n nodes" "$s" "${r:-?}/s, PG ${us} us CPU/delivery" \
        ">= 1 node (${d:-?}/s)" "$v"
    done
  fi
  if want hotpath; then
    hp=$(get hotpath "$s" drain_db_us); need "$hp" "hotpath $s"
    detail="${hp:-?} us/delivery: claim $(get hotpath "$s" claim_db_us) + outcome $(get hotpath "$s" complete_db_us); ingest $(get hotpath "$s" ingest_db_us)"
    if [[ $s == postgres ]]; then
      row "14 store hot path (PG CPU)" "$s" "$detail" "<= 35 us/delivery" \
        "$(verdict "${hp:-x}" "<=" 35)"
    else  # no target: SQLite's one writer does this work for every delivery, in turn
      row "13 store hot path (writer CPU)" "$s" "$detail" "(reference)" "-"
    fi
  fi
  if want outbox && [[ $s == postgres ]]; then
    for c in durable async; do
      r=$(get outbox$c "$s" deliveries_rate); need "$r" "outbox $c $s"
      row "14 outbox, 4 producers, $c" "$s" \
        "${r:-?} deliveries/s queued ($(get outbox$c "$s" rate) events/s), PG $(get outbox$c "$s" db_cpu_us_per_delivery) us CPU/delivery" \
        ">= 15000/s" "$(verdict "${r:-x}" ">=" 15000)"
    done
  fi
  if want tenants; then
    tmax=$(get tenants "$s" max_ms); need "$tmax" "tenants $s"
    row "8 noisy tenant: healthy lat." "$s" \
      "p50 $(get tenants "$s" p50_ms) / p99 $(get tenants "$s" p99_ms) / p100 ${tmax:-?} ms" \
      "p100 <= 1000 ms" "$(verdict "${tmax:-x}" "<=" 1000)"
    trss=$(get tenants "$s" rss_mb)
    row "8 noisy tenant: peak RSS" "$s" "${trss:-?} MB" "<= 150 MB" "$(verdict "${trss:-x}" "<=" 150)"
  fi
  if want backlog; then
    small=$(get backlog_small "$s" rate); big=$(get backlog_big "$s" rate)
    need "$small" "backlog small $s"; need "$big" "backlog big $s"
    cs=$(get backlog_small "$s" cpu_us_per_delivery); cb=$(get backlog_big "$s" cpu_us_per_delivery)
    brss=$(get backlog_big "$s" rss_mb)
    nsmall=$(get backlog_small "$s" deliveries); nbig=$(get backlog_big "$s" deliveries)
    ratio=$(pct "${big:-0}" "${small:-0}")
    row "6 backlog $nsmall vs $nbig" "$s" \
      "${small:-?}/s vs ${big:-?}/s (${ratio}%); CPU ${cs:-?} vs ${cb:-?} us/delivery" \
      "big >= 80% of small" "$(verdict "$ratio" ">=" 80)"
    row "6 backlog peak RSS" "$s" "${brss:-?} MB" "<= 100 MB" "$(verdict "${brss:-x}" "<=" 100)"
  fi
  if want soak; then
    sf=$(get soak "$s" store_mb_first); sl=$(get soak "$s" store_mb_last)
    sm=$(get soak "$s" store_mb_max); need "$sl" "soak $s"
    row "9 soak $((SOAK_RATE * 10)) deliv/s ${SOAK_S}s" "$s" \
      "store ${sf:-?}->${sl:-?} (max ${sm:-?}) MB, RSS $(get soak "$s" rss_mb_first)->$(get soak "$s" rss_mb_last) MB, fds $(get soak "$s" fds_first)->$(get soak "$s" fds_last)" \
      "flat once retention $SOAK_RETENTION is full" "-"
  fi
done
for s in "${store_list[@]}"; do
  for kind in e2e e2e_batch; do
    want $kind || continue
    r=$(get $kind "$s" rate); need "$r" "$kind $s"
    min=20000; label="13 e2e single events"
    [[ $kind == e2e_batch ]] && { min=35000; label="13 e2e batches of 100"; }
    writer=""; [[ $s == sqlite ]] && writer=", writer busy $(get $kind "$s" writer_busy_pct)%"
    row "$label" "$s" "${r:-?} deliveries/s ($(pct "${r:-0}" "${ceil:-0}")% of ceiling), RSS $(get $kind "$s" rss_mb) MB$writer" \
      "$([[ $s == sqlite ]] && echo ">= $min/s" || echo "(none)")" \
      "$([[ $s == sqlite ]] && verdict "${r:-x}" ">=" $min || echo -)"
  done
  if want ingest_alone; then
    r=$(get ingest_alone "$s" rate); need "$r" "ingest_alone $s"
    row "13 ingest alone, no endpoints" "$s" "${r:-?} events/s (32 clients)" \
      "$([[ $s == sqlite ]] && echo ">= 25000/s" || echo "(none)")" \
      "$([[ $s == sqlite ]] && verdict "${r:-x}" ">=" 25000 || echo -)"
  fi
  if want batch_alone; then
    r=$(get batch_alone "$s" rate); need "$r" "batch_alone $s"
    min=50000; [[ $s == postgres ]] && min=20000
    row "13 batch ingest alone (1000)" "$s" "${r:-?} events/s (fan-out 1, disabled)" \
      ">= $min/s" "$(verdict "${r:-x}" ">=" $min)"
  fi
  if want latency; then
    a99=$(get lat1000 "$s" api_p99_ms); need "$a99" "api p99 $s"
    row "13 API p99 at 1000 events/s" "$s" "${a99:-?} ms (202 round trip)" "<= 5 ms" \
      "$(verdict "${a99:-x}" "<=" 5)"
  fi
  if want api_latency; then
    a50=$(get api_lat1000 "$s" api_p50_ms); a99=$(get api_lat1000 "$s" api_p99_ms)
    need "$a99" "api_latency $s"
    row "13 API alone, 1000 events/s" "$s" "p50 ${a50:-?} / p99 ${a99:-?} ms (202, nothing delivered)" \
      "p99 <= 5 ms" "$(verdict "${a99:-x}" "<=" 5)"
  fi
done
if grep -q postgres_unavailable "$results"; then
  row "all scenarios" "postgres" "pending: PostgreSQL could not be started" "" "-"
fi

echo
printf '| %-28s | %-8s | %-60s | %-30s | %-7s |\n' scenario store figure target result
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..30})" "$(printf -- '-%.0s' {1..10})" \
  "$(printf -- '-%.0s' {1..62})" "$(printf -- '-%.0s' {1..32})" "$(printf -- '-%.0s' {1..9})"
printf '%s\n' "${rows[@]}"
echo
echo "raw results:"; sed 's/^/  /' "$results"

if ((missing)); then
  echo "bench.sh: $missing figure(s) missing; log:" >&2
  tail -n 60 "$log" >&2
  exit 1
fi
