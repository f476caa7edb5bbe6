//! Quantiles (linear interpolation between order statistics: R type 7, numpy's default) and
//! the summary statistics of the Monte Carlo.

/// The probabilities reported in summary.csv, with their column names.
pub const SUMMARY_PROBABILITIES: [(f64, &str); 7] = [
    (0.025, "p2_5"),
    (0.10, "p10"),
    (0.25, "p25"),
    (0.50, "p50"),
    (0.75, "p75"),
    (0.90, "p90"),
    (0.975, "p97_5"),
];

/// Quantile `p` of `sorted` (ascending, not empty): `h = (n - 1) p`,
/// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Mean (summed in the given order) and the seven summary quantiles of `values`.
pub fn summarize(values: &mut [f64]) -> (f64, [f64; 7]) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.sort_by(f64::total_cmp);
    let mut quantiles = [0.0; 7];
    for (q, (p, _)) in quantiles.iter_mut().zip(SUMMARY_PROBABILITIES) {
        *q = quantile_sorted(values, p);
    }
    (mean, quantiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_matches_numpy_by_hand() {
        // numpy.percentile([1, 2, 3, 4], [10, 50, 97.5]) = [1.3, 2.5, 3.925]
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&x, 0.10) - 1.3).abs() < 1e-12);
        assert!((quantile_sorted(&x, 0.50) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&x, 0.975) - 3.925).abs() < 1e-12);
        assert_eq!(quantile_sorted(&[7.0], 0.9), 7.0);
    }

    #[test]
    fn summary_is_ordered() {
        let mut values: Vec<f64> = (0..101).map(|i| ((i * 37) % 101) as f64).collect();
        let (mean, q) = summarize(&mut values);
        assert!((mean - 50.0).abs() < 1e-12);
        assert!(q.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(q[3], 50.0);
    }
}
