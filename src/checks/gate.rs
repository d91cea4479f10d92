//! The CI gate: judges a commit's tree or a range by the policy of the branch the change wants
//! to enter (see [`crate::policy::source`]), and reports a change to that policy as a finding,
//! so a pull request cannot allow its own caches.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use git2::{Oid, Repository};

use crate::checks::tree;
use crate::git::revision::Range;
use crate::model::error::Error;
use crate::model::finding::{Code, Facts, Finding, PolicyChanged, Severity};
use crate::model::outcome::{Outcome, Subject};
use crate::policy::matcher::Matcher;
use crate::policy::source::{self, PolicySide};
use crate::policy::{Origin, POLICY_FILE, Policy, diff};
use crate::util::bytes::short_id;

/// Where the judging policy comes from, as the command line chose it.
pub enum Judging {
    /// A policy read already (`--policy FILE`, or the working tree's with `--policy-from
    /// worktree`): it judges everything.
    Given(Policy),
    /// One side of the range (`--policy-from base|head`; base by default).
    Side(PolicySide),
}

/// What a history check found, and the policy that judged it.
pub struct Judged {
    /// The policy that judged (for a range judged commit by commit, the base side's).
    pub policy: Policy,
    /// The findings and how to untrack them.
    pub outcome: Outcome,
    /// What was judged.
    pub subject: Subject,
}

/// The staged check (the hook, `check --all`): the policy as staged judges the index, unless one
/// is given; a policy file used from the working tree but not tracked is reported.
pub fn judge_staged(
    repo: &crate::git::repo::Repo,
    given: Option<Policy>,
    scope: crate::model::outcome::Scope,
) -> Result<Judged, Error> {
    let index = repo.staged_index()?;
    let (policy, untracked) = match given {
        Some(policy) => (policy, None),
        None => {
            let staged = source::from_index(repo, &index)?;
            (staged.policy, staged.untracked)
        }
    };
    let matcher = source::matcher_for(&policy, repo.ignore_case())?;
    let mut outcome = crate::checks::staged::check_staged(repo, &index, &policy, &matcher, scope)?;
    if let Some(file) = untracked {
        let path = file.to_string_lossy().into_owned().into_bytes();
        outcome.findings.push(Finding {
            code: Code::PolicyUntracked,
            severity: Severity::Warning,
            folder: Arc::default(),
            rule: String::from_utf8_lossy(&path).into(),
            path,
            facts: Facts::PolicyUntracked,
            commit: None,
        });
    }
    Ok(Judged {
        policy,
        outcome,
        subject: scope.into(),
    })
}

/// `check --tree REV`: REV's own committed policy judges it, unless one is given.
pub fn judge_tree(
    repo: &Repository,
    rev: &str,
    judging: Judging,
    ignore_case: bool,
) -> Result<Judged, Error> {
    let (_, tree) = crate::git::revision::tree(repo, crate::git::revision::Rev::cli(rev))?;
    let policy = match judging {
        Judging::Given(policy) => policy,
        Judging::Side(_) => source::from_tree(repo, &tree, rev)?,
    };
    let matcher = source::matcher_for(&policy, ignore_case)?;
    let (outcome, subject) = tree::check_tree(repo, &policy, &matcher, ignore_case, rev)?;
    Ok(Judged {
        policy,
        outcome,
        subject,
    })
}

/// `check --range` and `check --ci`: the base side's policy judges the range (each commit, with
/// `each_commit`, by its parent's), and a range that changes the policy gets `policy-changed`.
pub fn judge_range(
    repo: &Repository,
    range: &Range,
    names: (&str, &str),
    judging: Judging,
    each_commit: bool,
    ignore_case: bool,
) -> Result<Judged, Error> {
    let (base_name, head_name) = names;
    // In git's `REV:path` notation, so `git show LABEL` shows the policy that judged.
    let base_label = match range.merge_base {
        Some(m) => short(m),
        None => base_name.to_string(),
    };
    let base = source::from_commit(repo, range.from(), &base_label)?;
    let head = source::from_commit(repo, range.head, head_name)?;
    let side = match &judging {
        Judging::Given(_) => None,
        Judging::Side(side) => Some(*side),
    };
    let policy = match judging {
        Judging::Given(policy) => policy,
        Judging::Side(PolicySide::Head) => head.clone(),
        Judging::Side(_) => base.clone(),
    };
    let matcher = source::matcher_for(&policy, ignore_case)?;
    let judging = Rc::new((policy, matcher));
    let (policy, matcher) = (&judging.0, &judging.1);
    // Commit by commit, each commit is judged by its parent's committed policy: the rules of the
    // branch as it was when the commit was made on top of it.
    // Keyed by the policy file's blob: most commits of a range share their parent's policy, and
    // each distinct one is read and compiled once.
    type Key = Option<(&'static str, Oid)>;
    let cache: RefCell<HashMap<Key, Rc<(Policy, Matcher)>>> = RefCell::new(HashMap::new());
    let per_parent = matches!(side, Some(PolicySide::Base));
    // The range's first commits sit on its start, whose policy judges already: the same value,
    // labelled the same (`SHORT:file`, or the defaults), is not read and compiled again.
    if each_commit
        && per_parent
        && (policy.origin == Origin::Defaults || base_label == short(range.from()))
    {
        let key = source::policy_key(repo, range.from())?;
        cache.borrow_mut().insert(key, judging.clone());
    }
    let parent_policy = |parent: Oid| -> Result<Rc<(Policy, Matcher)>, Error> {
        let key = source::policy_key(repo, parent)?;
        if let Some(hit) = cache.borrow().get(&key) {
            return Ok(hit.clone());
        }
        let p = source::from_commit(repo, parent, &short(parent))?;
        let m = source::matcher_for(&p, ignore_case)?;
        let both = Rc::new((p, m));
        cache.borrow_mut().insert(key, both.clone());
        Ok(both)
    };
    let (mut outcome, subject) = tree::check_range(
        repo,
        policy,
        matcher,
        ignore_case,
        range,
        each_commit,
        per_parent.then_some(&parent_policy as tree::ParentPolicy<'_>),
    )?;
    if let Some(change) = diff::between(&base, &head) {
        let caches = |findings: &[Finding]| -> BTreeSet<Vec<u8>> {
            findings
                .iter()
                .filter(|f| f.code == Code::TrackedCache)
                .map(|f| f.path.clone())
                .collect()
        };
        // The range's end result as `p` judges it; the check above already is that for the side
        // it judged by, unless it went commit by commit.
        let added = |p: &Policy, judged: bool| -> Result<BTreeSet<Vec<u8>>, Error> {
            if judged && !each_commit {
                return Ok(caches(&outcome.findings));
            }
            let m = source::matcher_for(p, ignore_case)?;
            let (o, _) = tree::check_range(repo, p, &m, ignore_case, range, false, None)?;
            Ok(caches(&o.findings))
        };
        let allowed_only_by_new: Vec<Vec<u8>> = if change.widens() {
            let (old, new) = (
                added(&base, side == Some(PolicySide::Base))?,
                added(&head, side == Some(PolicySide::Head))?,
            );
            old.difference(&new).cloned().collect()
        } else {
            Vec::new()
        };
        // Judged by the head's own policy (a trusted job) the change cannot fail the gate.
        let severity =
            if change.widens() && !allowed_only_by_new.is_empty() && side != Some(PolicySide::Head)
            {
                Severity::Error
            } else {
                Severity::Warning
            };
        let file = policy_file(&head).or_else(|| policy_file(&base));
        outcome.findings.push(Finding {
            code: Code::PolicyChanged,
            severity,
            path: file.clone().unwrap_or_default().into_bytes(),
            folder: Arc::default(),
            rule: file.unwrap_or_default().into(),
            facts: Facts::PolicyChanged(Box::new(PolicyChanged {
                change,
                judged_by: policy.origin.to_string(),
                new: head.origin.to_string(),
                allowed_only_by_new,
            })),
            commit: None,
        });
    }
    let policy = policy.clone();
    Ok(Judged {
        policy,
        outcome,
        subject,
    })
}

/// The repository path of the file a committed policy came from (`pycache-policy.toml` or
/// `pyproject.toml`), if it came from one.
fn policy_file(policy: &Policy) -> Option<String> {
    match &policy.origin {
        Origin::File(_) => Some(POLICY_FILE.to_string()),
        Origin::PyProject(_) => Some("pyproject.toml".to_string()),
        Origin::Defaults => None,
    }
}

fn short(id: Oid) -> String {
    short_id(&id.to_string()).to_string()
}
