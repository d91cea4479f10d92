//! What `gitignore --dry-run` prints: the change to the root `.gitignore` as a diff.
use crate::fix::gitignore::*;

/// A unified diff of the plan, for `--dry-run`.
pub fn diff(plan: &Plan) -> String {
    let old = plan.old.clone().unwrap_or_default();
    let name = ".gitignore";
    let old_lines: Vec<&[u8]> = split_lines(&old);
    let new_lines: Vec<&[u8]> = split_lines(&plan.new);
    let mut out = String::new();
    if !plan.changes() {
        return out;
    }
    out.push_str(if plan.old.is_some() {
        "--- a/.gitignore\n"
    } else {
        "--- /dev/null\n"
    });
    out.push_str(&format!("+++ b/{name}\n"));
    // The change is one region: the common head and tail are context.
    let head = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let tail = old_lines[head..]
        .iter()
        .rev()
        .zip(new_lines[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let ctx = 3;
    let start = head.saturating_sub(ctx);
    let old_end = (old_lines.len() - tail + ctx).min(old_lines.len());
    let new_end = (new_lines.len() - tail + ctx).min(new_lines.len());
    let range = |start: usize, end: usize| {
        let len = end - start;
        if len == 0 {
            format!("{start},0")
        } else {
            format!("{},{len}", start + 1)
        }
    };
    out.push_str(&format!(
        "@@ -{} +{} @@\n",
        range(start, old_end),
        range(start, new_end)
    ));
    let show = |out: &mut String, sign: char, line: &[u8]| {
        out.push(sign);
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        out.push_str(&String::from_utf8_lossy(text));
        out.push('\n');
        if !line.ends_with(b"\n") {
            out.push_str("\\ No newline at end of file\n");
        }
    };
    for line in &old_lines[start..head] {
        show(&mut out, ' ', line);
    }
    for line in &old_lines[head..old_lines.len() - tail] {
        show(&mut out, '-', line);
    }
    for line in &new_lines[head..new_lines.len() - tail] {
        show(&mut out, '+', line);
    }
    for line in &old_lines[old_lines.len() - tail..old_end] {
        show(&mut out, ' ', line);
    }
    out
}

fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_the_block() {
        let plan = Plan {
            path: ".gitignore".into(),
            old: Some(b"a\nb".to_vec()),
            new: b"a\nb\n\nX\n".to_vec(),
            defeated: vec![],
        };
        assert_eq!(
            diff(&plan),
            "--- a/.gitignore\n+++ b/.gitignore\n@@ -1,2 +1,4 @@\n a\n-b\n\\ No newline at end of file\n+b\n+\n+X\n"
        );
    }
}
