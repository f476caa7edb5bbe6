//! Fuzz target: any bytes as a scenario file must give a checked scenario or located errors,
//! never a panic; a scenario that checks must calibrate or fail with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = migproj::scenario::load_scenario_bytes(Path::new("fuzz.toml"), data.to_vec()) {
        // Keep each input fast: only short projections are run.
        let scenario = &loaded.scenario;
        if scenario.end_year - scenario.base_year <= 120 && scenario.regions.len() <= 8 {
            let _ = migproj::commands::project(&loaded);
        }
    }
});
