//! Kafka at the ends of the pipeline: the consumer-group source, the producer sink,
//! and the offset bookkeeping between them.

pub mod offsets;
pub mod sink;
pub mod source;

use crate::config::KafkaConfig;
use rdkafka::ClientConfig;

/// A client config with the brokers and every pass-through property of `section`.
pub fn client_config(
    kafka: &KafkaConfig,
    section: &std::collections::BTreeMap<String, String>,
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &kafka.brokers);
    for (key, value) in kafka.client.iter().chain(section) {
        config.set(key, value);
    }
    config
}
