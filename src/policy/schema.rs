//! The JSON Schema of the policy file, for editors that complete and check TOML against one
//! (Taplo and the editors built on it, such as VS Code's Even Better TOML).
//!
//! It is made from [`crate::policy::KEYS`], the description of the keys that the validator also
//! reads, so the two cannot disagree on a key's name, type or default. The repository ships the
//! result as `pycache-policy.schema.json`; a test checks that file is what this module makes.
//!
//! A schema is weaker than the validator, never stricter: it cannot see a path that climbs out
//! with `..`, a pattern git cannot compile, or an allow entry that no forbid pattern covers.

use serde_json::{Map, Value as Json, json};

use crate::model::finding::Code;
use crate::policy::{KEYS, Key, Level, PycChecks, Value};

/// The draft of JSON Schema the schema is written in: the newest one Taplo understands.
pub(crate) const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// The schema of `pycache-policy.toml` (and of `[tool.pycache-policy]` in `pyproject.toml`).
pub(crate) fn policy_schema() -> Json {
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(DRAFT));
    schema.insert("title".into(), json!("pycache-policy.toml"));
    schema.insert(
        "description".into(),
        json!(
            "Which Python bytecode caches a git repository may track: the policy that \
             `pycache-policy check` enforces. The same table may stand in pyproject.toml as \
             [tool.pycache-policy]."
        ),
    );
    schema.extend(object(KEYS));
    Json::Object(schema)
}

/// The schema as the shipped file holds it: pretty-printed, with a final newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&policy_schema()).expect("JSON serializes");
    text.push('\n');
    text
}

/// A table with exactly `keys`.
fn object(keys: &[Key]) -> Map<String, Json> {
    let properties: Map<String, Json> = keys.iter().map(|k| (k.name.to_string(), key(k))).collect();
    fields(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    }))
}

fn key(key: &Key) -> Json {
    let mut schema = Map::new();
    schema.insert("description".into(), json!(key.doc));
    schema.extend(match key.value {
        Value::Table(keys) => object(keys),
        Value::TableArray { keys, required } => {
            let mut item = object(keys);
            item.insert("required".into(), json!(required));
            fields(json!({ "type": "array", "items": item }))
        }
        Value::Patterns { default } => fields(json!({
            "type": "array",
            "items": { "type": "string" },
            "default": default,
        })),
        // What a pattern can say of the validator's path rules: not empty, not absolute, no
        // backslash, no wildcard.
        Value::Path => fields(json!({
            "type": "string",
            "minLength": 1,
            "pattern": "^[^/\\\\*?\\[][^\\\\*?\\[]*$",
        })),
        Value::Text => fields(json!({ "type": "string" })),
        Value::Bool { default } => fields(json!({ "type": "boolean", "default": default })),
        Value::Levels => levels(),
    });
    Json::Object(schema)
}

/// The fields of a JSON object.
fn fields(object: Json) -> Map<String, Json> {
    match object {
        Json::Object(map) => map,
        _ => unreachable!("only called with object literals"),
    }
}

/// The `checks` table: each kept-folder check to one of the level names, with its default.
fn levels() -> Map<String, Json> {
    let names: Vec<&str> = Level::NAMES.iter().map(|(n, _)| *n).collect();
    let properties: Map<String, Json> = Code::PYC
        .iter()
        .map(|&code| {
            let default = PycChecks::default_level(code).name();
            let doc = format!("`{code}`: {}.", code.description());
            (
                PycChecks::key(code).to_string(),
                json!({ "description": doc, "enum": names, "default": default }),
            )
        })
        .collect();
    fields(json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_key_the_validator_knows() {
        let schema = policy_schema();
        assert_eq!(schema["$schema"], DRAFT);
        let top: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(top, ["caches", "allow"]);
        let allow = &schema["properties"]["allow"]["items"];
        let keys: Vec<&String> = allow["properties"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["path", "reason", "require_readme", "recompile", "checks"]
        );
        assert_eq!(allow["required"], json!(["path"]));
        assert_eq!(allow["properties"]["require_readme"]["default"], true);
        assert_eq!(
            schema["properties"]["caches"]["properties"]["forbid"]["default"],
            json!(crate::policy::DEFAULT_FORBID)
        );
        let checks = &allow["properties"]["checks"]["properties"];
        assert_eq!(checks.as_object().unwrap().len(), Code::PYC.len());
        assert_eq!(checks["stale"]["default"], "error");
        assert_eq!(checks["unverifiable"]["default"], "warning");
        assert_eq!(checks["stale"]["enum"], json!(["error", "warning", "off"]));
    }

    #[test]
    fn render_ends_with_a_newline() {
        let text = render();
        assert!(text.starts_with("{\n  \"$schema\""), "{text}");
        assert!(text.ends_with("}\n"));
    }
}
