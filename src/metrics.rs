//! The metric catalogue: every metric postwatch exports, in one place. Names follow
//! Prometheus conventions (`postwatch_` prefix, base units, `_total` on counters);
//! labels come only from bounded sets.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;

/// Bucket boundaries for the per-post detection path, in seconds; 20 µs is the target.
const PROCESSING_BUCKETS: &[f64] = &[
    0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025,
];
/// Bucket boundaries for a produce round trip, in seconds.
const PRODUCE_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

/// Bucket boundaries for a PagerDuty request, in seconds; 1 s is the target.
const PAGERDUTY_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

pub struct Metrics {
    pub registry: Registry,
    pub build_info: IntGaugeVec,
    pub messages_consumed: IntCounterVec,
    pub posts_processed: IntCounterVec,
    pub messages_dead_lettered: IntCounterVec,
    pub verdicts: IntCounterVec,
    pub findings: IntCounterVec,
    pub learned_findings: IntCounterVec,
    pub learned_vetoes: IntCounterVec,
    pub alerts: IntCounterVec,
    pub alerts_produced: IntCounter,
    pub processing_duration: Histogram,
    pub produce_duration: HistogramVec,
    pub produce_retries: IntCounterVec,
    pub in_flight_messages: IntGauge,
    pub partitions_assigned: IntGauge,
    pub rebalances: IntCounterVec,
    pub consumer_lag: IntGaugeVec,
    pub consumer_message_age: prometheus::GaugeVec,
    pub offset_commits: IntCounterVec,
    pub rule_patterns: IntGauge,
    pub loop_iterations: IntCounter,
    pub pagerduty_events: IntCounterVec,
    pub pagerduty_request_duration: Histogram,
    pub pagerduty_retries: IntCounterVec,
    pub notify_suppressed: IntCounterVec,
    pub notify_folded: IntCounterVec,
    pub notify_dead_lettered: IntCounterVec,
    pub spike_episodes_open: IntGauge,
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let metric = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = IntGauge::new(name, help).expect("valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric registered once");
    metric
}

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let r = &registry;
        let processing_duration = Histogram::with_opts(
            HistogramOpts::new(
                "postwatch_processing_duration_seconds",
                "Time from message bytes to verdict (decode, normalise, detect, score) per message.",
            )
            .buckets(PROCESSING_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        registry
            .register(Box::new(processing_duration.clone()))
            .expect("metric registered once");
        let produce_duration = HistogramVec::new(
            HistogramOpts::new(
                "postwatch_produce_duration_seconds",
                "Time from handing a record to the producer to the broker's acknowledgement.",
            )
            .buckets(PRODUCE_BUCKETS.to_vec()),
            &["destination"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(produce_duration.clone()))
            .expect("metric registered once");
        let consumer_message_age = prometheus::GaugeVec::new(
            Opts::new(
                "postwatch_consumer_message_age_seconds",
                "Age (now minus Kafka timestamp) of the last message consumed, per topic: lag in seconds.",
            ),
            &["topic"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(consumer_message_age.clone()))
            .expect("metric registered once");
        let pagerduty_request_duration = Histogram::with_opts(
            HistogramOpts::new(
                "postwatch_pagerduty_request_duration_seconds",
                "Time of one PagerDuty Events API request, whatever its answer.",
            )
            .buckets(PAGERDUTY_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        registry
            .register(Box::new(pagerduty_request_duration.clone()))
            .expect("metric registered once");
        let metrics = Metrics {
            build_info: gauge_vec(
                r,
                "postwatch_build_info",
                "Build metadata; always 1.",
                &["version"],
            ),
            messages_consumed: counter_vec(
                r,
                "postwatch_messages_consumed_total",
                "Messages read from the input topics.",
                &["topic"],
            ),
            posts_processed: counter_vec(
                r,
                "postwatch_posts_processed_total",
                "Valid posts that received a verdict.",
                &["topic"],
            ),
            messages_dead_lettered: counter_vec(
                r,
                "postwatch_messages_dead_lettered_total",
                "Invalid messages written to the dead-letter topic, by reason.",
                &["topic", "reason"],
            ),
            verdicts: counter_vec(
                r,
                "postwatch_verdicts_total",
                "Verdicts by severity.",
                &["severity"],
            ),
            findings: counter_vec(
                r,
                "postwatch_findings_total",
                "Findings by category.",
                &["category"],
            ),
            learned_findings: counter_vec(
                r,
                "postwatch_learned_findings_total",
                "Findings the learned model added (counted in findings_total too), by category.",
                &["category"],
            ),
            learned_vetoes: counter_vec(
                r,
                "postwatch_learned_vetoes_total",
                "Rule findings the learned model overruled and dropped, by category.",
                &["category"],
            ),
            alerts: counter_vec(
                r,
                "postwatch_alerts_total",
                "Alerts produced, counted once per category they carry, by severity.",
                &["category", "severity"],
            ),
            alerts_produced: IntCounter::new(
                "postwatch_alert_records_total",
                "Alert records acknowledged by the broker.",
            )
            .expect("valid metric"),
            processing_duration,
            produce_duration,
            produce_retries: counter_vec(
                r,
                "postwatch_produce_retries_total",
                "Produce attempts that failed and were retried.",
                &["destination"],
            ),
            in_flight_messages: gauge(
                r,
                "postwatch_in_flight_messages",
                "Messages consumed whose outcome is not yet acknowledged.",
            ),
            partitions_assigned: gauge(
                r,
                "postwatch_partitions_assigned",
                "Input partitions assigned to this instance.",
            ),
            rebalances: counter_vec(
                r,
                "postwatch_rebalances_total",
                "Consumer group rebalances, by kind.",
                &["kind"],
            ),
            consumer_lag: gauge_vec(
                r,
                "postwatch_consumer_lag_messages",
                "Messages behind the partition's high watermark, from librdkafka statistics.",
                &["topic", "partition"],
            ),
            consumer_message_age,
            offset_commits: counter_vec(
                r,
                "postwatch_offset_commits_total",
                "Offset commits, by result.",
                &["result"],
            ),
            rule_patterns: gauge(
                r,
                "postwatch_rule_patterns",
                "Distinct literal patterns in the loaded rule set.",
            ),
            loop_iterations: IntCounter::new(
                "postwatch_loop_iterations_total",
                "Iterations of the processing loop (liveness).",
            )
            .expect("valid metric"),
            pagerduty_events: counter_vec(
                r,
                "postwatch_pagerduty_events_total",
                "PagerDuty event requests by action (trigger, resolve) and result (accepted, rejected, rate_limited, server_error, unexpected_status, timeout, connection_error).",
                &["action", "result"],
            ),
            pagerduty_request_duration,
            pagerduty_retries: counter_vec(
                r,
                "postwatch_pagerduty_retries_total",
                "PagerDuty requests retried, by the reason of the failed attempt.",
                &["reason"],
            ),
            notify_suppressed: counter_vec(
                r,
                "postwatch_notify_suppressed_total",
                "Alerts not paged, by reason (duplicate within the dedup window, below_threshold).",
                &["reason"],
            ),
            notify_folded: counter_vec(
                r,
                "postwatch_notify_folded_total",
                "Alerts over a team's paging rate, folded into the team's digest.",
                &["team"],
            ),
            notify_dead_lettered: counter_vec(
                r,
                "postwatch_notify_dead_lettered_total",
                "Alerts PagerDuty rejected (or that do not parse), written to the notifier's dead-letter topic, by reason.",
                &["reason"],
            ),
            spike_episodes_open: gauge(
                r,
                "postwatch_spike_episodes_open",
                "Mention-spike episodes currently open on this instance.",
            ),
            registry,
        };
        metrics
            .registry
            .register(Box::new(metrics.alerts_produced.clone()))
            .expect("metric registered once");
        metrics
            .registry
            .register(Box::new(metrics.loop_iterations.clone()))
            .expect("metric registered once");
        metrics
            .build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        // process_cpu_seconds_total, process_resident_memory_bytes, open fds, start time.
        metrics
            .registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process collector registered once");
        metrics
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("exposition is UTF-8")
    }
}

/// The process-wide metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
