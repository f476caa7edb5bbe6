//! Defaults of MODEL.md sections 6 and 9 (revision 2): the estimates that `migproj estimate`
//! (section 13) makes from the history shipped in `data/history/`, with the exact command in
//! docs/model.md ("Estimated defaults"). `tests/estimate.rs` re-runs that estimate and fails
//! when a value here drifts from it. Values the history cannot identify are assumptions, each
//! with its reason in docs/model.md.

/// `arrivals.trend_damping` (phi): estimated.
pub const TREND_DAMPING: f64 = 0.0;
/// `uncertainty.world_growth_sd`: estimated (standard error of the history's mean growth).
pub const WORLD_GROWTH_SD: f64 = 0.0;
/// `uncertainty.world_ar1`: assumption (set equal to `trend_damping`; see docs/model.md).
pub const WORLD_AR1: f64 = 0.0;
/// `uncertainty.world_shock_sd`: estimated.
pub const WORLD_SHOCK_SD: f64 = 0.0;
/// `uncertainty.region_ar1`: set equal to `trend_damping` (one AR(1) for a stream's deviation).
pub const REGION_AR1: f64 = 0.0;
/// `uncertainty.region_shock_sd`: estimated.
pub const REGION_SHOCK_SD: f64 = 0.07338;
/// `uncertainty.departure_sd`: assumption (stock history cannot tell departures from arrivals).
pub const DEPARTURE_SD: f64 = 0.1;
/// `uncertainty.departure_ramp`: assumption, years.
pub const DEPARTURE_RAMP: f64 = 10.0;
/// `uncertainty.remittance_growth_sd`: estimated (standard error of the mean log growth).
pub const REMITTANCE_GROWTH_SD: f64 = 0.01197;
/// `uncertainty.remittance_shock_sd`: estimated.
pub const REMITTANCE_SHOCK_SD: f64 = 0.06644;
/// `remittances.growth_damping` (psi): estimated from receipts by receiving country.
pub const GROWTH_DAMPING: f64 = 0.7863;
/// Relative standard errors of the sds (revision 3), written by the estimate.
pub const WORLD_SD_REL_SE: f64 = 0.0;
pub const REGION_SD_REL_SE: f64 = 0.4088;
pub const REMITTANCE_SD_REL_SE: f64 = 0.1622;
