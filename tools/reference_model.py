#!/usr/bin/env python3
"""An independent, slow re-implementation of MODEL.md sections 2-8 (deterministic run), used
to cross-check migproj's projection.csv. Written from the text of MODEL.md, not from the Rust
code. It reads a scenario with tomllib and implements only the keys the shipped scenarios use
(parametric mortality, departure and arrival changes and pulses, the three propensity models).

    python3 -m venv ~/.venv-bench && ~/.venv-bench/bin/pip install numpy
    ~/.venv-bench/bin/python tools/reference_model.py scenarios/baseline.toml output/baseline/projection.csv
"""
import csv
import math
import sys
import tomllib

import numpy as np

A = 100


def q_table(alpha, beta, gamma):
    a = np.arange(A + 1)
    return 1 - np.exp(-(alpha + beta / gamma * np.exp(gamma * a) * (np.exp(gamma) - 1)))


def e0(alpha, beta, gamma):
    q = q_table(alpha, beta, gamma)
    l = 1.0
    total = 0.0
    for a in range(A):
        nxt = l * (1 - q[a])
        total += (l + nxt) / 2
        l = nxt
    return total + l / (alpha + beta * math.exp(gamma * A))


def solve_beta(alpha, gamma, target):
    lo, hi = math.log(1e-12), 0.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if e0(alpha, math.exp(mid), gamma) > target:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def interp_flat(points, t):
    ys = sorted(points.items(), key=lambda p: int(p[0]))
    xs = [int(k) for k, _ in ys]
    vs = [v for _, v in ys]
    return float(np.interp(t, xs, vs))


def interp_loglin(points, t):
    ys = sorted((int(k), float(v)) for k, v in points.items())
    if len(ys) == 1:
        return ys[0][1]
    i = 1
    while i < len(ys) - 1 and ys[i][0] <= t:
        i += 1
    (x0, y0), (x1, y1) = ys[i - 1], ys[i]
    r = (math.log(y1) - math.log(y0)) / (x1 - x0)
    return math.exp(math.log(y0) + r * (t - x0))


# The default of `arrivals.trend_damping` (src/scenario/defaults.rs, estimated by
# `migproj estimate` from data/history; docs/model.md).
DEFAULT_TREND_DAMPING = 0.0


def main(path, projection_csv):
    sc = tomllib.load(open(path, "rb"))
    s = sc["scenario"]
    base, cal, end = s["base_year"], s["calibration_year"], s["end_year"]
    D = s.get("max_duration", 50)
    mort = sc.get("mortality", {})
    alpha, gamma = mort.get("makeham", 0.0005), mort.get("gompertz_slope", 0.09)
    le = mort.get("life_expectancy", {"female": 77.0, "male": 71.0})
    imp = mort.get("improvement", 0.15)
    years = list(range(base, end + 1))
    q = {}
    for t in years:
        q[t] = np.stack([q_table(alpha, solve_beta(alpha, gamma, le[sx] + imp * (t - base)), gamma) for sx in ("female", "male")])
    dep = sc.get("departure", {})
    d = np.arange(D + 1)
    h0 = dep.get("long_run", 0.03) + (dep.get("initial", 0.10) - dep.get("long_run", 0.03)) * np.exp(-dep.get("decay", 0.25) * d)
    regions = sc["region"]
    names = [r["name"] for r in regions]

    def h(t, r):
        m = 1.0
        for c in dep.get("change", []):
            if c["from"] <= t and c.get("region", names[r]) == names[r]:
                m *= c["multiplier"]
        return np.minimum(h0 * m, 1.0)

    arr = sc.get("arrivals", {})
    rc = dict(a1=0.04, alpha1=0.10, a2=0.06, alpha2=0.10, mu2=22, lambda2=0.40, c=0.003)
    rc.update(arr.get("age_schedule", {}))
    x = np.arange(A + 1)
    m = rc["a1"] * np.exp(-rc["alpha1"] * x) + rc["a2"] * np.exp(-rc["alpha2"] * (x - rc["mu2"]) - np.exp(-rc["lambda2"] * (x - rc["mu2"]))) + rc["c"]

    def f(r):
        phi = regions[r].get("female_share", arr.get("female_share", 0.49))
        return np.stack([phi * m / m.sum(), (1 - phi) * m / m.sum()])

    def step(N, t, r, I, hh=None):
        hh = h(t, r) if hh is None else hh
        qq = q[t][:, :, None]
        deaths = (N * qq).sum()
        surv = N * (1 - qq)
        departures = (surv * hh[None, None, :]).sum()
        stay = surv * (1 - hh[None, None, :])
        new = np.zeros_like(N)
        for a in range(A + 1):
            for dd in range(D + 1):
                new[:, min(a + 1, A), min(dd + 1, D)] += stay[:, a, dd]
        new[:, :, 0] = I * f(r)
        return new, deaths, departures

    def seed(r, g):
        N = np.zeros((2, A + 1, D + 1))
        for k in range(200):
            N, _, _ = step(N, base, r, math.exp(g * k), h(base, r))
        return N

    def mult_pulse(t, r):
        mm, p = 1.0, 0.0
        for c in arr.get("change", []):
            if c["from"] <= t and c.get("region", names[r]) == names[r]:
                mm *= c["multiplier"]
        for pl in arr.get("pulse", []):
            if pl["year"] == t and pl.get("region", names[r]) == names[r]:
                p += pl["persons"]
        return mm, p

    def base_state(r, g):
        S0 = regions[r]["stock"][str(base)]
        x = seed(r, g)
        c = S0 / x.sum()
        return c * x, c * math.exp(g * 200)

    def project(r, g, growth_after, upto):
        # growth_after(t): the growth of year t >= cal (MODEL.md section 6).
        N, Ib = base_state(r, g)
        out = []
        cum = 0.0
        for t in range(base, upto + 1):
            mm, p = mult_pulse(t, r)
            I = Ib * math.exp(cum) * mm + p
            new, de, dp = step(N, t, r, I)
            out.append((t, N, I, de, dp))
            N = new
            cum += g if t < cal else growth_after(t)
        return out

    def S_cal(r, g):
        return project(r, g, lambda t: g, cal)[-1][1].sum()

    lo_age, hi_age = sc["remittances"].get("age_range", [15, 64])
    prop = sc["remittances"].get("propensity", {"model": "constant", "value": 0.6})
    if prop.get("model", "constant") == "constant":
        pi = np.full(D + 1, prop.get("value", 0.6))
    elif prop["model"] == "exponential":
        pi = prop["long_run"] + (prop["initial"] - prop["long_run"]) * np.exp(-prop["decay"] * d)
    else:
        u = (d + 1) / (prop.get("peak_duration", 8) + 1)
        pi = prop["peak"] * u * np.exp(1 - u)

    def E(N):
        return (N[:, lo_age:hi_age + 1, :] * pi[None, None, :]).sum()

    g_hat = {}
    for r in range(len(regions)):
        target = regions[r]["stock"][str(cal)]
        lo, hi = -0.5, 0.5
        for _ in range(60):
            mid = (lo + hi) / 2
            if S_cal(r, mid) < target:
                lo = mid
            else:
                hi = mid
        g_hat[r] = (lo + hi) / 2
        print(f"{names[r]}: g_hat = {g_hat[r]:.12f}", file=sys.stderr)
    # The damped trend (MODEL.md revision 2, section 6): pooled growth gbar weighted by each
    # region's trend arrivals in the calibration year, I_base exp(g_hat (cal - base)).
    weights = {r: base_state(r, g_hat[r])[1] * math.exp(g_hat[r] * (cal - base)) for r in g_hat}
    gbar = sum(weights[r] * g_hat[r] for r in g_hat) / sum(weights.values())
    phi = arr.get("trend_damping", DEFAULT_TREND_DAMPING)
    shift = arr.get("growth_shift", 0.0)
    ga = arr.get("growth", "calibrated")
    results = {}
    for r in range(len(regions)):
        g = g_hat[r]
        if ga == "calibrated":
            after = lambda t, g=g: gbar + (g - gbar) * phi ** (t - cal) + shift
        else:
            after = lambda t: ga + shift
        results[r] = project(r, g, after, end)
    cost_pts = sc["remittances"].get("cost", {})
    cost = lambda t: interp_flat(cost_pts, t) if cost_pts else 0.0
    rec = sc["remittances"]["received"]
    Eb = sum(E(results[r][0][1]) for r in results)
    Ec = sum(E(results[r][cal - base][1]) for r in results)
    mb = rec[str(base)] / ((1 - cost(base)) * Eb)
    mc = rec[str(cal)] / ((1 - cost(cal)) * Ec)
    gm = math.log(mc / mb) / (cal - base)
    rg = sc["remittances"].get("growth", "calibrated")
    rg = gm if rg == "calibrated" else rg
    amount = lambda t: mb * math.exp(gm * (t - base)) if t <= cal else mc * math.exp(rg * (t - cal))
    ours = {(row["region"], int(row["year"])): row for row in csv.DictReader(open(projection_csv))}
    worst = 0.0
    world = {}
    for r in results:
        for (t, N, I, de, dp) in results[r]:
            sent = E(N) * amount(t)
            vals = dict(stock=N.sum(), arrivals=I, deaths=de, departures=dp, remittances_sent=sent,
                        remittances_received=sent * (1 - cost(t)), fees=sent * cost(t),
                        share_of_world=N.sum() / interp_loglin(sc["world_population"]["points"], t))
            for k, v in vals.items():
                world.setdefault((t, k), 0.0)
                world[(t, k)] += v
            for k, v in vals.items():
                mine = float(ours[(names[r], t)][k])
                rel = abs(mine - v) / max(abs(v), 1e-300)
                worst = max(worst, rel)
    if len(results) > 1:
        for (t, k), v in world.items():
            mine = float(ours[("World", t)][k])
            worst = max(worst, abs(mine - v) / max(abs(v), 1e-300))
    print(f"largest relative difference from projection.csv: {worst:.3e}")
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
