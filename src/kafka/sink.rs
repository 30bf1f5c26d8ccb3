//! The producer sink: alert records and dead letters, delivered with an idempotent
//! producer and retried until the broker acknowledges them.

use super::client_config;
use crate::config::KafkaConfig;
use crate::metrics::METRICS;
use rand::Rng;
use rdkafka::error::KafkaResult;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use std::time::{Duration, Instant};

/// Where a record goes; the bounded `destination` label of the produce metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Alerts,
    DeadLetter,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Alerts => "alerts",
            Destination::DeadLetter => "dead_letter",
        }
    }
}

/// A record to deliver.
#[derive(Debug, Clone)]
pub struct OutgoingRecord {
    pub destination: Destination,
    pub topic: String,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// Creates the idempotent producer.
///
/// # Errors
///
/// An invalid librdkafka property.
pub fn create_producer(kafka: &KafkaConfig) -> KafkaResult<FutureProducer> {
    let mut config = client_config(kafka, &kafka.producer);
    for (key, value) in [
        ("linger.ms", "5"),
        ("compression.type", "lz4"),
        // librdkafka retries inside this window; postwatch retries after it.
        ("message.timeout.ms", "30000"),
    ] {
        if config.get(key).is_none() {
            config.set(key, value);
        }
    }
    config
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .create()
}

/// Delivers `record` until the broker acknowledges it, backing off between failed
/// attempts (capped exponential, with jitter). Returns only on success: a record that
/// cannot be delivered holds its partition's offset back, which is what we want —
/// the source must never commit past a message without an outcome.
pub async fn deliver(producer: &FutureProducer, record: &OutgoingRecord, max_backoff: Duration) {
    let mut backoff = Duration::from_millis(100);
    let mut failures: u32 = 0;
    loop {
        let mut headers = OwnedHeaders::new();
        for (name, value) in &record.headers {
            headers = headers.insert(rdkafka::message::Header {
                key: name,
                value: Some(value.as_bytes()),
            });
        }
        let mut future_record = FutureRecord::to(&record.topic)
            .payload(&record.payload)
            .headers(headers);
        if let Some(key) = &record.key {
            future_record = future_record.key(key);
        }
        let started = Instant::now();
        match producer
            .send(future_record, Timeout::After(Duration::from_secs(5)))
            .await
        {
            Ok(_) => {
                METRICS
                    .produce_duration
                    .with_label_values(&[record.destination.as_str()])
                    .observe(started.elapsed().as_secs_f64());
                if failures > 0 {
                    tracing::info!(
                        destination = record.destination.as_str(),
                        failures,
                        "delivery recovered"
                    );
                }
                return;
            }
            Err((error, _)) => {
                failures += 1;
                METRICS
                    .produce_retries
                    .with_label_values(&[record.destination.as_str()])
                    .inc();
                if failures == 1 || failures.is_power_of_two() {
                    tracing::error!(
                        destination = record.destination.as_str(),
                        topic = %record.topic,
                        failures,
                        error = %error,
                        "delivery failed; retrying, and holding the source offset back"
                    );
                }
                let jitter = rand::rng().random_range(0.5..1.0);
                tokio::time::sleep(backoff.mul_f64(jitter)).await;
                backoff = (backoff * 2).min(max_backoff);
            }
        }
    }
}
