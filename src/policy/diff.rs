//! What changed between two policies, in the terms a reviewer needs: which folders became kept
//! or stopped being kept, which forbid patterns were dropped or added, which checks of a kept
//! folder were lowered. A change that allows more is one a pull request must not make for itself.

use crate::model::finding::{Code, PolicyChange};
use crate::policy::{AllowEntry, Level, Policy};

/// The differences from `old` to `new`, or `None` when they judge alike (where each came from
/// does not count).
pub fn between(old: &Policy, new: &Policy) -> Option<PolicyChange> {
    let mut change = PolicyChange::default();
    for p in &new.forbid {
        if !old.forbid.contains(p) {
            change.forbid_added.push(p.clone());
        }
    }
    for p in &old.forbid {
        if !new.forbid.contains(p) {
            change.forbid_dropped.push(p.clone());
        }
    }
    let find = |list: &[AllowEntry], e: &AllowEntry| {
        list.iter()
            .find(|o| o.path == e.path && o.is_dir == e.is_dir)
            .cloned()
    };
    for e in &new.allow {
        match find(&old.allow, e) {
            None => change.allow_added.push(e.display_path()),
            Some(o) => lowered(&o, e, &mut change.lowered),
        }
    }
    for e in &old.allow {
        if find(&new.allow, e).is_none() {
            change.allow_removed.push(e.display_path());
        }
    }
    let same_entries = old.allow == new.allow;
    if change.forbid_added.is_empty()
        && change.forbid_dropped.is_empty()
        && change.allow_added.is_empty()
        && change.allow_removed.is_empty()
        && change.lowered.is_empty()
        && same_entries
    {
        return None;
    }
    Some(change)
}

/// How `new` checks a kept folder less than `old` did.
fn lowered(old: &AllowEntry, new: &AllowEntry, out: &mut Vec<String>) {
    let path = new.display_path();
    if old.require_readme && !new.require_readme {
        out.push(format!("`{path}` no longer needs a README"));
    }
    if old.pyc.recompile && !new.pyc.recompile {
        out.push(format!("`{path}` is no longer recompiled"));
    }
    for code in Code::PYC {
        let (was, now) = (old.pyc.level(code), new.pyc.level(code));
        if rank(now) < rank(was) {
            out.push(format!(
                "`{path}` {}: {} -> {}",
                crate::policy::PycChecks::key(code),
                was.name(),
                now.name()
            ));
        }
    }
}

fn rank(level: Level) -> u8 {
    match level {
        Level::Off => 0,
        Level::Warning => 1,
        Level::Error => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::Origin;

    fn policy(text: &str) -> Policy {
        Policy::from_toml(text, Origin::Defaults).unwrap()
    }

    #[test]
    fn the_same_rules_from_elsewhere_are_no_change() {
        let a = policy("[[allow]]\npath = \"k/__pycache__/\"\n");
        let mut b = a.clone();
        b.origin = Origin::File("elsewhere.toml".into());
        assert_eq!(between(&a, &b), None);
    }

    #[test]
    fn an_added_allow_entry_widens() {
        let old = policy("");
        let new = policy("[[allow]]\npath = \"evil/__pycache__/\"\nrequire_readme = false\n");
        let change = between(&old, &new).unwrap();
        assert_eq!(change.allow_added, ["evil/__pycache__/"]);
        assert!(change.widens());
    }

    #[test]
    fn a_removed_entry_and_an_added_pattern_narrow() {
        let old =
            policy("[caches]\nforbid = [\"__pycache__/\"]\n[[allow]]\npath = \"k/__pycache__/\"\n");
        let new = policy("[caches]\nforbid = [\"__pycache__/\", \"*.pyc\"]\n");
        let change = between(&old, &new).unwrap();
        assert_eq!(change.allow_removed, ["k/__pycache__/"]);
        assert_eq!(change.forbid_added, ["*.pyc"]);
        assert!(!change.widens());
    }

    #[test]
    fn a_dropped_pattern_and_a_lowered_level_widen() {
        let old = policy("[[allow]]\npath = \"k/__pycache__/\"\n");
        let new = policy(
            "[caches]\nforbid = [\"__pycache__/\"]\n[[allow]]\npath = \"k/__pycache__/\"\n\
             require_readme = false\n[allow.checks]\nstale = \"warning\"\n",
        );
        let change = between(&old, &new).unwrap();
        assert_eq!(change.forbid_dropped, ["*.py[co]", "*$py.class"]);
        assert_eq!(
            change.lowered,
            [
                "`k/__pycache__/` no longer needs a README",
                "`k/__pycache__/` stale: error -> warning"
            ]
        );
        assert!(change.widens());
    }
}
