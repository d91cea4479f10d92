//! The policy: which paths are Python caches that must not be tracked, and which cache folders a
//! repository keeps on purpose. The model, its loader and validator, the matcher that applies it
//! with git's pattern semantics, and the schema editors read.

pub mod diff;
pub mod filter_repo;
pub(crate) mod load;
pub mod matcher;
mod model;
pub mod schema;
pub mod source;

pub use crate::model::error::{Origin, PolicyError, PolicyProblem};
pub(crate) use load::{KEYS, Key, Value};
pub use model::*;
