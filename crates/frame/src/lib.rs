//! placeholder until the frame crate lands
