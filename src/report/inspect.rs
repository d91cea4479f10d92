//! What `inspect` prints: what each pyc's header records and how it stands against its source.
use crate::checks::inspect::*;
use crate::model::finding::Code;
use crate::policy::{Level, PycChecks};
use crate::pyc::Header;
use crate::pyc::recompile::{self};
use crate::util::path::display_path;
use serde_json::json;
use std::fmt::Write as _;

/// The inspections for people: one block per file.
pub fn human(inspections: &[Inspection]) -> String {
    let mut out = String::new();
    for (n, x) in inspections.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let t = &x.target;
        let _ = writeln!(
            out,
            "{} ({}, {} bytes)",
            display_path(&t.path),
            adjective(t.location),
            t.pyc.len()
        );
        // An unreadable header is said once, as the `pyc-invalid` problem below.
        if let Ok(header) = &x.header {
            for line in header.describe().to_string().lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = write!(out, "  source: ");
        match (&t.source_path, &t.source) {
            (None, _) => {
                let _ = write!(
                    out,
                    "none (Python never pairs this file name with a source)"
                );
            }
            (Some(p), None) => {
                let _ = write!(out, "{} (not found)", display_path(p));
            }
            (Some(p), Some(bytes)) => {
                let verdict = match x.source_match {
                    SourceMatch::Matches => "matches",
                    SourceMatch::Stale => "does not match",
                    SourceMatch::NoSource => "no source",
                    SourceMatch::Unknown => "cannot tell",
                };
                let _ = write!(
                    out,
                    "{} ({}, {} bytes): {verdict}",
                    display_path(p),
                    adjective(t.location),
                    bytes.len()
                );
            }
        }
        out.push('\n');
        if let (Some(matches), Some(actual)) = (x.mtime_matches, t.source_mtime) {
            let _ = writeln!(
                out,
                "  source mtime: {} (the file's is {actual}{})",
                if matches { "matches" } else { "differs" },
                if matches {
                    ""
                } else {
                    ": Python would recompile rather than use this pyc"
                }
            );
        }
        for p in &x.problems {
            let code = crate::checks::kept::code_of(p.kind());
            let _ = writeln!(
                out,
                "  {}[{code}]: {}",
                default_severity(code),
                problem_text(p, t.location)
            );
        }
        match &x.recompiled {
            None => {}
            Some(Err(why)) => {
                let _ = writeln!(out, "  code: not recompiled: {why}");
            }
            Some(Ok(outcome)) => {
                let by = outcome
                    .interpreter
                    .as_ref()
                    .map(|i| format!(" (recompiled with {i})"))
                    .unwrap_or_default();
                let line = match &outcome.verdict {
                    recompile::RecompileResult::Identical => {
                        format!("code: identical to what the source compiles to{by}")
                    }
                    recompile::RecompileResult::Equivalent => format!(
                        "code: equivalent to what the source compiles to: equal code objects, \
                         which marshal wrote differently{by}"
                    ),
                    recompile::RecompileResult::Differs(d) => format!(
                        "error[{}]: the code is not what the source compiles to: {d}{by}",
                        Code::PycCodeMismatch
                    ),
                    recompile::RecompileResult::Unavailable(why) => format!(
                        "warning[{}]: could not check the code: {why}",
                        Code::PycRecompileUnavailable
                    ),
                };
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

/// The inspections for programs, one object:
///
/// ```text
/// { "version": 1,
///   "files": [ { "path", "read_from": "index" | "disk", "size",
///                "header": { "python", "magic", "header_size", "flags", "invalidation",
///                            "source_mtime", "source_mtime_utc", "source_size", "source_hash" }
///                          | null,
///                "error": "why the header cannot be read" | null,
///                "source": { "path", "found", "size" } | null,
///                "source_match": "matches" | "stale" | "no-source" | "unknown",
///                "source_mtime_matches": true | false | null,
///                "problems": [ { "code", "severity", "message" } ],
///                "recompile": { "verdict": "identical" | "equivalent" | "differs"
///                                          | "unavailable" | "skipped",
///                               "detail", "interpreter": { "program", "path", "release" }
///                                                        | null } | null } ] }
/// ```
pub fn json(inspections: &[Inspection]) -> String {
    let files: Vec<_> = inspections
        .iter()
        .map(|x| {
            let t = &x.target;
            let problems: Vec<_> = x
                .problems
                .iter()
                .map(|p| {
                    let code = crate::checks::kept::code_of(p.kind());
                    json!({
                        "code": code.as_str(),
                        "severity": default_severity(code),
                        "message": problem_text(p, t.location),
                    })
                })
                .collect();
            let recompile = x.recompiled.as_ref().map(|r| match r {
                Err(why) => json!({ "verdict": "skipped", "detail": why, "interpreter": null }),
                Ok(o) => json!({
                    "verdict": o.verdict.as_str(),
                    "detail": o.verdict.detail(),
                    "interpreter": o.interpreter.as_ref().map(|i| json!({
                        "program": i.program,
                        "path": i.path.to_string_lossy(),
                        "release": i.release,
                    })),
                }),
            });
            let mut item = json!({
                "path": String::from_utf8_lossy(&t.path),
                "read_from": t.location.as_str(),
                "size": t.pyc.len(),
                "header": x.header.as_ref().ok().map(Header::describe),
                "error": x.header.as_ref().err().map(ToString::to_string),
                "source": t.source_path.as_ref().map(|p| json!({
                    "path": String::from_utf8_lossy(p),
                    "found": t.source.is_some(),
                    "size": t.source.as_ref().map(Vec::len),
                })),
                "source_match": x.source_match.as_str(),
                "source_mtime_matches": x.mtime_matches,
                "problems": problems,
                "recompile": recompile,
            });
            if std::str::from_utf8(&t.path).is_err() {
                item["path_bytes"] = json!(t.path);
            }
            item
        })
        .collect();
    let doc = json!({ "version": 1, "files": files });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
    s.push('\n');
    s
}

/// `error` or `warning`: how `check` counts a finding by default.
fn default_severity(code: Code) -> &'static str {
    match PycChecks::default_level(code) {
        Level::Error => "error",
        Level::Warning | Level::Off => "warning",
    }
}

/// A problem's sentence, with its source named as where it was read from: the pyc reader words
/// the source as the hook reads it, staged, and a pyc read from disk was judged against the file.
fn problem_text(p: &crate::pyc::Problem, location: Location) -> String {
    let text = p.to_string();
    match location {
        Location::Index => text,
        Location::Disk => text.replace("the staged source", "the source on disk"),
    }
}

/// How a source read from `location` is named in a sentence.
fn adjective(location: Location) -> &'static str {
    match location {
        Location::Index => "staged",
        Location::Disk => "on disk",
    }
}
