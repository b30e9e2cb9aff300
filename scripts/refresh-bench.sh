#!/usr/bin/env bash
# Measures one full refresh of a large enrollment, as the exporter really
# runs it: the ea-simulator and azure_ea_exporter binaries in separate
# processes on 127.0.0.1, the current billing period's usage details
# streamed over loopback through the real client. Prints the rows, the
# refresh duration the exporter reports, CPU time, peak RSS (VmHWM) of the
# exporter, and the bytes downloaded.
#
#   scripts/refresh-bench.sh [ROWS_PER_MONTH ...]     (default 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/azure_ea_exporter" .
go build -o "$dir/ea-simulator" ./cmd/ea-simulator

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
metric() { curl -s "$1" | awk -v m="$2" '$1 ~ "^"m"({|$)" {print $NF; exit}'; }

printf '%-10s %12s %12s %10s %10s %12s %10s\n' rows refresh_s rows_per_s cpu_s rss_mib downloaded_mb mb_per_s
for rows in "${@:-10000 100000 1000000}"; do
  # The simulator's clock is frozen on the 28th: 28 days of rows.
  per_day=$(( (rows + 27) / 28 ))
  sp=$(free_port); ep=$(free_port)
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
  "$dir/azure_ea_exporter" --config.file "$dir/cfg.yml" --web.listen-address "127.0.0.1:$ep" --log.level=warn &
  exp=$!
  for _ in $(seq 3000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ep/-/ready")" = 200 ] && break
    sleep 0.2
  done
  m="http://127.0.0.1:$ep/metrics"
  got_rows=$(curl -s "$m" | awk '/^azure_ea_report_rows\{.*report="usage_details"/ {printf "%d", $NF}')
  dur=$(curl -s "$m" | awk '/^azure_ea_refresh_duration_seconds\{.*report="usage_details"/ {print $NF}')
  cpu=$(awk '{printf "%.2f", ($14+$15)/100}' "/proc/$exp/stat")
  rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$exp/status")
  # Bytes of usage JSON the exporter downloaded: ask the simulator for the same pages' size.
  size=$(curl -s -H "Authorization: bearer $(cat "$dir/key")" \
    "http://127.0.0.1:$sp/v3/enrollments/100/billingPeriods/202611/usagedetails" | wc -c)
  pages=$(( (got_rows + 999) / 1000 ))
  mb=$(awk -v s="$size" -v p="$pages" 'BEGIN{printf "%.0f", s*p/1e6}')
  printf '%-10s %12.2f %12.0f %10s %10s %12s %10.0f\n' "$got_rows" "$dur" "$(awk -v r="$got_rows" -v d="$dur" 'BEGIN{print r/d}')" \
    "$cpu" "$rss" "$mb" "$(awk -v m="$mb" -v d="$dur" 'BEGIN{print m/d}')"
  kill "$exp" "$sim"; wait "$exp" "$sim" 2>/dev/null || true
  rm -f "$dir/key"
done
