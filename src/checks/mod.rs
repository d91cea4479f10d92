//! The checks: what the staged index, a commit's tree, a range or the whole history holds that
//! the policy forbids, and whether the pycs a repository keeps still match their sources.

pub mod audit;
pub mod ci;
pub mod explain;
mod findings;
pub mod gate;
pub mod ignore;
pub mod inspect;
pub(crate) mod kept;
pub mod staged;
pub mod tree;
