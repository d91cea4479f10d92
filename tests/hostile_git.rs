//! Hostile git data (issue 14): indexes, packs, loose objects and trees built byte by byte in a
//! temporary repository, run through the real binary. Each must end in exit 2 with a message
//! that names what was wrong (or, where git reads the bytes one way, in the verdict on what git
//! reads), within a deadline (no hang), and leave everything outside the repository as it was.
//! Where git refuses the same input, the test runs git beside the tool.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, bin, hermetic};

/// A folder holding the repository and, beside it, files that must never change.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("repo")).unwrap();
        std::fs::create_dir_all(root.path().join("outside/__pycache__")).unwrap();
        std::fs::write(root.path().join("outside/keep.pyc"), b"not yours").unwrap();
        std::fs::write(root.path().join("outside/__pycache__/m.pyc"), b"x").unwrap();
        let sandbox = Sandbox { root };
        sandbox.git(&["init", "-q", "-b", "main"]);
        sandbox
    }

    fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    fn git_dir(&self) -> PathBuf {
        self.repo().join(".git")
    }

    fn git_run(&self, args: &[&str]) -> Run {
        hermetic("git")
            .args(args)
            .current_dir(self.repo())
            .output()
            .unwrap()
            .into()
    }

    #[track_caller]
    fn git(&self, args: &[&str]) -> String {
        let run = self.git_run(args);
        assert_eq!(run.code, 0, "git {args:?}: {}", run.stderr);
        run.stdout.trim().to_string()
    }

    fn write(&self, rel: &str, content: &[u8]) {
        let path = self.repo().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// A first commit with `pkg/mod.py` (loose objects only).
    fn commit(&self) {
        self.write("pkg/mod.py", b"x = 1\n");
        self.git(&["add", "."]);
        self.git(&["commit", "-q", "--no-verify", "-m", "initial"]);
    }

    /// Every file outside the repository, with its content.
    fn outside(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.root.path().join("outside")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Runs the binary with a deadline (a hang fails the test), checking that nothing outside
    /// the repository changed.
    fn run(&self, args: &[&str]) -> Run {
        let before = self.outside();
        let run = run_with_deadline(
            hermetic(bin()).args(args).current_dir(self.repo()),
            Duration::from_secs(60),
        );
        assert_eq!(
            self.outside(),
            before,
            "something outside the repository changed"
        );
        run
    }
}

fn run_with_deadline(cmd: &mut Command, limit: Duration) -> Run {
    try_with_deadline(cmd, limit).unwrap_or_else(|| panic!("no answer within {limit:?}"))
}

/// The command's result, or `None` when it did not finish within `limit` (it is killed).
fn try_with_deadline(cmd: &mut Command, limit: Duration) -> Option<Run> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap().into())
}

#[track_caller]
fn refused(run: Run, words: &[&str]) -> Run {
    let run = run.expect(2);
    for w in words {
        assert!(run.stderr.contains(w), "no {w:?} in:\n{}", run.stderr);
    }
    assert!(
        !run.stdout.contains("No commit adds") && !run.stderr.contains("unknown revision"),
        "{run:?}"
    );
    run
}

// ---- objects, packs and indexes by hand ----

fn sha1(bytes: &[u8]) -> [u8; 20] {
    sha1_smol::Sha1::from(bytes).digest().bytes()
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// An object's id and its `TYPE SIZE\0CONTENT` bytes.
fn object(kind: &str, data: &[u8]) -> ([u8; 20], Vec<u8>) {
    let mut raw = format!("{kind} {}\0", data.len()).into_bytes();
    raw.extend_from_slice(data);
    (sha1(&raw), raw)
}

fn tree_record(mode: &str, name: &str, id: &[u8]) -> Vec<u8> {
    let mut r = format!("{mode} {name}\0").into_bytes();
    r.extend_from_slice(id);
    r
}

fn commit_body(tree: &[u8]) -> Vec<u8> {
    format!(
        "tree {}\nauthor T <t@e> 1700000000 +0000\ncommitter T <t@e> 1700000000 +0000\n\nm\n",
        hex(tree)
    )
    .into_bytes()
}

impl Sandbox {
    /// Writes a loose object (bytes as given: may be damaged).
    fn write_loose(&self, id: &[u8], file: &[u8]) {
        let h = hex(id);
        let dir = self.git_dir().join("objects").join(&h[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(&h[2..]);
        let _ = std::fs::remove_file(&path);
        std::fs::write(path, file).unwrap();
    }

    fn loose(&self, kind: &str, data: &[u8]) -> [u8; 20] {
        let (id, raw) = object(kind, data);
        self.write_loose(&id, &zlib(&raw));
        id
    }

    fn set_ref(&self, name: &str, id: &[u8]) {
        let path = self.git_dir().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{}\n", hex(id))).unwrap();
    }

    /// Writes `pack-NAME.pack` and its version 2 index from raw pack entries, each with the id
    /// the index gives it.
    fn write_pack(&self, name: &str, entries: &[([u8; 20], Vec<u8>)]) {
        let mut pack = b"PACK\0\0\0\x02".to_vec();
        pack.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        let mut listed = Vec::new();
        for (id, bytes) in entries {
            let mut crc = flate2::Crc::new();
            crc.update(bytes);
            listed.push((*id, crc.sum(), pack.len() as u32));
            pack.extend_from_slice(bytes);
        }
        let pack_sum = sha1(&pack);
        pack.extend_from_slice(&pack_sum);
        listed.sort();
        let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
        for first in 0..256usize {
            let n = listed
                .iter()
                .filter(|(id, _, _)| (id[0] as usize) <= first)
                .count();
            idx.extend_from_slice(&(n as u32).to_be_bytes());
        }
        for (id, _, _) in &listed {
            idx.extend_from_slice(id);
        }
        for (_, crc, _) in &listed {
            idx.extend_from_slice(&crc.to_be_bytes());
        }
        for (_, _, at) in &listed {
            idx.extend_from_slice(&at.to_be_bytes());
        }
        idx.extend_from_slice(&pack_sum);
        let idx_sum = sha1(&idx);
        idx.extend_from_slice(&idx_sum);
        let dir = self.git_dir().join("objects/pack");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("pack-{name}.pack")), pack).unwrap();
        std::fs::write(dir.join(format!("pack-{name}.idx")), idx).unwrap();
    }
}

/// A pack entry's type-and-size header.
fn entry_header(kind: u8, mut size: u64) -> Vec<u8> {
    let mut out = vec![(kind << 4) | (size & 15) as u8];
    size >>= 4;
    while size != 0 {
        *out.last_mut().unwrap() |= 0x80;
        out.push((size & 0x7f) as u8);
        size >>= 7;
    }
    out
}

fn whole_entry(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut e = entry_header(kind, data.len() as u64);
    e.extend_from_slice(&zlib(data));
    e
}

fn delta_to(size: usize) -> Vec<u8> {
    // base size 0, result `size` bytes inserted.
    let mut d = vec![0, size as u8, size as u8];
    d.extend(std::iter::repeat_n(b'x', size));
    d
}

// ---- #2 and #15: the index ----

/// Rewrites the index with `edit`, then fixes its trailer.
fn edit_index(s: &Sandbox, edit: impl FnOnce(&mut Vec<u8>)) {
    let path = s.git_dir().join("index");
    let mut data = std::fs::read(&path).unwrap();
    data.truncate(data.len() - 20);
    edit(&mut data);
    let sum = sha1(&data);
    data.extend_from_slice(&sum);
    std::fs::write(path, data).unwrap();
}

/// Where the first entry's flags are (SHA-1, v2/v3).
const FLAGS_AT: usize = 12 + 60;

#[test]
fn index_name_length_is_the_flags_length_as_in_git() {
    let s = Sandbox::new();
    s.commit();
    s.write("a.pycX", b"junk\n");
    s.git(&["add", "a.pycX"]);
    // Only `a.pycX` in the index? No: pkg/mod.py sorts after it; the first entry is a.pycX.
    edit_index(&s, |d| {
        assert_eq!(&d[FLAGS_AT..FLAGS_AT + 2], &[0, 6]);
        d[FLAGS_AT + 1] = 5;
    });
    // git takes the path `a.pyc` from the flags and commits it (`ls-files` prints past the
    // length, up to the next NUL, and shows `a.pycX`).
    let tree = s.git(&["write-tree"]);
    let committed = s.git(&["ls-tree", "--name-only", &tree]);
    assert!(committed.lines().any(|l| l == "a.pyc"), "{committed}");
    let run = s.run(&["check", "--format", "json"]).expect(1);
    assert!(run.stdout.contains("\"a.pyc\""), "{}", run.stdout);
    assert!(!run.stdout.contains("a.pycX"), "{}", run.stdout);

    // untrack writes an index git reads, without the entry git saw.
    s.run(&["untrack"]);
    let listed = s.git(&["ls-files"]);
    assert_eq!(listed, "pkg/mod.py");
}

#[test]
fn index_unknown_extended_flags_are_refused_like_git() {
    let s = Sandbox::new();
    s.commit();
    s.write("a.py", b"x\n");
    s.git(&["add", "-N", "a.py"]);
    edit_index(&s, |d| {
        assert_eq!(&d[4..8], &[0, 0, 0, 3]);
        // The extended flags follow the flags of the first entry (a.py).
        assert_eq!(d[FLAGS_AT] & 0x40, 0x40);
        d[FLAGS_AT + 3] |= 0x01;
    });
    let git = s.git_run(&["ls-files"]);
    assert_ne!(git.code, 0);
    assert!(
        git.stderr.contains("unknown index entry format"),
        "{}",
        git.stderr
    );
    refused(
        s.run(&["check"]),
        &["extended flags 0x2001", "unknown index entry format"],
    );
    refused(s.run(&["untrack"]), &["unknown index entry format"]);
}

#[test]
fn index_v4_expansion_is_capped() {
    let s = Sandbox::new();
    // One 1 MB path, then 3,000 entries each keeping all of the previous path and adding a
    // byte: 3 GB of paths from a file of about 1 MB.
    let mut d = b"DIRC\0\0\0\x04".to_vec();
    let n = 3001u32;
    d.extend_from_slice(&n.to_be_bytes());
    for i in 0..n {
        d.extend_from_slice(&[0; 24]);
        d.extend_from_slice(&0o100644u32.to_be_bytes());
        d.extend_from_slice(&[0; 12]);
        d.extend_from_slice(&[0x11; 20]);
        d.extend_from_slice(&0x0fffu16.to_be_bytes());
        d.push(0); // strip nothing
        if i == 0 {
            d.extend(std::iter::repeat_n(b'a', 1 << 20));
        } else {
            d.push(b'b');
        }
        d.push(0);
    }
    let sum = sha1(&d);
    d.extend_from_slice(&sum);
    std::fs::write(s.git_dir().join("index"), d).unwrap();
    refused(s.run(&["check"]), &["expand to more than", "bytes"]);
}

// ---- #5, #6, #11: hostile pack entries behind a ref ----

/// A repository whose HEAD is fine and whose branch `bad` names `id`, an object only the pack
/// `entries` holds.
fn bad_branch(entries: Vec<([u8; 20], Vec<u8>)>) -> (Sandbox, String) {
    let s = Sandbox::new();
    s.commit();
    let id = entries[0].0;
    s.write_pack("bad", &entries);
    s.set_ref("refs/heads/bad", &id);
    (s, hex(&id))
}

fn refused_everywhere(s: &Sandbox, id: &str, what: &str) {
    refused(s.run(&["audit", "--all"]), &[id, what]);
    refused(
        s.run(&["check", "--tree", "bad"]),
        &[id, what, "`bad` exists but cannot be read"],
    );
    refused(s.run(&["check", "--range", "main..bad"]), &[id, what]);
    // git refuses it too, or (a self ref-delta, git 2.47) never answers.
    let git = try_with_deadline(
        hermetic("git")
            .args(["cat-file", "-p", "bad"])
            .current_dir(s.repo()),
        Duration::from_secs(5),
    );
    assert!(git.as_ref().is_none_or(|g| g.code != 0), "{git:?}");
}

#[test]
fn pack_self_delta_by_offset_is_refused() {
    let id = sha1(b"self offset");
    let mut e = entry_header(6, 5);
    e.push(0); // distance 0: the entry itself
    e.extend_from_slice(&zlib(&delta_to(5)));
    let (s, id) = bad_branch(vec![(id, e)]);
    refused_everywhere(&s, &id, "does not lie before it");
}

#[test]
fn pack_self_delta_by_id_is_refused() {
    let id = sha1(b"self ref");
    let mut e = entry_header(7, 5);
    e.extend_from_slice(&id);
    e.extend_from_slice(&zlib(&delta_to(5)));
    let (s, id) = bad_branch(vec![(id, e)]);
    refused_everywhere(&s, &id, "comes back");
}

#[test]
fn pack_huge_claimed_size_is_refused_without_allocating() {
    let id = sha1(b"huge");
    let mut e = entry_header(1, (1 << 53) - 10);
    e.extend_from_slice(&zlib(b"tree 0\n"));
    let (s, id) = bad_branch(vec![(id, e)]);
    refused_everywhere(&s, &id, "claims 9007199254740982 bytes");
}

// ---- #8, #9: what libgit2 crashes on ----

/// Packs everything, and returns the pack index's path.
fn repack(s: &Sandbox) -> PathBuf {
    s.git(&["repack", "-adq"]);
    let dir = s.git_dir().join("objects/pack");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap()
}

#[test]
fn pack_index_offsets_past_the_pack_are_refused_before_libgit2_reads_them() {
    let s = Sandbox::new();
    s.commit();
    let idx = repack(&s);
    let mut data = std::fs::read(&idx).unwrap();
    let count = u32::from_be_bytes(data[8 + 255 * 4..8 + 256 * 4].try_into().unwrap()) as usize;
    let offsets = 8 + 256 * 4 + count * 24;
    for i in 0..count {
        data[offsets + i * 4..offsets + i * 4 + 4].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
    }
    let len = data.len() - 20;
    let sum = sha1(&data[..len]);
    data[len..].copy_from_slice(&sum);
    let _ = std::fs::set_permissions(&idx, std::os::unix::fs::PermissionsExt::from_mode(0o644));
    std::fs::write(&idx, data).unwrap();
    assert_ne!(s.git_run(&["cat-file", "-p", "HEAD"]).code, 0);
    // The hook's plain check, and the history commands.
    for args in [&["check"][..], &["audit"], &["check", "--tree", "HEAD"]] {
        refused(s.run(args), &["outside the pack"]);
    }
}

#[test]
fn pack_entry_of_an_invalid_type_is_refused_not_a_panic() {
    let s = Sandbox::new();
    s.commit();
    s.write("a.pyc", b"cache bytes\n");
    s.git(&["add", "-f", "a.pyc"]);
    s.git(&["commit", "-q", "--no-verify", "-m", "cache"]);
    let blob = s.git(&["rev-parse", "HEAD:a.pyc"]);
    let idx = repack(&s);
    let listing = hermetic("git")
        .arg("show-index")
        .stdin(std::fs::File::open(&idx).unwrap())
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    let offset: usize = listing
        .lines()
        .find(|l| l.contains(&blob))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    let pack = idx.with_extension("pack");
    let mut data = std::fs::read(&pack).unwrap();
    assert_eq!((data[offset] >> 4) & 7, 3, "a whole blob");
    data[offset] = (data[offset] & 0x8f) | (5 << 4);
    let _ = std::fs::remove_file(&pack);
    std::fs::write(&pack, data).unwrap();
    // git reads the content with an error ("unknown object type"); `cat-file -s` alone
    // answers from the header.
    assert_ne!(s.git_run(&["cat-file", "-p", &blob]).code, 0);
    refused(s.run(&["audit"]), &[&blob, "invalid type 5"]);
}

// ---- #10, #7, #4: loose objects and trees ----

#[test]
fn damaged_loose_tree_is_refused_not_a_hang() {
    let s = Sandbox::new();
    s.commit();
    let tree = s.git(&["rev-parse", "HEAD^{tree}"]);
    let path = s
        .git_dir()
        .join("objects")
        .join(&tree[..2])
        .join(&tree[2..]);
    let data = std::fs::read(&path).unwrap();
    let id: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&tree[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    // The zlib stream cut short: the header says more than the stream gives.
    s.write_loose(&id, &data[..data.len() - 8]);
    assert_ne!(s.git_run(&["ls-tree", "HEAD"]).code, 0);
    for args in [&["check"][..], &["audit"], &["check", "--tree", "HEAD"]] {
        refused(s.run(args), &[&tree, "truncated"]);
    }
}

#[test]
fn tree_mode_with_fifteen_digits_is_malformed() {
    let s = Sandbox::new();
    s.commit();
    let blob = s.loose("blob", b"x");
    let tree = s.loose("tree", &tree_record("100000000000644", "a.pyc", &blob));
    let commit = s.loose("commit", &commit_body(&tree));
    s.set_ref("refs/heads/bad", &commit);
    refused(s.run(&["check", "--tree", "bad"]), &["malformed"]);
    refused(s.run(&["check", "--range", "main..bad"]), &["malformed"]);
    refused(s.run(&["audit", "--all"]), &["malformed"]);
}

/// A pack with `depth` trees nested in each other (a `.pyc` at the bottom) and a commit of it;
/// branch `deep` names the commit.
fn deep_tree(s: &Sandbox, depth: usize) {
    let (blob, raw) = object("blob", b"cache");
    let mut entries = vec![(blob, whole_entry(3, &raw[raw.len() - 5..]))];
    let mut data = tree_record("100644", "a.pyc", &blob);
    let mut id = object("tree", &data).0;
    entries.push((id, whole_entry(2, &data)));
    for _ in 1..depth {
        data = tree_record("40000", "d", &id);
        id = object("tree", &data).0;
        entries.push((id, whole_entry(2, &data)));
    }
    let body = commit_body(&id);
    let commit = object("commit", &body).0;
    entries.push((commit, whole_entry(1, &body)));
    s.write_pack("deep", &entries);
    s.set_ref("refs/heads/deep", &commit);
}

#[test]
fn tree_nested_100000_deep_is_refused_not_a_stack_overflow() {
    let s = Sandbox::new();
    s.commit();
    deep_tree(&s, 100_000);
    let git = s.git_run(&["ls-tree", "-r", "deep"]);
    assert!(
        git.stderr.contains("exceeded maximum allowed tree depth"),
        "{}",
        git.stderr
    );
    for args in [
        &["check", "--tree", "deep"][..],
        &["check", "--range", "main..deep"],
        &["audit", "--all"],
    ] {
        refused(
            s.run(args),
            &["nested deeper than 2048", "core.maxTreeDepth"],
        );
    }
}

#[test]
fn tree_depth_limit_is_gits() {
    for depth in [2048, 2049, 2050] {
        let s = Sandbox::new();
        s.commit();
        deep_tree(&s, depth);
        let git = s.git_run(&["ls-tree", "-r", "deep"]);
        let ours = s.run(&["check", "--tree", "deep"]);
        if git.code == 0 {
            // A forbidden cache at the bottom: a verdict, not a refusal.
            ours.expect(1);
        } else {
            refused(ours, &["nested deeper than 2048"]);
        }
    }
}

#[test]
fn damaged_loose_commit_inside_a_range_is_refused_not_a_hang() {
    let s = Sandbox::new();
    s.commit();
    s.git(&["checkout", "-q", "-b", "topic"]);
    for n in ["one", "two"] {
        s.write(&format!("{n}.py"), b"x\n");
        s.git(&["add", "."]);
        s.git(&["commit", "-q", "--no-verify", "-m", n]);
    }
    let middle = s.git(&["rev-parse", "HEAD~1"]);
    let path = s
        .git_dir()
        .join("objects")
        .join(&middle[..2])
        .join(&middle[2..]);
    let data = std::fs::read(&path).unwrap();
    let id: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&middle[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    s.write_loose(&id, &data[..data.len() - 8]);
    assert_ne!(s.git_run(&["log", "--oneline", "main..topic"]).code, 0);
    refused(
        s.run(&["check", "--range", "main..topic", "--each-commit"]),
        &[&middle, "truncated"],
    );
    refused(s.run(&["audit"]), &[&middle, "truncated"]);
}

/// The staged check reads HEAD's folders with our bounded readers (src/git/folders.rs): a
/// truncated loose subtree, which libgit2-sys 0.18.8+1.9.7 inflates forever, is exit 2 naming it.
#[test]
fn damaged_loose_subtree_in_the_staged_check_is_refused_not_a_hang() {
    let s = Sandbox::new();
    s.write("pkg/mod.py", b"x\n");
    s.write("pkg/__pycache__/m.cpython-312.pyc", b"y");
    s.git(&["add", "-f", "."]);
    s.git(&["commit", "-q", "--no-verify", "-m", "one"]);
    let tree = s.git(&["rev-parse", "HEAD:pkg"]);
    let path = s
        .git_dir()
        .join("objects")
        .join(&tree[..2])
        .join(&tree[2..]);
    let data = std::fs::read(&path).unwrap();
    let id: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&tree[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    s.write_loose(&id, &data[..data.len() - 8]);
    s.write("pkg/__pycache__/m.cpython-312.pyc", b"z");
    s.git(&["add", "-f", "pkg"]);
    refused(s.run(&["check"]), &[&tree, "truncated"]);
}
