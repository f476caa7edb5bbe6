//! Outputs: tables (CSV), the run manifest, and the atomic output folder they are written
//! into. Exporters turn results into bytes; they compute nothing of the model.

pub mod arrow_schema;
pub mod charts;
pub mod folder;
pub mod summary;
pub mod tables;
pub mod trajectories;
pub mod xlsx;

/// The unit of a variable of projection.csv, summary.csv, markers.csv and the trajectories.
pub fn unit_of(variable: &str) -> &'static str {
    match variable {
        "stock" | "arrivals" | "deaths" | "departures" | "persons" => "persons",
        "remittances_sent" | "remittances_received" | "fees" => "US dollars",
        "share_of_world" | "female_share" => "share",
        "median_age" => "years",
        v if v.starts_with("ratio_to_") => "ratio",
        _ => "",
    }
}

/// Significant digits written in tables: beyond them a figure carries only floating-point
/// noise (153999999.9999999 is written 154000000).
pub const SIGNIFICANT_DIGITS: usize = 12;

/// Formats a number rounded to [`SIGNIFICANT_DIGITS`] significant digits, in the shortest form
/// that reads back to the rounded value, never in exponent notation (154000000, not 1.54e8).
/// Negative zero is written as 0.
pub fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 {
            "0".to_string()
        } else {
            format!("{x}")
        };
    }
    let rounded: f64 = format!("{:.*e}", SIGNIFICANT_DIGITS - 1, x)
        .parse()
        .unwrap_or(x);
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded}")
    }
}

/// `text` with every control character but newline and tab replaced by U+FFFD, so that NUL,
/// BEL or ESC from a tampered table or a file name never reaches a report or a terminal.
pub fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Text from a scenario, a table or a folder name in Markdown: no raw HTML, no table-breaking
/// bars, no line breaks, no control characters, and no link or image (a `[` or `]` from a
/// title, a region name or a comment is escaped, so `[a](javascript:...)` and
/// `![x](http://...)` stay text: issue 22 item 24); quotes stay quotes (item 16: `&quot;`
/// showed in report.md).
pub fn md_text(text: &str) -> String {
    without_controls(text)
        .replace(['\n', '\t'], " ")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_have_twelve_significant_digits_without_exponents() {
        assert_eq!(super::number(154e6), "154000000");
        assert_eq!(super::number(153999999.9999999), "154000000");
        assert_eq!(super::number(70800000.00000031), "70800000");
        assert_eq!(super::number(-0.0), "0");
        assert_eq!(super::number(0.1 + 0.2), "0.3");
        assert_eq!(super::number(1.0 / 3.0), "0.333333333333");
        assert_eq!(super::number(68440818634.00001), "68440818634");
        assert_eq!(super::number(2.5e-7), "0.00000025");
        assert_eq!(super::number(-1234.5678901234567), "-1234.56789012");
        // Twelve digits: the relative rounding error is at most 5e-12.
        for x in [1.0 / 7.0, 2.0f64.sqrt() * 1e9, -std::f64::consts::PI * 1e-5] {
            let back: f64 = super::number(x).parse().unwrap();
            assert!(((back - x) / x).abs() <= 5e-12, "{x}");
        }
    }
}
