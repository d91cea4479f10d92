//! Recompiling a kept pyc's source with the Python that wrote it, to check the code after the
//! header, which the header does not vouch for (`inspect --recompile`, `recompile = true`).
//!
//! A pyc's header records its source's hash (or size and mtime), not anything about the code that
//! follows, so a pyc whose code was altered after compiling passes every header check, and Python
//! runs it as it is. The only way to know the code is the source's is to compile the source again
//! with the same release and compare.
//!
//! Implemented:
//! - **Finding the interpreter** on `PATH`, as a shell would: `pythonX.Y` for a pyc with X.Y's
//!   magic number, then `pythonX` (`python3`). A name on `PATH` proves nothing (a pyenv shim for
//!   a version that is not selected exits 127), so the process that compares first says its
//!   version and magic number, and is given the jobs only when it is of the pyc's version and
//!   writes exactly its magic number; otherwise the next candidate gets a process of its own, and
//!   the reasons every candidate was refused are reported, so "could not verify" always says why.
//!   One process per interpreter version and call, none to ask: the interpreter chosen for a
//!   magic number is remembered, and asked again (by the same first line) when it is used again.
//! - **Compiling the same way**: the source bytes (as staged, or on disk) are compiled with
//!   `compile(source, filename, "exec", dont_inherit=True, optimize=N)`, which is what both
//!   `import` and `py_compile` do, with the file name the pyc itself records (`co_filename`, which
//!   depends on how it was compiled: an absolute path on import, the path given to `compileall`),
//!   and with the optimization level its name says (`.opt-1`, `.opt-2`; a `.pyo` may be either).
//!   Nothing is written to disk: the bytes go to the interpreter on its standard input.
//! - **Comparing**: first the marshalled bytes after the header. When they differ, the pyc's code
//!   is unmarshalled and compared with the new code object by object: marshal's output is not
//!   byte-reproducible everywhere (its reference flags follow reference counts, and the order of a
//!   frozenset constant follows string hashing, which is salted per process), so equal code
//!   objects are "equivalent", and a difference names the code object and attribute (or constant)
//!   that differs.
//!
//! Not implemented: optimized pycs of Python 2 and 3.0–3.1, whose `compile` has no `optimize`
//! argument (reported as not verifiable), and other implementations than CPython.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::pyc::{Header, PyVersion};
use crate::util::bytes::hex;

/// A Python interpreter found on `PATH` that writes a given magic number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Interpreter {
    /// The name it was found under, such as `python3.12`.
    pub(crate) program: String,
    /// Where it was found.
    pub(crate) path: PathBuf,
    /// Its full version, such as `3.12.1`.
    pub(crate) release: String,
    /// It takes `-I` (Python 3.4 and later).
    isolated: bool,
    /// The `PATH` it runs with: the trusted folders of ours.
    trusted_path: Vec<PathBuf>,
}

impl fmt::Display for Interpreter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, Python {} at {}",
            self.program,
            self.release,
            self.path.display()
        )
    }
}

/// What recompiling a pyc's source showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RecompileResult {
    /// The marshalled code is byte for byte what the interpreter compiles.
    Identical,
    /// The bytes differ (marshal is not byte-reproducible), but the code objects are equal.
    Equivalent,
    /// The code is not what the source compiles to; the text says where it first differs.
    Differs(String),
    /// The code could not be compared; the text says why (no matching interpreter, …).
    Unavailable(String),
}

impl RecompileResult {
    /// `identical`, `equivalent`, `differs` or `unavailable`, for JSON.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            RecompileResult::Identical => "identical",
            RecompileResult::Equivalent => "equivalent",
            RecompileResult::Differs(_) => "differs",
            RecompileResult::Unavailable(_) => "unavailable",
        }
    }

    /// The explanation, for `Differs` and `Unavailable`.
    pub(crate) fn detail(&self) -> Option<&str> {
        match self {
            RecompileResult::Differs(d) | RecompileResult::Unavailable(d) => Some(d),
            _ => None,
        }
    }
}

/// The result for one pyc: the verdict, and the interpreter that gave it, if one was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Comparison {
    /// What the comparison showed.
    pub(crate) verdict: RecompileResult,
    /// The interpreter used.
    pub(crate) interpreter: Option<Interpreter>,
}

/// One pyc to check: its bytes, its header (already read), its file name and its source's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job<'a> {
    /// The whole pyc.
    pub(crate) pyc: &'a [u8],
    /// Its header, as [`Header::parse_file`] read it.
    pub(crate) header: Header,
    /// Its file name (`m.cpython-312.opt-1.pyc`), for the optimization level.
    pub(crate) file_name: &'a [u8],
    /// The source to compile.
    pub(crate) source: &'a [u8],
}

/// Finds interpreters on a `PATH`, each version asked about once. Only absolute `PATH` folders
/// outside the untrusted ones (the repository being judged) are searched: a relative entry such
/// as `.` or `bin` would find a program the repository brings.
pub(crate) struct Interpreters {
    path: Option<OsString>,
    untrusted: Vec<PathBuf>,
    found: Vec<([u8; 4], Result<Interpreter, String>)>,
}

impl Interpreters {
    /// Looks on this process's `PATH`, never inside the `untrusted` folders.
    pub(crate) fn from_env(untrusted: &[&Path]) -> Interpreters {
        let mut found = Interpreters::on_path(std::env::var_os("PATH"));
        found.untrusted = untrusted
            .iter()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
            .collect();
        found
    }

    /// Looks on the given `PATH` value.
    pub(crate) fn on_path(path: Option<OsString>) -> Interpreters {
        Interpreters {
            path,
            untrusted: Vec::new(),
            found: Vec::new(),
        }
    }

    /// The `PATH` folders that may be searched, in order.
    fn trusted_dirs(&self) -> Vec<PathBuf> {
        let Some(path) = self.path.as_ref() else {
            return Vec::new();
        };
        std::env::split_paths(path)
            .filter(|dir| dir.is_absolute())
            .filter(|dir| {
                let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
                !self.untrusted.iter().any(|u| real.starts_with(u))
            })
            .collect()
    }

    /// Runs [`COMPARE`] on `input` (`expected` jobs, all of `header`'s magic number) with the
    /// interpreter that writes it: the one found before for this magic number, else each candidate
    /// in turn, each in a process of its own, until one says it is the right one. The
    /// interpreter, and its verdicts, or why there is none.
    fn run(
        &mut self,
        header: &Header,
        input: &[u8],
        expected: usize,
    ) -> Result<(Interpreter, Vec<RecompileResult>), String> {
        let (version, magic) = (header.version, header.magic_number());
        let none = |refused: &[String]| {
            format!(
                "no Python {version} that writes magic number {magic} on PATH: {}",
                refused.join("; ")
            )
        };
        if let Some((_, found)) = self.found.iter().find(|(m, _)| *m == header.magic) {
            let interpreter = found.clone()?;
            return match run_compare(&interpreter, version, magic, input, expected) {
                Ok((_, verdicts)) => Ok((interpreter, verdicts)),
                Err(why) => Err(none(&[why])),
            };
        }
        let found = self
            .search(version, magic, input, expected)
            .map_err(|refused| none(&refused));
        let remembered = match &found {
            Ok((interpreter, _)) => Ok(interpreter.clone()),
            Err(why) => Err(why.clone()),
        };
        self.found.push((header.magic, remembered));
        found
    }

    /// Tries each candidate for `version`: its verdicts from the first that says it is of that
    /// version and writes `magic`, or why each was refused.
    fn search(
        &self,
        version: PyVersion,
        magic: u16,
        input: &[u8],
        expected: usize,
    ) -> Result<(Interpreter, Vec<RecompileResult>), Vec<String>> {
        let mut refused = Vec::new();
        for program in [
            format!("python{}.{}", version.major, version.minor),
            format!("python{}", version.major),
        ] {
            let Some(path) = self.which(&program) else {
                refused.push(format!("{program} is not on PATH"));
                continue;
            };
            let candidate = Interpreter {
                program,
                path,
                release: String::new(),
                // The version looked for, not the candidate's (not known yet): one that is older
                // and rejects `-I` fails, and is refused.
                isolated: version >= PyVersion::new(3, 4),
                trusted_path: self.trusted_dirs(),
            };
            match run_compare(&candidate, version, magic, input, expected) {
                Ok((release, verdicts)) => {
                    return Ok((
                        Interpreter {
                            release,
                            ..candidate
                        },
                        verdicts,
                    ));
                }
                Err(why) => refused.push(why),
            }
        }
        Err(refused)
    }

    /// The first executable file called `program` in a trusted `PATH` folder, as a shell finds
    /// it.
    fn which(&self, program: &str) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt as _;
        self.trusted_dirs()
            .into_iter()
            .map(|dir| dir.join(program))
            .find(|candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    }
}

/// Runs an interpreter so that nothing of the repository's can run in it:
/// - `-E` ignores `PYTHON*` variables (`PYTHONPATH`, `PYTHONSTARTUP`, …), `-s` the user's
///   site-packages, `-S` skips `site` altogether (no `.pth` file, no `sitecustomize`), `-B`
///   writes no cache; from 3.4, `-I` isolates it further (and, from 3.11, keeps the current
///   folder off `sys.path`). Every flag exists from Python 2.6 on but `-I`.
/// - It starts in `/`, not in the repository: with `-c`, Python puts the current folder first
///   on `sys.path` (before 3.11, or without `-I`), so a `json.py` there would be imported, and a
///   pyenv shim would read the repository's `.python-version`.
/// - Its environment holds only what finding and starting an interpreter needs (`PATH` cut to
///   its trusted folders, `HOME`, pyenv's and the locale's variables), none of it the
///   repository's.
///
/// The sources and pycs go to it as data on its standard input; the script imports only
/// `sys`, `marshal`, `importlib.util` (or, before 3.4, `imp`) for the magic number, and the
/// codecs the sources declare.
fn python(path: &Path, isolated: bool, trusted_path: &[PathBuf]) -> Command {
    let mut cmd = Command::new(path);
    if isolated {
        cmd.arg("-I");
    }
    cmd.args(["-E", "-s", "-S", "-B"])
        .current_dir("/")
        .env_clear()
        .stdin(Stdio::null());
    if let Ok(joined) = std::env::join_paths(trusted_path) {
        cmd.env("PATH", joined);
    }
    for name in [
        "HOME",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "PYENV_ROOT",
        "PYENV_VERSION",
        "SYSTEMROOT",
        "TMPDIR",
    ] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd
}

/// The exit status and the line of standard error that says what failed: the last one of a
/// Python traceback, else the first (a wrapper's complaint, such as pyenv's "command not found").
fn failure(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines = stderr.lines().filter(|l| !l.trim().is_empty());
    let last = match lines.next() {
        Some(first) if first.starts_with("Traceback") => lines.next_back().or(Some(first)),
        first => first,
    };
    let status = match out.status.code() {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_string(),
    };
    match last {
        Some(line) => format!("{status}: {}", line.trim()),
        None => status,
    }
}

/// First prints `MAJOR.MINOR.MICRO MAGIC-NUMBER` (and flushes it: the jobs come only once that
/// line shows the interpreter is the one looked for). Then reads jobs on standard input, one a
/// line (`HEADER-SIZE LEVELS PYC-HEX SOURCE-HEX`), compiles each source as the pyc's name and
/// co_filename say, and prints one verdict a line (`VERDICT<TAB>DETAIL`, the detail's `\`, tab
/// and newline escaped). It imports only the built-in `sys` and `marshal`, and the standard
/// library's `importlib.util` (or `imp`) for the magic number, under `-I -E -s -S` so nothing
/// of the repository's is on `sys.path`. Runs on Python 2.7 and 3.x; says its version from 2.6.
const COMPARE: &str = r#"
import marshal, sys
try:
    from importlib.util import MAGIC_NUMBER as m
except ImportError:
    import imp
    m = imp.get_magic()
m = bytearray(m)
sys.stdout.write('%d.%d.%d %d\n' % (sys.version_info[0], sys.version_info[1],
                                     sys.version_info[2], m[0] | m[1] << 8))
sys.stdout.flush()

CODE = type(compile("", "", "exec"))
ATTRS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals",
         "co_stacksize", "co_flags", "co_code", "co_consts", "co_names", "co_varnames",
         "co_freevars", "co_cellvars", "co_localsplusnames", "co_localspluskinds",
         "co_filename", "co_name", "co_qualname", "co_firstlineno", "co_linetable",
         "co_exceptiontable")

def short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

def key(value):
    # Like CPython's constant keys: 0.0 and -0.0, 1 and True are different constants.
    if isinstance(value, (float, complex)):
        return (type(value), repr(value))
    if isinstance(value, (tuple, frozenset)):
        return (type(value), tuple(sorted(repr(key(v)) for v in value)))
    return (type(value), value)

def diff(old, new, where):
    if type(old) is not type(new):
        return "%s: the pyc has %s where the source compiles to %s" % (
            where, short(old), short(new))
    if isinstance(old, CODE):
        here = (where + " > " if where else "") + old.co_name
        attrs = [a for a in ATTRS if hasattr(old, a)]
        if not hasattr(old, "co_linetable"):
            attrs.append("co_lnotab")
        for attr in attrs:
            a, b = getattr(old, attr), getattr(new, attr)
            if attr == "co_consts":
                if len(a) != len(b):
                    return "%s: the pyc has %d constants where the source compiles to %d" % (
                        here, len(a), len(b))
                for x, y in zip(a, b):
                    found = diff(x, y, here)
                    if found:
                        return found
            elif a != b:
                return "%s: %s differs" % (here, attr)
        return None
    if isinstance(old, tuple) and len(old) == len(new):
        for x, y in zip(old, new):
            found = diff(x, y, where)
            if found:
                return found
        return None
    if key(old) != key(new):
        return "%s: the pyc has the constant %s where the source compiles to %s" % (
            where, short(old), short(new))
    return None

def unhex(text):
    try:
        return bytes.fromhex(text)
    except AttributeError:
        return text.decode("hex")

def judge(job):
    data = unhex(job["pyc"])
    body = data[job["header_size"]:]
    try:
        old = marshal.loads(body)
    except Exception as e:
        return "differs", "its code cannot be unmarshalled: %s: %s" % (type(e).__name__, e)
    if not isinstance(old, CODE):
        return "differs", "it holds %s, not a code object" % short(old)
    source = unhex(job["source"])
    verdict, detail = None, None
    for level in job["optimize"]:
        try:
            if level == 0 and sys.version_info < (3, 2):
                new = compile(source, old.co_filename, "exec", 0, True)
            else:
                new = compile(source, old.co_filename, "exec", 0, True, level)
        except Exception as e:
            return "differs", "the source does not compile: %s: %s" % (type(e).__name__, e)
        if marshal.dumps(new) == body:
            return "identical", None
        found = diff(old, new, "")
        if found is None and old == new:
            return "equivalent", None
        verdict, detail = "differs", found or "the code objects are not equal"
    return verdict, detail

def clean(text):
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

out = []
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    size, levels, pyc, source = line.split(" ")
    job = {"header_size": int(size), "optimize": [int(x) for x in levels.split(",")],
           "pyc": pyc, "source": source}
    verdict, detail = judge(job)
    out.append(verdict + "\t" + clean(detail or ""))
sys.stdout.write("".join(o + "\n" for o in out))
"#;

/// One line of [`COMPARE`]'s answer.
struct Answer {
    verdict: String,
    detail: Option<String>,
}

impl Answer {
    /// `VERDICT<TAB>DETAIL`, the detail unescaped; `None` for a line that is not one.
    fn parse(line: &str) -> Option<Answer> {
        let (verdict, detail) = line.split_once('\t')?;
        let mut out = String::with_capacity(detail.len());
        let mut chars = detail.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                _ => return None,
            }
        }
        Some(Answer {
            verdict: verdict.to_string(),
            detail: (!out.is_empty()).then_some(out),
        })
    }
}

/// The optimization levels a pyc's name allows (PEP 488 `.opt-N`; a `.pyo` was written with
/// `-O` or `-OO`), or why it cannot be told.
fn optimize_levels(file_name: &[u8]) -> Result<Vec<u8>, String> {
    let Some(name) = crate::pyc::parse_cache_name(file_name) else {
        // Not a name Python writes; compile without optimization.
        return Ok(vec![0]);
    };
    match (name.optimization, name.pyo) {
        (None, false) => Ok(vec![0]),
        (None, true) => Ok(vec![1, 2]),
        (Some(b"1"), _) => Ok(vec![1]),
        (Some(b"2"), _) => Ok(vec![2]),
        (Some(other), _) => Err(format!(
            "its name asks for optimization level `opt-{}`, which CPython does not write",
            String::from_utf8_lossy(other)
        )),
    }
}

/// Recompiles each job's source with an interpreter that writes its magic number and compares
/// the code; one interpreter process per magic number. The outcomes are in the jobs' order.
pub(crate) fn compare(interpreters: &mut Interpreters, jobs: &[Job<'_>]) -> Vec<Comparison> {
    let mut outcomes: Vec<Option<Comparison>> = vec![None; jobs.len()];
    let mut magics: Vec<[u8; 4]> = jobs.iter().map(|j| j.header.magic).collect();
    magics.sort();
    magics.dedup();
    for magic in magics {
        let mut batch = Vec::new();
        for (i, job) in jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| j.header.magic == magic)
        {
            let levels = optimize_levels(job.file_name).and_then(|levels| {
                let version = job.header.version;
                let old = version < PyVersion::new(3, 2);
                if old && levels != [0] {
                    Err(format!(
                        "recompiling optimized pycs of Python {version} is not supported"
                    ))
                } else {
                    Ok(levels)
                }
            });
            match levels {
                Ok(levels) => batch.push((i, levels)),
                Err(why) => {
                    outcomes[i] = Some(Comparison {
                        verdict: RecompileResult::Unavailable(why),
                        interpreter: None,
                    })
                }
            }
        }
        let Some(&(first, _)) = batch.first() else {
            continue;
        };
        let input = batch_input(jobs, &batch);
        let (interpreter, verdicts) =
            match interpreters.run(&jobs[first].header, &input, batch.len()) {
                Ok((interpreter, verdicts)) => (Some(interpreter), verdicts),
                Err(why) => (None, vec![RecompileResult::Unavailable(why); batch.len()]),
            };
        for ((i, _), verdict) in batch.into_iter().zip(verdicts) {
            outcomes[i] = Some(Comparison {
                verdict,
                interpreter: interpreter.clone(),
            });
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every job has an outcome"))
        .collect()
}

/// [`COMPARE`]'s standard input for the jobs at the given positions, one a line.
fn batch_input(jobs: &[Job<'_>], batch: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let mut input = String::new();
    for (i, levels) in batch {
        let job = &jobs[*i];
        let levels: Vec<String> = levels.iter().map(u8::to_string).collect();
        input.push_str(&format!(
            "{} {} {} {}\n",
            job.header.layout().header_size(),
            levels.join(","),
            hex(job.pyc),
            hex(job.source)
        ));
    }
    input.into_bytes()
}

/// The most of the first line read before it is judged: a release and a number.
const FIRST_LINE_AT_MOST: u64 = 256;

/// Runs [`COMPARE`] with one candidate, in one process. Its first line must say it is Python
/// `version` writing `magic`; then, and only then, it is given `input` (`expected` jobs), on its
/// standard input from another thread. Its release and a verdict per job (each unavailable when
/// the comparing failed), or, for a candidate that is not the one looked for, why it was refused.
fn run_compare(
    candidate: &Interpreter,
    version: PyVersion,
    magic: u16,
    input: &[u8],
    expected: usize,
) -> Result<(String, Vec<RecompileResult>), String> {
    let program = &candidate.program;
    let refused = |why: String| format!("{program} ({}) {why}", candidate.path.display());
    let mut child = python(&candidate.path, candidate.isolated, &candidate.trusted_path)
        .args(["-c", COMPARE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| refused(format!("cannot be run: {e}")))?;
    // Written from another thread, so a child that writes before it has read everything cannot
    // dead-lock against us; and only once its first line is judged (an interpreter that is not
    // the one looked for gets no job: its standard input closes empty).
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let (go, gone) = std::sync::mpsc::channel::<()>();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || match gone.recv() {
        Ok(()) => stdin.write_all(&input),
        Err(_) => Ok(()),
    });
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errors = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut first = Vec::new();
    let read = (&mut stdout)
        .take(FIRST_LINE_AT_MOST)
        .read_until(b'\n', &mut first);
    let line = String::from_utf8_lossy(&first).into_owned();
    let mut parts = line.split_whitespace();
    let said = match (
        read,
        parts.next(),
        parts.next().and_then(|m| m.parse::<u16>().ok()),
    ) {
        (Ok(_), Some(release), Some(their_magic)) => Some((release.to_string(), their_magic)),
        _ => None,
    };
    let right = said.as_ref().is_some_and(|(release, their_magic)| {
        release_is(release, version) && *their_magic == magic
    });
    if right {
        let _ = go.send(());
    }
    drop(go);
    let mut rest = Vec::new();
    let drained = stdout.read_to_end(&mut rest);
    let status = child.wait();
    let written = writer.join().expect("the writer thread does not panic");
    let stderr = errors.join().expect("the reader thread does not panic");
    let status = status.map_err(|e| refused(format!("cannot be run: {e}")))?;
    // The whole of standard output is only wanted to show what a refused candidate printed.
    let out = std::process::Output {
        status,
        stdout: Vec::new(),
        stderr,
    };
    let Some((release, _)) = said.clone().filter(|_| right) else {
        // Judged as the question alone was: did it fail, what did it say it is?
        if !out.status.success() {
            return Err(refused(format!("failed ({})", failure(&out))));
        }
        return Err(match said {
            Some((release, _)) if !release_is(&release, version) => {
                format!("{program} is Python {release}")
            }
            Some((release, their_magic)) => format!(
                "{program} is Python {release}, which writes magic number {their_magic}, \
                 not {magic}"
            ),
            None => refused(format!(
                "printed {:?}, not its version",
                String::from_utf8_lossy(&[first, rest].concat()).trim()
            )),
        });
    };
    let verdicts = if !out.status.success() || written.is_err() || drained.is_err() {
        vec![
            RecompileResult::Unavailable(format!(
                "{program} failed while comparing ({})",
                failure(&out)
            ));
            expected
        ]
    } else {
        answers(program, &rest, expected)
    };
    Ok((release, verdicts))
}

/// A release such as `3.12.1` is of `version` (3.12).
fn release_is(release: &str, version: PyVersion) -> bool {
    let theirs = release
        .split('.')
        .take(2)
        .map(|p| p.parse::<u8>().ok())
        .collect::<Option<Vec<_>>>();
    theirs.as_deref() == Some(&[version.major, version.minor][..])
}

/// The verdicts in [`COMPARE`]'s answer after its first line, one per job.
fn answers(program: &str, text: &[u8], expected: usize) -> Vec<RecompileResult> {
    let unavailable = |why: String| vec![RecompileResult::Unavailable(why); expected];
    let text = String::from_utf8_lossy(text);
    let answers: Option<Vec<Answer>> = text.lines().map(Answer::parse).collect();
    let Some(answers) = answers else {
        return unavailable(format!(
            "{program} printed something other than the expected answer"
        ));
    };
    if answers.len() != expected {
        return unavailable(format!(
            "{program} answered for {} pycs instead of {expected}",
            answers.len(),
        ));
    }
    answers
        .into_iter()
        .map(|a| match a.verdict.as_str() {
            "identical" => RecompileResult::Identical,
            "equivalent" => RecompileResult::Equivalent,
            _ => {
                RecompileResult::Differs(a.detail.unwrap_or_else(|| "the code differs".to_string()))
            }
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_unescape_their_detail() {
        let a = Answer::parse("differs\tm > f: co_code differs\\n\\tx\\\\").unwrap();
        assert_eq!(a.verdict, "differs");
        assert_eq!(a.detail.as_deref(), Some("m > f: co_code differs\n\tx\\"));
        assert_eq!(Answer::parse("identical\t").unwrap().detail, None);
        assert!(Answer::parse("no tab").is_none());
        assert!(Answer::parse("differs\tbad \\q escape").is_none());
    }

    #[test]
    fn relative_and_untrusted_path_folders_are_never_searched() {
        let repo = tempfile::tempdir().unwrap();
        let bin = repo.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let path = std::env::join_paths([
            std::path::Path::new("."),
            std::path::Path::new("bin"),
            bin.as_path(),
            std::path::Path::new("/usr/bin"),
        ])
        .unwrap();
        let mut pythons = Interpreters::on_path(Some(path));
        pythons.untrusted = vec![std::fs::canonicalize(repo.path()).unwrap()];
        assert_eq!(pythons.trusted_dirs(), [PathBuf::from("/usr/bin")]);
    }

    #[test]
    fn optimization_levels_follow_the_name() {
        assert_eq!(optimize_levels(b"m.cpython-312.pyc"), Ok(vec![0]));
        assert_eq!(optimize_levels(b"m.cpython-312.opt-1.pyc"), Ok(vec![1]));
        assert_eq!(optimize_levels(b"m.cpython-312.opt-2.pyc"), Ok(vec![2]));
        assert_eq!(optimize_levels(b"m.pyo"), Ok(vec![1, 2]));
        assert_eq!(optimize_levels(b"m.pyc"), Ok(vec![0]));
        assert_eq!(optimize_levels(b"not-a-pyc.bin"), Ok(vec![0]));
        assert!(
            optimize_levels(b"m.cpython-312.opt-x.pyc")
                .unwrap_err()
                .contains("opt-x")
        );
    }

    /// A pyc header of Python 3.12 (magic number 3531), checked-hash, and a code object's first
    /// byte.
    fn pyc_312() -> Vec<u8> {
        let mut pyc = crate::pyc::magic_bytes(3531).to_vec();
        pyc.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe3]);
        pyc
    }

    #[test]
    fn one_process_per_version_and_call_and_the_wrong_one_gets_no_job() {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("log");
        let fake = |name: &str, says: &str| {
            let path = bin.path().join(name);
            let text = format!(
                "#!/bin/sh\necho {name} >> '{}'\necho {says}\n\
                 while read line; do printf 'identical\\t\\n'; echo \"$line\" >> '{}'; done\n",
                log.display(),
                log.display()
            );
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        fake("python3.12", "3.11.9 3495");
        fake("python3", "3.12.1 3531");
        let mut pythons = Interpreters::on_path(Some(bin.path().as_os_str().to_owned()));
        let pyc = pyc_312();
        let header = Header::parse_file(&pyc).unwrap();
        let job = Job {
            pyc: &pyc,
            header,
            file_name: b"m.cpython-312.pyc",
            source: b"",
        };
        let first = compare(&mut pythons, &[job, job]);
        assert!(
            first
                .iter()
                .all(|c| c.verdict == RecompileResult::Identical)
        );
        let used = first[0].interpreter.as_ref().unwrap();
        assert_eq!(
            (used.program.as_str(), used.release.as_str()),
            ("python3", "3.12.1")
        );
        let lines = |text: String| text.lines().map(str::to_string).collect::<Vec<_>>();
        let ran = lines(std::fs::read_to_string(&log).unwrap());
        // The wrong one ran once and was given nothing; the right one got both jobs.
        assert_eq!(ran[0], "python3.12");
        assert_eq!(ran[1], "python3");
        assert_eq!(ran.len(), 4, "{ran:?}");
        // A second call goes straight to the interpreter found: one process.
        std::fs::remove_file(&log).unwrap();
        let second = compare(&mut pythons, &[job]);
        assert_eq!(second, first[..1]);
        assert_eq!(lines(std::fs::read_to_string(&log).unwrap()).len(), 2);
    }

    #[test]
    fn a_candidate_that_fails_or_says_nothing_is_refused_with_why() {
        use std::os::unix::fs::PermissionsExt as _;
        let bin = tempfile::tempdir().unwrap();
        for (name, text) in [
            (
                "python3.12",
                "#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n",
            ),
            ("python3", "#!/bin/sh\necho hello\n"),
        ] {
            let path = bin.path().join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut pythons = Interpreters::on_path(Some(bin.path().as_os_str().to_owned()));
        let pyc = pyc_312();
        let job = Job {
            pyc: &pyc,
            header: Header::parse_file(&pyc).unwrap(),
            file_name: b"m.cpython-312.pyc",
            source: b"",
        };
        let outcome = &compare(&mut pythons, &[job])[0];
        let dir = bin.path().display();
        assert_eq!(
            outcome.verdict,
            RecompileResult::Unavailable(format!(
                "no Python 3.12 that writes magic number 3531 on PATH: python3.12 \
                 ({dir}/python3.12) failed (exit 127: pyenv: python3.12: command not found); \
                 python3 ({dir}/python3) printed \"hello\", not its version"
            ))
        );
    }

    #[test]
    fn no_interpreter_on_an_empty_path_says_what_was_looked_for() {
        let mut pythons = Interpreters::on_path(None);
        let mut pyc = crate::pyc::magic_bytes(3531).to_vec();
        pyc.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe3]);
        let header = Header::parse_file(&pyc).unwrap();
        let why = "no Python 3.12 that writes magic number 3531 on PATH: python3.12 is not on \
                   PATH; python3 is not on PATH"
            .to_string();
        let outcomes = compare(
            &mut pythons,
            &[Job {
                pyc: &pyc,
                header,
                file_name: b"m.cpython-312.pyc",
                source: b"",
            }],
        );
        assert_eq!(outcomes[0].verdict, RecompileResult::Unavailable(why));
        assert_eq!(outcomes[0].interpreter, None);
    }
}
