//! Interpolation of year series (MODEL.md sections 7 and 8).

/// Linear interpolation between points, held flat outside them (cost paths, comparison
/// series). `points` are sorted by year and not empty.
pub fn linear_flat(points: &[(f64, f64)], year: f64) -> f64 {
    let (first, last) = (points[0], points[points.len() - 1]);
    if year <= first.0 {
        return first.1;
    }
    if year >= last.0 {
        return last.1;
    }
    let right = points.partition_point(|p| p.0 <= year);
    let (x0, y0) = points[right - 1];
    let (x1, y1) = points[right];
    y0 + (y1 - y0) * (year - x0) / (x1 - x0)
}

/// Log-linear interpolation, extended at the growth rate of the nearest segment; a single
/// point is held constant (world population). Values are positive.
pub fn log_linear_extended(points: &[(f64, f64)], year: f64) -> f64 {
    if points.len() == 1 {
        return points[0].1;
    }
    let segment = points
        .partition_point(|p| p.0 <= year)
        .clamp(1, points.len() - 1);
    let (x0, y0) = points[segment - 1];
    let (x1, y1) = points[segment];
    let rate = (y1.ln() - y0.ln()) / (x1 - x0);
    (y0.ln() + rate * (year - x0)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_inside_and_flat_outside() {
        let pts = [(2009.0, 0.10), (2016.0, 0.074), (2030.0, 0.03)];
        assert_eq!(linear_flat(&pts, 1990.0), 0.10);
        assert_eq!(linear_flat(&pts, 2050.0), 0.03);
        assert!((linear_flat(&pts, 2023.0) - 0.052).abs() < 1e-15);
    }

    #[test]
    fn log_linear_extends_the_nearest_segment() {
        let pts = [(1990.0, 100.0), (2000.0, 200.0)];
        assert!((log_linear_extended(&pts, 1995.0) - 100.0 * 2f64.sqrt()).abs() < 1e-9);
        assert!((log_linear_extended(&pts, 2010.0) - 400.0).abs() < 1e-9);
        assert!((log_linear_extended(&pts, 1980.0) - 50.0).abs() < 1e-9);
        assert_eq!(log_linear_extended(&[(2000.0, 7.0)], 2050.0), 7.0);
    }
}
