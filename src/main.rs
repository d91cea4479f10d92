//! The `pycache-policy` command: parses arguments, calls the library, maps the outcome to an exit
//! code (0 clean, 1 findings, 2 could not run).

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pycache-policy: error: {}", cli::errors::describe(&e));
            ExitCode::from(2)
        }
    }
}
