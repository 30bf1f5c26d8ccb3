//! Detection: one aho-corasick pass plus validated detectors, producing hits.

pub mod engine;
pub mod hit;
pub mod learned;
pub mod pii;
pub mod pricing;
pub mod rules;
pub mod secrets;

pub use engine::{Detection, RuleSet};
pub use hit::{Hit, Sensitivity};
