//! `remittances.growth_damping` (psi, MODEL.md sections 7 and 13, revision 3) from receipts
//! by receiving country.
//!
//! For each decade `p` (consecutive multiples of ten in the history, up to `--until`) the
//! countries that report in both of its end years form the decade's panel; a country's
//! deviation is `d[c, p] = ln(R[c, end] / R[c, start]) / 10 - rho_W[p]`, where `rho_W[p]` is
//! the growth of the sum over that same panel (so that new reporters do not count as growth).
//! The persistence is the weighted slope of `d[c, p+1]` on `d[c, p]` over the countries in
//! both decades, `b = sum w d[p+1] d[p] / sum w d[p]^2`, weighted by the country's receipts in
//! the year the two decades share (origin groups are aggregates, in which the large receivers
//! weigh most; unweighted, a few small economies whose receipts multiplied from almost nothing
//! decide the slope).
//!
//! The yearly psi is the persistence of an AR(1) deviation whose ten-year means have that
//! slope, as `phi` is the yearly persistence whose simulated decade statistic matches the
//! stocks': for a stationary AR(1) with persistence psi, the slope of the next decade's mean
//! on this decade's is `sum_{i<10<=j<20} psi^(j-i) / sum_{i,j<10} psi^|i-j|`, increasing from
//! 0 (psi = 0) to 1 (psi = 1); psi solves it by bisection, 0 when the slope is not positive.
//! Its standard error: the sd over bootstrap replicates that resample countries.

use std::collections::BTreeMap;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::scenario::csv_table::{number as csv_number, parse_csv};

/// Years of one period of the statistic (decades).
pub const DECADE: i32 = 10;

/// Receipts by receiving country: `usd[country][year]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryReceipts {
    pub name: String,
    pub countries: Vec<String>,
    pub usd: Vec<BTreeMap<i32, f64>>,
    /// Rows left out because they were after `until`.
    pub dropped_after_until: usize,
}

/// Reads receipts by receiving country: CSV with columns `iso3` (or `country`), `year` and
/// `usd`, any others ignored; rows with an empty `usd` are skipped (a country that did not
/// report), rows after `until` left out.
pub fn read_country_receipts(file: &SourceFile, until: i32) -> Result<CountryReceipts> {
    let located = |d: Vec<Diagnostic>| Error::from_diagnostics(file, &d, "nothing was estimated");
    let rows = parse_csv(&file.text).map_err(|d| located(vec![d]))?;
    let header_problem = || {
        located(vec![Diagnostic::at(
            rows.first().map(|r| r.span.clone()).unwrap_or(0..0),
            "expected a header with the columns iso3 (or country), year, usd (other columns are ignored)",
        )])
    };
    let Some(header) = rows.first() else {
        return Err(header_problem());
    };
    let column = |name: &str| {
        header
            .fields
            .iter()
            .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
    };
    let (Some(c_id), Some(c_year), Some(c_usd)) = (
        column("iso3").or(column("country")),
        column("year"),
        column("usd"),
    ) else {
        return Err(header_problem());
    };
    let width = header.fields.len();
    let mut problems = Vec::new();
    let mut by_country: BTreeMap<String, BTreeMap<i32, f64>> = BTreeMap::new();
    let mut dropped = 0;
    for row in rows.iter().skip(1) {
        if row.fields.len() != width {
            problems.push(Diagnostic::at(
                row.span.clone(),
                format!(
                    "expected {width} fields as in the header, found {}",
                    row.fields.len()
                ),
            ));
            continue;
        }
        let id = row.fields[c_id].text.trim().to_string();
        if id.is_empty() || id.len() > 200 {
            problems.push(Diagnostic::at(
                row.fields[c_id].span.clone(),
                "the country must be a code or name of 1 to 200 characters",
            ));
            continue;
        }
        let year = match row.fields[c_year].text.trim().parse::<i32>() {
            Ok(y) if (1000..=3000).contains(&y) => y,
            _ => {
                problems.push(Diagnostic::at(
                    row.fields[c_year].span.clone(),
                    format!(
                        "`year` must be a year such as 1990, found `{}`",
                        crate::error::clip(&row.fields[c_year].text, 40)
                    ),
                ));
                continue;
            }
        };
        if row.fields[c_usd].text.trim().is_empty() {
            continue;
        }
        let usd = match csv_number(&row.fields[c_usd], "usd") {
            Ok(v) if (0.0..1e15).contains(&v) => v,
            Ok(v) => {
                problems.push(Diagnostic::at(
                    row.fields[c_usd].span.clone(),
                    format!("`usd` must be an amount in 0..1e15 US dollars, found {v}"),
                ));
                continue;
            }
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        if year > until {
            dropped += 1;
            continue;
        }
        if by_country
            .entry(id.clone())
            .or_default()
            .insert(year, usd)
            .is_some()
        {
            problems.push(Diagnostic::at(
                row.fields[c_year].span.clone(),
                format!("a second figure for {id} in {year}"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(located(problems));
    }
    let (countries, usd) = by_country.into_iter().unzip();
    let receipts = CountryReceipts {
        name: file
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "receipts".into()),
        countries,
        usd,
        dropped_after_until: dropped,
    };
    if receipts.pairs().is_empty() {
        return Err(located(vec![Diagnostic::whole_file(format!(
            "no country reports in three decade years in a row up to {until} (such as 1980, 1990 and 2000): the damping needs two consecutive decades"
        ))]));
    }
    Ok(receipts)
}

/// One country's deviations in two consecutive decades, and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecadePair {
    pub country: usize,
    /// The year the two decades share.
    pub middle: i32,
    pub first: f64,
    pub second: f64,
    pub weight: f64,
}

impl CountryReceipts {
    /// Decade end years present for some country, in order.
    fn decade_years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self
            .usd
            .iter()
            .flat_map(|m| m.keys().copied())
            .filter(|y| y % DECADE == 0)
            .collect();
        years.sort_unstable();
        years.dedup();
        years
    }

    /// `d[c, p]` for every decade `(start, start + 10)`: the country's growth less that of
    /// the sum over the countries reporting positive receipts in both years.
    fn deviations(&self, start: i32) -> BTreeMap<usize, f64> {
        let end = start + DECADE;
        let members: Vec<(usize, f64, f64)> = self
            .usd
            .iter()
            .enumerate()
            .filter_map(|(c, m)| match (m.get(&start), m.get(&end)) {
                (Some(&a), Some(&b)) if a > 0.0 && b > 0.0 => Some((c, a, b)),
                _ => None,
            })
            .collect();
        if members.len() < 2 {
            return BTreeMap::new();
        }
        let (total_a, total_b) = members
            .iter()
            .fold((0.0, 0.0), |(x, y), &(_, a, b)| (x + a, y + b));
        let world = (total_b / total_a).ln() / DECADE as f64;
        members
            .into_iter()
            .map(|(c, a, b)| (c, (b / a).ln() / DECADE as f64 - world))
            .collect()
    }

    /// Every country's deviations in two consecutive decades.
    pub fn pairs(&self) -> Vec<DecadePair> {
        let years = self.decade_years();
        let mut out = Vec::new();
        for &start in &years {
            let middle = start + DECADE;
            if !years.contains(&middle) || !years.contains(&(middle + DECADE)) {
                continue;
            }
            let first = self.deviations(start);
            let second = self.deviations(middle);
            for (&c, &d1) in &first {
                if let Some(&d2) = second.get(&c) {
                    out.push(DecadePair {
                        country: c,
                        middle,
                        first: d1,
                        second: d2,
                        weight: self.usd[c][&middle],
                    });
                }
            }
        }
        out
    }
}

/// The weighted slope of the second decade's deviation on the first's.
pub fn weighted_slope(pairs: &[DecadePair]) -> f64 {
    let (cross, square) = pairs.iter().fold((0.0, 0.0), |(x, s), p| {
        (
            x + p.weight * p.first * p.second,
            s + p.weight * p.first * p.first,
        )
    });
    if square > 0.0 {
        cross / square
    } else {
        0.0
    }
}

/// The slope of the next decade's mean of a stationary AR(1) on this decade's, for yearly
/// persistence `psi`.
pub fn decade_slope(psi: f64) -> f64 {
    let n = DECADE;
    let (mut cross, mut within) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            within += psi.powi((i - j).abs());
            cross += psi.powi(n + j - i);
        }
    }
    cross / within
}

/// The yearly psi whose decade slope is `slope` (0 for a slope of 0 or below, 1 at 1 or above).
pub fn psi_of_slope(slope: f64) -> f64 {
    if slope.is_nan() || slope <= 0.0 {
        return 0.0;
    }
    if slope >= 1.0 {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if decade_slope(mid) < slope {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The estimate of psi.
#[derive(Debug, Clone, PartialEq)]
pub struct DampingFit {
    pub psi: f64,
    pub standard_error: f64,
    /// The observed decade-to-decade slope.
    pub slope: f64,
    /// Country pairs of decades behind it, and the countries.
    pub pairs: usize,
    pub countries: usize,
    /// The unweighted slope, reported as a check.
    pub unweighted_slope: f64,
    pub bootstrap: usize,
}

/// psi with its bootstrap standard error (countries resampled with replacement).
pub fn estimate_damping(receipts: &CountryReceipts, bootstrap: usize, seed: u64) -> DampingFit {
    let pairs = receipts.pairs();
    let slope = weighted_slope(&pairs);
    let unweighted: Vec<DecadePair> = pairs
        .iter()
        .map(|p| DecadePair { weight: 1.0, ..*p })
        .collect();
    let mut countries: Vec<usize> = pairs.iter().map(|p| p.country).collect();
    countries.sort_unstable();
    countries.dedup();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7073_6900);
    let replicates: Vec<f64> = (0..bootstrap)
        .map(|_| {
            let mut sample = Vec::with_capacity(pairs.len());
            for _ in 0..countries.len() {
                let c = countries[rng.random_range(0..countries.len())];
                sample.extend(pairs.iter().filter(|p| p.country == c));
            }
            psi_of_slope(weighted_slope(&sample))
        })
        .collect();
    let n = replicates.len() as f64;
    let mean = replicates.iter().sum::<f64>() / n;
    let standard_error = if replicates.len() > 1 {
        (replicates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    DampingFit {
        psi: psi_of_slope(slope),
        standard_error,
        slope,
        pairs: pairs.len(),
        countries: countries.len(),
        unweighted_slope: weighted_slope(&unweighted),
        bootstrap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decade_slope_of_an_ar1_by_hand() {
        assert_eq!(decade_slope(0.0), 0.0);
        assert!((decade_slope(1.0) - 1.0).abs() < 1e-15);
        // psi = 0.5, two-year "decades" would be easy by hand; with ten years check against a
        // direct sum written out differently: cov of means / var of mean.
        let psi: f64 = 0.8;
        let within: f64 = (0..10)
            .flat_map(|i: i32| (0..10).map(move |j: i32| psi.powi((i - j).abs())))
            .sum();
        let cross: f64 = (0..10)
            .flat_map(|i| (10..20).map(move |j| psi.powi(j - i)))
            .sum();
        assert!((decade_slope(psi) - cross / within).abs() < 1e-14);
        assert!((psi_of_slope(decade_slope(0.8)) - 0.8).abs() < 1e-12);
        assert_eq!(psi_of_slope(-0.2), 0.0);
    }

    fn receipts(series: &[(&str, &[(i32, f64)])]) -> CountryReceipts {
        CountryReceipts {
            name: "test".into(),
            countries: series.iter().map(|(c, _)| c.to_string()).collect(),
            usd: series
                .iter()
                .map(|(_, points)| points.iter().copied().collect())
                .collect(),
            dropped_after_until: 0,
        }
    }

    #[test]
    fn deviations_and_slope_by_hand() {
        // Two countries, equal receipts in 1990. A doubles then grows by e; B stays then
        // shrinks. The world of each decade is the sum of the two.
        let e = std::f64::consts::E;
        let r = receipts(&[
            ("A", &[(1980, 50.0), (1990, 100.0), (2000, 100.0 * e)]),
            ("B", &[(1980, 100.0), (1990, 100.0), (2000, 100.0)]),
        ]);
        let pairs = r.pairs();
        assert_eq!(pairs.len(), 2);
        let w1 = (200f64 / 150.0).ln() / 10.0;
        let w2 = ((100.0 * e + 100.0) / 200.0).ln() / 10.0;
        let a = (2f64.ln() / 10.0 - w1, 0.1 - w2);
        let b = (-w1, -w2);
        let slope = (a.0 * a.1 + b.0 * b.1) / (a.0 * a.0 + b.0 * b.0);
        assert!((weighted_slope(&pairs) - slope).abs() < 1e-15);
    }

    #[test]
    fn recovers_psi_from_simulated_histories() {
        // Countries whose log receipts follow a common trend plus an AR(1) deviation with a
        // known psi, observed 1950-2000 (four decade pairs), equal weights.
        use rand_distr::StandardNormal;
        for psi in [0.5f64, 0.85] {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let countries: Vec<(String, Vec<(i32, f64)>)> = (0..3000)
                .map(|c| {
                    let mut x: f64 =
                        rng.sample::<f64, _>(StandardNormal) * 0.02 / (1.0 - psi * psi).sqrt();
                    let mut log_r = 0.0;
                    let mut points = Vec::new();
                    for year in 1900..=2000 {
                        x = psi * x + 0.02 * rng.sample::<f64, _>(StandardNormal);
                        log_r += 0.05 + x;
                        if year >= 1950 && year % 10 == 0 {
                            points.push((year, (log_r - 0.05 * (year - 1900) as f64).exp()));
                        }
                    }
                    (format!("C{c}"), points)
                })
                .collect();
            let r = CountryReceipts {
                name: "simulated".into(),
                countries: countries.iter().map(|c| c.0.clone()).collect(),
                usd: countries
                    .iter()
                    .map(|c| c.1.iter().copied().collect())
                    .collect(),
                dropped_after_until: 0,
            };
            let pairs: Vec<DecadePair> = r
                .pairs()
                .into_iter()
                .map(|p| DecadePair { weight: 1.0, ..p })
                .collect();
            let estimate = psi_of_slope(weighted_slope(&pairs));
            assert!(
                (estimate - psi).abs() < 0.05,
                "psi {psi}: estimated {estimate}"
            );
        }
    }
}
