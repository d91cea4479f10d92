//! The policy as a value: forbid patterns, the folders kept on purpose, and how much each
//! kept-folder check counts. A [`Policy`] is only made by the loader ([`crate::policy::load`]),
//! which validates it, or by [`Policy::defaults`].

use crate::model::error::Origin;
use crate::model::finding::{Code, Severity};

/// The name of the policy file at the repository root.
pub const POLICY_FILE: &str = "pycache-policy.toml";

/// The table of `pyproject.toml` that may hold the policy instead.
pub(crate) const PYPROJECT_TABLE: &str = "tool.pycache-policy";

/// The forbid patterns used when the policy does not name its own.
///
/// `*.py[co]` and not the `.gitignore` template's `*.py[cod]`: a `.pyd` is a compiled extension
/// module, which Python cannot regenerate, so it is not a cache.
pub(crate) const DEFAULT_FORBID: &[&str] = &["__pycache__/", "*.py[co]", "*$py.class"];

/// File names that can explain a kept cache folder.
pub(crate) const README_NAME: &str = "README.md";

/// A validated policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Where the policy was read from.
    pub origin: Origin,
    /// gitignore-style patterns of paths that must never be tracked, in file order.
    pub forbid: Vec<String>,
    /// Paths kept on purpose even though a forbid pattern covers them.
    pub allow: Vec<AllowEntry>,
}

/// A path the repository keeps on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    /// Repository-relative, `/`-separated, without a leading `./` or a trailing `/`.
    pub(crate) path: String,
    /// The entry was written with a trailing `/`: it names a folder and everything in it.
    pub(crate) is_dir: bool,
    /// Why the folder is kept, for humans.
    pub(crate) reason: Option<String>,
    /// The folder must be explained by a tracked `README.md`, inside it or in the folder that
    /// holds it.
    pub(crate) require_readme: bool,
    /// How the pycs kept here are checked against their sources (`recompile`, `[allow.checks]`).
    pub(crate) pyc: PycChecks,
}

/// How much a kept-folder check's finding counts, as an allow entry's `[allow.checks]` sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Not reported.
    Off,
    /// Reported; the check still passes.
    Warning,
    /// Fails the check.
    Error,
}

impl Level {
    /// The names the policy file uses.
    pub(crate) const NAMES: &'static [(&'static str, Level)] = &[
        ("error", Level::Error),
        ("warning", Level::Warning),
        ("off", Level::Off),
    ];

    /// The severity of a finding at this level; `None` when it is not reported.
    pub(crate) fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }
}

/// What is checked in the pycs an allow entry keeps, and how much each finding counts.
///
/// Defaults: a pyc that is stale, orphaned, invalid, misnamed (tag mismatch) or whose code differs
/// from its recompiled source is an error, because Python would run something other than the
/// source says, or nothing at all; a timestamp-based or unchecked-hash pyc, and a code check that
/// could not run, are warnings, because the pyc may be right and the repository cannot prove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PycChecks {
    /// By position in [`Code::PYC`].
    levels: [Level; Code::PYC.len()],
    /// `recompile = true`: `check` also compiles each kept pyc's staged source with the same
    /// Python version (found on `PATH`) and compares the code, which the header cannot vouch for.
    pub(crate) recompile: bool,
}

impl Default for PycChecks {
    fn default() -> Self {
        PycChecks {
            levels: Code::PYC.map(PycChecks::default_level),
            recompile: false,
        }
    }
}

impl PycChecks {
    /// The level a kept-folder finding has when the policy does not set it.
    pub(crate) fn default_level(code: Code) -> Level {
        match code {
            Code::PycUnverifiable | Code::PycUncheckedHash | Code::PycRecompileUnavailable => {
                Level::Warning
            }
            c if Code::PYC.contains(&c) => Level::Error,
            _ => Level::Off,
        }
    }

    /// The key that sets `code`'s level in `[allow.checks]`: the code without `pyc-`.
    pub(crate) fn key(code: Code) -> &'static str {
        code.as_str().trim_start_matches("pyc-")
    }

    /// The level of `code`'s findings ([`Level::Off`] for a code that is not a kept-folder check).
    pub(crate) fn level(&self, code: Code) -> Level {
        match Code::PYC.iter().position(|&c| c == code) {
            Some(i) => self.levels[i],
            None => Level::Off,
        }
    }

    /// Sets the level of `code`'s findings; `code` must be one of [`Code::PYC`].
    pub(crate) fn set_level(&mut self, code: Code, level: Level) {
        let i = Code::PYC
            .iter()
            .position(|&c| c == code)
            .expect("a kept-folder check");
        self.levels[i] = level;
    }

    /// Whether any finding about kept pycs is reported at all (otherwise nothing is read).
    pub(crate) fn any(&self) -> bool {
        self.levels.iter().any(|&l| l != Level::Off)
    }
}

impl AllowEntry {
    /// The entry as the user wrote it (with its trailing `/` for a folder).
    pub(crate) fn display_path(&self) -> String {
        if self.is_dir {
            format!("{}/", self.path)
        } else {
            self.path.clone()
        }
    }

    /// The tracked paths that may hold the README explaining this entry, most specific first:
    /// `DIR/README.md`, then `PARENT/README.md`.
    pub(crate) fn readme_candidates(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(2);
        if self.is_dir {
            out.push(format!("{}/{README_NAME}", self.path));
        }
        match self.path.rsplit_once('/') {
            Some((parent, _)) => out.push(format!("{parent}/{README_NAME}")),
            None => out.push(README_NAME.to_string()),
        }
        out
    }
}

impl Level {
    /// The name the policy file uses for this level.
    pub(crate) fn name(self) -> &'static str {
        Level::NAMES
            .iter()
            .find(|(_, l)| *l == self)
            .map(|(n, _)| *n)
            .expect("every level is named")
    }
}

impl Policy {
    /// The policy used when there is no policy file.
    pub fn defaults() -> Policy {
        Policy {
            origin: Origin::Defaults,
            forbid: DEFAULT_FORBID.iter().map(|s| s.to_string()).collect(),
            allow: Vec::new(),
        }
    }

    /// A commented policy file, as `pycache-policy init` writes it.
    pub fn template() -> &'static str {
        include_str!("../../pycache-policy.toml")
    }
}
