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

/// Mean (summed in the given order) and the seven summary quantiles of `values` (not
/// empty), which are left partly reordered. The quantiles need only the order statistics at
/// `floor h` and `floor h + 1` of each probability: they are selected in increasing order,
/// each in the part above the previous one (expected linear time, against n log n for a full
/// sort), and give the same numbers as [`quantile_sorted`] on the sorted values.
pub fn summarize(values: &mut [f64]) -> (f64, [f64; 7]) {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let position = |p: f64| -> (f64, usize, usize) {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        (h, lo, (lo + 1).min(n - 1))
    };
    let mut wanted: Vec<usize> = SUMMARY_PROBABILITIES
        .iter()
        .flat_map(|&(p, _)| {
            let (_, lo, hi) = position(p);
            [lo, hi]
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut order_statistics = Vec::with_capacity(wanted.len());
    let mut start = 0;
    for &k in &wanted {
        let (_, x, _) = values[start..].select_nth_unstable_by(k - start, f64::total_cmp);
        order_statistics.push((k, *x));
        start = k + 1;
    }
    let at = |k: usize| -> f64 {
        order_statistics
            .iter()
            .find(|(position, _)| *position == k)
            .map(|(_, x)| *x)
            .expect("every position wanted was selected")
    };
    let mut quantiles = [0.0; 7];
    for (q, (p, _)) in quantiles.iter_mut().zip(SUMMARY_PROBABILITIES) {
        let (h, lo, hi) = position(p);
        *q = at(lo) + (h - lo as f64) * (at(hi) - at(lo));
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

    /// The selected order statistics give exactly the quantiles of the sorted values.
    #[test]
    fn selection_equals_the_sorted_quantiles() {
        for n in [1, 2, 3, 7, 40, 1001, 10_000] {
            let values: Vec<f64> = (0..n)
                .map(|i| ((i * 7919 + 13) % 1009) as f64 * 1.37 - 300.0)
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let mut work = values.clone();
            let (mean, q) = summarize(&mut work);
            assert_eq!(mean, values.iter().sum::<f64>() / n as f64);
            for (q, (p, _)) in q.iter().zip(SUMMARY_PROBABILITIES) {
                assert_eq!(*q, quantile_sorted(&sorted, p), "n = {n}, p = {p}");
            }
        }
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
