//! The findings more than one check makes, built the same way wherever they are found.

use crate::model::finding::{Code, Facts, Finding, FoundIn, Severity};
use crate::policy::AllowEntry;
use crate::util::path::parent;

/// A tracked path the policy forbids; `excluded` is how much of it the pattern excluded.
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
        facts: Facts::TrackedCache {
            found_in: FoundIn::Index,
        },
        commit: None,
    }
}

/// A kept folder with no README explaining it.
pub(crate) fn missing_readme(kept: &AllowEntry) -> Finding {
    Finding {
        code: Code::AllowlistMissingReadme,
        severity: Severity::Error,
        path: kept.path.as_bytes().to_vec(),
        folder: kept.path.as_bytes().to_vec(),
        rule: kept.display_path(),
        facts: Facts::MissingReadme {
            candidates: kept.readme_candidates(),
        },
        commit: None,
    }
}

/// An allow entry that matches nothing tracked; `tracked_spelling` is a tracked path it matches
/// but for case. The finding has no path: the entry names nothing tracked.
pub(crate) fn allowlist_unmatched(kept: &AllowEntry, tracked_spelling: Option<Vec<u8>>) -> Finding {
    Finding {
        code: Code::AllowlistUnmatched,
        severity: Severity::Warning,
        path: Vec::new(),
        folder: kept.path.as_bytes().to_vec(),
        rule: kept.display_path(),
        facts: Facts::AllowUnmatched { tracked_spelling },
        commit: None,
    }
}
