//! The fixers: each makes a plan (what `--dry-run` prints), then applies exactly that plan.

pub mod gitignore;
pub mod hook;
pub mod purge;
pub mod untrack;
