//! Small helpers every layer may use: byte paths, atomic writes, byte helpers, a fast hasher.
//! Nothing here knows about policies, findings or repositories.

pub(crate) mod bytes;
pub(crate) mod fs;
pub(crate) mod hash;
pub(crate) mod path;
pub(crate) mod sorted;
