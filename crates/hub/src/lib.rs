//! placeholder until the hub crate lands
