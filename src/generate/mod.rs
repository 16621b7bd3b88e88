//! TEMPORARY placeholder until the generator lands (not to be committed).
use crate::period::Quarter;
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("x")]
    X,
}
#[derive(Debug)]
pub struct GenerateOptions {
    pub seed: u64,
    pub villages: usize,
    pub townships: usize,
    pub last_quarter: Quarter,
    pub quarters: usize,
    pub planted_share: f64,
    pub volume_factor: f64,
    pub defects: bool,
}
#[derive(Debug)]
pub struct GenerateSummary {
    pub villages: usize,
    pub rows: std::collections::BTreeMap<String, u64>,
    pub planted: Vec<String>,
}
pub fn generate(
    _o: &GenerateOptions,
    _p: &std::path::Path,
) -> Result<GenerateSummary, GenerateError> {
    Err(GenerateError::X)
}
