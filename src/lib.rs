//! migproj: cohort projections of international migrant stocks and remittance flows.
//!
//! Code map (MODEL.md is the contract; each module cites its section):
//! - [`scenario`]: TOML scenario files -> a checked [`scenario::Scenario`] (section 10), or
//!   every problem at once, located by file, line and column.
//! - [`model`]: the rates (mortality, departures, arrivals, remittances) and the yearly step
//!   (sections 2-8). Pure functions: no I/O, no random numbers.
//! - [`calibrate`]: seeding from a long history of arrivals and the two-point calibration
//!   (section 7).
//! - [`simulate`]: the deterministic run and the Monte Carlo runner (section 9).
//! - [`estimate`]: the parameters of sections 6 and 9 from history, by simulated moments
//!   (section 13).
//! - [`output`]: CSV tables, the manifest, atomic output folders. They format, never compute.
//! - [`commands`]: what each CLI command does; [`cli`]: the argument types.
//!
//! Invariants (section 11): the accounting identity `S_{t+1} = S_t - deaths - departures + I_t`
//! per region and year; no negative cell; calibration targets met to 1e-9 relative; the same
//! scenario and seed give the same bytes for any thread count.

pub mod backtest;
pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod error;
pub mod estimate;
pub mod hindcast;
pub mod import;
pub mod model;
pub mod output;
pub mod plausibility;
pub mod report;
pub mod scenario;
pub mod shards;
pub mod simulate;
