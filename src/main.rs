//! The `pycache-policy` command: parses arguments, calls the library, maps the outcome to an exit
//! code (0 clean, 1 findings, 2 could not run). No path exits 101: a closed pipe ends the process
//! as git's does (see `cli::output::write_stdout`), and a panic is reported in one line, exit 2.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a bug".to_string());
        cli::output::write_stderr(&format!(
            "pycache-policy: internal error{place}: {what}\n  nothing was judged; please report \
             it with the command you ran\n"
        ));
        std::process::exit(2);
    }));
    let args = cli::parse();
    let code = match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            cli::output::write_stderr(&format!(
                "pycache-policy: error: {}\n",
                cli::errors::describe(&e)
            ));
            ExitCode::from(2)
        }
    };
    cli::output::flush_stdout();
    code
}
