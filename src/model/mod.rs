//! The cohort model of MODEL.md sections 2-8: rates (mortality, departures, arrivals,
//! remittances), the state of one region, and the yearly step. No I/O, no random numbers:
//! everything here is a pure function of its arguments.

pub mod arrivals;
pub mod departure;
pub mod mortality;
pub mod rates;
pub mod remittance;
pub mod series;
pub mod simd;
pub mod state;
pub mod step;

/// Oldest single age; the last age group is the open "100 and over".
pub const MAX_AGE: usize = 100;
/// Single ages 0..=MAX_AGE.
pub const N_AGES: usize = MAX_AGE + 1;
/// Female (index 0) and male (index 1).
pub const N_SEXES: usize = 2;
pub const SEX_LABELS: [&str; N_SEXES] = ["female", "male"];
/// Five-year age groups 0-4 ... 95-99 and the open 100+.
pub const AGE_GROUPS: usize = MAX_AGE / 5 + 1;

/// The shape of one stream's state (`state::Cohorts`: sex, age, duration; duration innermost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Last duration index `D` (the open group "D and more years").
    pub max_duration: usize,
}

impl Dims {
    pub fn new(max_duration: usize) -> Self {
        Self { max_duration }
    }

    pub fn n_durations(&self) -> usize {
        self.max_duration + 1
    }

    /// Cells in one region's state.
    pub fn cells(&self) -> usize {
        N_SEXES * N_AGES * self.n_durations()
    }
}
