//! The findings more than one check makes, built the same way wherever they are found.

use std::sync::Arc;

use crate::model::finding::{Code, Facts, Finding, FoundIn, Severity};
use crate::policy::AllowEntry;
use crate::util::path::parent;

/// Builds `tracked-cache` findings, sharing one folder and one rule between the findings that
/// come one after another with the same (a large repository tracks tens of thousands of caches,
/// a handful per folder, nearly all forbidden by one pattern).
#[derive(Default)]
pub(crate) struct TrackedCaches {
    folder: Option<Arc<[u8]>>,
    rule: Option<Arc<str>>,
}

impl TrackedCaches {
    /// A tracked path the policy forbids; `excluded` is how much of it the pattern excluded.
    pub(crate) fn finding(&mut self, path: &[u8], pattern: &str, excluded: usize) -> Finding {
        let folder = if excluded < path.len() {
            &path[..excluded]
        } else {
            parent(path)
        };
        Finding {
            code: Code::TrackedCache,
            severity: Severity::Error,
            path: path.to_vec(),
            folder: shared(&mut self.folder, folder),
            rule: shared(&mut self.rule, pattern),
            facts: Facts::TrackedCache {
                found_in: FoundIn::Index,
            },
            commit: None,
        }
    }
}

/// `value`, as the `Arc` in `last` when that holds it already, else as a new one kept there.
fn shared<T: ?Sized + PartialEq>(last: &mut Option<Arc<T>>, value: &T) -> Arc<T>
where
    Arc<T>: for<'a> From<&'a T>,
{
    match last {
        Some(a) if **a == *value => Arc::clone(a),
        _ => Arc::clone(last.insert(Arc::from(value))),
    }
}

/// A kept folder with no README explaining it.
pub(crate) fn missing_readme(kept: &AllowEntry) -> Finding {
    Finding {
        code: Code::AllowlistMissingReadme,
        severity: Severity::Error,
        path: kept.path.as_bytes().to_vec(),
        folder: kept.path.as_bytes().into(),
        rule: kept.display_path().into(),
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
        folder: kept.path.as_bytes().into(),
        rule: kept.display_path().into(),
        facts: Facts::AllowUnmatched { tracked_spelling },
        commit: None,
    }
}
