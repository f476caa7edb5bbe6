//! The commented scenario template written by `migproj new`.

/// The template for scenario `name`: the baseline assumptions with every key explained.
pub fn template(name: &str) -> String {
    use super::defaults as d;
    let mut text = TEMPLATE.replace("{name}", name);
    for (key, value) in [
        ("{trend_damping}", d::TREND_DAMPING),
        ("{world_growth_sd}", d::WORLD_GROWTH_SD),
        ("{world_ar1}", d::WORLD_AR1),
        ("{world_shock_sd}", d::WORLD_SHOCK_SD),
        ("{region_ar1}", d::REGION_AR1),
        ("{region_shock_sd}", d::REGION_SHOCK_SD),
        ("{departure_sd}", d::DEPARTURE_SD),
        ("{departure_ramp}", d::DEPARTURE_RAMP),
        ("{remittance_growth_sd}", d::REMITTANCE_GROWTH_SD),
        ("{remittance_shock_sd}", d::REMITTANCE_SHOCK_SD),
        ("{world_sd_rel_se}", d::WORLD_SD_REL_SE),
        ("{region_sd_rel_se}", d::REGION_SD_REL_SE),
        ("{remittance_sd_rel_se}", d::REMITTANCE_SD_REL_SE),
    ] {
        text = text.replace(key, &format!("{value:?}"));
    }
    text
}

const TEMPLATE: &str = r#"# A migproj scenario. Every key below is optional unless marked "required"; the values shown
# are the defaults where a default exists. Run it with:  migproj run {name}.toml
# Units: persons, years, current US dollars, probabilities per year.

[scenario]
name = "{name}"                      # required: output folder name (a-z, 0-9, '-', '_')
title = "My scenario"                # shown on charts; defaults to the name
base_year = 1990                     # required: year of the first stock figure
calibration_year = 2000              # required: year of the second stock figure
end_year = 2050                      # required: last year projected
data_revision = "IMR 2002"           # required: printed on every table and chart
max_duration = 50                    # last (open) duration-of-stay group, years

# One [[region]] per destination region. `stock` holds exactly the base and calibration
# years (persons). Optional: female_share (of arrivals, overrides arrivals.female_share) and
# observed = { year = persons } (drawn on charts, never used in calibration).
# Origin groups (where remittances go; MODEL.md section 12): list them, then give each
# region's stock by group and the groups' receipts (a group without receipts is counted in
# the stock only; a group with 0 migrants in both years is an empty stream):
#   [origins]
#   groups = ["Low and middle income", "High income", "Unknown"]
#   [[region]]
#   name = "Europe"
#   [region.stock]
#   1990 = { "Low and middle income" = 27056231, "High income" = 21440380, "Unknown" = 1111614 }
#   2000 = { "Low and middle income" = 32446714, "High income" = 23052372, "Unknown" = 1359707 }
#   [remittances.received]
#   "Low and middle income" = { 1990 = 29409371491, 2000 = 73523700173 }
#   "High income" = { 1990 = 39030447143, 2000 = 48229027182 }
# Regions that do not cover the world: name their sum in [scenario], e.g.
#   total = "Three destination regions"   (every output then says so instead of "World")
# Areas (sums of regions, in every table and chart): [areas] names = [...] and `area = "..."`
# on every region. `migproj import` writes such scenarios from the UN and World Bank files.
[[region]]
name = "World"
stock = { 1990 = 154e6, 2000 = 175e6 }       # UN DESA, International Migration Report 2002

[world_population]                   # required: persons, interpolated log-linearly
points = { 1990 = 5327804908, 2000 = 6171704705, 2050 = 8.9e9 }   # WPP 2024; WPP 2002 for 2050

[mortality]                          # Gompertz-Makeham solved to life expectancy at birth
makeham = 0.0005                     # age-independent hazard (alpha)
gompertz_slope = 0.09                # gamma
life_expectancy = { female = 77.0, male = 71.0 }   # in the base year
improvement = 0.15                   # years of life expectancy gained per calendar year
# table = "mortality.csv"            # instead: CSV age,female,male of death probabilities

[departure]                          # h(d) = long_run + (initial - long_run) exp(-decay d)
initial = 0.10
long_run = 0.03
decay = 0.25
# [[departure.change]]               # multiply h from a year on (optional region = "...")
# from = 2005
# multiplier = 1.5

[arrivals]
female_share = 0.49
growth = "calibrated"                # or a number per year, from the calibration year on
trend_damping = {trend_damping}        # share of a region's own trend kept each year after calibration
# age_schedule = { a1 = 0.04, alpha1 = 0.10, a2 = 0.06, alpha2 = 0.10, mu2 = 22, lambda2 = 0.40, c = 0.003 }
# [[arrivals.change]]                # multiply arrivals from a year (>= calibration_year)
# from = 2010
# multiplier = 0.8
# [[arrivals.pulse]]                 # extra arrivals in one year (refugees, say)
# year = 2015
# persons = 1e6

[remittances]
received = { 1990 = 68440818634, 2000 = 121769727355 }   # required: WDI, world, current US$
age_range = [15, 64]                 # ages that remit, both ends included
propensity = { model = "constant", value = 0.6 }
# propensity = { model = "exponential", initial = 0.8, long_run = 0.4, decay = 0.1 }
# propensity = { model = "hump", peak = 0.7, peak_duration = 8 }
cost = { 2009 = 0.10, 2016 = 0.074, 2023 = 0.0618, 2030 = 0.03 }   # share of the amount sent
growth = "calibrated"                # growth of the amount per remitter after calibration

[comparison]                         # series to compare remittances with (current US$)
oda = { 1990 = 54788199829, 2000 = 51558738770 }   # WDI net ODA received, low and middle income

[uncertainty]                        # leave this table out for a deterministic run only
trajectories = 1000
seed = 20030701
# The values below are the defaults: `migproj estimate` made them from the 1960-2000 history
# in data/history/ (docs/model.md lists each with its standard error). Delete a line to keep
# the default; paste the fragment `migproj estimate` writes to use your own history.
world_growth_sd = {world_growth_sd}         # sd of the common long-run arrival growth, per year
world_ar1 = {world_ar1}               # persistence of the common yearly deviation
world_shock_sd = {world_shock_sd}          # sd of the common yearly shock to arrival growth
region_ar1 = {region_ar1}              # persistence of a region's own deviation
region_shock_sd = {region_shock_sd}         # sd of a region's own yearly shock
departure_sd = {departure_sd}            # sd of the log departure multiplier (an assumption)
departure_ramp = {departure_ramp}         # years over which that multiplier is phased in
remittance_growth_sd = {remittance_growth_sd}    # sd of the long-run growth of the amount per remitter
remittance_shock_sd = {remittance_shock_sd}     # sd of the yearly log shock to that amount
world_sd_rel_se = {world_sd_rel_se}         # relative standard error of the world sds (0: known)
region_sd_rel_se = {region_sd_rel_se}        # the same for each region's own sds
remittance_sd_rel_se = {remittance_sd_rel_se}    # the same for the remittance sds
"#;
