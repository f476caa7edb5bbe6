//! The Monte Carlo tables: summary.csv (mean and quantiles), probabilities.csv (events) and,
//! on request, trajectories.csv in long form.

use super::number;
use super::tables::{finite, CsvBuffer};
use crate::error::Result;
use crate::scenario::{Scenario, Threshold};
use crate::simulate::monte_carlo::{event_probability, MonteCarlo};
use crate::simulate::quantiles::SUMMARY_PROBABILITIES;
use crate::simulate::{entity_names, variable_names};

/// summary.csv: region, year, variable, mean and the 2.5 ... 97.5 percentiles.
pub fn summary_csv(scenario: &Scenario, mc: &MonteCarlo) -> Result<Vec<u8>> {
    let mut header: Vec<String> = ["region", "year", "variable", "mean"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(
        SUMMARY_PROBABILITIES
            .iter()
            .map(|(_, name)| name.to_string()),
    );
    header.push("data_revision".into());
    let mut csv = CsvBuffer::new("summary.csv", &header)?;
    let variables = variable_names(scenario);
    let summaries = mc.all_summaries();
    let mut next = summaries.iter();
    // all_summaries is ordered by entity, then year, then variable: the rows below.
    for name in &entity_names(scenario) {
        for year in scenario.years() {
            for variable in &variables {
                let &(mean, quantiles) = next.next().expect("one summary per row");
                let row = format!("{name} in {year}");
                let mut fields = vec![
                    name.clone(),
                    year.to_string(),
                    variable.clone(),
                    finite(mean, "summary.csv", variable, &row)?,
                ];
                for q in quantiles {
                    fields.push(finite(q, "summary.csv", variable, &row)?);
                }
                fields.push(scenario.data_revision.clone());
                csv.row(&fields)?;
            }
        }
    }
    csv.into_bytes()
}

/// probabilities.csv: each `[[uncertainty.event]]` with the share of trajectories where it holds.
pub fn probabilities_csv(scenario: &Scenario, mc: &MonteCarlo) -> Result<Vec<u8>> {
    let header: Vec<String> = [
        "region",
        "year",
        "variable",
        "condition",
        "threshold",
        "probability",
        "standard_error",
        "trajectories",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut csv = CsvBuffer::new("probabilities.csv", &header)?;
    let variables = variable_names(scenario);
    let entities = entity_names(scenario);
    for event in &scenario.uncertainty.events {
        let entity = event.region.unwrap_or(entities.len() - 1);
        let variable = variables
            .iter()
            .position(|v| *v == event.variable)
            .unwrap_or(0);
        let t = (event.year - scenario.base_year) as usize;
        let (p, se) = event_probability(mc, entity, variable, t, event.threshold, event.value);
        csv.row(&[
            entities[entity].clone(),
            event.year.to_string(),
            event.variable.clone(),
            match event.threshold {
                Threshold::Above => "above".into(),
                Threshold::Below => "below".into(),
            },
            number(event.value),
            number(p),
            number(se),
            mc.n_trajectories.to_string(),
        ])?;
    }
    csv.into_bytes()
}

/// trajectories.csv: trajectory, region, year, variable, value (the long form of bayesPop).
pub fn trajectories_csv(scenario: &Scenario, mc: &MonteCarlo) -> Result<Vec<u8>> {
    let header: Vec<String> = ["trajectory", "region", "year", "variable", "value"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut csv = CsvBuffer::new("trajectories.csv", &header)?;
    let variables = variable_names(scenario);
    let entities = entity_names(scenario);
    for k in 0..mc.n_trajectories {
        for (entity, name) in entities.iter().enumerate() {
            for (t, year) in scenario.years().enumerate() {
                for (v, variable) in variables.iter().enumerate() {
                    let value = mc.value(k, entity, v, t);
                    csv.row(&[
                        k.to_string(),
                        name.clone(),
                        year.to_string(),
                        variable.clone(),
                        finite(value, "trajectories.csv", variable, name)?,
                    ])?;
                }
            }
        }
    }
    csv.into_bytes()
}
