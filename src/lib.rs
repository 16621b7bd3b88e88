//! qinglian (清廉): a batch pipeline that turns a district's supervision
//! records (petitions, discipline cases, public-resource trading, social
//! assistance) into a quarterly village integrity index: every village
//! scored, ranked, tiered and explained.
//!
//! Modules follow the data's way through the pipeline:
//! [`catalog`] → [`ingest`] → [`datapoints`] → [`indicators`] →
//! [`scoring`] → [`alerts`] → [`outputs`] and [`report`] (or [`calibration`] against known cases), driven by [`pipeline`] and configured by the
//! [`framework`] (documented by [`docs`]); [`contract`] states the input tables, [`generate`] makes
//! synthetic districts; [`precomputed`] scores a unit × indicator table
//! (spreadsheet data, or COINr's examples) with the same engine.

pub mod alerts;
pub mod assessment;
pub mod bench;
pub mod calibration;
pub mod catalog;
pub mod contract;
pub mod datapoints;
pub mod digest;
pub mod docs;
pub mod engine;
pub mod error;
pub mod framework;
pub mod generate;
pub mod indicators;
pub mod ingest;
pub mod model;
pub mod outputs;
pub mod period;
pub mod pipeline;
pub mod precomputed;
pub mod report;
pub mod scoring;
pub mod standings;

pub use error::{Error, ErrorKind, Result};
