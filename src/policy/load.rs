//! The policy: which paths are Python caches that must not be tracked, and which cache folders a
//! repository keeps on purpose.
//!
//! A policy comes from, in order: an explicit `--policy FILE`, `pycache-policy.toml` at the
//! repository root, the `[tool.pycache-policy]` table of the root `pyproject.toml`, or the built-in
//! defaults. Loading happens in two phases, as cargo-deny does it: the TOML is parsed into a
//! spanned document, then every key is validated into a [`Policy`] that cannot be invalid. Every
//! problem found in the file is collected (with its line and column) instead of stopping at the
//! first one.
//!
//! What is *not* decided here: how a pattern matches a path. That is [`crate::policy::matcher`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::error::PolicyProblem as Problem;
use crate::model::error::{Origin, PolicyError};
use crate::model::finding::Code;
use crate::policy::model::*;

/// The keys of a policy file: one description that both the validator and the JSON Schema
/// ([`crate::policy::schema`]) read. The validator takes from it which keys exist (an unknown key is
/// reported with the list of known ones) and what type each must have; the schema takes the
/// same, with the defaults and the documentation. What a schema cannot say (a path that climbs
/// out with `..`, a pattern git cannot compile, an allow entry no pattern covers) only the
/// validator checks.
pub(crate) const KEYS: &[Key] = &[
    Key {
        name: "caches",
        value: Value::Table(&[Key {
            name: "forbid",
            value: Value::Patterns {
                default: DEFAULT_FORBID,
            },
            doc: "gitignore-style patterns of paths that must never be tracked. A folder pattern \
                  such as `__pycache__/` catches every file in every such folder, at any depth.",
        }]),
        doc: "Which paths are Python bytecode caches.",
    },
    Key {
        name: "allow",
        value: Value::TableArray {
            keys: &[
                Key {
                    name: "path",
                    value: Value::Path,
                    doc: "The path kept on purpose, relative to the repository root; a trailing \
                          `/` keeps the folder and everything in it. No wildcards, no `..`.",
                },
                Key {
                    name: "reason",
                    value: Value::Text,
                    doc: "Why it is kept, for humans.",
                },
                Key {
                    name: "require_readme",
                    value: Value::Bool {
                        default: REQUIRE_README_DEFAULT,
                    },
                    doc: "The folder must be explained by a tracked README.md, inside it or in \
                          the folder that holds it.",
                },
                Key {
                    name: "recompile",
                    value: Value::Bool { default: false },
                    doc: "Also compile each kept pyc's staged source with the same Python \
                          (pythonX.Y or python3 on PATH) and compare the code, which the pyc's \
                          header does not vouch for.",
                },
                Key {
                    name: "checks",
                    value: Value::Levels,
                    doc: "How much each finding about the kept pycs counts: \"error\", \
                          \"warning\" or \"off\", keyed by the finding code without `pyc-`.",
                },
            ],
            required: &["path"],
        },
        doc: "Folders (or files) kept on purpose, for example to show learners what Python \
              writes.",
    },
];

/// `require_readme` when an allow entry does not set it.
const REQUIRE_README_DEFAULT: bool = true;

/// One key of the policy file (see [`KEYS`]).
#[derive(Debug)]
pub(crate) struct Key {
    /// The key as written in the file.
    pub(crate) name: &'static str,
    /// What its value must be.
    pub(crate) value: Value,
    /// What it means.
    pub(crate) doc: &'static str,
}

/// What a policy key's value must be, with its default where it has one.
#[derive(Debug)]
pub(crate) enum Value {
    /// A table with these keys.
    Table(&'static [Key]),
    /// An array of tables with these keys (`[[allow]]`); the `required` ones must be present.
    TableArray {
        /// The keys each table may have.
        keys: &'static [Key],
        /// The keys each table must have.
        required: &'static [&'static str],
    },
    /// An array of gitignore-style patterns.
    Patterns {
        /// The patterns used when the key is absent.
        default: &'static [&'static str],
    },
    /// One repository-relative path.
    Path,
    /// Free text.
    Text,
    /// `true` or `false`.
    Bool {
        /// The value used when the key is absent.
        default: bool,
    },
    /// A table from each kept-folder check ([`PycChecks::key`] of [`Code::PYC`]) to a [`Level`]
    /// name; an absent check has its [`PycChecks::default_level`].
    Levels,
}

impl Key {
    /// What the value must be, as the validator's messages say it: "`KEY` must be {this}".
    pub(crate) fn expected(&self) -> String {
        match self.value {
            Value::Table(_) => "a table".into(),
            Value::TableArray { .. } => format!("an array of tables (`[[{}]]`)", self.name),
            Value::Patterns { .. } => "an array of strings".into(),
            Value::Path | Value::Text => "a string".into(),
            Value::Bool { .. } => "a boolean (true or false)".into(),
            Value::Levels => format!(
                "a table of levels (e.g. {} = {{ unverifiable = \"error\" }})",
                self.name
            ),
        }
    }

    /// The keys a table-valued key may hold (none for other values).
    pub(crate) fn keys(&self) -> &'static [Key] {
        match self.value {
            Value::Table(keys) | Value::TableArray { keys, .. } => keys,
            _ => &[],
        }
    }
}

impl Policy {
    /// Finds and loads the policy for a repository whose working tree is `root` (if it has one).
    ///
    /// `explicit` (from `--policy`) wins; then `ROOT/pycache-policy.toml`; then
    /// `[tool.pycache-policy]` in `ROOT/pyproject.toml`; then [`Policy::defaults`].
    pub fn discover(root: Option<&Path>, explicit: Option<&Path>) -> Result<Policy, PolicyError> {
        if let Some(path) = explicit {
            let text = read(path)?;
            return Policy::from_toml(&text, Origin::File(path.to_path_buf()));
        }
        let Some(root) = root else {
            return Ok(Policy::defaults());
        };
        let file = root.join(POLICY_FILE);
        if let Some(text) = read_discovered(&file)? {
            return Policy::from_toml(&text, Origin::File(file));
        }
        let pyproject = root.join("pyproject.toml");
        if let Some(text) = read_discovered(&pyproject)? {
            return Policy::from_pyproject(&text, pyproject);
        }
        Ok(Policy::defaults())
    }

    /// Parses and validates a `pycache-policy.toml` document.
    pub fn from_toml(text: &str, origin: Origin) -> Result<Policy, PolicyError> {
        let mut v = Validator::new(text, origin.clone());
        let doc = v.parse();
        let policy = doc.and_then(|doc| v.policy(doc.get_ref(), ""));
        v.finish(policy)
    }

    /// Parses a `pyproject.toml` and validates its `[tool.pycache-policy]` table, if it has one.
    pub(crate) fn from_pyproject(text: &str, path: PathBuf) -> Result<Policy, PolicyError> {
        let mut v = Validator::new(text, Origin::PyProject(path));
        let Some(doc) = v.parse() else {
            return v.finish(None);
        };
        let table = doc
            .get_ref()
            .get("tool")
            .and_then(|tool| tool.get_ref().as_table())
            .and_then(|tool| tool.get("pycache-policy"));
        let policy = match table {
            None => Some(Policy::defaults()),
            Some(value) => match value.get_ref().as_table() {
                Some(table) => v.policy(table, "tool.pycache-policy."),
                None => {
                    v.wrong_type(value, PYPROJECT_TABLE, "a table");
                    None
                }
            },
        };
        v.finish(policy)
    }
}

/// A problem with the whole file at `path`.
fn unreadable(path: &Path, message: String) -> PolicyError {
    PolicyError {
        origin: Origin::File(path.to_path_buf()),
        problems: vec![Problem {
            line: 0,
            column: 0,
            message,
        }],
    }
}

/// The text of a policy file found by name in the working tree, or `None` when there is none.
/// Anything there that is not a readable regular file (a folder, a dangling symbolic link, a
/// FIFO) is an error naming it: the built-in defaults never judge in place of a policy that
/// could not be read. A symbolic link to a regular file is read.
pub(crate) fn read_discovered(path: &Path) -> Result<Option<String>, PolicyError> {
    let cannot = |why: String| unreadable(path, format!("cannot read the policy file: {why}"));
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e.to_string())),
        Ok(m) if m.file_type().is_symlink() && std::fs::metadata(path).is_err() => {
            let target = std::fs::read_link(path)
                .map(|t| format!(" to `{}`", t.display()))
                .unwrap_or_default();
            return Err(cannot(format!(
                "it is a symbolic link{target} that leads nowhere (a dangling link)"
            )));
        }
        Ok(_) => {}
    }
    let bytes = crate::util::fs::read_regular(path, true).map_err(|e| cannot(e.to_string()))?;
    decode(path, bytes).map(Some)
}

fn read(path: &Path) -> Result<String, PolicyError> {
    let bytes = std::fs::read(path)
        .map_err(|e| unreadable(path, format!("cannot read the policy file: {e}")))?;
    decode(path, bytes)
}

fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, PolicyError> {
    utf8(Origin::File(path.to_path_buf()), &bytes).map(str::to_owned)
}

/// The text of a policy file, wherever it was read from (a file, a commit, the index); bytes
/// that are not UTF-8 are a problem at their line and column.
pub(crate) fn utf8(origin: Origin, bytes: &[u8]) -> Result<&str, PolicyError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col_of(&String::from_utf8_lossy(bytes), e.valid_up_to());
        PolicyError {
            origin,
            problems: vec![Problem {
                line,
                column,
                message: "the policy file is not valid UTF-8 (TOML must be UTF-8)".into(),
            }],
        }
    })
}

/// 1-based line and character column of a byte offset.
fn line_col_of(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Walks the spanned TOML document, building a [`Policy`] and collecting every problem.
struct Validator<'t> {
    text: &'t str,
    origin: Origin,
    problems: Vec<(usize, Problem)>,
    lines: LineStarts,
}

/// Where each line of a text starts, found once: a position is then a binary search and a
/// count of the characters before it on its line, not a scan from the top (60,000 problems
/// took seconds).
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineStarts(starts)
    }

    /// 1-based line and character column of a byte offset of `text`.
    fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.0.partition_point(|&start| start <= offset);
        let start = self.0[line - 1];
        let column = String::from_utf8_lossy(&text.as_bytes()[start..offset])
            .chars()
            .count()
            + 1;
        (line, column)
    }
}

impl<'t> Validator<'t> {
    fn new(text: &'t str, origin: Origin) -> Self {
        Validator {
            text,
            origin,
            problems: Vec::new(),
            lines: LineStarts::new(text),
        }
    }

    fn problem(&mut self, span: Range<usize>, message: String) {
        let (line, column) = self.lines.line_col(self.text, span.start);
        self.problems.push((
            span.start,
            Problem {
                line,
                column,
                message,
            },
        ));
    }

    fn parse(&mut self) -> Option<Spanned<DeTable<'t>>> {
        let (doc, errors) = DeTable::parse_recoverable(self.text);
        if errors.is_empty() {
            return Some(doc);
        }
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            self.problem(span, format!("TOML syntax error: {}", e.message()));
        }
        None
    }

    fn finish(mut self, policy: Option<Policy>) -> Result<Policy, PolicyError> {
        match policy {
            Some(policy) if self.problems.is_empty() => Ok(policy),
            _ => {
                self.problems.sort_by_key(|(offset, _)| *offset);
                Err(PolicyError {
                    origin: self.origin,
                    problems: self.problems.into_iter().map(|(_, p)| p).collect(),
                })
            }
        }
    }

    fn wrong_type(&mut self, value: &Spanned<DeValue<'_>>, key: &str, expected: &str) {
        self.problem(
            value.span(),
            format!(
                "`{key}` must be {expected}, found {}",
                value.get_ref().type_str()
            ),
        );
    }

    fn unknown_key(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        prefix: &str,
        known: &[&str],
    ) {
        let list = known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        self.problem(
            key.span(),
            format!(
                "unknown key `{prefix}{}` (expected one of: {list})",
                key.get_ref()
            ),
        );
    }

    /// The description of `key` among `keys`, or `None` after reporting it as unknown.
    fn known(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        prefix: &str,
        keys: &'static [Key],
    ) -> Option<&'static Key> {
        let found = keys.iter().find(|k| k.name == key.get_ref().as_ref());
        if found.is_none() {
            let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
            self.unknown_key(key, prefix, &names);
        }
        found
    }

    /// Validates the policy table; `prefix` is how its keys are named in messages.
    fn policy(&mut self, table: &DeTable<'_>, prefix: &str) -> Option<Policy> {
        let mut forbid = Some(DEFAULT_FORBID.iter().map(|s| s.to_string()).collect());
        let mut allow = Some(Vec::new());
        let mut forbid_spans = Vec::new();
        for (key, value) in table.iter() {
            let Some(spec) = self.known(key, prefix, KEYS) else {
                continue;
            };
            let name = format!("{prefix}{}", spec.name);
            match spec.name {
                "caches" => {
                    let (f, spans) = self.caches(value, spec, &name);
                    forbid = f;
                    forbid_spans = spans;
                }
                "allow" => allow = self.allow_list(value, spec, &name),
                other => unreachable!("policy key `{other}` has no validation"),
            }
        }
        let forbid: Vec<String> = forbid?;
        let allow: Vec<(AllowEntry, Range<usize>)> = allow?;
        // A pattern the matcher cannot compile is named here, at its position.
        let mut compiled = true;
        for (i, pattern) in forbid.iter().enumerate() {
            if let Err(message) = crate::policy::matcher::check_pattern(pattern) {
                compiled = false;
                let span = forbid_spans.get(i).cloned().unwrap_or(0..0);
                self.problem(span, message);
            }
        }
        let policy = Policy {
            origin: self.origin.clone(),
            forbid,
            allow: allow.iter().map(|(a, _)| a.clone()).collect(),
        };
        if compiled {
            // An allow entry that no forbid pattern covers allows nothing: a mistake.
            let matcher = crate::policy::matcher::Matcher::new(&policy, false);
            if let Ok(matcher) = matcher {
                for (entry, span) in &allow {
                    if !matcher.covers(entry) {
                        self.problem(
                            span.clone(),
                            format!(
                                "allow entry `{}` is not covered by any forbid pattern, so it \
                                 allows nothing (forbid: {})",
                                entry.display_path(),
                                policy.forbid.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        Some(policy)
    }

    fn caches(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        spec: &'static Key,
        name: &str,
    ) -> (Option<Vec<String>>, Vec<Range<usize>>) {
        let Some(table) = value.get_ref().as_table() else {
            self.wrong_type(value, name, &spec.expected());
            return (None, Vec::new());
        };
        let mut forbid = Some(DEFAULT_FORBID.iter().map(|s| s.to_string()).collect());
        let mut spans = Vec::new();
        for (key, value) in table.iter() {
            let Some(spec) = self.known(key, &format!("{name}."), spec.keys()) else {
                continue;
            };
            match spec.name {
                "forbid" => {
                    let key_name = format!("{name}.forbid");
                    let Some(array) = value.get_ref().as_array() else {
                        self.wrong_type(value, &key_name, &spec.expected());
                        forbid = None;
                        continue;
                    };
                    let mut patterns = Vec::new();
                    for item in array.iter() {
                        match item.get_ref().as_str() {
                            Some(s) => {
                                patterns.push(s.to_string());
                                spans.push(item.span());
                            }
                            None => {
                                self.wrong_type(item, &format!("{key_name}[]"), "a string");
                                forbid = None;
                            }
                        }
                    }
                    if forbid.is_some() {
                        forbid = Some(patterns);
                    }
                }
                other => unreachable!("policy key `{name}.{other}` has no validation"),
            }
        }
        (forbid, spans)
    }

    fn allow_list(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        spec: &'static Key,
        name: &str,
    ) -> Option<Vec<(AllowEntry, Range<usize>)>> {
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type(value, name, &spec.expected());
            return None;
        };
        let mut out = Some(Vec::new());
        for item in array.iter() {
            let entry = self.allow_entry(item, spec.keys(), name);
            match (entry, out.as_mut()) {
                (Some(entry), Some(out)) => out.push((entry, item.span())),
                _ => out = None,
            }
        }
        out
    }

    fn allow_entry(
        &mut self,
        item: &Spanned<DeValue<'_>>,
        keys: &'static [Key],
        name: &str,
    ) -> Option<AllowEntry> {
        let Some(table) = item.get_ref().as_table() else {
            self.wrong_type(item, &format!("{name}[]"), "a table with a `path`");
            return None;
        };
        let mut ok = true;
        let mut path = None;
        let mut reason = None;
        let mut require_readme = REQUIRE_README_DEFAULT;
        let mut pyc = PycChecks::default();
        for (key, value) in table.iter() {
            let Some(spec) = self.known(key, &format!("{name}."), keys) else {
                ok = false;
                continue;
            };
            let key_name = format!("{name}.{}", spec.name);
            let expected = spec.expected();
            match spec.name {
                "path" => match value.get_ref().as_str() {
                    Some(s) => match normalize_allow_path(s) {
                        Ok(p) => path = Some(p),
                        Err(msg) => {
                            self.problem(value.span(), format!("allow path `{s}` {msg}"));
                            ok = false;
                        }
                    },
                    None => {
                        self.wrong_type(value, &key_name, &expected);
                        ok = false;
                    }
                },
                "reason" => match value.get_ref().as_str() {
                    Some(s) => reason = Some(s.to_string()),
                    None => {
                        self.wrong_type(value, &key_name, &expected);
                        ok = false;
                    }
                },
                "require_readme" => match value.get_ref().as_bool() {
                    Some(b) => require_readme = b,
                    None => {
                        self.wrong_type(value, &key_name, &expected);
                        ok = false;
                    }
                },
                "recompile" => match value.get_ref().as_bool() {
                    Some(b) => pyc.recompile = b,
                    None => {
                        self.wrong_type(value, &key_name, &expected);
                        ok = false;
                    }
                },
                "checks" => ok &= self.checks(value, &key_name, &expected, &mut pyc),
                other => unreachable!("policy key `{name}.{other}` has no validation"),
            }
        }
        let Some((path, is_dir)) = path else {
            if ok {
                self.problem(
                    item.span(),
                    format!("{name} entry has no `path` (e.g. path = \"01_Basics/__pycache__/\")"),
                );
            }
            return None;
        };
        ok.then_some(AllowEntry {
            path,
            is_dir,
            reason,
            require_readme,
            pyc,
        })
    }

    /// Validates an allow entry's `checks` table (`stale = "warning"`, …) into `pyc`; whether it
    /// was valid.
    fn checks(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        name: &str,
        expected: &str,
        pyc: &mut PycChecks,
    ) -> bool {
        let Some(table) = value.get_ref().as_table() else {
            self.wrong_type(value, name, expected);
            return false;
        };
        let keys: Vec<&str> = Code::PYC.iter().map(|&c| PycChecks::key(c)).collect();
        let mut ok = true;
        for (key, value) in table.iter() {
            let Some(&code) = Code::PYC
                .iter()
                .find(|&&c| PycChecks::key(c) == key.get_ref().as_ref())
            else {
                self.unknown_key(key, &format!("{name}."), &keys);
                ok = false;
                continue;
            };
            let level = value
                .get_ref()
                .as_str()
                .and_then(|s| Level::NAMES.iter().find(|(n, _)| *n == s));
            match level {
                Some(&(_, level)) => pyc.set_level(code, level),
                None => {
                    let found = match value.get_ref().as_str() {
                        Some(s) => format!("`{s}`"),
                        None => value.get_ref().type_str().to_string(),
                    };
                    self.problem(
                        value.span(),
                        format!(
                            "`{name}.{}` must be \"error\", \"warning\" or \"off\", found {found}",
                            key.get_ref()
                        ),
                    );
                    ok = false;
                }
            }
        }
        ok
    }
}

/// Checks an allow path and returns it without `./` and trailing `/`, and whether it named a
/// folder. The message on error completes "allow path `X` ...".
fn normalize_allow_path(raw: &str) -> Result<(String, bool), &'static str> {
    if raw.is_empty() {
        return Err("is empty");
    }
    if raw.starts_with('/') || raw.as_bytes().get(1) == Some(&b':') {
        return Err("is absolute: write it relative to the repository root");
    }
    if raw.chars().any(char::is_control) {
        // A line break would become a line of its own in the .gitignore block.
        return Err("contains a control character (such as a line break)");
    }
    if raw.contains('\\') {
        return Err("contains `\\`: separate folders with `/`");
    }
    if raw.contains(['*', '?', '[']) {
        return Err("contains a wildcard: allow entries name one path, not a pattern");
    }
    let is_dir = raw.ends_with('/');
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err("climbs out with `..`: it must stay inside the repository"),
            ".git" => return Err("points into `.git`, which git never tracks"),
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("names the whole repository: name the kept folder instead");
    }
    Ok((parts.join("/"), is_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_utf8_is_a_problem_at_its_position_wherever_it_was_read() {
        let err = utf8(
            Origin::File("main:pycache-policy.toml".into()),
            b"# ok\nx = \"\xff\"\n",
        )
        .unwrap_err();
        assert_eq!(err.origin, Origin::File("main:pycache-policy.toml".into()));
        assert_eq!((err.problems[0].line, err.problems[0].column), (2, 6));
    }

    fn load(text: &str) -> Result<Policy, PolicyError> {
        Policy::from_toml(text, Origin::File("p.toml".into()))
    }

    fn problems(text: &str) -> Vec<String> {
        load(text)
            .unwrap_err()
            .problems
            .into_iter()
            .map(|p| format!("{}:{}: {}", p.line, p.column, p.message))
            .collect()
    }

    #[test]
    fn empty_file_gives_defaults() {
        let p = load("").unwrap();
        assert_eq!(p.forbid, DEFAULT_FORBID);
        assert!(p.allow.is_empty());
    }

    #[test]
    fn seed_policy_parses() {
        let p = load(
            r#"
[caches]
forbid = ["__pycache__/"]
[[allow]]
path = "./01_Basics/__pycache__/"
reason = "teaching"
"#,
        )
        .unwrap();
        assert_eq!(p.forbid, ["__pycache__/"]);
        assert_eq!(
            p.allow,
            [AllowEntry {
                path: "01_Basics/__pycache__".into(),
                is_dir: true,
                reason: Some("teaching".into()),
                require_readme: true,
                pyc: PycChecks::default(),
            }]
        );
        assert_eq!(
            p.allow[0].readme_candidates(),
            ["01_Basics/__pycache__/README.md", "01_Basics/README.md"]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let got = problems(
            "[caches]\nforbid = [\"__pycache__/\", 3]\ncolour = 1\n[[allow]]\npath = \"../x/\"\nrequire_readme = \"yes\"\n",
        );
        assert_eq!(
            got,
            [
                "2:27: `caches.forbid[]` must be a string, found integer",
                "3:1: unknown key `caches.colour` (expected one of: `forbid`)",
                "5:8: allow path `../x/` climbs out with `..`: it must stay inside the repository",
                "6:18: `allow.require_readme` must be a boolean (true or false), found string",
            ]
        );
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let got = problems("[caches]\nforbid = [\"a\"\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("2:"), "{got:?}");
        assert!(got[0].contains("TOML syntax error"), "{got:?}");
    }

    #[test]
    fn unknown_top_level_key() {
        assert_eq!(
            problems("forbid = []\n"),
            ["1:1: unknown key `forbid` (expected one of: `caches`, `allow`)"]
        );
    }

    #[test]
    fn control_characters_in_allow_paths_are_refused() {
        assert_eq!(
            problems("[[allow]]\npath = \"lessons\\nsrc/\"\n"),
            ["2:8: allow path `lessons\nsrc/` contains a control character (such as a line break)"]
        );
    }

    #[test]
    fn absolute_and_missing_paths_are_refused() {
        assert_eq!(
            problems("[[allow]]\npath = \"/abs/__pycache__/\"\n[[allow]]\nreason = \"x\"\n"),
            [
                "2:8: allow path `/abs/__pycache__/` is absolute: write it relative to the repository root",
                "3:1: allow entry has no `path` (e.g. path = \"01_Basics/__pycache__/\")",
            ]
        );
    }

    #[test]
    fn uncovered_allow_entry_is_a_mistake() {
        let got = problems("[caches]\nforbid = [\"__pycache__/\"]\n[[allow]]\npath = \"docs/\"\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("3:1: allow entry `docs/` is not covered"),
            "{got:?}"
        );
        // A folder whose cache files the pattern catches is covered.
        load("[caches]\nforbid = [\"*.pyc\"]\n[[allow]]\npath = \"a/__pycache__/\"\n").unwrap();
    }

    #[test]
    fn invalid_pattern_is_named() {
        let got = problems("[caches]\nforbid = [\"[z-a\"]\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].starts_with("2:11: "), "{got:?}");
        assert!(got[0].contains("`[z-a`"), "{got:?}");
    }

    #[test]
    fn pyproject_table() {
        let p = Policy::from_pyproject(
            "[project]\nname = \"x\"\n[tool.pycache-policy.caches]\nforbid = [\"*.pyc\"]\n",
            "pyproject.toml".into(),
        )
        .unwrap();
        assert_eq!(p.forbid, ["*.pyc"]);
        let p =
            Policy::from_pyproject("[project]\nname = \"x\"\n", "pyproject.toml".into()).unwrap();
        assert_eq!(p.forbid, DEFAULT_FORBID);
        let e = Policy::from_pyproject(
            "[tool.pycache-policy]\nforbid = 1\n",
            "pyproject.toml".into(),
        )
        .unwrap_err();
        assert_eq!(
            e.problems[0].message,
            "unknown key `tool.pycache-policy.forbid` (expected one of: `caches`, `allow`)"
        );
    }

    #[test]
    fn pyc_checks_default_and_per_entry_levels() {
        let p = load(
            r#"
[[allow]]
path = "a/__pycache__/"
[[allow]]
path = "b/__pycache__/"
recompile = true
[allow.checks]
stale = "warning"
unverifiable = "error"
code-mismatch = "off"
"#,
        )
        .unwrap();
        let (a, b) = (&p.allow[0].pyc, &p.allow[1].pyc);
        assert_eq!(*a, PycChecks::default());
        assert!(!a.recompile && b.recompile);
        let want_default = [
            (Code::PycStale, Level::Error),
            (Code::PycOrphan, Level::Error),
            (Code::PycTagMismatch, Level::Error),
            (Code::PycInvalid, Level::Error),
            (Code::PycUnverifiable, Level::Warning),
            (Code::PycUncheckedHash, Level::Warning),
            (Code::PycCodeMismatch, Level::Error),
            (Code::PycRecompileUnavailable, Level::Warning),
        ];
        for (code, level) in want_default {
            assert_eq!(a.level(code), level, "{code}");
        }
        assert_eq!(a.level(Code::TrackedCache), Level::Off);
        assert_eq!(b.level(Code::PycStale), Level::Warning);
        assert_eq!(b.level(Code::PycUnverifiable), Level::Error);
        assert_eq!(b.level(Code::PycCodeMismatch), Level::Off);
        assert_eq!(b.level(Code::PycOrphan), Level::Error);
        assert!(b.any());
        // Inline-table form, and every check switched off.
        let keys: Vec<String> = Code::PYC
            .iter()
            .map(|&c| format!("{} = \"off\"", PycChecks::key(c)))
            .collect();
        let p = load(&format!(
            "[[allow]]\npath = \"a/__pycache__/\"\nchecks = {{ {} }}\n",
            keys.join(", ")
        ))
        .unwrap();
        assert!(!p.allow[0].pyc.any());
    }

    #[test]
    fn pyc_check_problems_are_reported_with_their_positions() {
        let got = problems(
            "[[allow]]\npath = \"a/__pycache__/\"\nrecompile = \"yes\"\n[allow.checks]\nstale = \"fatal\"\nstail = \"error\"\norphan = 1\n[[allow]]\npath = \"b/__pycache__/\"\nchecks = \"all\"\n",
        );
        assert_eq!(
            got,
            [
                "3:13: `allow.recompile` must be a boolean (true or false), found string",
                "5:9: `allow.checks.stale` must be \"error\", \"warning\" or \"off\", found `fatal`",
                "6:1: unknown key `allow.checks.stail` (expected one of: `stale`, `orphan`, \
                 `tag-mismatch`, `invalid`, `unverifiable`, `unchecked-hash`, `code-mismatch`, \
                 `recompile-unavailable`)",
                "7:10: `allow.checks.orphan` must be \"error\", \"warning\" or \"off\", found integer",
                "10:10: `allow.checks` must be a table of levels (e.g. checks = { unverifiable = \"error\" }), found string",
            ]
        );
    }

    /// Every key [`KEYS`] describes is one the validator reads, with the type [`KEYS`] gives it:
    /// set to a value of no type the file uses (an integer), it is reported as that key with that
    /// type, never as unknown (and never reaches an `unreachable!`).
    #[test]
    fn every_described_key_is_validated_with_its_type() {
        let mut cases = Vec::new();
        for top in KEYS {
            cases.push((
                format!("{} = 1\n", top.name),
                top.name.to_string(),
                top.expected(),
            ));
            for key in top.keys() {
                assert!(
                    key.keys().is_empty(),
                    "a third level needs this test extended"
                );
                let head = match top.value {
                    Value::TableArray { required, .. } => {
                        let mut head = format!("[[{}]]\n", top.name);
                        for r in required.iter().filter(|&&r| r != key.name) {
                            head.push_str(&format!("{r} = \"a/__pycache__/\"\n"));
                        }
                        head
                    }
                    _ => format!("[{}]\n", top.name),
                };
                cases.push((
                    format!("{head}{} = 1\n", key.name),
                    format!("{}.{}", top.name, key.name),
                    key.expected(),
                ));
            }
        }
        assert_eq!(cases.len(), 8, "every key is tried");
        for (doc, name, expected) in cases {
            let got = problems(&doc);
            assert_eq!(got.len(), 1, "{doc}: {got:?}");
            assert!(
                got[0].ends_with(&format!("`{name}` must be {expected}, found integer")),
                "{doc}: {got:?}"
            );
        }
    }

    #[test]
    fn shipped_template_is_valid() {
        load(Policy::template()).unwrap();
    }

    #[test]
    fn shipped_template_uncommented_documents_the_defaults() {
        let is_key = |rest: &str| {
            rest.split_once(" = ").is_some_and(|(key, _)| {
                !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
            })
        };
        let uncommented: Vec<&str> = Policy::template()
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.starts_with('[') || is_key(rest) => rest,
                _ => line,
            })
            .collect();
        let p = load(&uncommented.join("\n")).unwrap();
        assert_eq!(p.allow.len(), 1);
        assert_eq!(p.allow[0].path, "01_Basics/__pycache__");
        assert!(p.allow[0].require_readme);
        assert_eq!(p.allow[0].pyc, PycChecks::default());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col_of("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col_of("x", 0), (1, 1));
        for text in ["ab\ncé d", "x", "", "\n\na\n", "é\néé\n\nx"] {
            let lines = LineStarts::new(text);
            for offset in 0..=text.len() + 1 {
                assert_eq!(
                    lines.line_col(text, offset),
                    line_col_of(text, offset),
                    "{text:?} {offset}"
                );
            }
        }
    }
}
