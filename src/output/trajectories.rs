//! Every trajectory in long form, streamed to disk (never built in memory): trajectories.csv,
//! or trajectories.parquet (one row group per block of trajectories, dictionary-encoded
//! strings, Snappy), readable by pandas (`pd.read_parquet`) and R (`arrow::read_parquet`), whose
//! Arrow schema makes the strings categoricals (pandas) and factors (R).
//! Columns: scenario, trajectory, region, origin, level, year, variable, unit, value,
//! data_revision.

use std::io::BufWriter;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::arrow_schema::{arrow_schema_value, ArrowType};
use super::folder::OutputFolder;
use super::tables::finite;
use super::unit_of;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::simulate::monte_carlo::MonteCarlo;
use crate::simulate::streams::entities;
use crate::simulate::variable_names;

/// The file formats of `--write-trajectories`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrajectoryFormat {
    /// trajectories.csv (long form, as bayesPop writes)
    Csv,
    /// trajectories.parquet (the same columns, typed and compressed: about a tenth of the CSV; strings read as categoricals by pandas)
    Parquet,
}

/// The columns of both forms.
pub const COLUMNS: [&str; 10] = [
    "scenario",
    "trajectory",
    "region",
    "origin",
    "level",
    "year",
    "variable",
    "unit",
    "value",
    "data_revision",
];

/// The Arrow types of [`COLUMNS`] in trajectories.parquet: strings as dictionaries.
fn arrow_columns() -> Vec<(&'static str, ArrowType)> {
    COLUMNS
        .iter()
        .map(|&name| {
            let kind = match name {
                "trajectory" | "year" => ArrowType::Int32,
                "value" => ArrowType::Float64,
                _ => ArrowType::DictionaryUtf8,
            };
            (name, kind)
        })
        .collect()
}

/// Rows per Parquet row group (about 20 MB of column data in memory while writing).
const ROWS_PER_GROUP: usize = 1 << 20;

/// Memory for the trajectories read at a time from values on disk (MODEL.md section 15).
const BLOCK_BYTES: usize = 64 << 20;

/// Writes the trajectories into the staging folder in `format`; returns the file name.
pub fn write(
    folder: &OutputFolder,
    scenario: &Scenario,
    mc: &MonteCarlo,
    format: TrajectoryFormat,
) -> Result<&'static str> {
    match format {
        TrajectoryFormat::Csv => write_csv(folder, scenario, mc).map(|_| "trajectories.csv"),
        TrajectoryFormat::Parquet => {
            write_parquet(folder, scenario, mc).map(|_| "trajectories.parquet")
        }
    }
}

fn write_csv(folder: &OutputFolder, scenario: &Scenario, mc: &MonteCarlo) -> Result<()> {
    let (path, file) = folder.create_file("trajectories.csv")?;
    let io_error = |e: std::io::Error| Error::environment("cannot write", &path, e);
    let csv_error =
        |e: csv::Error| Error::Environment(format!("cannot write `{}`: {e}", path.display()));
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(BufWriter::with_capacity(1 << 20, file));
    writer.write_record(COLUMNS).map_err(csv_error)?;
    let variables = variable_names(scenario);
    let all = entities(scenario);
    let years: Vec<String> = scenario.years().map(|y| y.to_string()).collect();
    // A block of trajectories at a time (a view when the values are in memory).
    let per_block = mc.trajectories_within(BLOCK_BYTES);
    let mut block_first = 0;
    let mut block = mc.block(0, 0)?;
    for k in 0..mc.n_trajectories() {
        if k == block_first + block.len_of(ndarray::Axis(0)) {
            block_first = k;
            block = mc.block(k, (k + per_block).min(mc.n_trajectories()))?;
        }
        let trajectory = k.to_string();
        for (e, entity) in all.iter().enumerate() {
            for (t, year) in years.iter().enumerate() {
                for (v, variable) in variables.iter().enumerate() {
                    let value = finite(
                        block[[k - block_first, e, v, t]],
                        "trajectories.csv",
                        variable,
                        &entity.region,
                    )?;
                    writer
                        .write_record([
                            scenario.name.as_str(),
                            &trajectory,
                            &entity.region,
                            &entity.origin,
                            entity.level,
                            year,
                            variable,
                            unit_of(variable),
                            &value,
                            &scenario.data_revision,
                        ])
                        .map_err(csv_error)?;
                }
            }
        }
    }
    let buffered = writer
        .into_inner()
        .map_err(|e| Error::Environment(format!("cannot write `{}`: {e}", path.display())))?;
    let file = buffered
        .into_inner()
        .map_err(|e| io_error(e.into_error()))?;
    file.sync_all().map_err(io_error)?;
    Ok(())
}

fn write_parquet(folder: &OutputFolder, scenario: &Scenario, mc: &MonteCarlo) -> Result<()> {
    let (path, file) = folder.create_file("trajectories.parquet")?;
    let failed = |e: parquet::errors::ParquetError| {
        Error::Environment(format!("cannot write `{}`: {e}", path.display()))
    };
    let schema = Arc::new(
        parse_message_type(
            "message trajectories {
                REQUIRED BYTE_ARRAY scenario (UTF8);
                REQUIRED INT32 trajectory;
                REQUIRED BYTE_ARRAY region (UTF8);
                REQUIRED BYTE_ARRAY origin (UTF8);
                REQUIRED BYTE_ARRAY level (UTF8);
                REQUIRED INT32 year;
                REQUIRED BYTE_ARRAY variable (UTF8);
                REQUIRED BYTE_ARRAY unit (UTF8);
                REQUIRED DOUBLE value;
                REQUIRED BYTE_ARRAY data_revision (UTF8);
            }",
        )
        .map_err(failed)?,
    );
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("migproj {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new("scenario".into(), scenario.name.clone()),
                KeyValue::new("data_revision".into(), scenario.data_revision.clone()),
                KeyValue::new("seed".into(), scenario.uncertainty.seed.to_string()),
                KeyValue::new("trajectories".into(), mc.n_trajectories().to_string()),
                // Arrow readers take the string columns as dictionaries: categoricals in
                // pandas, factors in R (issue 22 item 14).
                KeyValue::new("ARROW:schema".into(), arrow_schema_value(&arrow_columns())),
            ]))
            .build(),
    );
    let mut writer =
        SerializedFileWriter::new(BufWriter::with_capacity(1 << 20, file), schema, properties)
            .map_err(failed)?;
    let variables = variable_names(scenario);
    let all = entities(scenario);
    let text = |s: &str| ByteArray::from(s.as_bytes().to_vec());
    let scenario_name = text(&scenario.name);
    let revision = text(&scenario.data_revision);
    let regions: Vec<ByteArray> = all.iter().map(|e| text(&e.region)).collect();
    let origins: Vec<ByteArray> = all.iter().map(|e| text(&e.origin)).collect();
    let levels: Vec<ByteArray> = all.iter().map(|e| text(e.level)).collect();
    let variable_names: Vec<ByteArray> = variables.iter().map(|v| text(v)).collect();
    let units: Vec<ByteArray> = variables.iter().map(|v| text(unit_of(v))).collect();
    let years: Vec<i32> = scenario.years().collect();
    let rows_per_trajectory = all.len() * years.len() * variables.len();
    let per_group = (ROWS_PER_GROUP / rows_per_trajectory.max(1)).max(1);
    let mut first = 0;
    while first < mc.n_trajectories() {
        let last = (first + per_group).min(mc.n_trajectories());
        let n = (last - first) * rows_per_trajectory;
        let mut trajectory = Vec::with_capacity(n);
        let mut entity = Vec::with_capacity(n);
        let mut year = Vec::with_capacity(n);
        let mut variable = Vec::with_capacity(n);
        let mut value = Vec::with_capacity(n);
        let block = mc.block(first, last)?;
        for k in first..last {
            for e in 0..all.len() {
                for (t, &y) in years.iter().enumerate() {
                    for v in 0..variables.len() {
                        let x = block[[k - first, e, v, t]];
                        if !x.is_finite() {
                            finite(x, "trajectories.parquet", &variables[v], &all[e].region)?;
                        }
                        trajectory.push(k as i32);
                        entity.push(e);
                        year.push(y);
                        variable.push(v);
                        value.push(x);
                    }
                }
            }
        }
        let mut group = writer.next_row_group().map_err(failed)?;
        let mut column = 0;
        while let Some(mut writer) = group.next_column().map_err(failed)? {
            match COLUMNS[column] {
                "trajectory" => writer
                    .typed::<Int32Type>()
                    .write_batch(&trajectory, None, None),
                "year" => writer.typed::<Int32Type>().write_batch(&year, None, None),
                "value" => writer.typed::<DoubleType>().write_batch(&value, None, None),
                name => {
                    let strings: Vec<ByteArray> = match name {
                        "scenario" => vec![scenario_name.clone(); n],
                        "data_revision" => vec![revision.clone(); n],
                        "region" => entity.iter().map(|&e| regions[e].clone()).collect(),
                        "origin" => entity.iter().map(|&e| origins[e].clone()).collect(),
                        "level" => entity.iter().map(|&e| levels[e].clone()).collect(),
                        "variable" => variable
                            .iter()
                            .map(|&v| variable_names[v].clone())
                            .collect(),
                        _ => variable.iter().map(|&v| units[v].clone()).collect(),
                    };
                    writer
                        .typed::<ByteArrayType>()
                        .write_batch(&strings, None, None)
                }
            }
            .map_err(failed)?;
            writer.close().map_err(failed)?;
            column += 1;
        }
        group.close().map_err(failed)?;
        first = last;
    }
    let buffered = writer.into_inner().map_err(failed)?;
    let file = buffered
        .into_inner()
        .map_err(|e| Error::environment("cannot write", &path, e.into_error()))?;
    file.sync_all()
        .map_err(|e| Error::environment("cannot write", &path, e))?;
    Ok(())
}
