#!/usr/bin/env bash
# Measures one full refresh of a large enrollment, as the exporter really
# runs it: the azure_ea_exporter binary and a fake API in separate processes
# on 127.0.0.1, the current billing period's usage details streamed over
# loopback through the real client. Prints the rows, the refresh duration
# the exporter reports, the exporter's CPU time, MB per CPU-second, peak
# RSS (VmHWM) of the exporter, and the bytes downloaded.
#
# Two corpora:
#   simulator  the ea-simulator's rendering of its dataset;
#   generated  tools/usagecorpus: rows shaped like the API reference's
#              samples (key case and order by version, escaped JSON in
#              additionalInfo and tags, long instance ids, numbers in every
#              notation, nulls, indented pages), served from memory by
#              `usagecorpus serve`. On this corpus the same listing is also
#              read by an encoding/json struct client (`usagecorpus
#              jsonclient`), and the exporter's MB per CPU-second is given
#              as a multiple of that client's.
#
#   scripts/refresh-bench.sh [--corpus simulator|generated|both] [--gzip] [ROWS_PER_MONTH ...]
#       (defaults: both; 10000 100000 1000000)
#   EXPORTER=path/to/azure_ea_exporter scripts/refresh-bench.sh ...   (a prebuilt binary)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=both
gzip=
if [ "${1:-}" = "--corpus" ]; then corpus=$2; shift 2; fi
# --gzip: the generated corpus's fake API answers gzip (as a front end
# may); MB are then of uncompressed JSON.
if [ "${1:-}" = "--gzip" ]; then gzip=--gzip; shift; fi
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
# EXPORTER, SIMULATOR and USAGECORPUS name prebuilt binaries (to compare
# builds); by default the tree's are built.
if [ -n "${EXPORTER:-}" ]; then cp "$EXPORTER" "$dir/azure_ea_exporter"; else go build -o "$dir/azure_ea_exporter" .; fi
if [ -n "${SIMULATOR:-}" ]; then cp "$SIMULATOR" "$dir/ea-simulator"; elif [ "$corpus" != generated ]; then go build -o "$dir/ea-simulator" ./cmd/ea-simulator; fi
if [ -n "${USAGECORPUS:-}" ]; then cp "$USAGECORPUS" "$dir/usagecorpus"; elif [ "$corpus" != simulator ]; then go build -o "$dir/usagecorpus" ./tools/usagecorpus/cmd/usagecorpus; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# run_exporter CONFIG: starts the exporter, waits until ready, and sets
# got_rows dur cpu rss; leaves $exp running.
run_exporter() {
  ep=$(free_port)
  "$dir/azure_ea_exporter" --config.file "$1" --web.listen-address "127.0.0.1:$ep" --log.level=warn &
  exp=$!
  for _ in $(seq 3000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ep/-/ready")" = 200 ] && break
    sleep 0.2
  done
  # CPU and RSS before the scrape below (served from the cached encoding).
  cpu=$(awk '{printf "%.2f", ($14+$15)/100}' "/proc/$exp/stat")
  rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exp/status")
  local body
  body=$(curl -s "http://127.0.0.1:$ep/metrics")
  got_rows=$(awk '/^azure_ea_report_rows\{.*report="usage_details"/ {printf "%d", $NF}' <<<"$body")
  dur=$(awk '/^azure_ea_refresh_duration_seconds\{.*report="usage_details"/ {print $NF}' <<<"$body")
}

row() { # corpus rows dur cpu rss mb [json_cpu]
  printf '%-10s %-10s %10.2f %12.0f %8s %8s %10s %10.0f %12.0f %10s\n' "$1" "$2" "$3" "$(awk -v r="$2" -v d="$3" 'BEGIN{print r/d}')" \
    "$4" "$5" "$6" "$(awk -v m="$6" -v d="$3" 'BEGIN{print m/d}')" "$(awk -v m="$6" -v c="$4" 'BEGIN{print m/c}')" "${7:-}"
}

printf '%-10s %-10s %10s %12s %8s %8s %10s %10s %12s %10s\n' corpus rows refresh_s rows_per_s cpu_s rss_mib download_mb mb_per_s mb_per_cpu_s vs_json
for rows in "${@:-10000 100000 1000000}"; do
  if [ "$corpus" = simulator ] || [ "$corpus" = both ]; then
    # The simulator's clock is frozen on the 28th: 28 days of rows.
    per_day=$(( (rows + 27) / 28 ))
    sp=$(free_port)
    "$dir/ea-simulator" --listen-address "127.0.0.1:$sp" --key-file "$dir/key" --clock 2026-11-28T12:00:00Z \
      --rows-per-day "$per_day" --page-size 1000 >/dev/null 2>&1 &
    sim=$!
    for _ in $(seq 100); do [ -s "$dir/key" ] && break; sleep 0.1; done
    cat > "$dir/cfg.yml" <<CFG
enrollments:
  - number: "100"
    api_key_file: $dir/key
    base_url: http://127.0.0.1:$sp
    billing_periods: 1
usage_details:
  tags: { CostCenter: tag_cost_center, env: tag_env }
CFG
    run_exporter "$dir/cfg.yml"
    # Bytes of usage JSON the exporter downloaded: ask the simulator for the same pages' size.
    size=$(curl -s -H "Authorization: bearer $(cat "$dir/key")" \
      "http://127.0.0.1:$sp/v3/enrollments/100/billingPeriods/202611/usagedetails" | wc -c)
    pages=$(( (got_rows + 999) / 1000 ))
    mb=$(awk -v s="$size" -v p="$pages" 'BEGIN{printf "%.0f", s*p/1e6}')
    row simulator "$got_rows" "$dur" "$cpu" "$rss" "$mb"
    kill "$exp" "$sim"; wait "$exp" "$sim" 2>/dev/null || true
    rm -f "$dir/key"
  fi
  if [ "$corpus" = generated ] || [ "$corpus" = both ]; then
    rm -f "$dir/addr"
    "$dir/usagecorpus" serve --listen 127.0.0.1:0 --addr-file "$dir/addr" --rows "$rows" $gzip 2>/dev/null &
    fake=$!
    for _ in $(seq 300); do [ -s "$dir/addr" ] && break; sleep 0.1; done
    addr=$(cat "$dir/addr")
    echo "key-for-the-fake-api" > "$dir/key"
    cat > "$dir/cfg.yml" <<CFG
enrollments:
  - number: "100"
    api_key_file: $dir/key
    base_url: http://$addr
    billing_periods: 1
reports:
  billing_periods: { enabled: false }
  balance_summary: { enabled: false }
  marketplace_charges: { enabled: false }
  price_sheet: { enabled: false }
  reservation_details: { enabled: false }
  reservation_charges: { enabled: false }
usage_details:
  tags: { CostCenter: tag_cost_center, env: tag_env }
CFG
    run_exporter "$dir/cfg.yml"
    kill "$exp"; wait "$exp" 2>/dev/null || true
    # The same listing through an encoding/json struct client.
    json=$("$dir/usagecorpus" jsonclient --url "http://$addr/v3/enrollments/100/billingPeriods/202611/usagedetails")
    jmb=$(sed -n 's/.* mb=\([0-9.]*\).*/\1/p' <<<"$json")
    jcpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$json")
    vs=$(awk -v m="$jmb" -v c="$cpu" -v jc="$jcpu" 'BEGIN{printf "%.1fx", jc/c}')
    row generated "$got_rows" "$dur" "$cpu" "$rss" "$jmb" "$vs"
    echo "  encoding/json client: $json"
    kill "$fake"; wait "$fake" 2>/dev/null || true
  fi
done
