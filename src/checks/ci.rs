//! `check --ci`: the range a CI job should judge, read from the CI system's environment.
//!
//! - **GitHub Actions** (`GITHUB_ACTIONS=true`): the event payload at `GITHUB_EVENT_PATH`.
//!   Pull-request events (`pull_request`, `pull_request_target`, and the review events, which
//!   carry the same object) judge `pull_request.base.sha...pull_request.head.sha`: the pull
//!   request's own changes from the merge base, whatever the branch it targets did since.
//!   `merge_group` judges `merge_group.base_sha...merge_group.head_sha`; `push` judges
//!   `before..after`.
//! - **GitLab CI** (`GITLAB_CI=true`): a merge-request pipeline judges
//!   `CI_MERGE_REQUEST_DIFF_BASE_SHA...HEAD`, where HEAD is `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA`
//!   in a merged-results pipeline (whose `CI_COMMIT_SHA` is a merge GitLab made) and
//!   `CI_COMMIT_SHA` otherwise; a branch pipeline judges `CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA`.
//!
//! Anything else fails closed, with the reason: another CI system, an event without a base
//! (`workflow_dispatch`, `schedule`, a tag), a push that created a branch (its "before" is all
//! zeros: there is nothing to compare with), a missing or unreadable payload.
//!
//! The environment is passed in as a lookup function, so the choice can be tested without
//! touching the process environment.

use serde_json::Value;

use crate::git::revision::RangeError;

/// The range chosen from the CI environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    /// `GitHub Actions` or `GitLab CI`.
    pub system: &'static str,
    /// The event (`pull_request`, `push`, `merge_request_event`, ...).
    pub event: String,
    /// What is being judged, for people: `pull request #12 (feature into main)`.
    pub description: String,
    /// The base revision and the variable or payload field it came from.
    pub base: (String, &'static str),
    /// The head revision and where it came from.
    pub head: (String, &'static str),
    /// `BASE...HEAD` (from the merge base) rather than `BASE..HEAD`.
    pub merge_base: bool,
}

impl Chosen {
    /// The range, spelt as on the command line.
    pub fn spec(&self) -> String {
        let dots = if self.merge_base { "..." } else { ".." };
        format!("{}{dots}{}", self.base.0, self.head.0)
    }

    /// One line saying which range was chosen and why.
    pub fn explain(&self) -> String {
        format!(
            "{} {}: {}: judging {} ({}{}{})",
            self.system,
            self.event,
            self.description,
            self.spec(),
            self.base.1,
            if self.merge_base { "..." } else { ".." },
            self.head.1
        )
    }
}

/// Which CI system the environment belongs to, if any.
pub(crate) fn system(env: &dyn Fn(&str) -> Option<String>) -> Option<&'static str> {
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        Some("GitHub Actions")
    } else if env("GITLAB_CI").as_deref() == Some("true") {
        Some("GitLab CI")
    } else {
        None
    }
}

/// Chooses the range to judge from the CI environment `env`.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Result<Chosen, RangeError> {
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    match system(&env) {
        Some("GitHub Actions") => github(&env),
        Some(_) => gitlab(&env),
        None => Err(fail(
            "neither GITHUB_ACTIONS nor GITLAB_CI is `true`, so this is not a CI system \
             --ci knows\n  name the range yourself: `pycache-policy check --range \
             BASE...HEAD`",
        )),
    }
}

fn fail(reason: impl Into<String>) -> RangeError {
    RangeError::Ci {
        reason: reason.into(),
    }
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

fn github(env: &dyn Fn(&str) -> Option<String>) -> Result<Chosen, RangeError> {
    let event = env("GITHUB_EVENT_NAME").ok_or_else(|| fail("GITHUB_EVENT_NAME is not set"))?;
    let path = env("GITHUB_EVENT_PATH").ok_or_else(|| fail("GITHUB_EVENT_PATH is not set"))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| fail(format!("cannot read the event payload {path}: {e}")))?;
    let payload: Value = serde_json::from_str(&text)
        .map_err(|e| fail(format!("the event payload {path} is not JSON: {e}")))?;
    let field = |pointer: &str, name: &'static str| -> Result<String, RangeError> {
        payload
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| fail(format!("the {event} event payload has no `{name}`")))
    };
    if event.starts_with("pull_request") {
        let base = field("/pull_request/base/sha", "pull_request.base.sha")?;
        let head = field("/pull_request/head/sha", "pull_request.head.sha")?;
        let number = payload
            .pointer("/pull_request/number")
            .or_else(|| payload.pointer("/number"))
            .and_then(Value::as_u64);
        let refs = match (
            payload
                .pointer("/pull_request/head/ref")
                .and_then(Value::as_str),
            payload
                .pointer("/pull_request/base/ref")
                .and_then(Value::as_str),
        ) {
            (Some(h), Some(b)) => format!(" ({h} into {b})"),
            _ => String::new(),
        };
        return Ok(Chosen {
            system: "GitHub Actions",
            event: event.clone(),
            description: match number {
                Some(n) => format!("pull request #{n}{refs}"),
                None => format!("pull request{refs}"),
            },
            base: (base, "pull_request.base.sha"),
            head: (head, "pull_request.head.sha"),
            merge_base: true,
        });
    }
    match event.as_str() {
        "merge_group" => Ok(Chosen {
            system: "GitHub Actions",
            event: event.clone(),
            description: "merge queue group".to_string(),
            base: (
                field("/merge_group/base_sha", "merge_group.base_sha")?,
                "merge_group.base_sha",
            ),
            head: (
                field("/merge_group/head_sha", "merge_group.head_sha")?,
                "merge_group.head_sha",
            ),
            merge_base: true,
        }),
        "push" => {
            let before = field("/before", "before")?;
            let after = field("/after", "after")?;
            let branch = payload
                .pointer("/ref")
                .and_then(Value::as_str)
                .unwrap_or("a ref");
            if is_zero(&after) {
                return Err(fail(format!(
                    "the push deleted {branch}: there is nothing to judge"
                )));
            }
            if is_zero(&before) {
                return Err(fail(format!(
                    "the push created {branch} (`before` is all zeros), so there is no earlier \
                     commit to compare with\n  run the gate on pull requests, or name the base \
                     yourself: `pycache-policy check --range origin/main...HEAD --each-commit`"
                )));
            }
            Ok(Chosen {
                system: "GitHub Actions",
                event: event.clone(),
                description: format!("push to {branch}"),
                base: (before, "before"),
                head: (after, "after"),
                merge_base: false,
            })
        }
        _ => Err(fail(format!(
            "the {event} event has no base commit to compare with (--ci knows pull_request, \
             pull_request_target, merge_group and push)\n  name the range yourself: \
             `pycache-policy check --range BASE...HEAD`, or judge a whole commit with `--tree \
             HEAD`"
        ))),
    }
}

fn gitlab(env: &dyn Fn(&str) -> Option<String>) -> Result<Chosen, RangeError> {
    let source = env("CI_PIPELINE_SOURCE").unwrap_or_else(|| "unknown".to_string());
    let need = |name: &'static str| -> Result<String, RangeError> {
        env(name).ok_or_else(|| fail(format!("{name} is not set ({source} pipeline)")))
    };
    if let Some(iid) = env("CI_MERGE_REQUEST_IID") {
        let base = need("CI_MERGE_REQUEST_DIFF_BASE_SHA")?;
        let head = match env("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") {
            Some(sha) => (sha, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"),
            None => (need("CI_COMMIT_SHA")?, "CI_COMMIT_SHA"),
        };
        let refs = match (
            env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
        ) {
            (Some(s), Some(t)) => format!(" ({s} into {t})"),
            _ => String::new(),
        };
        return Ok(Chosen {
            system: "GitLab CI",
            event: source,
            description: format!("merge request !{iid}{refs}"),
            base: (base, "CI_MERGE_REQUEST_DIFF_BASE_SHA"),
            head,
            merge_base: true,
        });
    }
    let head = need("CI_COMMIT_SHA")?;
    let branch = env("CI_COMMIT_BRANCH")
        .or_else(|| env("CI_COMMIT_REF_NAME"))
        .unwrap_or_else(|| "the branch".to_string());
    match env("CI_COMMIT_BEFORE_SHA") {
        Some(before) if !is_zero(&before) => Ok(Chosen {
            system: "GitLab CI",
            event: source,
            description: format!("push to {branch}"),
            base: (before, "CI_COMMIT_BEFORE_SHA"),
            head: (head, "CI_COMMIT_SHA"),
            merge_base: false,
        }),
        _ => Err(fail(format!(
            "this {source} pipeline has no earlier commit to compare with \
             (CI_COMMIT_BEFORE_SHA is unset or all zeros: a new branch, a tag, or a scheduled \
             or manual pipeline)\n  run the job in merge request pipelines, or name the base \
             yourself: `pycache-policy check --range origin/main...HEAD --each-commit`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn github_event(event: &str, payload: &str) -> (tempfile::NamedTempFile, Vec<String>) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), payload).unwrap();
        let path = file.path().to_str().unwrap().to_string();
        (file, vec![event.to_string(), path])
    }

    fn detect_github(event: &str, payload: &str) -> Result<Chosen, RangeError> {
        let (_file, v) = github_event(event, payload);
        detect(&env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", &v[0]),
            ("GITHUB_EVENT_PATH", &v[1]),
        ]))
    }

    #[test]
    fn github_pull_request() {
        let c = detect_github(
            "pull_request",
            r#"{"number": 7, "pull_request": {"number": 7,
                "base": {"sha": "aaa", "ref": "main"}, "head": {"sha": "bbb", "ref": "topic"}}}"#,
        )
        .unwrap();
        assert_eq!(c.spec(), "aaa...bbb");
        assert_eq!(
            c.explain(),
            "GitHub Actions pull_request: pull request #7 (topic into main): judging aaa...bbb \
             (pull_request.base.sha...pull_request.head.sha)"
        );
    }

    #[test]
    fn github_push_and_its_dead_ends() {
        let c = detect_github(
            "push",
            r#"{"ref": "refs/heads/main", "before": "aaa", "after": "bbb"}"#,
        )
        .unwrap();
        assert_eq!(c.spec(), "aaa..bbb");
        let zero = "0".repeat(40);
        let e = detect_github(
            "push",
            &format!(r#"{{"ref": "refs/heads/new", "before": "{zero}", "after": "bbb"}}"#),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("created refs/heads/new"), "{e}");
        let e = detect_github("workflow_dispatch", "{}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("workflow_dispatch event has no base"), "{e}");
        let e = detect_github("pull_request", r#"{"pull_request": {"base": {}}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `pull_request.base.sha`"), "{e}");
        let e = detect_github("pull_request", "not json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not JSON"), "{e}");
        let e = detect(&env_of(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("GITHUB_EVENT_PATH is not set"), "{e}");
    }

    #[test]
    fn gitlab_pipelines() {
        let mr = detect(&env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("CI_MERGE_REQUEST_IID", "3"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "base"),
            ("CI_COMMIT_SHA", "head"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", ""),
        ]))
        .unwrap();
        assert_eq!(mr.spec(), "base...head");
        assert_eq!(mr.description, "merge request !3");
        let merged_results = detect(&env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_MERGE_REQUEST_IID", "3"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "base"),
            ("CI_COMMIT_SHA", "merge-result"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "source"),
        ]))
        .unwrap();
        assert_eq!(merged_results.spec(), "base...source");
        let push = detect(&env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BEFORE_SHA", "old"),
            ("CI_COMMIT_SHA", "new"),
        ]))
        .unwrap();
        assert_eq!(push.spec(), "old..new");
        let e = detect(&env_of(&[
            ("GITLAB_CI", "true"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BEFORE_SHA", &"0".repeat(40)),
            ("CI_COMMIT_SHA", "new"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("no earlier commit"), "{e}");
    }

    #[test]
    fn no_ci_system() {
        let e = detect(&env_of(&[("CI", "true")])).unwrap_err().to_string();
        assert!(e.contains("--range BASE...HEAD"), "{e}");
    }
}
