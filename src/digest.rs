//! Content hashes, shared by every stage that fingerprints what it read or
//! wrote (the framework's files, the input extracts, the outputs in the
//! manifest): SHA-256 written as lower-case hex.

use sha2::{Digest, Sha256};

/// `bytes` as lower-case hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes`, as hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
