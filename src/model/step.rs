//! One year, t to t+1, for one stream (MODEL.md section 5), in this order: deaths, then
//! departures of the survivors, then ageing by one year of age and of duration (the last
//! groups open), then the year's arrivals at duration 0.
//!
//! The step advances a [`Batch`] of trajectories at once, `N[sex, age, duration, lane]` with
//! the lane (trajectory) innermost: each lane has its own departure probabilities (the Monte
//! Carlo's multiplier) and arrivals, and every cell update is a vertical operation on `B`
//! lanes. The deterministic run is a batch of one. Every sum is taken in a fixed order per
//! lane (within a row of durations, the even durations and the odd ones in two partial sums,
//! the open duration last in the odd one; rows in sex-then-age order), so a lane's results do
//! not depend on the batch size, the thread or the instruction set.

use ndarray::{ArrayView3, ArrayViewMut3, ArrayViewMut4, Axis};

use super::simd::InstructionSet;
use super::state::{lanes_mut, Batch, DURATION, LANE, SEX};
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

/// The departure probabilities of one year for each lane of a batch, `h[d][lane]`, and the
/// share of survivors who stay, `1 - h[d][lane]`.
#[derive(Debug, Clone)]
pub struct LaneDepartures<const B: usize> {
    pub leave: Vec<[f64; B]>,
    pub stay: Vec<[f64; B]>,
}

impl<const B: usize> LaneDepartures<B> {
    pub fn new(dims: Dims) -> Self {
        Self {
            leave: vec![[0.0; B]; dims.n_durations()],
            stay: vec![[0.0; B]; dims.n_durations()],
        }
    }

    /// `h[d][lane] = min(1, h(d) M[lane])` from the year's probabilities `h(d)` and each
    /// lane's multiplier (1 in the deterministic run, where this is `h(d)` itself since
    /// `h(d) <= 1`).
    pub fn set(&mut self, h: &[f64], multipliers: &[f64; B]) {
        for ((leave, stay), &h) in self.leave.iter_mut().zip(&mut self.stay).zip(h) {
            for lane in 0..B {
                leave[lane] = (h * multipliers[lane]).min(1.0);
                stay[lane] = 1.0 - leave[lane];
            }
        }
    }
}

/// The flows of each lane of a batch in one year (see [`Flows`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneFlows<const B: usize> {
    pub deaths: [f64; B],
    pub departures: [f64; B],
    pub stock: [f64; B],
    pub remitters: [f64; B],
}

impl<const B: usize> LaneFlows<B> {
    /// The flows of one lane.
    pub fn lane(&self, lane: usize) -> Flows {
        Flows {
            deaths: self.deaths[lane],
            departures: self.departures[lane],
            stock: self.stock[lane],
            remitters: self.remitters[lane],
        }
    }
}

/// What the step works in beside the state, kept from one step to the next (no allocation
/// per step).
#[derive(Debug, Clone)]
pub struct Workspace<const B: usize> {
    /// Each row's persons, departures and remitters per lane, `[sex * N_AGES + age][lane]`,
    /// added into the flows in sex-then-age order once every row is done.
    rows: Vec<[[f64; 3]; B]>,
    /// The open age's survivors: `scratch[d + 1]` from duration d (`scratch[0]` unused).
    scratch: Vec<[f64; B]>,
}

impl<const B: usize> Workspace<B> {
    pub fn new() -> Self {
        Workspace {
            rows: vec![[[0.0; 3]; B]; N_SEXES * N_AGES],
            scratch: Vec::new(),
        }
    }
}

impl<const B: usize> Default for Workspace<B> {
    fn default() -> Self {
        Self::new()
    }
}

/// The running partial sums of one row in SIMD registers: `[part][vector]`, `V` vectors of
/// `S::F64_LANES` lanes making the `B` lanes (only the first `V` entries are used).
struct Accumulators<S: pulp::Simd, const B: usize> {
    persons: [[S::f64s; B]; 2],
    departures: [[S::f64s; B]; 2],
    remitters: [[S::f64s; B]; 2],
}

impl<S: pulp::Simd, const B: usize> Accumulators<S, B> {
    /// Each lane's row totals `[persons, departures, remitters]`: the even partial sum plus
    /// the odd one.
    #[inline(always)]
    fn totals(self, simd: S) -> [[f64; 3]; B] {
        let mut out = [[0.0; 3]; B];
        for (k, parts) in [self.persons, self.departures, self.remitters]
            .iter()
            .enumerate()
        {
            let mut lanes = [0.0; B];
            let (vectors, _) = S::as_mut_simd_f64s(&mut lanes);
            for (v, total) in vectors.iter_mut().enumerate() {
                *total = simd.add_f64s(parts[0][v], parts[1][v]);
            }
            for (out, total) in out.iter_mut().zip(lanes) {
                out[k] = total;
            }
        }
        out
    }
}

/// The cells `N[s, a, d]` of every lane, in `V = B / S::F64_LANES` vectors: survivors
/// `N (1 - q)`, departures `survivors h(d)`, remitters `N pi(d)` (when `REMIT`), and
/// `survivors (1 - h(d))` put in the target cells (assigned when `ASSIGN`, else added); the
/// sums go to partial sum `PART`.
#[inline(always)]
fn cells<
    S: pulp::Simd,
    const B: usize,
    const ASSIGN: bool,
    const REMIT: bool,
    const PART: usize,
>(
    simd: S,
    from: &[S::f64s],
    to: &mut [S::f64s],
    p: S::f64s,
    leave: &[S::f64s],
    stay: &[S::f64s],
    pi: S::f64s,
    sums: &mut Accumulators<S, B>,
) {
    let vectors = B / S::F64_LANES;
    let (from, to, leave, stay) = (
        &from[..vectors],
        &mut to[..vectors],
        &leave[..vectors],
        &stay[..vectors],
    );
    for v in 0..vectors {
        let persons = from[v];
        let survivors = simd.mul_f64s(persons, p);
        sums.persons[PART][v] = simd.add_f64s(sums.persons[PART][v], persons);
        sums.departures[PART][v] =
            simd.add_f64s(sums.departures[PART][v], simd.mul_f64s(survivors, leave[v]));
        if REMIT {
            sums.remitters[PART][v] =
                simd.add_f64s(sums.remitters[PART][v], simd.mul_f64s(persons, pi));
        }
        let stays = simd.mul_f64s(survivors, stay[v]);
        to[v] = if ASSIGN {
            stays
        } else {
            simd.add_f64s(to[v], stays)
        };
    }
}

/// Moves one row's survivors who stay from `from[d]` to `to[d + 1]` for d below the open
/// duration D (assigned: each row is written first by the age below), then adds those of D
/// to `to[open]`. Returns each lane's row totals `[persons, departures, remitters]`. Rows
/// are `[d][lane]`; `B` is a multiple of `S::F64_LANES`.
#[inline(always)]
fn shift_row<S: pulp::Simd, const B: usize, const REMIT: bool>(
    simd: S,
    from: &[[f64; B]],
    to: &mut [[f64; B]],
    open: usize,
    p: f64,
    departures: &LaneDepartures<B>,
    pi: &[f64],
) -> [[f64; 3]; B] {
    let last = from.len() - 1;
    let zero = simd.splat_f64s(0.0);
    let mut sums = Accumulators::<S, B> {
        persons: [[zero; B]; 2],
        departures: [[zero; B]; 2],
        remitters: [[zero; B]; 2],
    };
    let p = simd.splat_f64s(p);
    let n = B / S::F64_LANES;
    let (from, leave, stay) = (
        S::as_simd_f64s(from.as_flattened()).0,
        S::as_simd_f64s(departures.leave.as_flattened()).0,
        S::as_simd_f64s(departures.stay.as_flattened()).0,
    );
    let to = S::as_mut_simd_f64s(to.as_flattened_mut()).0;
    // Durations 0..D-1 in pairs (even into part 0, odd into part 1), an odd one out into 0.
    let paired = 2 * (last / 2);
    let pairs = from[..paired * n]
        .chunks_exact(2 * n)
        .zip(leave[..paired * n].chunks_exact(2 * n))
        .zip(stay[..paired * n].chunks_exact(2 * n))
        .zip(to[n..(paired + 1) * n].chunks_exact_mut(2 * n))
        .zip(pi[..paired].chunks_exact(2));
    for ((((from, leave), stay), to), pi) in pairs {
        let (from_even, from_odd) = from.split_at(n);
        let (leave_even, leave_odd) = leave.split_at(n);
        let (stay_even, stay_odd) = stay.split_at(n);
        let (to_even, to_odd) = to.split_at_mut(n);
        let (pi_even, pi_odd) = (simd.splat_f64s(pi[0]), simd.splat_f64s(pi[1]));
        cells::<S, B, true, REMIT, 0>(
            simd, from_even, to_even, p, leave_even, stay_even, pi_even, &mut sums,
        );
        cells::<S, B, true, REMIT, 1>(
            simd, from_odd, to_odd, p, leave_odd, stay_odd, pi_odd, &mut sums,
        );
    }
    let rows = (from, leave, stay);
    if last % 2 == 1 {
        let d = last - 1;
        duration::<S, B, true, REMIT, 0>(simd, rows, to, (d, d + 1), p, pi[d], &mut sums);
    }
    // The open duration D goes to `open` (D itself, after the d = D-1 survivors were put there).
    duration::<S, B, false, REMIT, 1>(simd, rows, to, (last, open), p, pi[last], &mut sums);
    sums.totals(simd)
}

/// A row's persons, departure and stay probabilities as vectors, `[d][vector]`.
type Rows<'a, S> = (
    &'a [<S as pulp::Simd>::f64s],
    &'a [<S as pulp::Simd>::f64s],
    &'a [<S as pulp::Simd>::f64s],
);

/// [`cells`] for one duration `d` of rows `(from, leave, stay)` into duration `target` of `to`.
#[inline(always)]
fn duration<
    S: pulp::Simd,
    const B: usize,
    const ASSIGN: bool,
    const REMIT: bool,
    const PART: usize,
>(
    simd: S,
    (from, leave, stay): Rows<'_, S>,
    to: &mut [S::f64s],
    (d, target): (usize, usize),
    p: S::f64s,
    pi: f64,
    sums: &mut Accumulators<S, B>,
) {
    let n = B / S::F64_LANES;
    let at = d * n..(d + 1) * n;
    let to = &mut to[target * n..(target + 1) * n];
    let pi = simd.splat_f64s(pi);
    cells::<S, B, ASSIGN, REMIT, PART>(
        simd,
        &from[at.clone()],
        to,
        p,
        &leave[at.clone()],
        &stay[at],
        pi,
        sums,
    );
}

/// Advances a batch from N_t to N_{t+1} in place, with each lane's departure probabilities
/// and arrivals. Returns each lane's deaths and departures of the year and the stock and
/// effective remitters of N_t. For every cell:
/// `deaths += N q`, `survivors = N (1 - q)`, `departures += survivors h(d)`,
/// `N'[min(a+1, A), s, min(d+1, D)] += survivors (1 - h(d))`, then `N'[a, s, 0] = I f[a, s]`.
///
/// In place: the ages are taken from the oldest down, so row `a + 1` has been read before row
/// `a` writes its survivors into it (each cell is read once and written once, as in a copy);
/// the open age's own survivors wait in a scratch row until age A-1 has written, so that
/// every cell is the same sum, in the same order, as with two arrays.
///
/// The departure probabilities are each lane's in `departures`; `rates.departure_probability`
/// is not read.
pub fn step_batch<const B: usize>(
    state: ArrayViewMut4<'_, f64>,
    rates: StepRates<'_>,
    departures: &LaneDepartures<B>,
    arrivals: &[f64; B],
    workspace: &mut Workspace<B>,
    instruction_set: InstructionSet,
) -> LaneFlows<B> {
    struct Step<'a, 'b, const B: usize> {
        state: ArrayViewMut4<'b, f64>,
        rates: StepRates<'a>,
        departures: &'a LaneDepartures<B>,
        arrivals: &'a [f64; B],
        workspace: &'b mut Workspace<B>,
    }
    impl<const B: usize> pulp::WithSimd for Step<'_, '_, B> {
        type Output = LaneFlows<B>;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, simd: S) -> LaneFlows<B> {
            let Step {
                state,
                rates,
                departures,
                arrivals,
                workspace,
            } = self;
            if B.is_multiple_of(S::F64_LANES) {
                step_lanes(simd, state, rates, departures, arrivals, workspace)
            } else {
                // Not a whole number of registers (the deterministic run's batch of one, or
                // 4 lanes on AVX-512): one lane per scalar, still the same operations.
                let scalar = pulp::Scalar::new();
                step_lanes(scalar, state, rates, departures, arrivals, workspace)
            }
        }
    }
    instruction_set.arch().dispatch(Step {
        state,
        rates,
        departures,
        arrivals,
        workspace,
    })
}

/// The body of [`step_batch`], compiled once per instruction set (inlined into pulp's
/// target-feature functions, where the lane vectors are AVX-512, AVX2 or scalar registers).
#[inline(always)]
fn step_lanes<S: pulp::Simd, const B: usize>(
    simd: S,
    mut state: ArrayViewMut4<'_, f64>,
    rates: StepRates<'_>,
    departures: &LaneDepartures<B>,
    arrivals: &[f64; B],
    workspace: &mut Workspace<B>,
) -> LaneFlows<B> {
    let n_durations = state.len_of(DURATION);
    assert_eq!(state.len_of(LANE), B);
    assert_eq!(departures.leave.len(), n_durations);
    let pi = rates.propensity;
    let (remit_lo, remit_hi) = rates.remitting_ages;
    let Workspace { rows, scratch } = workspace;
    scratch.resize(n_durations + 1, [0.0; B]);
    for sex in 0..N_SEXES {
        let cells = lanes_mut::<_, B>(state.view_mut().index_axis_move(SEX, sex));
        let row = |age: usize| age * n_durations..(age + 1) * n_durations;
        for age in (0..N_AGES).rev() {
            let q = rates.death_probability[sex * N_AGES + age];
            let p = 1.0 - q;
            let remit = age >= remit_lo && age <= remit_hi;
            rows[sex * N_AGES + age] = if age == MAX_AGE {
                scratch.fill([0.0; B]);
                let from = &cells[row(age)];
                shift_row_of(simd, remit, from, scratch, n_durations, p, departures, pi)
            } else {
                // Row age + 1 has been read: its cells take this row's survivors.
                let (below, above) = cells.split_at_mut(row(age + 1).start);
                let (from, to) = (&below[row(age)], &mut above[..n_durations]);
                let open = n_durations - 1;
                let totals = shift_row_of(simd, remit, from, to, open, p, departures, pi);
                if age + 1 == MAX_AGE {
                    // Then the open age's own survivors, in the order of two arrays.
                    add_rows(simd, to, scratch);
                }
                totals
            };
        }
        // Nobody is aged 0 at a duration above 0: arrivals fill duration 0 below.
        cells[row(0)].fill([0.0; B]);
    }
    let mut flows = LaneFlows {
        deaths: [0.0; B],
        departures: [0.0; B],
        stock: [0.0; B],
        remitters: [0.0; B],
    };
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            let totals = &rows[sex * N_AGES + age];
            let q = rates.death_probability[sex * N_AGES + age];
            let remit = age >= remit_lo && age <= remit_hi;
            for (lane, &[persons, departures, remitters]) in totals.iter().enumerate() {
                flows.stock[lane] += persons;
                flows.deaths[lane] += persons * q;
                flows.departures[lane] += departures;
                if remit {
                    flows.remitters[lane] += remitters;
                }
            }
        }
    }
    for sex in 0..N_SEXES {
        let mut of_sex = state.view_mut().index_axis_move(SEX, sex);
        for age in 0..N_AGES {
            let share = rates.arrival_shares[sex * N_AGES + age];
            let arrived =
                &mut lanes_mut::<_, B>(of_sex.view_mut().index_axis_move(Axis(0), age))[0];
            for lane in 0..B {
                arrived[lane] = arrivals[lane] * share;
            }
        }
    }
    flows
}

/// [`shift_row`] for a row that remits or not (chosen at run time, compiled both ways). A
/// function, not a closure: a closure is not compiled with the caller's target features, so
/// pulp's vector operations inside it would not be inlined (measured: 13 times slower).
#[inline(always)]
fn shift_row_of<S: pulp::Simd, const B: usize>(
    simd: S,
    remit: bool,
    from: &[[f64; B]],
    to: &mut [[f64; B]],
    open: usize,
    p: f64,
    departures: &LaneDepartures<B>,
    pi: &[f64],
) -> [[f64; 3]; B] {
    if remit {
        shift_row::<S, B, true>(simd, from, to, open, p, departures, pi)
    } else {
        shift_row::<S, B, false>(simd, from, to, open, p, departures, pi)
    }
}

/// The open age's row after age A-1 has assigned it: `to[d + 1] += scratch[d + 1]` for d
/// below D, then `to[D] += scratch[D + 1]` (its own open duration).
#[inline(always)]
fn add_rows<S: pulp::Simd, const B: usize>(simd: S, to: &mut [[f64; B]], scratch: &[[f64; B]]) {
    let last = to.len() - 1;
    // (Loops, not a closure: see shift_row_of.)
    for (d, from) in (1..=last)
        .zip(&scratch[1..=last])
        .chain([(last, &scratch[last + 1])])
    {
        let (to, _) = S::as_mut_simd_f64s(&mut to[d]);
        let (from, _) = S::as_simd_f64s(from);
        for (to, from) in to.iter_mut().zip(from) {
            *to = simd.add_f64s(*to, *from);
        }
    }
}

/// Advances one state `old` (N_t) to `new` (N_{t+1}) with `arrivals_persons` arrivals: the
/// step of a batch of one, on the instruction set runs use. `new` is overwritten.
pub fn step_region(
    old: ArrayView3<'_, f64>,
    new: ArrayViewMut3<'_, f64>,
    rates: StepRates<'_>,
    arrivals_persons: f64,
) -> Flows {
    let mut departures = LaneDepartures::<1>::new(Dims::new(old.len_of(DURATION) - 1));
    departures.set(rates.departure_probability, &[1.0]);
    let mut new = new;
    new.assign(&old);
    step_batch::<1>(
        new.insert_axis(LANE),
        rates,
        &departures,
        &[arrivals_persons],
        &mut Workspace::new(),
        InstructionSet::chosen(),
    )
    .lane(0)
}

/// A batch whose every lane holds `state` (the start of a batch of trajectories).
pub fn broadcast_batch<const B: usize>(state: ArrayView3<'_, f64>) -> Batch {
    let (sexes, ages, durations) = state.dim();
    let mut batch = Batch::zeros((sexes, ages, durations, B));
    batch.assign(&state.insert_axis(LANE));
    batch
}

/// The same step as plain nested loops over every cell, written straight from MODEL.md for
/// tests to compare the fast step with. Slow on purpose.
pub fn reference_step(
    old: ArrayView3<'_, f64>,
    dims: Dims,
    rates: StepRates<'_>,
    arrivals_persons: f64,
) -> (super::state::Cohorts, Flows) {
    let mut new = dims.zeros();
    let mut flows = Flows::default();
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            for d in 0..=dims.max_duration {
                let n = old[[sex, age, d]];
                flows.stock += n;
                if age >= rates.remitting_ages.0 && age <= rates.remitting_ages.1 {
                    flows.remitters += n * rates.propensity[d];
                }
                let q = rates.death_probability[sex * N_AGES + age];
                flows.deaths += n * q;
                let survivors = n * (1.0 - q);
                let h = rates.departure_probability[d];
                flows.departures += survivors * h;
                new[[sex, (age + 1).min(MAX_AGE), (d + 1).min(dims.max_duration)]] +=
                    survivors * (1.0 - h);
            }
        }
    }
    for sex in 0..N_SEXES {
        for age in 0..N_AGES {
            new[[sex, age, 0]] = arrivals_persons * rates.arrival_shares[sex * N_AGES + age];
        }
    }
    (new, flows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::state::{total, Cohorts, LANE};
    use ndarray::Axis;

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
        let mut old = dims.zeros();
        old[[0, 30, 2]] = 1000.0;
        old[[1, 100, 4]] = 500.0;
        old[[1, 99, 3]] = 200.0;
        let (q, h, shares) = uniform_rates(0.01, 0.1, dims);
        let pi = vec![0.5; dims.n_durations()];
        let rates = StepRates {
            death_probability: &q,
            departure_probability: &h,
            arrival_shares: &shares,
            propensity: &pi,
            remitting_ages: (15, 64),
        };
        let mut new = Cohorts::from_elem(dims.shape(), f64::NAN);
        let flows = step_region(old.view(), new.view_mut(), rates, 100.0);
        assert!((new[[0, 31, 3]] - 891.0).abs() < 1e-9);
        assert!((new[[1, 100, 4]] - 623.7).abs() < 1e-9);
        assert!((new[[0, 25, 0]] - 50.0).abs() < 1e-12);
        assert!((new[[1, 30, 0]] - 50.0).abs() < 1e-12);
        assert!((flows.deaths - 17.0).abs() < 1e-9);
        assert!((flows.departures - 168.3).abs() < 1e-9);
        assert!((total(new.view()) - (1700.0 - 17.0 - 168.3 + 100.0)).abs() < 1e-9);
        assert_eq!(new.iter().filter(|v| **v != 0.0).count(), 4);
        // Stock 1700; remitters: only the 1000 women aged 30 are 15-64, times pi = 0.5.
        assert!((flows.stock - 1700.0).abs() < 1e-12);
        assert!((flows.remitters - 500.0).abs() < 1e-12);
    }

    struct Example {
        dims: Dims,
        old: Cohorts,
        q: Vec<f64>,
        h: Vec<f64>,
        shares: Vec<f64>,
        pi: Vec<f64>,
    }

    impl Example {
        fn new(max_duration: usize) -> Self {
            let dims = Dims::new(max_duration);
            let old = dims.cohorts(
                (0..dims.cells())
                    .map(|i| ((i * 7919) % 1000) as f64 * 0.37)
                    .collect(),
            );
            Example {
                dims,
                old,
                q: (0..N_SEXES * N_AGES)
                    .map(|i| 0.001 + (i % N_AGES) as f64 * 0.003)
                    .collect(),
                h: (0..=max_duration)
                    .map(|d| 0.03 + 0.07 * (-0.25 * d as f64).exp())
                    .collect(),
                shares: vec![1.0 / (N_SEXES * N_AGES) as f64; N_SEXES * N_AGES],
                pi: (0..=max_duration)
                    .map(|d| 0.6 * (-0.05 * d as f64).exp())
                    .collect(),
            }
        }

        fn rates(&self) -> StepRates<'_> {
            StepRates {
                death_probability: &self.q,
                departure_probability: &self.h,
                arrival_shares: &self.shares,
                propensity: &self.pi,
                remitting_ages: (15, 64),
            }
        }
    }

    #[test]
    fn fast_step_equals_reference_on_a_full_state() {
        for max_duration in [50, 7, 1] {
            let example = Example::new(max_duration);
            let mut new = Cohorts::from_elem(example.dims.shape(), f64::NAN);
            let fast = step_region(example.old.view(), new.view_mut(), example.rates(), 1234.5);
            let (reference, slow) =
                reference_step(example.old.view(), example.dims, example.rates(), 1234.5);
            for (a, b) in new.iter().zip(&reference) {
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
            }
            assert!((fast.deaths - slow.deaths).abs() <= 1e-12 * slow.deaths);
            assert!((fast.departures - slow.departures).abs() <= 1e-12 * slow.departures);
            assert!((fast.stock - slow.stock).abs() <= 1e-12 * slow.stock);
            assert!((fast.remitters - slow.remitters).abs() <= 1e-12 * slow.remitters);
        }
    }

    /// Runs five lanes (each its own state, departure multiplier and arrivals) as a batch of
    /// `B` on `set`, returning each lane's state and flows after three steps.
    fn lanes_after_three_steps<const B: usize>(
        example: &Example,
        set: InstructionSet,
    ) -> Vec<(Cohorts, Flows)> {
        let multipliers = [1.0, 0.5, 2.0, 40.0, 0.9];
        let arrivals = [1234.5, 0.0, 99.25, 1e6, 3.0];
        let mut out = Vec::new();
        for first in (0..5).step_by(B) {
            let mut batch = broadcast_batch::<B>(example.old.view());
            for (lane, mut state) in batch.axis_iter_mut(LANE).enumerate() {
                state.mapv_inplace(|x| x * (1.0 + 0.1 * ((first + lane) % 5) as f64));
            }
            let mut departures = LaneDepartures::<B>::new(example.dims);
            let mut workspace = Workspace::new();
            let pick = |values: &[f64; 5]| -> [f64; B] {
                std::array::from_fn(|lane| values[(first + lane).min(4)])
            };
            departures.set(&example.h, &pick(&multipliers));
            let mut flows = Vec::new();
            for _ in 0..3 {
                flows.push(step_batch::<B>(
                    batch.view_mut(),
                    example.rates(),
                    &departures,
                    &pick(&arrivals),
                    &mut workspace,
                    set,
                ));
            }
            for lane in 0..B.min(5 - first) {
                let state = batch.index_axis(Axis(3), lane).to_owned();
                out.push((state, flows[2].lane(lane)));
            }
        }
        out
    }

    /// Each lane of a batch is the batch-of-one step of that lane, to the bit, whatever the
    /// batch size and the instruction set.
    #[test]
    fn lanes_are_bit_identical_across_batch_sizes_and_instruction_sets() {
        let example = Example::new(50);
        let expected = lanes_after_three_steps::<1>(&example, InstructionSet::Sse2);
        for set in InstructionSet::ALL {
            assert_eq!(lanes_after_three_steps::<1>(&example, set), expected);
            assert_eq!(lanes_after_three_steps::<2>(&example, set), expected);
            assert_eq!(lanes_after_three_steps::<4>(&example, set), expected);
            assert_eq!(lanes_after_three_steps::<8>(&example, set), expected);
        }
        // The lanes differ (the test would pass trivially on equal lanes).
        assert_ne!(expected[0].1, expected[1].1);
        // A multiplier of 40 caps h at 1: nobody stays beyond the new arrivals.
        let arrived: f64 = expected[3].0.index_axis(Axis(2), 0).iter().sum();
        assert!((total(expected[3].0.view()) - arrived).abs() < 1e-6);
    }
}
