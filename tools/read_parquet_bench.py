"""Time pandas reading trajectories.parquet, as migproj writes it (string columns as Arrow
dictionaries: categoricals) and as a file without the Arrow schema reads (plain strings).

    python tools/read_parquet_bench.py categorical output/regions/trajectories.parquet
    python tools/read_parquet_bench.py strings output/regions/trajectories.parquet

Needs pyarrow and pandas. Run each mode in its own process (peak memory is per process) and
several times; quote medians. README "Reading trajectories.parquet" quotes one such run.
"""
import resource
import sys
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

mode, path = sys.argv[1], sys.argv[2]
start = time.time()
if mode == "categorical":
    frame = pd.read_parquet(path)
elif mode == "strings":
    table = pq.read_table(path)
    schema = pa.schema(
        [
            pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
            for f in table.schema
        ]
    )
    frame = table.cast(schema).to_pandas()
else:
    sys.exit("mode: categorical or strings")
elapsed = time.time() - start
print(
    f"{mode}: {len(frame)} rows, {elapsed:.1f} s, "
    f"frame {frame.memory_usage(deep=True).sum() / 1e9:.2f} GB, "
    f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
)
