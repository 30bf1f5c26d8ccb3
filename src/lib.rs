//! postwatch: watches a company's social-media streams and raises the alarm on leaks
//! and reputation risk.
//!
//! The data path, top to bottom: `kafka::source` → `post::decode` →
//! `normalize` → `detect` → `score` → `alert` → `kafka::sink`; `app` wires it.
//! Mentions also feed `spike`; `notify` pages what lands on `postwatch.alerts`.

pub mod admin;
pub mod alert;
pub mod app;
pub mod config;
pub mod detect;
pub mod eval;
pub mod kafka;
pub mod metrics;
pub mod normalize;
pub mod notify;
pub mod pipeline;
pub mod post;
pub mod profile;
pub mod redact;
pub mod scan;
pub mod score;
pub mod spike;
pub mod verdict;
pub mod workers;
