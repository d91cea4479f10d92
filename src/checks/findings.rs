//! The findings more than one check makes, built the same way wherever they are found.

use crate::model::finding::{Code, Finding, Severity};
use crate::policy::{AllowEntry, README_NAME};
use crate::util::path::parent;

pub(crate) fn tracked_cache(path: &[u8], pattern: &str, excluded: usize) -> Finding {
    let folder = if excluded < path.len() {
        path[..excluded].to_vec()
    } else {
        parent(path).to_vec()
    };
    Finding {
        code: Code::TrackedCache,
        severity: Severity::Error,
        path: path.to_vec(),
        folder,
        rule: pattern.to_string(),
        message: format!("Python bytecode cache is tracked (forbidden by `{pattern}`)"),
        commit: None,
    }
}

pub(crate) fn missing_readme(kept: &AllowEntry) -> Finding {
    let candidates = kept.readme_candidates().join(" or ");
    Finding {
        code: Code::AllowlistMissingReadme,
        severity: Severity::Error,
        path: kept.path.as_bytes().to_vec(),
        folder: kept.path.as_bytes().to_vec(),
        rule: kept.display_path(),
        message: format!(
            "`{}` is kept on purpose, but no tracked {README_NAME} explains it: write {candidates} \
             and `git add` it",
            kept.display_path()
        ),
        commit: None,
    }
}
