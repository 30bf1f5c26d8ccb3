//! The consumer-group source: rebalance handling, statistics, and the consumer itself.
//! Offsets are stored only behind finished work (see `offsets`), and librdkafka
//! commits what was stored.

use super::offsets::{OffsetTracker, PartitionKey};
use crate::config::KafkaConfig;
use crate::metrics::METRICS;
use rdkafka::TopicPartitionList;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// State shared between the processing loop and librdkafka's callbacks.
#[derive(Debug, Default)]
pub struct SourceState {
    pub tracker: Mutex<OffsetTracker>,
    pub assigned_partitions: Arc<AtomicI64>,
}

impl SourceState {
    pub fn tracker(&self) -> std::sync::MutexGuard<'_, OffsetTracker> {
        self.tracker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Which consumer group a source serves: it names the log lines, and only the
/// detection pipeline moves the pipeline's gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRole {
    /// The detection pipeline on the input topics.
    Pipeline,
    /// The notifier on the alerts topic.
    Notifier,
}

impl SourceRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceRole::Pipeline => "pipeline",
            SourceRole::Notifier => "notifier",
        }
    }
}

/// librdkafka callbacks: rebalances, statistics, logs and errors.
pub struct SourceContext {
    pub state: Arc<SourceState>,
    pub role: SourceRole,
}

fn partition_keys(list: &TopicPartitionList) -> Vec<PartitionKey> {
    list.elements()
        .iter()
        .map(|element| PartitionKey {
            topic: element.topic().to_string(),
            partition: element.partition(),
        })
        .collect()
}

impl ClientContext for SourceContext {
    fn stats(&self, statistics: Statistics) {
        for (topic_name, topic) in &statistics.topics {
            for (partition_id, partition) in &topic.partitions {
                // Partition -1 is librdkafka's internal UA partition; lag -1 is unknown.
                if *partition_id < 0 || partition.consumer_lag < 0 {
                    continue;
                }
                METRICS
                    .consumer_lag
                    .with_label_values(&[topic_name.as_str(), &partition_id.to_string()])
                    .set(partition.consumer_lag);
            }
        }
    }

    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => tracing::error!(facility, "librdkafka: {message}"),
            RDKafkaLogLevel::Warning => tracing::warn!(facility, "librdkafka: {message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(facility, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(facility, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(consumer = self.role.as_str(), error = %error, "kafka client error: {reason}");
    }
}

impl ConsumerContext for SourceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        // Commit what is finished before the partitions go to another member.
        match consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(error) => tracing::warn!(
                consumer = self.role.as_str(),
                error = %error,
                "offset commit before revoke failed"
            ),
        }
        let mut tracker = self.state.tracker();
        for key in partition_keys(list) {
            // The new owner reports this partition's lag from now on.
            let _ = METRICS
                .consumer_lag
                .remove_label_values(&[key.topic.as_str(), &key.partition.to_string()]);
            tracker.revoke(&key);
        }
        let count = list.count() as i64;
        let remaining = self
            .state
            .assigned_partitions
            .fetch_sub(count, Ordering::SeqCst)
            - count;
        if self.role == SourceRole::Pipeline {
            METRICS.rebalances.with_label_values(&["revoke"]).inc();
            METRICS.in_flight_messages.set(tracker.in_flight() as i64);
            METRICS.partitions_assigned.set(remaining.max(0));
        }
        tracing::info!(
            consumer = self.role.as_str(),
            partitions = count,
            "partitions revoked"
        );
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let mut tracker = self.state.tracker();
                for key in partition_keys(list) {
                    tracker.assign(key);
                }
                let count = list.count() as i64;
                let total = self
                    .state
                    .assigned_partitions
                    .fetch_add(count, Ordering::SeqCst)
                    + count;
                if self.role == SourceRole::Pipeline {
                    METRICS.rebalances.with_label_values(&["assign"]).inc();
                    METRICS.partitions_assigned.set(total);
                }
                tracing::info!(
                    consumer = self.role.as_str(),
                    partitions = count,
                    total,
                    "partitions assigned"
                );
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(error) => {
                if self.role == SourceRole::Pipeline {
                    METRICS.rebalances.with_label_values(&["error"]).inc();
                }
                tracing::warn!(consumer = self.role.as_str(), error = %error, "rebalance failed");
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        let outcome = match result {
            Ok(()) => "ok",
            Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => {
                "nothing"
            }
            Err(error) => {
                tracing::warn!(error = %error, "offset commit failed; it is retried with the next commit");
                "error"
            }
        };
        METRICS.offset_commits.with_label_values(&[outcome]).inc();
    }
}

pub type Source = StreamConsumer<SourceContext>;

/// Creates a consumer in `group_id` and subscribes it to `topics`; offsets are
/// committed every `commit_interval_ms`, but only those stored behind finished work.
///
/// # Errors
///
/// An invalid librdkafka property, or a subscription failure.
pub fn create_source(
    kafka: &KafkaConfig,
    group_id: &str,
    topics: &[&str],
    commit_interval_ms: u64,
    state: Arc<SourceState>,
    role: SourceRole,
) -> KafkaResult<Source> {
    let mut config = super::client_config(kafka, &kafka.consumer);
    // Defaults an operator may override in `kafka.consumer`.
    for (key, value) in [
        ("auto.offset.reset", "earliest"),
        ("statistics.interval.ms", "5000"),
        ("session.timeout.ms", "30000"),
        ("fetch.queue.backoff.ms", "10"),
    ] {
        if config.get(key).is_none() {
            config.set(key, value);
        }
    }
    config
        .set("group.id", group_id)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", commit_interval_ms.to_string())
        // Offsets are stored by postwatch only once a message's outcome is final.
        .set("enable.auto.offset.store", "false")
        .set_log_level(RDKafkaLogLevel::Info);
    let consumer: Source = config.create_with_context(SourceContext { state, role })?;
    consumer.subscribe(topics)?;
    Ok(consumer)
}
