//! Departures by duration of stay (MODEL.md section 3):
//! `h(d) = long_run + (initial - long_run) exp(-decay d)`, times the changes in force, capped at 1.

use crate::scenario::Departure;

/// Departure probabilities `h_t(d)` for d = 0..=max_duration, in `year`, for region `region`,
/// with an extra multiplier (the Monte Carlo's `exp(departure_sd z)`; 1 otherwise).
pub fn departure_probabilities(
    departure: &Departure,
    year: i32,
    region: usize,
    max_duration: usize,
    extra_multiplier: f64,
) -> Vec<f64> {
    let multiplier = extra_multiplier * changes_in_force(&departure.changes, year, region);
    (0..=max_duration)
        .map(|d| {
            let h = departure.long_run
                + (departure.initial - departure.long_run) * (-departure.decay * d as f64).exp();
            (h * multiplier).min(1.0)
        })
        .collect()
}

/// The product of the multipliers of the changes in force in `year` for `region`.
pub fn changes_in_force(changes: &[crate::scenario::Change], year: i32, region: usize) -> f64 {
    changes
        .iter()
        .filter(|c| c.from_year <= year && c.region.is_none_or(|r| r == region))
        .map(|c| c.multiplier)
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Change;

    #[test]
    fn defaults_give_about_a_third_leaving_within_five_years() {
        let departure = Departure {
            initial: 0.10,
            long_run: 0.03,
            decay: 0.25,
            changes: vec![],
        };
        let h = departure_probabilities(&departure, 2000, 0, 50, 1.0);
        assert!((h[0] - 0.10).abs() < 1e-15);
        // h(4) = 0.03 + 0.07 e^-1
        assert!((h[4] - (0.03 + 0.07 * (-1.0f64).exp())).abs() < 1e-15);
        let stay5: f64 = h[..5].iter().map(|x| 1.0 - x).product();
        assert!(
            (1.0 - stay5 - 0.32).abs() < 0.02,
            "left within 5 years: {}",
            1.0 - stay5
        );
    }

    #[test]
    fn changes_multiply_from_their_year_and_cap_at_one() {
        let departure = Departure {
            initial: 0.6,
            long_run: 0.03,
            decay: 0.25,
            changes: vec![
                Change {
                    from_year: 2005,
                    multiplier: 2.0,
                    region: None,
                    origin: None,
                },
                Change {
                    from_year: 2010,
                    multiplier: 1.5,
                    region: Some(1),
                    origin: None,
                },
            ],
        };
        assert_eq!(departure_probabilities(&departure, 2004, 0, 5, 1.0)[0], 0.6);
        assert_eq!(departure_probabilities(&departure, 2005, 0, 5, 1.0)[0], 1.0);
        assert!(
            (departure_probabilities(&departure, 2010, 0, 5, 1.0)[5]
                - 2.0 * (0.03 + 0.57 * (-1.25f64).exp()))
            .abs()
                < 1e-15
        );
        assert!((changes_in_force(&departure.changes, 2010, 1) - 3.0).abs() < 1e-15);
    }
}
