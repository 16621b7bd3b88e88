//! The scoring engine, framework-free: per indicator shrinkage,
//! two-sided distance, imputation, outlier treatment and normalisation;
//! per level weights and aggregation; ranks, tiers and the Monte Carlo
//! rank intervals, on any tree of indicators and aggregates. The village
//! stage (`scoring`) and the precomputed-table scorer (`precomputed`)
//! build its trees; `tests/asem.rs` drives it on COINr's ASEM data. It
//! knows nothing of villages, files or the framework's TOML.

pub mod aggregate;
pub mod impute;
pub mod method;
pub mod normalise;
pub mod rank;
pub mod shrinkage;
pub mod treatment;
pub mod uncertainty;
pub mod weights;
