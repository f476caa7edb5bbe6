//! Who arrives: the Rogers-Castro age schedule split by sex (MODEL.md section 4), and the
//! number of arrivals each year (section 6).

use super::{MAX_AGE, N_AGES, N_SEXES};
use crate::scenario::{AgeSchedule, Arrivals, Scenario};

/// Rogers-Castro `m(x) = a1 exp(-alpha1 x) + a2 exp(-alpha2 (x - mu2) - exp(-lambda2 (x - mu2))) + c`.
pub fn rogers_castro(schedule: &AgeSchedule, age: f64) -> f64 {
    match *schedule {
        AgeSchedule::RogersCastro {
            a1,
            alpha1,
            a2,
            alpha2,
            mu2,
            lambda2,
            c,
        } => {
            a1 * (-alpha1 * age).exp()
                + a2 * (-alpha2 * (age - mu2) - (-lambda2 * (age - mu2)).exp()).exp()
                + c
        }
        AgeSchedule::Table { .. } => f64::NAN,
    }
}

/// The share of a year's arrivals by `[sex][age]` (sums to 1): `f[a, female] = phi m(a) / sum m`,
/// `f[a, male] = (1 - phi) m(a) / sum m`; a table's weights are normalized instead.
pub fn age_sex_shares(schedule: &AgeSchedule, female_share: f64) -> [Vec<f64>; N_SEXES] {
    match schedule {
        AgeSchedule::RogersCastro { .. } => {
            let m: Vec<f64> = (0..=MAX_AGE)
                .map(|x| rogers_castro(schedule, x as f64))
                .collect();
            let total: f64 = m.iter().sum();
            [
                m.iter().map(|v| female_share * v / total).collect(),
                m.iter().map(|v| (1.0 - female_share) * v / total).collect(),
            ]
        }
        AgeSchedule::Table { weights, .. } => {
            let total: f64 = weights.iter().flatten().sum();
            [
                weights[0].iter().map(|v| v / total).collect(),
                weights[1].iter().map(|v| v / total).collect(),
            ]
        }
    }
}

/// The arrival shares of region `region`, flattened `[sex * N_AGES + age]`.
pub fn region_arrival_shares(scenario: &Scenario, region: usize) -> Vec<f64> {
    let arrivals: &Arrivals = &scenario.arrivals;
    let female_share = scenario.regions[region]
        .female_share
        .unwrap_or(arrivals.female_share);
    let [female, male] = age_sex_shares(&arrivals.age_schedule, female_share);
    let mut flat = Vec::with_capacity(N_SEXES * N_AGES);
    flat.extend(female);
    flat.extend(male);
    flat
}

/// Multiplier `M_t[r]` of the `[[arrivals.change]]` entries in force, and pulse `P_t[r]`.
pub fn change_and_pulse(arrivals: &Arrivals, year: i32, region: usize) -> (f64, f64) {
    let multiplier = super::departure::changes_in_force(&arrivals.changes, year, region);
    let pulse = arrivals
        .pulses
        .iter()
        .filter(|p| p.year == year && p.region == region)
        .map(|p| p.persons)
        .sum();
    (multiplier, pulse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> AgeSchedule {
        let [a1, alpha1, a2, alpha2, mu2, lambda2, c] = crate::scenario::ROGERS_CASTRO_DEFAULTS;
        AgeSchedule::RogersCastro {
            a1,
            alpha1,
            a2,
            alpha2,
            mu2,
            lambda2,
            c,
        }
    }

    #[test]
    fn schedule_at_the_labour_peak_by_hand() {
        // m(22) = 0.04 e^-2.2 + 0.06 e^(0 - e^0) + 0.003
        let expected = 0.04 * (-2.2f64).exp() + 0.06 * (-1.0f64).exp() + 0.003;
        assert!((rogers_castro(&defaults(), 22.0) - expected).abs() < 1e-15);
    }

    #[test]
    fn shares_sum_to_one_and_split_by_sex() {
        let [female, male] = age_sex_shares(&defaults(), 0.49);
        let f: f64 = female.iter().sum();
        let m: f64 = male.iter().sum();
        assert!((f - 0.49).abs() < 1e-12 && (m - 0.51).abs() < 1e-12);
    }
}
