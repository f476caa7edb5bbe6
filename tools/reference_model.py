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
# The default of `remittances.growth_damping` (psi, MODEL.md revision 3, sections 7 and 13).
DEFAULT_GROWTH_DAMPING = 0.7863


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
    # Origin groups (MODEL.md section 12): streams are (region, group) pairs, region-major;
    # without [origins], one stream per region.
    groups = sc.get("origins", {}).get("groups", [])
    G = max(len(groups), 1)
    streams = [(r, o) for r in range(len(regions)) for o in range(G)]

    def stock_figure(k, year):
        r, o = streams[k]
        v = regions[r]["stock"][str(year)]
        return v[groups[o]] if groups else v

    def matches(c, k):
        r, o = streams[k]
        return c.get("region", names[r]) == names[r] and (not groups or c.get("origin", groups[o]) == groups[o])

    def h(t, k):
        m = 1.0
        for c in dep.get("change", []):
            if c["from"] <= t and matches(c, k):
                m *= c["multiplier"]
        return np.minimum(h0 * m, 1.0)

    arr = sc.get("arrivals", {})
    rc = dict(a1=0.04, alpha1=0.10, a2=0.06, alpha2=0.10, mu2=22, lambda2=0.40, c=0.003)
    rc.update(arr.get("age_schedule", {}))
    x = np.arange(A + 1)
    m = rc["a1"] * np.exp(-rc["alpha1"] * x) + rc["a2"] * np.exp(-rc["alpha2"] * (x - rc["mu2"]) - np.exp(-rc["lambda2"] * (x - rc["mu2"]))) + rc["c"]

    def f(k):
        r = streams[k][0]
        phi = regions[r].get("female_share", arr.get("female_share", 0.49))
        return np.stack([phi * m / m.sum(), (1 - phi) * m / m.sum()])

    def step(N, t, k, I, hh=None, ff=None):
        hh = h(t, k) if hh is None else hh
        ff = f(k) if ff is None else ff
        qq = q[t][:, :, None]
        deaths = (N * qq).sum()
        surv = N * (1 - qq)
        departures = (surv * hh[None, None, :]).sum()
        stay = surv * (1 - hh[None, None, :])
        new = np.zeros_like(N)
        # Ageing and duration, both capped at their open groups.
        new[:, 1:, 1:] += stay[:, :A, :D]
        new[:, A, 1:] += stay[:, A, :D]
        new[:, 1:, D] += stay[:, :A, D]
        new[:, A, D] += stay[:, A, D]
        new[:, :, 0] = I * ff
        return new, deaths, departures

    def seed(k, g):
        N = np.zeros((2, A + 1, D + 1))
        for j in range(200):
            N, _, _ = step(N, base, k, math.exp(g * j), h(base, k))
        return N

    def mult_pulse(t, k):
        r, o = streams[k]
        mm, p = 1.0, 0.0
        for c in arr.get("change", []):
            if c["from"] <= t and matches(c, k):
                mm *= c["multiplier"]
        for pl in arr.get("pulse", []):
            if pl["year"] == t and pl.get("region", names[r]) == names[r]:
                if not groups:
                    p += pl["persons"]
                elif "origin" in pl:
                    p += pl["persons"] if pl["origin"] == groups[o] else 0.0
                else:
                    # Split over the region's groups by their calibration-year stocks.
                    cal_stocks = regions[r]["stock"][str(cal)]
                    p += pl["persons"] * cal_stocks[groups[o]] / sum(cal_stocks.values())
        return mm, p

    def base_state(k, g):
        S0 = stock_figure(k, base)
        x = seed(k, g)
        c = S0 / x.sum()
        return c * x, c * math.exp(g * 200)

    def project(k, g, growth_after, upto):
        # growth_after(t): the growth of year t >= cal (MODEL.md section 6).
        N, Ib = base_state(k, g)
        out = []
        cum = 0.0
        for t in range(base, upto + 1):
            mm, p = mult_pulse(t, k)
            I = Ib * math.exp(cum) * mm + p
            new, de, dp = step(N, t, k, I)
            out.append((t, N, I, de, dp))
            N = new
            cum += g if t < cal else growth_after(t)
        return out

    def S_cal(k, g):
        return project(k, g, lambda t: g, cal)[-1][1].sum()

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
    for k in range(len(streams)):
        target = stock_figure(k, cal)
        if target == 0 and stock_figure(k, base) == 0:
            # An empty stream (MODEL.md section 12): no state, no arrivals, growth 0.
            g_hat[k] = 0.0
            print(f"stream {k} {streams[k]}: empty", file=sys.stderr)
            continue
        lo, hi = -0.5, 0.5
        for _ in range(60):
            mid = (lo + hi) / 2
            if S_cal(k, mid) < target:
                lo = mid
            else:
                hi = mid
        g_hat[k] = (lo + hi) / 2
        print(f"stream {k} {streams[k]}: g_hat = {g_hat[k]:.12f}", file=sys.stderr)
    # The common trend gbar (MODEL.md section 6). Revision 3, pooling = "world" (default):
    # the growth calibrated for the world as one stream: the sums of every stream's two
    # figures, departure changes that name no region or origin, the arrivals' female share
    # the calibration-year stock-weighted mean of the streams'. Revision 2, "arrivals": the
    # streams' g_hat weighted by their trend arrivals in the calibration year.
    pooling = arr.get("pooling", "world")
    if len(streams) == 1:
        gbar = g_hat[0]
    elif pooling == "world":
        S0w = sum(stock_figure(k, base) for k in range(len(streams)))
        S1w = sum(stock_figure(k, cal) for k in range(len(streams)))
        shares = [regions[streams[k][0]].get("female_share", arr.get("female_share", 0.49)) for k in range(len(streams))]
        if all(x == shares[0] for x in shares):
            phi_w = shares[0]
        else:
            phi_w = sum(stock_figure(k, cal) * shares[k] for k in range(len(streams))) / S1w
        f_w = np.stack([phi_w * m / m.sum(), (1 - phi_w) * m / m.sum()])

        def h_w(t):
            mm = 1.0
            for c in dep.get("change", []):
                if c["from"] <= t and "region" not in c and "origin" not in c:
                    mm *= c["multiplier"]
            return np.minimum(h0 * mm, 1.0)

        def world_S_cal(g):
            N = np.zeros((2, A + 1, D + 1))
            for j in range(200):
                N, _, _ = step(N, base, 0, math.exp(g * j), h_w(base), f_w)
            c = S0w / N.sum()
            N, Ib = c * N, c * math.exp(g * 200)
            for i, t in enumerate(range(base, cal)):
                N, _, _ = step(N, t, 0, Ib * math.exp(g * i), h_w(t), f_w)
            return N.sum()

        lo, hi = -0.5, 0.5
        for _ in range(60):
            mid = (lo + hi) / 2
            if world_S_cal(mid) < S1w:
                lo = mid
            else:
                hi = mid
        gbar = (lo + hi) / 2
    else:
        weights = {k: base_state(k, g_hat[k])[1] * math.exp(g_hat[k] * (cal - base)) for k in g_hat}
        gbar = sum(weights[k] * g_hat[k] for k in g_hat) / sum(weights.values())
    print(f"gbar ({pooling}) = {gbar:.12f}", file=sys.stderr)
    phi = arr.get("trend_damping", DEFAULT_TREND_DAMPING)
    shift = arr.get("growth_shift", 0.0)
    ga = arr.get("growth", "calibrated")
    results = {}
    for k in range(len(streams)):
        g = g_hat[k]
        if ga == "calibrated":
            after = lambda t, g=g: gbar + (g - gbar) * phi ** (t - cal) + shift
        else:
            after = lambda t: ga + shift
        results[k] = project(k, g, after, end)
    cost_pts = sc["remittances"].get("cost", {})
    cost = lambda t: interp_flat(cost_pts, t) if cost_pts else 0.0
    rec = sc["remittances"]["received"]
    # One amount per remitter per origin group, calibrated to that group's receipts.
    rg = sc["remittances"].get("growth", "calibrated")
    psi = sc["remittances"].get("growth_damping", DEFAULT_GROWTH_DAMPING)
    fitted = []  # (group, mb, mc, gm, Rb, Rc, Eb, Ec) of each modelled group
    for o in range(G):
        of_group = [k for k in range(len(streams)) if streams[k][1] == o]
        figures = (rec.get(groups[o]) if groups else rec)
        if not figures or (figures[str(base)] == 0 and figures[str(cal)] == 0):
            continue
        Eb = sum(E(results[k][0][1]) for k in of_group)
        Ec = sum(E(results[k][cal - base][1]) for k in of_group)
        mb = figures[str(base)] / ((1 - cost(base)) * Eb)
        mc = figures[str(cal)] / ((1 - cost(cal)) * Ec)
        gm = math.log(mc / mb) / (cal - base)
        fitted.append((o, mb, mc, gm, figures[str(base)], figures[str(cal)], Eb, Ec))
    # Revision 3, section 7: gbar_m, the amount's growth calibrated for every modelled group
    # together (summed receipts and remitters); each group's growth after the calibration
    # year is gbar_m + (g_m_hat - gbar_m) psi^j.
    if len(fitted) == 1:
        gbar_m = fitted[0][3]
    elif fitted:
        mb_all = sum(x[4] for x in fitted) / ((1 - cost(base)) * sum(x[6] for x in fitted))
        mc_all = sum(x[5] for x in fitted) / ((1 - cost(cal)) * sum(x[7] for x in fitted))
        gbar_m = math.log(mc_all / mb_all) / (cal - base)
    amounts = [lambda t: 0.0] * G
    for (o, mb, mc, gm, *_rest) in fitted:
        def amount(t, mb=mb, mc=mc, gm=gm):
            if t <= cal:
                return mb * math.exp(gm * (t - base))
            if rg != "calibrated":
                return mc * math.exp(rg * (t - cal))
            return mc * math.exp(sum(gbar_m + (gm - gbar_m) * psi ** j for j in range(t - cal)))
        amounts[o] = amount
    comparison = sc.get("comparison", {})

    def series(name, t):
        spec = comparison[name]
        pts = spec["points"] if "points" in spec else spec
        after = spec.get("after", "flat") if "points" in spec else "flat"
        last = max(int(y) for y in pts)
        if after != "flat" and t > last:
            return pts[str(last)] * math.exp(after * (t - last))
        return interp_flat({int(y): v for y, v in pts.items()}, t)

    def series_origin(name):
        spec = comparison[name]
        return spec.get("origin") if "points" in spec else None

    ours = {}
    for row in csv.DictReader(open(projection_csv)):
        ours[(row["region"], row.get("origin", "All"), int(row["year"]))] = row
    # Entities: (region or World, origin group or All) -> the streams they sum.
    entities = {}
    for r in range(len(regions)):
        entities[(names[r], "All")] = [k for k in range(len(streams)) if streams[k][0] == r]
        for o in range(len(groups)):
            entities[(names[r], groups[o])] = [r * G + o]
    if len(regions) > 1:
        entities[("World", "All")] = list(range(len(streams)))
        for o in range(len(groups)):
            entities[("World", groups[o])] = [k for k in range(len(streams)) if streams[k][1] == o]
    worst = 0.0
    compared = 0
    for (region, origin), members in entities.items():
        for i, t in enumerate(years):
            sent = sum(E(results[k][i][1]) * amounts[streams[k][1]](t) for k in members)
            received = sent * (1 - cost(t))
            vals = dict(
                stock=sum(results[k][i][1].sum() for k in members),
                arrivals=sum(results[k][i][2] for k in members),
                deaths=sum(results[k][i][3] for k in members),
                departures=sum(results[k][i][4] for k in members),
                remittances_sent=sent, remittances_received=received, fees=sent * cost(t),
                share_of_world=sum(results[k][i][1].sum() for k in members) / interp_loglin(sc["world_population"]["points"], t))
            for name in comparison:
                g = series_origin(name)
                # A series compared with one origin group's receipts has no ratio in another
                # group's rows: projection.csv leaves the cell empty there.
                if g is not None and origin not in ("All", g):
                    vals[f"ratio_to_{name}"] = None
                    continue
                of = received if g is None else sum(E(results[k][i][1]) * amounts[streams[k][1]](t) for k in members if groups and groups[streams[k][1]] == g) * (1 - cost(t))
                vals[f"ratio_to_{name}"] = of / series(name, t)
            row = ours[(region, origin, t)]
            for key, v in vals.items():
                if v is None:
                    if row[key] != "":
                        print(f"{region} {origin} {t}: {key} should be empty, found {row[key]!r}")
                        worst = float("inf")
                    compared += 1
                    continue
                mine = float(row[key])
                rel = abs(mine - v) / max(abs(v), 1e-300) if v != 0 else abs(mine)
                worst = max(worst, rel)
                compared += 1
    print(f"compared {compared} cells of {len(entities)} region/origin groups; largest relative difference from projection.csv: {worst:.3e}")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
