//! Outputs: tables (CSV), the run manifest, and the atomic output folder they are written
//! into. Exporters turn results into bytes; they compute nothing of the model.

pub mod charts;
pub mod folder;
pub mod summary;
pub mod tables;

/// Formats a number so that it reads back to the same f64 (Rust's shortest round-trip form,
/// never in exponent notation: 154000000, not 1.54e8). Negative zero is written as 0.
pub fn number(x: f64) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_round_trip_without_exponents() {
        assert_eq!(super::number(154e6), "154000000");
        assert_eq!(super::number(-0.0), "0");
        for x in [
            0.1 + 0.2,
            1.0 / 3.0,
            68440818634.0,
            2.5e-7,
            1.7976931348623157e308,
        ] {
            assert_eq!(super::number(x).parse::<f64>().unwrap(), x);
        }
    }
}
