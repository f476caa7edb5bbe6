//! Monte Carlo values on disk (MODEL.md section 15): the files a shard writes, and the spill
//! of a run whose values would not fit in `--max-memory`.
//!
//! A *values file* holds trajectories `first..last` of a run, every entity, variable and year,
//! as Parquet: one row group per (entity, variable), in the order entity-major then variable
//! (row group `e * V + v`), each with columns `trajectory` (INT32), `year` (INT32) and `value`
//! (DOUBLE), rows by trajectory then year. So one (entity, variable) is read without the rest
//! (one row group of each file), and pandas or R arrow read a file as an ordinary table. A
//! shard folder holds values files of consecutive trajectory blocks and `manifest.json`:
//! what was run (the scenario's sha256, the sha256 of every input, seed, trajectories, the
//! range, the engine version), the files with their sizes and sha256, and a checksum of the
//! manifest itself. The manifest is written last, so a folder without one (a shard killed
//! half-way) is never taken as complete.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::{ArrayView4, ArrayViewMut2, Axis};
use parquet::basic::{Compression, Encoding};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{DoubleType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{ChunkReader, FileReader, Length};
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use sha2::Digest;

use crate::error::{Error, Result};

/// The `format` of a shard manifest.
pub const FORMAT: &str = "migproj-shard/1";

/// The manifest's file name in a shard folder.
pub const MANIFEST: &str = "manifest.json";

/// The shape of a run's values: entities, variables and years (every trajectory has all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub entities: usize,
    pub variables: usize,
    pub years: usize,
}

/// One values file as a manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The file's name inside its folder.
    pub file: String,
    pub first: usize,
    pub last: usize,
    pub bytes: u64,
    pub sha256: String,
}

/// Key-value metadata written into every values file (and checked when it is read).
pub fn file_metadata(identity: &[(String, String)], first: usize, last: usize) -> Vec<KeyValue> {
    let mut kv: Vec<KeyValue> = identity
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    kv.push(KeyValue::new("first".into(), first.to_string()));
    kv.push(KeyValue::new("last".into(), last.to_string()));
    kv
}

/// Writes trajectories `first..first + n` (`values[n, entity, variable, year]`) to `path`;
/// returns its record (size and sha256, computed from the bytes written).
pub fn write_values(
    path: &Path,
    values: ArrayView4<'_, f64>,
    first: usize,
    years: &[i32],
    metadata: Vec<KeyValue>,
) -> Result<FileRecord> {
    let failed = |e: &dyn std::fmt::Display| {
        Error::Environment(format!("cannot write `{}`: {e}", path.display()))
    };
    let (n, n_entities, n_variables, n_years) = values.dim();
    let schema = Arc::new(
        parse_message_type(
            "message values {
                REQUIRED INT32 trajectory;
                REQUIRED INT32 year;
                REQUIRED DOUBLE value;
            }",
        )
        .map_err(|e| failed(&e))?,
    );
    let value = ColumnPath::from("value");
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_dictionary_enabled(value.clone(), false)
            .set_column_encoding(value, Encoding::PLAIN)
            .set_created_by(format!("migproj {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(metadata))
            .build(),
    );
    let file = crate::output::folder::creating(|| File::create(path)).map_err(|e| failed(&e))?;
    let hashing = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: sha2::Sha256::new(),
        bytes: 0,
    };
    let mut writer =
        SerializedFileWriter::new(hashing, schema, properties).map_err(|e| failed(&e))?;
    let trajectory: Vec<i32> = (first..first + n)
        .flat_map(|k| std::iter::repeat_n(k as i32, n_years))
        .collect();
    let year: Vec<i32> = (0..n).flat_map(|_| years.iter().copied()).collect();
    let mut value = Vec::with_capacity(n * n_years);
    for e in 0..n_entities {
        for v in 0..n_variables {
            value.clear();
            for k in 0..n {
                value.extend(
                    values
                        .index_axis(Axis(0), k)
                        .index_axis_move(Axis(0), e)
                        .index_axis_move(Axis(0), v)
                        .iter(),
                );
            }
            let mut group = writer.next_row_group().map_err(|e| failed(&e))?;
            let mut column = 0;
            while let Some(mut col) = group.next_column().map_err(|e| failed(&e))? {
                match column {
                    0 => col
                        .typed::<Int32Type>()
                        .write_batch(&trajectory, None, None),
                    1 => col.typed::<Int32Type>().write_batch(&year, None, None),
                    _ => col.typed::<DoubleType>().write_batch(&value, None, None),
                }
                .map_err(|e| failed(&e))?;
                col.close().map_err(|e| failed(&e))?;
                column += 1;
            }
            group.close().map_err(|e| failed(&e))?;
        }
    }
    let hashing = writer.into_inner().map_err(|e| failed(&e))?;
    let HashingWriter {
        inner,
        hasher,
        bytes,
    } = hashing;
    let file = inner.into_inner().map_err(|e| failed(&e.into_error()))?;
    file.sync_all().map_err(|e| failed(&e))?;
    Ok(FileRecord {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        first,
        last: first + n,
        bytes,
        sha256: hex(&hasher.finalize()),
    })
}

/// Counts and hashes what passes through to the file.
struct HashingWriter {
    inner: BufWriter<File>,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl std::io::Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a file, read in blocks (bounded memory).
pub fn file_sha256(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

/// A file read by position (`pread`), so that threads reading row groups of the same file at
/// once never move each other's offset.
struct Positional {
    file: Arc<File>,
    len: u64,
}

struct PositionalRead {
    file: Arc<File>,
    at: u64,
}

impl Read for PositionalRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl Length for Positional {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Positional {
    type T = std::io::BufReader<PositionalRead>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(std::io::BufReader::with_capacity(
            1 << 16,
            PositionalRead {
                file: self.file.clone(),
                at: start,
            },
        ))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        let mut buffer = vec![0u8; length];
        self.file
            .read_exact_at(&mut buffer, start)
            .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))?;
        Ok(bytes::Bytes::from(buffer))
    }
}

/// An open values file: trajectories `first..last`.
pub struct ValuesFile {
    pub path: PathBuf,
    pub first: usize,
    pub last: usize,
    shape: Shape,
    reader: SerializedFileReader<Positional>,
}

impl std::fmt::Debug for ValuesFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ValuesFile({}, {}..{})",
            self.path.display(),
            self.first,
            self.last
        )
    }
}

impl ValuesFile {
    /// Opens `path` and checks that its layout is that of trajectories `first..last` of
    /// `shape`, and that its metadata carries `identity` and the range; a message saying what
    /// is wrong otherwise.
    pub fn open(
        path: &Path,
        first: usize,
        last: usize,
        shape: Shape,
        identity: &[(String, String)],
    ) -> std::result::Result<Self, String> {
        let file = File::open(path).map_err(|e| format!("cannot be opened: {e}"))?;
        let len = file
            .metadata()
            .map_err(|e| format!("cannot be read: {e}"))?
            .len();
        let reader = SerializedFileReader::new(Positional {
            file: Arc::new(file),
            len,
        })
        .map_err(|e| format!("is not a readable Parquet file ({e})"))?;
        let metadata = reader.metadata();
        let groups = shape.entities * shape.variables;
        if metadata.num_row_groups() != groups {
            return Err(format!(
                "has {} row groups where {} (entities x variables) were expected",
                metadata.num_row_groups(),
                groups
            ));
        }
        let rows = ((last - first) * shape.years) as i64;
        if let Some(i) = metadata
            .row_groups()
            .iter()
            .position(|g| g.num_rows() != rows || g.num_columns() != 3)
        {
            return Err(format!(
                "row group {i} has {} rows where {rows} ({} trajectories x {} years) were expected",
                metadata.row_group(i).num_rows(),
                last - first,
                shape.years
            ));
        }
        let kv = metadata
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap_or_default();
        let get = |key: &str| {
            kv.iter()
                .find(|x| x.key == key)
                .and_then(|x| x.value.clone())
        };
        for (key, expected) in identity.iter().cloned().chain([
            ("first".to_string(), first.to_string()),
            ("last".to_string(), last.to_string()),
        ]) {
            match get(&key) {
                Some(found) if found == expected => {}
                Some(found) => {
                    return Err(format!(
                        "says {key} = {found} in its metadata where its manifest says {expected}"
                    ))
                }
                None => return Err(format!("has no `{key}` in its metadata")),
            }
        }
        Ok(ValuesFile {
            path: path.to_path_buf(),
            first,
            last,
            shape,
            reader,
        })
    }

    /// Reads the values of one entity and variable into `out[trajectory - first][year]`.
    pub fn read_series(
        &self,
        entity: usize,
        variable: usize,
        mut out: ArrayViewMut2<'_, f64>,
    ) -> Result<()> {
        let failed = |e: &dyn std::fmt::Display| {
            Error::InputPlain(format!(
                "error: cannot read `{}`: {e}; the file was damaged after it was checked",
                self.path.display()
            ))
        };
        let group = self
            .reader
            .get_row_group(entity * self.shape.variables + variable)
            .map_err(|e| failed(&e))?;
        let ColumnReader::DoubleColumnReader(mut column) =
            group.get_column_reader(2).map_err(|e| failed(&e))?
        else {
            return Err(failed(&"its value column is not DOUBLE"));
        };
        let n = (self.last - self.first) * self.shape.years;
        let mut values: Vec<f64> = Vec::with_capacity(n);
        while values.len() < n {
            let (records, _, _) = column
                .read_records(n - values.len(), None, None, &mut values)
                .map_err(|e| failed(&e))?;
            if records == 0 {
                break;
            }
        }
        if values.len() != n {
            return Err(failed(&format!(
                "{} values where {n} were expected",
                values.len()
            )));
        }
        for (mut row, chunk) in out
            .outer_iter_mut()
            .zip(values.chunks_exact(self.shape.years))
        {
            row.assign(&ndarray::ArrayView1::from(chunk));
        }
        Ok(())
    }
}
