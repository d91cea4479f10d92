//! The staged check skips folders whose cache-tree id equals `HEAD`'s, as `git diff --cached`
//! does, and falls back to reading `HEAD`'s folders (each once) where the cache tree is missing,
//! invalid or partial. Whatever the cache tree says, the caches it reports are exactly the
//! changed caches `git diff --cached` lists on the same index.

mod common;

use std::collections::BTreeSet;

use common::TestRepo;

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// Tracked caches in many folders, committed; then one cache changed in `a/`, one added in
/// `b/`, one source changed in `c/` (outside any cache folder), the rest untouched.
fn repo() -> TestRepo {
    let repo = TestRepo::with_commit();
    for dir in ["a", "b", "c", "d/e", "d/f", "g"] {
        repo.write(format!("{dir}/m.py"), b"x = 1\n");
        repo.write(format!("{dir}/__pycache__/m.cpython-312.pyc"), PYC);
    }
    repo.git(&["add", "-f", "."]);
    repo.commit("caches everywhere");
    repo.write(
        "a/__pycache__/m.cpython-312.pyc",
        b"\xcb\r\r\n\0\0\0\0changed",
    );
    repo.write("b/__pycache__/n.cpython-312.pyc", PYC);
    repo.write("c/m.py", b"x = 2\n");
    repo.git(&["add", "-f", "."]);
    repo
}

/// The caches `check` reports as staged.
fn ours(repo: &TestRepo) -> BTreeSet<String> {
    let report = repo.run(&["check", "--format", "json"]).json();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "tracked-cache")
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// The caches `git diff --cached` says the commit adds or changes.
fn gits(repo: &TestRepo) -> BTreeSet<String> {
    repo.git(&[
        "diff",
        "--cached",
        "--name-only",
        "--no-renames",
        "--diff-filter=ACMT",
    ])
    .lines()
    .filter(|p| p.contains("__pycache__/"))
    .map(str::to_string)
    .collect()
}

/// The index file's extensions, with `TREE` replaced by `tree` (or dropped), and the checksum
/// recomputed, as git writes it.
fn set_cache_tree(repo: &TestRepo, tree: Option<&[u8]>) {
    let path = repo.path().join(".git/index");
    let data = std::fs::read(&path).unwrap();
    let body = &data[..data.len() - 20];
    // Walk past the entries (version 2, no extended flags here): 62-byte header, the name,
    // NUL padding to a multiple of 8.
    let count = u32::from_be_bytes(body[8..12].try_into().unwrap()) as usize;
    let mut at = 12;
    for _ in 0..count {
        let name_len =
            (u16::from_be_bytes(body[at + 60..at + 62].try_into().unwrap()) & 0xfff) as usize;
        at += (62 + name_len + 8) & !7;
    }
    let mut out = body[..at].to_vec();
    while at < body.len() {
        let sig = &body[at..at + 4];
        let len = u32::from_be_bytes(body[at + 4..at + 8].try_into().unwrap()) as usize;
        if sig != b"TREE" {
            out.extend_from_slice(&body[at..at + 8 + len]);
        }
        at += 8 + len;
    }
    if let Some(tree) = tree {
        out.extend_from_slice(b"TREE");
        out.extend_from_slice(&(tree.len() as u32).to_be_bytes());
        out.extend_from_slice(tree);
    }
    let sum = sha1_smol::Sha1::from(&out).digest().bytes();
    out.extend_from_slice(&sum);
    std::fs::write(&path, out).unwrap();
    // git still reads it.
    repo.git(&["status", "--porcelain"]);
}

fn node(name: &str, count: i64, subtrees: usize, oid: Option<&str>) -> Vec<u8> {
    let mut out = format!("{name}\0{count} {subtrees}\n").into_bytes();
    if let Some(hex) = oid {
        out.extend((0..20).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()));
    }
    out
}

fn tree_id(repo: &TestRepo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_string()
}

#[test]
fn a_partly_invalid_cache_tree_as_git_leaves_it() {
    let repo = repo();
    // After `git add`, the folders on the way to each change are invalid, the others valid.
    let want: BTreeSet<String> = [
        "a/__pycache__/m.cpython-312.pyc",
        "b/__pycache__/n.cpython-312.pyc",
    ]
    .map(String::from)
    .into();
    assert_eq!(gits(&repo), want);
    assert_eq!(ours(&repo), want);
}

#[test]
fn a_fully_valid_cache_tree_after_write_tree() {
    let repo = repo();
    repo.git(&["write-tree"]);
    assert_eq!(ours(&repo), gits(&repo));
    // Nothing staged: the root's id is HEAD's and nothing is reported.
    repo.git(&["commit", "-q", "--no-verify", "-m", "all"]);
    repo.git(&["write-tree"]);
    assert_eq!(gits(&repo), BTreeSet::new());
    assert_eq!(ours(&repo), BTreeSet::new());
}

#[test]
fn no_cache_tree_at_all() {
    let repo = repo();
    set_cache_tree(&repo, None);
    assert_eq!(ours(&repo), gits(&repo));
    assert_eq!(ours(&repo).len(), 2);
}

#[test]
fn an_invalid_root_without_subtrees() {
    let repo = repo();
    set_cache_tree(&repo, Some(&node("", -1, 0, None)));
    assert_eq!(ours(&repo), gits(&repo));
    assert_eq!(ours(&repo).len(), 2);
}

#[test]
fn valid_untouched_folders_and_a_missing_subtree() {
    let repo = repo();
    // The root is invalid; `d` is valid with HEAD's id; `a` and `b` are missing altogether;
    // `g` is valid with HEAD's id, `c` invalid.
    let d = tree_id(&repo, "HEAD:d");
    let g = tree_id(&repo, "HEAD:g");
    let mut tree = node("", -1, 3, None);
    tree.extend(node("c", -1, 0, None));
    tree.extend(node("d", 4, 0, Some(&d)));
    tree.extend(node("g", 2, 0, Some(&g)));
    set_cache_tree(&repo, Some(&tree));
    assert_eq!(ours(&repo), gits(&repo));
    assert_eq!(ours(&repo).len(), 2);
}

#[test]
fn a_cache_tree_that_claims_a_changed_folder_is_heads_is_believed_as_git_believes_it() {
    // git writes the commit's trees from valid cache-tree nodes, so a folder the cache tree
    // calls unchanged is committed as HEAD's: what `git diff --cached` shows, and what we judge.
    let repo = repo();
    let a = tree_id(&repo, "HEAD:a");
    let mut tree = node("", -1, 1, None);
    tree.extend(node("a", 2, 1, Some(&a)));
    tree.extend(node(
        "__pycache__",
        1,
        0,
        Some(&tree_id(&repo, "HEAD:a/__pycache__")),
    ));
    set_cache_tree(&repo, Some(&tree));
    assert_eq!(ours(&repo), gits(&repo));
    assert_eq!(
        ours(&repo),
        BTreeSet::from(["b/__pycache__/n.cpython-312.pyc".to_string()])
    );
}
