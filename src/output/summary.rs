//! The Monte Carlo tables: summary.csv (mean and quantiles), probabilities.csv (events) and,
//! on request, trajectories.csv in long form.

use super::tables::{finite, CsvBuffer};
use super::{number, unit_of};
use crate::error::Result;
use crate::scenario::{Scenario, Threshold};
use crate::simulate::monte_carlo::{event_probability, MonteCarlo, Summaries};
use crate::simulate::quantiles::SUMMARY_PROBABILITIES;
use crate::simulate::streams::{entities, entity_index};
use crate::simulate::variable_names;

/// summary.csv: region, origin, year, variable, mean and the 2.5 ... 97.5 percentiles.
pub fn summary_csv(scenario: &Scenario, summaries: &Summaries) -> Result<Vec<u8>> {
    let mut header = vec![
        "region", "origin", "level", "year", "variable", "unit", "mean",
    ];
    header.extend(SUMMARY_PROBABILITIES.iter().map(|(_, name)| *name));
    let mut csv = CsvBuffer::for_run("summary.csv", scenario, &header)?;
    let variables = variable_names(scenario);
    let mut next = summaries.rows.iter();
    // The summaries are ordered by entity, then year, then variable: the rows below.
    for entity in &entities(scenario) {
        let name = &entity.region;
        for year in scenario.years() {
            for variable in &variables {
                let &(mean, quantiles) = next.next().expect("one summary per row");
                let row = format!("{name} ({}) in {year}", entity.origin);
                let mut fields = vec![
                    name.clone(),
                    entity.origin.clone(),
                    entity.level.to_string(),
                    year.to_string(),
                    variable.clone(),
                    unit_of(variable).to_string(),
                    finite(mean, "summary.csv", variable, &row)?,
                ];
                for q in quantiles {
                    fields.push(finite(q, "summary.csv", variable, &row)?);
                }
                csv.row(&fields)?;
            }
        }
    }
    csv.into_bytes()
}

/// probabilities.csv: each `[[uncertainty.event]]` with the share of trajectories where it holds.
pub fn probabilities_csv(scenario: &Scenario, mc: &MonteCarlo) -> Result<Vec<u8>> {
    let header = [
        "region",
        "origin",
        "level",
        "year",
        "variable",
        "unit",
        "condition",
        "threshold",
        "probability",
        "standard_error",
        "trajectories",
    ];
    let mut csv = CsvBuffer::for_run("probabilities.csv", scenario, &header)?;
    let variables = variable_names(scenario);
    let all = entities(scenario);
    for event in &scenario.uncertainty.events {
        let entity = entity_index(scenario, event.region, event.origin).unwrap_or(0);
        let variable = variables
            .iter()
            .position(|v| *v == event.variable)
            .unwrap_or(0);
        let t = (event.year - scenario.base_year) as usize;
        let (p, se) = event_probability(mc, entity, variable, t, event.threshold, event.value)?;
        csv.row(&[
            all[entity].region.clone(),
            all[entity].origin.clone(),
            all[entity].level.to_string(),
            event.year.to_string(),
            event.variable.clone(),
            unit_of(&event.variable).to_string(),
            match event.threshold {
                Threshold::Above => "above".into(),
                Threshold::Below => "below".into(),
            },
            number(event.value),
            number(p),
            number(se),
            mc.n_trajectories().to_string(),
        ])?;
    }
    csv.into_bytes()
}
