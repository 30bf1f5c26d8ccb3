//! postwatch's integration tests: one binary, against a real Kafka broker
//! (`POSTWATCH_TEST_BROKERS`, default 127.0.0.1:9092; `deploy/local/kafka start`).

mod notify;
mod pagerduty_receiver;
mod pipeline;
mod prometheus;
mod redaction;
mod scan;
mod spike;
mod support;
