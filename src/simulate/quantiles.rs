//! Quantiles (R type 7) and means for the Monte Carlo summaries.
