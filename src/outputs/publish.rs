//! Publishing a run's outputs safely: everything is written into a hidden
//! staging sibling of the output directory and renamed into place, the
//! previous report moved aside first and back on failure; what killed runs
//! left behind is tidied before the next run; an output directory that
//! holds anything but a previous report is refused, so `--out .` cannot
//! wipe a working directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Replaces `out` by `staged`. The previous output is moved aside first and
/// moved back if the new one cannot be put in place, so a failure leaves
/// the previous report as it was.
pub fn publish(staged: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return std::fs::rename(staged, out).map_err(Error::io("publishing", out));
    }
    let old = sibling(out, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(Error::io("removing", &old))?;
    }
    std::fs::rename(out, &old).map_err(Error::io("moving aside", out))?;
    if let Err(e) = std::fs::rename(staged, out) {
        let _ = std::fs::rename(&old, out);
        return Err(Error::io("publishing", out)(e));
    }
    if let Err(e) = std::fs::remove_dir_all(&old) {
        tracing::warn!(
            "the previous report, moved to {}, could not be removed: {e}",
            old.display()
        );
    }
    Ok(())
}

/// Tidies what killed runs left beside `out` (their process gone; only
/// where the OS shows live processes under `/proc`):
/// - a staging directory (`.<name>.partial-<pid>`) is removed: it was never
///   published;
/// - a moved-aside report (`.<name>.old-<pid>`) is moved back when `out` is
///   missing (the run was killed between moving the previous report aside
///   and renaming the new one in), else removed (the new one was in place).
pub fn recover_interrupted_runs(out: &Path) {
    let proc = Path::new("/proc/self");
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return;
    };
    if !proc.exists() {
        return;
    }
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = name.to_string_lossy();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    let dead = |rest: &str| {
        rest.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
    };
    for path in entries {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(rest) = file.strip_prefix(&format!(".{name}.partial-")) {
            if dead(rest) {
                match std::fs::remove_dir_all(&path) {
                    Ok(()) => {
                        tracing::info!("removed {}, left by an interrupted run", path.display())
                    }
                    Err(e) => tracing::warn!(
                        "could not remove {}, left by an interrupted run: {e}",
                        path.display()
                    ),
                }
            }
        } else if let Some(rest) = file.strip_prefix(&format!(".{name}.old-")) {
            if !dead(rest) {
                continue;
            }
            if !out.exists() {
                match std::fs::rename(&path, out) {
                    Ok(()) => tracing::warn!(
                        "restored the previous report {} from {}, where a run killed while publishing left it",
                        out.display(),
                        path.display()
                    ),
                    Err(e) => tracing::warn!(
                        "the previous report is in {}, left by a run killed while publishing, and could not be moved back: {e}",
                        path.display()
                    ),
                }
            } else if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!(
                    "could not remove {}, left by an interrupted run: {e}",
                    path.display()
                );
            }
        }
    }
}

/// `<parent>/.<name>.<tag>-<pid>`: a hidden sibling of `out`.
pub fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    out.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// The output directory is replaced whole: refuse one that holds anything
/// but a previous report, so `--out .` cannot wipe a working directory.
pub fn refuse_foreign_output(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(Error::Request(format!(
            "--out {} is a file; pass a directory for the report",
            out.display()
        )));
    }
    let is_report = out.join("manifest.json").is_file();
    let is_empty = std::fs::read_dir(out)
        .map_err(Error::io("listing", out))?
        .next()
        .is_none();
    if out.is_dir() && (is_report || is_empty) {
        Ok(())
    } else {
        Err(Error::Request(format!(
            "--out {} exists and is not a qinglian report (no manifest.json); a run replaces its output directory whole, so choose a new or empty directory",
            out.display()
        )))
    }
}
