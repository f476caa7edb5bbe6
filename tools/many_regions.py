"""A synthetic scenario of N destination regions (default 500, the limit) from
scenarios/baseline.toml: the world's 1990 and 2000 stocks shared out over N regions with
lognormal sizes and growths, for measuring memory and time at the region limit (issue 22 item
23). Not a study: the regions are invented.

    python tools/many_regions.py 500 > /tmp/many.toml
    /usr/bin/time -v migproj run /tmp/many.toml --trajectories 786 --max-memory 1600000000 \
        --no-charts --out /tmp/many-out
"""
import math
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
rng = random.Random(1)
base = open("scenarios/baseline.toml").read()
head, rest = base.split("[[region]]", 1)
rest = rest[rest.index("[world_population]"):]
sizes = [math.exp(rng.gauss(0, 1.2)) for _ in range(n)]
growths = [rng.gauss(0.013, 0.02) for _ in range(n)]
s90 = [154e6 * w / sum(sizes) for w in sizes]
s00 = [s * math.exp(10 * g) for s, g in zip(s90, growths)]
scale = 175e6 / sum(s00)
regions = "".join(
    f'[[region]]\nname = "Region {k + 1:03}"\nstock = {{ 1990 = {a:.0f}, 2000 = {b * scale:.0f} }}\n\n'
    for k, (a, b) in enumerate(zip(s90, s00))
)
head = head.replace('name = "baseline"', f'name = "many-{n}"')
print(head + regions + rest, end="")
