//! The JSON Schema of `pycache-policy.toml`: the shipped file is what the tool makes, and a real
//! JSON Schema validator (Python's `jsonschema`, the reference implementation) accepts the
//! policies the tool accepts and rejects the mistakes a schema can see, never one the tool takes.

mod common;

use std::path::Path;

use common::tools::python;
use common::{Run, hermetic};
use pycache_policy::policy::{Origin, Policy};

const SHIPPED: &str = "pycache-policy.schema.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool_schema() -> String {
    let dir = tempfile::tempdir().unwrap();
    let run: Run = hermetic(common::bin())
        .arg("schema")
        .current_dir(dir.path())
        .output()
        .unwrap()
        .into();
    run.expect(0).stdout
}

#[test]
fn shipped_schema_is_what_the_tool_makes() {
    let made = tool_schema();
    let path = root().join(SHIPPED);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &made).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap();
    assert!(
        shipped == made,
        "{SHIPPED} is out of date: write it again with `pycache-policy schema > {SHIPPED}` \
         (or UPDATE_SNAPSHOTS=1 cargo test --test schema)"
    );
}

/// What `jsonschema` says of each TOML document: `None` when valid, else its first error. The
/// schema itself is first checked against the draft it names.
fn validate(docs: &[&str]) -> Vec<Option<String>> {
    const SCRIPT: &str = r#"
import json, sys, tomllib
import jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
out = []
for doc in json.load(sys.stdin):
    errors = sorted(validator.iter_errors(tomllib.loads(doc)), key=lambda e: list(e.path))
    at = "/".join(map(str, errors[0].path)) + ": " if errors and errors[0].path else ""
    out.append(at + errors[0].message if errors else None)
print(json.dumps(out))
"#;
    let python = python(&["jsonschema", "tomllib"]);
    let schema_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(schema_file.path(), tool_schema()).unwrap();
    let input = serde_json::to_vec(docs).unwrap();
    let run: Run = common::output_with_stdin(
        hermetic(python)
            .args(["-c", SCRIPT])
            .arg(schema_file.path()),
        input,
    )
    .into();
    let run = run.expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

fn tool_accepts(doc: &str) -> bool {
    Policy::from_toml(doc, Origin::File("p.toml".into())).is_ok()
}

#[test]
fn the_projects_policy_and_the_template_uncommented_are_valid() {
    let own = std::fs::read_to_string(root().join("pycache-policy.toml")).unwrap();
    // The template's commented-out keys, switched on: every key the file documents.
    let uncommented: String = own
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest
                        .split_once(" = ")
                        .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' ')) =>
            {
                rest
            }
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(uncommented.contains("\n[allow.checks]\n"), "{uncommented}");
    assert!(tool_accepts(&own) && tool_accepts(&uncommented));
    assert_eq!(validate(&[&own, &uncommented]), [None, None]);
}

/// Each mistake a schema can express: the schema rejects it at the right key, and so does the
/// tool.
#[test]
fn mistakes_are_rejected_by_the_schema_and_by_the_tool() {
    let cases: &[(&str, &str)] = &[
        (
            "forbid = []\n",
            "Additional properties are not allowed ('forbid'",
        ),
        (
            "[caches]\nforbid = \"*.pyc\"\n",
            "caches/forbid: '*.pyc' is not of type 'array'",
        ),
        (
            "[caches]\nforbid = [\"*.pyc\", 3]\n",
            "caches/forbid/1: 3 is not of type 'string'",
        ),
        (
            "[caches]\ncolour = 1\n",
            "caches: Additional properties are not allowed",
        ),
        (
            "[allow]\npath = \"a/__pycache__/\"\n",
            "allow: {'path': 'a/__pycache__/'} is not of type 'array'",
        ),
        (
            "[[allow]]\nreason = \"x\"\n",
            "allow/0: 'path' is a required property",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\nkeep = true\n",
            "allow/0: Additional properties are not allowed ('keep'",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\nrequire_readme = \"yes\"\n",
            "allow/0/require_readme: 'yes' is not of type 'boolean'",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\nrecompile = 1\n",
            "allow/0/recompile: 1 is not of type 'boolean'",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\n[allow.checks]\nstale = \"fatal\"\n",
            "allow/0/checks/stale: 'fatal' is not one of ['error', 'warning', 'off']",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\n[allow.checks]\nstail = \"error\"\n",
            "allow/0/checks: Additional properties are not allowed ('stail'",
        ),
        (
            "[[allow]]\npath = \"a/__pycache__/\"\nchecks = \"all\"\n",
            "allow/0/checks: 'all' is not of type 'object'",
        ),
        (
            "[[allow]]\npath = \"/abs/__pycache__/\"\n",
            "allow/0/path: '/abs/__pycache__/' does not match",
        ),
        (
            "[[allow]]\npath = \"*/__pycache__/\"\n",
            "allow/0/path: '*/__pycache__/' does not match",
        ),
        (
            "[[allow]]\npath = \"a\\\\__pycache__\"\n",
            "allow/0/path: 'a\\\\__pycache__' does not match",
        ),
        (
            "[[allow]]\npath = \"\"\n",
            "allow/0/path: '' should be non-empty",
        ),
    ];
    let docs: Vec<&str> = cases.iter().map(|(doc, _)| *doc).collect();
    for ((doc, want), got) in cases.iter().zip(validate(&docs)) {
        let got = got.unwrap_or_else(|| panic!("the schema accepts:\n{doc}"));
        assert!(
            got.starts_with(want),
            "{doc}\n  want: {want}\n  got:  {got}"
        );
        assert!(!tool_accepts(doc), "the tool accepts:\n{doc}");
    }
}

/// What only the tool can see, the schema lets through: it is weaker than the tool, never
/// stricter, so an editor never marks a policy the tool takes.
#[test]
fn the_schema_is_never_stricter_than_the_tool() {
    let tool_only = [
        "[[allow]]\npath = \"../x/__pycache__/\"\n",
        "[[allow]]\npath = \".git/x\"\n",
        "[caches]\nforbid = [\"__pycache__/\"]\n[[allow]]\npath = \"docs/\"\n",
        "[caches]\nforbid = [\"[z-a\"]\n",
    ];
    assert_eq!(validate(&tool_only), vec![None; tool_only.len()]);
    for doc in tool_only {
        assert!(!tool_accepts(doc), "{doc}");
    }
    let both = [
        "",
        "[caches]\nforbid = []\n",
        "[[allow]]\npath = \"./01_Basics/__pycache__/\"\nreason = \"teaching\"\nrequire_readme = false\n",
        "[[allow]]\npath = \"a/__pycache__/m.cpython-312.pyc\"\nchecks = { stale = \"off\", orphan = \"warning\" }\n",
    ];
    assert_eq!(validate(&both), vec![None; both.len()]);
    for doc in both {
        assert!(tool_accepts(doc), "{doc}");
    }
}
