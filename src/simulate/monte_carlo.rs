//! The Monte Carlo runner (MODEL.md section 9).
