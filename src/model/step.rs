//! One year, t to t+1, for one region (MODEL.md section 5), in this order: deaths, then
//! departures of the survivors, then ageing by one year of age and of duration (the last
//! groups open), then the year's arrivals at duration 0.

use super::{Dims, MAX_AGE, N_AGES, N_SEXES};

/// The flows of one region in one year, and two sums over the state they came from (taken in
/// the same pass, so the hot loop reads each cell once).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Flows {
    pub deaths: f64,
    pub departures: f64,
    /// `S_t`: the persons in the state before the step.
    pub stock: f64,
    /// `E_t`: effective remitters in the state before the step (MODEL.md section 7).
    pub remitters: f64,
}

/// The rates of one region in one year.
#[derive(Debug, Clone, Copy)]
pub struct StepRates<'a> {
    /// Death probability `q[sex * N_AGES + age]`.
    pub death_probability: &'a [f64],
    /// Departure probability `h[d]` of survivors.
    pub departure_probability: &'a [f64],
    /// Share of arrivals by `[sex * N_AGES + age]`, summing to 1.
    pub arrival_shares: &'a [f64],
    /// Propensity to remit `pi[d]`.
    pub propensity: &'a [f64],
    /// Ages that remit, both ends included.
    pub remitting_ages: (usize, usize),
}

/// Independent partial sums, so that the compiler can keep two additions in flight in one
/// SSE2 register
/// (a single running sum is bound by the latency of one addition per cell; measured: 2 lanes
/// beat 4 and 8, which spill registers).
const LANES: usize = 2;

/// Sums of one row (one sex and age, every duration): persons, departures, remitters.
#[derive(Clone, Copy, Default)]
struct RowSums {
    persons: [f64; LANES],
    departures: [f64; LANES],
    remitters: [f64; LANES],
}

impl RowSums {
    fn total(lanes: [f64; LANES]) -> f64 {
        lanes.iter().sum()
    }
}

/// Moves one row's survivors who stay from `from[d]` to `to[d]` (the caller passes `to`
/// shifted by one duration), assigned when `ASSIGN`, else added, and adds the row's sums of
/// persons, departures and (when `REMIT`) `persons pi(d)` into `sums`.
#[inline(always)]
fn shift_row<const ASSIGN: bool, const REMIT: bool>(
    from: &[f64],
    to: &mut [f64],
    p: f64,
    h: &[f64],
    pi: &[f64],
    sums: &mut RowSums,
) {
    let n = from.len();
    let (from, h, pi, to) = (&from[..n], &h[..n], &pi[..n], &mut to[..n]);
    let mut persons_acc = [0.0; LANES];
    let mut departures_acc = [0.0; LANES];
    let mut remitters_acc = [0.0; LANES];
    let split = n - n % LANES;
    let chunks = from[..split]
        .chunks_exact(LANES)
        .zip(h[..split].chunks_exact(LANES))
        .zip(pi[..split].chunks_exact(LANES))
        .zip(to[..split].chunks_exact_mut(LANES));
    for (((from4, h4), pi4), to4) in chunks {
        for lane in 0..LANES {
            let persons = from4[lane];
            let survivors = persons * p;
            persons_acc[lane] += persons;
            departures_acc[lane] += survivors * h4[lane];
            if REMIT {
                remitters_acc[lane] += persons * pi4[lane];
            }
            let stay = survivors * (1.0 - h4[lane]);
            if ASSIGN {
                to4[lane] = stay;
            } else {
                to4[lane] += stay;
            }
        }
    }
    for d in split..n {
        let persons = from[d];
        let survivors = persons * p;
        persons_acc[0] += persons;
        departures_acc[0] += survivors * h[d];
        if REMIT {
            remitters_acc[0] += persons * pi[d];
        }
        let stay = survivors * (1.0 - h[d]);
        if ASSIGN {
            to[d] = stay;
        } else {
            to[d] += stay;
        }
    }
    for lane in 0..LANES {
        sums.persons[lane] += persons_acc[lane];
        sums.departures[lane] += departures_acc[lane];
        sums.remitters[lane] += remitters_acc[lane];
    }
}

/// Advances `old` (N_t) to `new` (N_{t+1}) with `arrivals_persons` arrivals; `new` is
/// overwritten. Returns the year's deaths and departures, and the stock and effective
/// remitters of `old`. For every cell:
/// `deaths += N q`, `survivors = N (1 - q)`, `departures += survivors h(d)`,
/// `N'[min(a+1, A), s, min(d+1, D)] += survivors (1 - h(d))`, then `N'[a, s, 0] = I f[a, s]`.
pub fn step_region(
    old: &[f64],
    new: &mut [f64],
    dims: Dims,
    rates: StepRates<'_>,
    arrivals_persons: f64,
) -> Flows {
    let n_dur = dims.n_durations();
    let last = dims.max_duration;
    debug_assert_eq!(old.len(), dims.cells());
    debug_assert_eq!(new.len(), dims.cells());
    let h = rates.departure_probability;
    let pi = rates.propensity;
    let (remit_lo, remit_hi) = rates.remitting_ages;
    let mut flows = Flows::default();
    for sex in 0..N_SEXES {
        // Nobody is aged 0 at a duration above 0: arrivals fill duration 0 below.
        new[dims.index(sex, 0, 0)..][..n_dur].fill(0.0);
        for age in 0..N_AGES {
            let q = rates.death_probability[sex * N_AGES + age];
            let p = 1.0 - q;
            let from = &old[dims.index(sex, age, 0)..][..n_dur];
            let to_age = (age + 1).min(MAX_AGE);
            let to = &mut new[dims.index(sex, to_age, 0)..][..n_dur];
            let remit = age >= remit_lo && age <= remit_hi;
            // Each target row is written first by age - 1; only the open age adds a second time.
            let assign = age < MAX_AGE;
            let mut sums = RowSums::default();
            match (assign, remit) {
                (true, true) => {
                    shift_row::<true, true>(&from[..last], &mut to[1..], p, h, pi, &mut sums)
                }
                (true, false) => {
                    shift_row::<true, false>(&from[..last], &mut to[1..], p, h, pi, &mut sums)
                }
                (false, true) => {
                    shift_row::<false, true>(&from[..last], &mut to[1..], p, h, pi, &mut sums)
                }
                (false, false) => {
                    shift_row::<false, false>(&from[..last], &mut to[1..], p, h, pi, &mut sums)
                }
            }
            // The open duration D stays at D (after the d = D-1 survivors were put there).
            let persons = from[last];
            let survivors = persons * p;
            sums.persons[1] += persons;
            sums.departures[1] += survivors * h[last];
            if remit {
                sums.remitters[1] += persons * pi[last];
            }
            to[last] += survivors * (1.0 - h[last]);
            let row_persons = RowSums::total(sums.persons);
            flows.stock += row_persons;
            flows.deaths += row_persons * q;
            flows.departures += RowSums::total(sums.departures);
            flows.remitters += RowSums::total(sums.remitters);
        }
    }
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            new[dims.index(sex, age, 0)] =
                arrivals_persons * rates.arrival_shares[sex * N_AGES + age];
        }
    }
    flows
}

/// The same step as plain nested loops over every cell, written straight from MODEL.md for
/// tests to compare the fast step with. Slow on purpose.
pub fn reference_step(
    old: &[f64],
    dims: Dims,
    rates: StepRates<'_>,
    arrivals_persons: f64,
) -> (Vec<f64>, Flows) {
    let mut new = vec![0.0; dims.cells()];
    let mut flows = Flows::default();
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            for d in 0..=dims.max_duration {
                let n = old[dims.index(sex, age, d)];
                flows.stock += n;
                if age >= rates.remitting_ages.0 && age <= rates.remitting_ages.1 {
                    flows.remitters += n * rates.propensity[d];
                }
                let q = rates.death_probability[sex * N_AGES + age];
                flows.deaths += n * q;
                let survivors = n * (1.0 - q);
                let h = rates.departure_probability[d];
                flows.departures += survivors * h;
                let target =
                    dims.index(sex, (age + 1).min(MAX_AGE), (d + 1).min(dims.max_duration));
                new[target] += survivors * (1.0 - h);
            }
        }
    }
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            new[dims.index(sex, age, 0)] =
                arrivals_persons * rates.arrival_shares[sex * N_AGES + age];
        }
    }
    (new, flows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform_rates(q: f64, h: f64, dims: Dims) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut shares = vec![0.0; N_SEXES * N_AGES];
        shares[25] = 0.5; // female aged 25
        shares[N_AGES + 30] = 0.5; // male aged 30
        (
            vec![q; N_SEXES * N_AGES],
            vec![h; dims.n_durations()],
            shares,
        )
    }

    /// Three cohorts worked by hand, q = 0.01 and h = 0.1 everywhere:
    /// 1000 women aged 30 at duration 2 -> 1000 * 0.99 * 0.9 = 891 aged 31 at duration 3;
    /// 500 men aged 100+ at duration D -> 500 * 0.99 * 0.9 = 445.5 stay in (100+, D);
    /// 200 men aged 99 at duration D-1 -> 178.2 join them in (100+, D): 623.7 there.
    /// Deaths 0.01 * 1700 = 17; departures 0.1 * 0.99 * 1700 = 168.3; 100 arrivals.
    #[test]
    fn three_cohorts_by_hand() {
        let dims = Dims::new(4);
        let mut old = vec![0.0; dims.cells()];
        old[dims.index(0, 30, 2)] = 1000.0;
        old[dims.index(1, 100, 4)] = 500.0;
        old[dims.index(1, 99, 3)] = 200.0;
        let (q, h, shares) = uniform_rates(0.01, 0.1, dims);
        let pi = vec![0.5; dims.n_durations()];
        let rates = StepRates {
            death_probability: &q,
            departure_probability: &h,
            arrival_shares: &shares,
            propensity: &pi,
            remitting_ages: (15, 64),
        };
        let mut new = vec![f64::NAN; dims.cells()];
        let flows = step_region(&old, &mut new, dims, rates, 100.0);
        assert!((new[dims.index(0, 31, 3)] - 891.0).abs() < 1e-9);
        assert!((new[dims.index(1, 100, 4)] - 623.7).abs() < 1e-9);
        assert!((new[dims.index(0, 25, 0)] - 50.0).abs() < 1e-12);
        assert!((new[dims.index(1, 30, 0)] - 50.0).abs() < 1e-12);
        assert!((flows.deaths - 17.0).abs() < 1e-9);
        assert!((flows.departures - 168.3).abs() < 1e-9);
        let total: f64 = new.iter().sum();
        assert!((total - (1700.0 - 17.0 - 168.3 + 100.0)).abs() < 1e-9);
        assert_eq!(new.iter().filter(|v| **v != 0.0).count(), 4);
        // Stock 1700; remitters: only the 1000 women aged 30 are 15-64, times pi = 0.5.
        assert!((flows.stock - 1700.0).abs() < 1e-12);
        assert!((flows.remitters - 500.0).abs() < 1e-12);
    }

    #[test]
    fn fast_step_equals_reference_on_a_full_state() {
        let dims = Dims::new(50);
        let old: Vec<f64> = (0..dims.cells())
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37)
            .collect();
        let q: Vec<f64> = (0..N_SEXES * N_AGES)
            .map(|i| 0.001 + (i % N_AGES) as f64 * 0.003)
            .collect();
        let h: Vec<f64> = (0..=50)
            .map(|d| 0.03 + 0.07 * (-0.25 * d as f64).exp())
            .collect();
        let shares = vec![1.0 / (N_SEXES * N_AGES) as f64; N_SEXES * N_AGES];
        let pi: Vec<f64> = (0..=50).map(|d| 0.6 * (-0.05 * d as f64).exp()).collect();
        let rates = StepRates {
            death_probability: &q,
            departure_probability: &h,
            arrival_shares: &shares,
            propensity: &pi,
            remitting_ages: (15, 64),
        };
        let mut new = vec![f64::NAN; dims.cells()];
        let fast = step_region(&old, &mut new, dims, rates, 1234.5);
        let (reference, slow) = reference_step(&old, dims, rates, 1234.5);
        for (a, b) in new.iter().zip(&reference) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
        assert!((fast.deaths - slow.deaths).abs() <= 1e-12 * slow.deaths);
        assert!((fast.departures - slow.departures).abs() <= 1e-12 * slow.departures);
        assert!((fast.stock - slow.stock).abs() <= 1e-12 * slow.stock);
        assert!((fast.remitters - slow.remitters).abs() <= 1e-12 * slow.remitters);
    }
}
