#!/usr/bin/env bash
# Regenerates the example charts shown in the README from the baseline scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -- run scenarios/baseline.toml --quiet --out target/examples
cp target/examples/baseline/charts/stock.png output/examples/baseline-stock.png
cp target/examples/baseline/charts/remittances.png output/examples/baseline-remittances.png
echo "updated output/examples/"
