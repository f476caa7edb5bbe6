//! Command-line arguments (clap types only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "migproj",
    version,
    about = "Project international migrant stocks and remittance flows from scenario files",
    long_about = "migproj turns scenario files (TOML) into projections of international migrant stocks \
by destination region, age, sex and duration of stay, and of the remittances they send home. \
Each region is seeded and calibrated to its stock in the base and calibration years (1990 and \
2000 in the shipped scenarios); remittances are calibrated to the world figures of those years.\n\n\
Exit codes: 0 success, 2 bad input (scenario, table, arguments), 1 a run that failed for other \
reasons (an output folder that cannot be written).",
    after_help = "Examples:\n  migproj run scenarios/baseline.toml          # writes output/baseline/\n  migproj check scenarios/*.toml\n  migproj new my-scenario                       # writes my-scenario.toml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios and write their tables to OUT/NAME/
    Run(RunArgs),
    /// Check scenario files and report every problem; runs nothing, writes nothing
    Check {
        /// Scenario files (TOML)
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
    /// Merge the shard folders of a Monte Carlo (`run --shard K/N`) into the run folder a
    /// one-process run would write, byte for byte (MODEL.md section 15). The shards must
    /// come from the same scenario, inputs, seed and trajectories and cover them exactly
    /// once; anything else is refused with exit 2 and nothing written
    Merge {
        /// Shard folders, such as output/countries.shard-*-of-8 (any order)
        #[arg(required = true, value_name = "SHARD_DIR")]
        shards: Vec<PathBuf>,
        /// Folder that receives the run folder OUT/NAME
        #[arg(long, default_value = "output", value_name = "DIR")]
        out: PathBuf,
        /// The scenario file, when it is no longer at the path the manifests give (its sha256
        /// and its inputs' must still be those the shards ran)
        #[arg(long, value_name = "SCENARIO")]
        scenario: Option<PathBuf>,
        /// Worker threads for the summaries, 1 to 1024 (default: all cores)
        #[arg(long, value_name = "N", value_parser = parse_threads)]
        threads: Option<usize>,
        /// Also write every trajectory in long form (as `run --write-trajectories`)
        #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "csv")]
        write_trajectories: Option<crate::output::trajectories::TrajectoryFormat>,
        /// Size of the PNG charts (and the SVG canvas) in pixels
        #[arg(long, default_value = "1600x1000", value_name = "WxH", value_parser = parse_chart_size)]
        chart_size: (u32, u32),
        /// Write the tables only, no charts
        #[arg(long)]
        no_charts: bool,
        /// Bound of the deterministic run's memory (the merge itself reads one region and
        /// variable at a time)
        #[arg(long, default_value = "4G", value_name = "SIZE", value_parser = parse_size)]
        max_memory: u64,
        /// Keep an existing OUT/NAME as OUT/NAME.~N~ instead of replacing it
        #[arg(long)]
        keep: bool,
        /// No summary lines on stderr
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write Slurm batch scripts that run a scenario's Monte Carlo as a job array of N shards
    /// and merge them in a job that waits for the array (and submit them with --submit)
    Slurm {
        /// The scenario file
        scenario: PathBuf,
        /// Number of shards (array tasks)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
        shards: u32,
        /// Monte Carlo trajectories (overrides the scenario's)
        #[arg(long, value_name = "N")]
        trajectories: Option<usize>,
        /// Random seed (overrides the scenario's)
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
        /// Folder that receives the shards, the run folder and NAME.slurm/ (the scripts and
        /// the jobs' logs); on a cluster, a shared file system
        #[arg(long, default_value = "output", value_name = "DIR")]
        out: PathBuf,
        /// Slurm partition (default: the cluster's default)
        #[arg(long, value_name = "NAME")]
        partition: Option<String>,
        /// Time limit of each job (Slurm's --time)
        #[arg(long, default_value = "02:00:00", value_name = "TIME")]
        time: String,
        /// CPUs per shard (also its threads)
        #[arg(long, default_value_t = 1, value_name = "N")]
        cpus: u32,
        /// Memory per job (Slurm's --mem, also each shard's --max-memory)
        #[arg(long, default_value = "4G", value_name = "SIZE")]
        mem: String,
        /// The migproj binary the jobs run (default: this one)
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
        /// Submit the jobs with sbatch after writing the scripts
        #[arg(long)]
        submit: bool,
        /// With --submit: wait until the merge job ends (sbatch --wait), exit 2 if it failed
        #[arg(long, requires = "submit")]
        wait: bool,
    },
    /// Redraw the charts of a run folder (OUT/NAME) from its CSV tables alone
    Plot {
        /// A run's output folder, such as output/baseline
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Size of the PNG charts (and the SVG canvas) in pixels
        #[arg(long, default_value = "1600x1000", value_name = "WxH", value_parser = parse_chart_size)]
        chart_size: (u32, u32),
        /// Also draw charts/stock_selected: the stock of these regions or areas (names as in
        /// projection.csv, comma-separated: "Kenya,Uganda,Africa")
        #[arg(long, value_delimiter = ',', value_name = "NAMES")]
        regions: Vec<String>,
    },
    /// Compare scenarios: each variant against the scenario it extends (paired differences
    /// with intervals), all side by side; writes OUT/compare/ with the runs inside it
    Compare {
        /// Scenario files (run here, into OUT/compare/runs/) or run folders (read as they
        /// are); a variant's parent is run too when not given
        #[arg(required = true, num_args = 1.., value_name = "SCENARIO_OR_DIR")]
        inputs: Vec<PathBuf>,
        /// Compare every input with this scenario instead of the file each extends
        #[arg(long, value_name = "SCENARIO")]
        against: Option<PathBuf>,
        /// Folder that receives the runs and compare/
        #[arg(long, default_value = "output", value_name = "DIR")]
        out: PathBuf,
        /// Monte Carlo trajectories for the scenarios run here (overrides each scenario's)
        #[arg(long, value_name = "N")]
        trajectories: Option<usize>,
        /// Random seed for the scenarios run here (overrides each scenario's)
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
        /// Years of the differences printed and in differences.md (differences.csv has every
        /// year); each must be in every compared run
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "2030,2050",
            value_name = "YEARS"
        )]
        years: Vec<i32>,
        /// No progress bar or summary lines on stderr
        #[arg(long, short)]
        quiet: bool,
    },
    /// Score a scenario's projection against observed figures it was not calibrated to
    Hindcast {
        /// The scenario file
        scenario: PathBuf,
        /// Observed figures: CSV with columns region,year,variable,value,source (years after the
        /// calibration year; variables as in summary.csv, such as stock or remittances_received)
        #[arg(long, value_name = "FILE.csv")]
        observed: PathBuf,
        /// Folder that receives the run and NAME-hindcast/
        #[arg(long, default_value = "output", value_name = "DIR")]
        out: PathBuf,
        /// Monte Carlo trajectories (overrides the scenario's; intervals need some)
        #[arg(long, value_name = "N")]
        trajectories: Option<usize>,
        /// Random seed (overrides the scenario's)
        #[arg(long, value_name = "SEED")]
        seed: Option<u64>,
        /// No progress bar or summary lines on stderr
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a report (Markdown, self-contained HTML, its tables as CSV and an Excel workbook)
    /// of one or more run folders
    Report {
        /// Run folders, such as output/baseline, and compare folders (output/compare: their
        /// differences and charts are added)
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// The report's path without extension: writes FILE.md, FILE.html, FILE.csv (the
        /// report's tables, cell by cell) and FILE.xlsx (those tables and each run's
        /// projection, remittances and summary)
        #[arg(long, default_value = "output/report", value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE.md, FILE.html, FILE.csv and FILE.xlsx even if they were not written by
        /// migproj report
        #[arg(long)]
        force: bool,
        /// The report's title (default: "Projections of international migrants and
        /// remittances")
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// The author printed under the title
        #[arg(long, value_name = "TEXT")]
        author: Option<String>,
        /// The date printed under the title (default: today, YYYY-MM-DD)
        #[arg(long, value_name = "TEXT")]
        date: Option<String>,
        /// Key-figure years, comma-separated (default: the first year, every tenth year
        /// after it, and the last year)
        #[arg(long, value_name = "YEARS", value_delimiter = ',')]
        years: Option<Vec<i32>>,
    },
    /// Estimate trend damping and the uncertainty of arrival growth and remittances from
    /// history (MODEL.md section 13): writes OUT/NAME/ with estimate.csv, statistics.csv, a
    /// TOML fragment, estimate.md and a chart of fitted against observed statistics
    #[command(
        after_help = "Example (the shipped defaults):\n  migproj estimate data/history/migrant_stock_area_1960_2000.csv \\\n      data/history/migrant_stock_area_ims2020_1990_2000.csv \\\n      --remittances data/history/remittances_received_1970_2000.csv --remittances-from 1980 \\\n      --country-remittances data/history/remittances_received_country_1970_2000.csv"
    )]
    Estimate(EstimateArgs),
    /// Backtest within the history (MODEL.md section 13, revision 3): calibrate on two census
    /// years, estimate the uncertainty from the figures up to the calibration year only,
    /// project to the history's last year with both poolings, and score the stocks of areas
    /// or countries and the World. Writes OUT/NAME/ with backtest.csv and backtest.md
    #[command(
        after_help = "Example (the README's table):\n  migproj backtest data/history/migrant_stock_area_1960_2000.csv \\\n      data/history/migrant_stock_country_1960_2000.csv"
    )]
    Backtest {
        /// Stock histories (region or country, year, stock), with census years such as 1960,
        /// 1970, ..., 2000; regions with a zero stock or a missing year are left out (listed)
        #[arg(required = true, value_name = "HISTORY.csv")]
        histories: Vec<PathBuf>,
        /// Calibration windows BASE:CAL, comma-separated
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1970:1980,1980:1990",
            value_name = "BASE:CAL"
        )]
        windows: Vec<String>,
        /// Monte Carlo trajectories of each projection
        #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(10..=100_000))]
        trajectories: u32,
        /// Simulated histories per panel of each estimate
        #[arg(long, default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(10..=100_000))]
        simulations: u32,
        /// Bootstrap replicates of each estimate (the relative standard errors of the sds)
        #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=100_000))]
        bootstrap: u32,
        /// Regions with fewer migrants than this in either calibration year are left out
        #[arg(long, default_value_t = 1000.0, value_name = "PERSONS")]
        min_stock: f64,
        /// Random seed of the estimates and the projections
        #[arg(long, default_value_t = 20030701, value_name = "SEED")]
        seed: u64,
        /// Folder that receives NAME/
        #[arg(long, default_value = "output", value_name = "DIR")]
        out: PathBuf,
        /// Output folder name
        #[arg(long, default_value = "backtest", value_name = "NAME")]
        name: String,
        /// No progress lines on stderr
        #[arg(long, short)]
        quiet: bool,
    },
    /// Import a scenario of destination countries (or their aggregates), with areas and
    /// origin groups, from the official files in their publishers' layouts: UN DESA's
    /// International Migrant Stock 2020 workbook and its file by destination and origin,
    /// UNSD's M49 list, the World Bank's WDI remittances download with its country metadata
    /// and its historical income classification (OGHIST)
    #[command(
        after_help = "Examples (the shipped scenarios):\n  migproj import --official data/official --oda data/seeds.csv --name countries --out scenarios/countries.toml\n  migproj import --official data/official --destinations areas --origins NPL --name nepal --out scenarios/nepal.toml"
    )]
    Import {
        /// A folder holding the official files under their download names (the UN workbook
        /// undesa_pd_2020_ims_stock_by_sex_and_destination*.xlsx, UNSD-M49*.csv,
        /// API_BX.TRF.PWKR.CD.DT*.csv and Metadata_Country_API_BX.TRF.PWKR.CD.DT*.csv);
        /// each may instead be named by its own option
        #[arg(long, value_name = "DIR")]
        official: Option<PathBuf>,
        /// The UN DESA workbook (International Migrant Stock 2020, by destination and sex)
        #[arg(long, value_name = "FILE.xlsx")]
        stock: Option<PathBuf>,
        /// The UNSD M49 CSV
        #[arg(long, value_name = "FILE.csv")]
        m49: Option<PathBuf>,
        /// The WDI bulk CSV of BX.TRF.PWKR.CD.DT (personal remittances received)
        #[arg(long, value_name = "FILE.csv")]
        wdi: Option<PathBuf>,
        /// The WDI country metadata of the same download
        #[arg(long, value_name = "FILE.csv")]
        wdi_metadata: Option<PathBuf>,
        /// IMS 2020 by destination, origin and sex (the long CSV: geo, t, from, sex, n);
        /// needed with origin groups
        #[arg(long, value_name = "FILE.csv")]
        origin_file: Option<PathBuf>,
        /// The World Bank's historical income classification (OGHIST.xlsx); needed with
        /// --origins income
        #[arg(long, value_name = "FILE.xlsx")]
        oghist: Option<PathBuf>,
        /// Official aid as a comparison series: a table in the layout of data/seeds.csv
        /// (series oda_received; to "Low and middle income" with income groups, else "World")
        #[arg(long, value_name = "FILE.csv")]
        oda: Option<PathBuf>,
        /// The regions: `countries` (every country or area, with the six areas),
        /// `subregions` (M49 sub-regions, M49 regions as areas), `regions` (the five M49
        /// regions), `areas` (UN DESA's six), or a list of countries (ISO3 codes or names,
        /// comma-separated; the rest merged into "Other <area>")
        #[arg(long, default_value = "countries", value_name = "WHICH")]
        destinations: String,
        /// Origin groups: `income` (the World Bank income group of the origin, as classified
        /// for --income-year's data), `none`, or a list of origin countries (ISO3 codes or
        /// names) against "Other origins"
        #[arg(long, default_value = "income", value_name = "WHICH")]
        origins: String,
        /// The data year of the income classification [default: the calibration year]
        #[arg(long, value_name = "YEAR")]
        income_year: Option<i32>,
        /// The base and calibration years
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1990,2000",
            value_name = "BASE,CAL"
        )]
        years: Vec<i32>,
        /// The last year projected
        #[arg(long, default_value_t = 2050, value_name = "YEAR")]
        end_year: i32,
        /// Countries with fewer migrants than this in the calibration year are merged into
        /// "Other <area>" (listed in the file's header)
        #[arg(long, default_value_t = 0.0, value_name = "PERSONS")]
        min_stock: f64,
        /// The scenario's name (a-z, 0-9, '-', '_')
        #[arg(long, default_value = "countries", value_name = "NAME")]
        name: String,
        /// Monte Carlo trajectories of the scenario
        #[arg(long, default_value_t = 1000, value_name = "N")]
        trajectories: usize,
        /// Write the uncertainty estimated from the destination-country panel
        /// (data/estimates/countries.toml) instead of the defaults (the areas')
        #[arg(long)]
        country_estimates: bool,
        /// The scenario file to write
        #[arg(long, value_name = "FILE.toml")]
        out: PathBuf,
        /// Replace FILE.toml if it exists
        #[arg(long)]
        force: bool,
    },
    /// Write a commented scenario template NAME.toml that runs as it is
    New {
        /// Scenario name: a-z, 0-9, '-', '_' (also the file name and the output folder name)
        name: String,
        /// Folder to write NAME.toml into
        #[arg(long, default_value = ".", value_name = "DIR")]
        dir: PathBuf,
        /// Overwrite NAME.toml if it exists
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Stock histories: CSV with columns region,year,stock (others ignored), one source per
    /// file; World = sum of regions unless given; every region needs the same years, three or
    /// more. Each file is a panel: its statistics are matched separately
    #[arg(required = true, value_name = "HISTORY.csv")]
    pub histories: Vec<PathBuf>,
    /// World remittance receipts: CSV with columns year,usd (and optionally series)
    #[arg(long, value_name = "R.csv")]
    pub remittances: Option<PathBuf>,
    /// Leave out of each stock panel the regions with a zero stock or a year missing (listed
    /// in estimate.md) instead of refusing the file: for country panels
    #[arg(long)]
    pub drop_incomplete: bool,
    /// Receipts by receiving country: CSV with columns iso3 (or country), year, usd; estimates
    /// `remittances.growth_damping` (psi) from the persistence of countries' deviations
    #[arg(long, value_name = "R.csv")]
    pub country_remittances: Option<PathBuf>,
    /// The series of the remittance file to use, when it has a `series` column
    #[arg(long, default_value = "World", value_name = "NAME")]
    pub remittance_series: String,
    /// First year of the remittance history used (earlier rows are left out)
    #[arg(long, default_value_t = 1000, value_name = "YEAR")]
    pub remittances_from: i32,
    /// Last year used: the calibration year of the scenarios the estimate is for. Later rows
    /// are left out, so the estimate never sees what it will be scored on
    #[arg(long, default_value_t = 2000, value_name = "YEAR")]
    pub until: i32,
    /// Scenario whose base-year mortality, departures and age schedule give the cohort
    /// survival of the simulated histories (default: the built-in defaults of `migproj new`)
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Folder that receives NAME/
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Output folder name
    #[arg(long, default_value = "estimate", value_name = "NAME")]
    pub name: String,
    /// Simulated histories per panel (common random numbers)
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(10..=100_000))]
    pub simulations: u32,
    /// Parametric bootstrap replicates for the standard errors
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub bootstrap: u32,
    /// Random seed of the simulations and the bootstrap
    #[arg(long, default_value_t = 20030701, value_name = "SEED")]
    pub seed: u64,
    /// No progress bar or summary lines on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML); each writes OUT/NAME/ where NAME is `scenario.name`
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Folder that receives one sub-folder per scenario
    #[arg(long, default_value = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Number of Monte Carlo trajectories (overrides `uncertainty.trajectories`)
    #[arg(long, value_name = "N")]
    pub trajectories: Option<usize>,
    /// Random seed (overrides `uncertainty.seed`)
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Worker threads for the Monte Carlo, 1 to 1024 (default: all cores)
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Skip the Monte Carlo: the deterministic projection's tables and charts only
    #[arg(long)]
    pub deterministic: bool,
    /// Also write every trajectory, region, year and variable in long form, streamed to
    /// disk: trajectories.csv (the default), or `--write-trajectories parquet` for
    /// trajectories.parquet (typed and compressed, for pandas and R arrow)
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "csv")]
    pub write_trajectories: Option<crate::output::trajectories::TrajectoryFormat>,
    /// Memory for the run (bytes, or with a K, M, G suffix: 512M, 4G): the deterministic run
    /// (refused above it) and the Monte Carlo's values, counted together. While they fit,
    /// every trajectory's values are kept in memory; beyond it they are spilled, a block of
    /// trajectories at a time, to Parquet files in OUT/.NAME.spill-PID (deleted at the end)
    /// and read back one region and variable at a time, with the same results to the byte.
    /// Summaries, tables and charts take some more (README: "Peak memory")
    #[arg(long, default_value = "4G", value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: u64,
    /// Run shard K of N (K = 1..N) of the Monte Carlo: trajectories (K-1)T/N to KT/N - 1 of
    /// T = --trajectories (or the scenario's), written with a manifest to
    /// OUT/NAME.shard-K-of-N/ for `migproj merge` (MODEL.md section 15). No tables or charts
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with_all = ["deterministic", "write_trajectories", "trajectory_range"])]
    pub shard: Option<(usize, usize)>,
    /// Run trajectories FIRST..LAST (LAST excluded) of the Monte Carlo as a shard, written to
    /// OUT/NAME.trajectories-FIRST-LAST/ (as --shard, with a range of your choice)
    #[arg(long, value_name = "FIRST..LAST", value_parser = parse_range, conflicts_with_all = ["deterministic", "write_trajectories"])]
    pub trajectory_range: Option<(usize, usize)>,
    /// Size of the PNG charts (and the SVG canvas) in pixels
    #[arg(long, default_value = "1600x1000", value_name = "WxH", value_parser = parse_chart_size)]
    pub chart_size: (u32, u32),
    /// Write the tables only, no charts
    #[arg(long)]
    pub no_charts: bool,
    /// No progress bar or summary lines on stderr
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep an existing OUT/NAME: move it to OUT/NAME.~N~ (the first free N, as
    /// `cp --backup=numbered` does) instead of replacing it. Without --keep a run replaces
    /// OUT/NAME, as make replaces a target, and says what it replaced when that was a different
    /// scenario, seed, number of trajectories or mode
    #[arg(long)]
    pub keep: bool,
}

/// Parses `K/N`: shard K (1 to N) of N.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once('/').and_then(|(k, n)| {
        Some((
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        Some((k, n)) => Err(format!(
            "expected K/N with 1 <= K <= N (shards count from 1, as `sbatch --array=1-N` does), found {k}/{n}"
        )),
        None => Err(format!("expected K/N such as 2/8 (shard 2 of 8), found `{text}`")),
    }
}

/// Parses `FIRST..LAST`: trajectories FIRST to LAST - 1.
pub fn parse_range(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once("..").and_then(|(a, b)| {
        Some((
            a.trim().parse::<usize>().ok()?,
            b.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((a, b)) if a < b => Ok((a, b)),
        Some((a, b)) => Err(format!(
            "expected FIRST..LAST with FIRST < LAST (LAST excluded), found {a}..{b}"
        )),
        None => Err(format!(
            "expected FIRST..LAST such as 0..2500 (trajectories 0 to 2499), found `{text}`"
        )),
    }
}

/// Parses a thread count: 1 to 1024 (more threads than that only cost memory).
pub fn parse_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of threads from 1 to 1024, found `{text}`"
        )),
    }
}

/// Parses a chart size `WxH` (each 400 to 8000 pixels).
pub fn parse_chart_size(text: &str) -> Result<(u32, u32), String> {
    let parse = |part: &str| {
        part.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (400..=8000).contains(v))
    };
    match text.split_once(['x', 'X']) {
        Some((w, h)) => match (parse(w), parse(h)) {
            (Some(w), Some(h)) => Ok((w, h)),
            _ => Err(format!(
                "expected WxH with each side 400 to 8000 pixels, found `{text}`"
            )),
        },
        None => Err(format!("expected WxH (such as 1600x1000), found `{text}`")),
    }
}

/// Parses a size such as `4G`, `512M`, `100000` (bytes; K, M, G, T are powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text
        .trim()
        .trim_end_matches(['B', 'b'])
        .trim_end_matches("i");
    let (digits, factor) = match trimmed.chars().last() {
        Some('K' | 'k') => (&trimmed[..trimmed.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&trimmed[..trimmed.len() - 1], 1 << 20),
        Some('G' | 'g') => (&trimmed[..trimmed.len() - 1], 1 << 30),
        Some('T' | 't') => (&trimmed[..trimmed.len() - 1], 1 << 40),
        _ => (trimmed, 1),
    };
    let value: f64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("expected a size like 4G or 512M, found `{text}`"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("expected a positive size, found `{text}`"));
    }
    Ok((value * factor as f64) as u64)
}
