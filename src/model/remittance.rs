//! Remittances (MODEL.md section 7): propensity to remit by duration, and effective remitters.

use ndarray::{ArrayView3, Axis};

use super::state::SEX;
use super::{N_AGES, N_SEXES};
use crate::scenario::Propensity;

/// `pi(d)` for d = 0..=max_duration.
pub fn propensity_by_duration(propensity: &Propensity, max_duration: usize) -> Vec<f64> {
    (0..=max_duration)
        .map(|d| {
            let d = d as f64;
            match *propensity {
                Propensity::Constant { value } => value,
                Propensity::Exponential {
                    initial,
                    long_run,
                    decay,
                } => long_run + (initial - long_run) * (-decay * d).exp(),
                Propensity::Hump {
                    peak,
                    peak_duration,
                } => {
                    let u = (d + 1.0) / (peak_duration + 1.0);
                    peak * u * (1.0 - u).exp()
                }
            }
        })
        .collect()
}

/// Effective remitters `E = sum over a in age_range, s, d of N[s, a, d] pi(d)` of one region.
pub fn effective_remitters(
    state: ArrayView3<'_, f64>,
    age_range: (usize, usize),
    pi: &[f64],
) -> f64 {
    let mut total = 0.0;
    for sex in 0..N_SEXES {
        let of_sex = state.index_axis(SEX, sex);
        for age in age_range.0..=age_range.1.min(N_AGES - 1) {
            let row = of_sex.index_axis(Axis(0), age);
            total += row.iter().zip(pi).map(|(n, p)| n * p).sum::<f64>();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hump_peaks_at_its_duration() {
        let pi = propensity_by_duration(
            &Propensity::Hump {
                peak: 0.7,
                peak_duration: 8.0,
            },
            50,
        );
        assert!((pi[8] - 0.7).abs() < 1e-15);
        assert!(pi[7] < pi[8] && pi[9] < pi[8]);
        // d = 0: u = 1/9, 0.7 * u * e^(1-u)
        assert!((pi[0] - 0.7 / 9.0 * (8.0f64 / 9.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn exponential_starts_at_initial() {
        let pi = propensity_by_duration(
            &Propensity::Exponential {
                initial: 0.8,
                long_run: 0.4,
                decay: 0.1,
            },
            10,
        );
        assert!((pi[0] - 0.8).abs() < 1e-15);
        assert!((pi[10] - (0.4 + 0.4 * (-1.0f64).exp())).abs() < 1e-15);
    }
}
