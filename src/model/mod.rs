//! Plain data every layer above may use: findings, their codes and severities, and the errors
//! that stop a command from giving a verdict.

pub mod error;
pub mod finding;
pub mod outcome;
