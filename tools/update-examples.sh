#!/usr/bin/env bash
# Regenerates the example charts shown in the README.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
bin=target/release/migproj
$bin run scenarios/baseline.toml --quiet --out target/examples
cp target/examples/baseline/charts/stock.png output/examples/baseline-stock.png
cp target/examples/baseline/charts/remittances.png output/examples/baseline-remittances.png
$bin compare scenarios/*.toml --trajectories 300 --quiet --out target/examples > /dev/null
cp target/examples/compare/charts/compare_stock.png output/examples/compare-stock.png
echo "updated output/examples/"
