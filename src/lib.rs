//! qinglian (清廉): a batch pipeline that turns a district's supervision
//! records (petitions, discipline cases, public-resource trading, social
//! assistance) into a quarterly village integrity index: every village
//! scored, ranked, tiered and explained.
//!
//! Modules follow the data's way through the pipeline, each importing only
//! the floors below it (README's "Code map"; `tests/architecture.rs`
//! checks it):
//! - ground: [`error`], [`period`], [`digest`], [`contract`] (the input
//!   tables), [`parallel`] (work over the cores), [`progress`] (bars on a
//!   terminal); then [`model`] (villages, the data-point table, indicator
//!   values) and [`engine`] (the framework-free scoring engine);
//! - configuration: [`framework`] (indicators/ and sql/), [`catalog`];
//! - stages: [`ingest`] → [`datapoints`] → [`indicators`] → [`scoring`] →
//!   [`alerts`] → [`lifecycle`] → [`assessment`] → [`standings`] → [`outputs`] and
//!   [`report`], orchestrated by [`pipeline`], on this machine or on a
//!   Ballista cluster ([`cluster`]);
//! - tools: [`calibration`] (detection against known cases), [`fitting`]
//!   (weights learned from outcomes), [`bench`],
//!   [`docs`], [`precomputed`] (a unit × indicator table on the engine, as
//!   COINr's examples), [`generate`] (synthetic districts).

pub mod alerts;
pub mod assessment;
pub mod bench;
pub mod calibration;
pub mod catalog;
pub mod cluster;
pub mod contract;
pub mod datapoints;
pub mod digest;
pub mod docs;
pub mod engine;
pub mod error;
pub mod fitting;
pub mod framework;
pub mod generate;
pub mod indicators;
pub mod ingest;
pub mod lifecycle;
pub mod model;
pub mod outputs;
pub mod parallel;
pub mod period;
pub mod pipeline;
pub mod precomputed;
pub mod progress;
pub mod report;
pub mod scoring;
pub mod standings;

pub use error::{Error, ErrorKind, Result};
