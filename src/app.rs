//! Wiring: the one place that builds every part of `postwatch run` and connects them.
//!
//! ```text
//! Kafka (posts, mentions) -> source -> decode -> normalize -> detect -> score -> alert
//!                                                        postwatch.alerts / postwatch.dlq
//! ```

use crate::admin::{self, Health};
use crate::alert::Fingerprinter;
use crate::config::Config;
use crate::detect::RuleSet;
use crate::detect::rules::load_packs;
use crate::kafka::offsets::{PartitionKey, Ticket};
use crate::kafka::sink::{Destination, OutgoingRecord, create_producer, deliver};
use crate::kafka::source::{Source, SourceState, create_source};
use crate::metrics::METRICS;
use crate::pipeline::{Detector, Outcome};
use crate::post::Post;
use crate::profile::Profile;
use crate::spike::{self, SpikeDetector};
use anyhow::Context;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::producer::FutureProducer;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Posts above this size are processed with `block_in_place` (needs the multi-thread
/// runtime, which `postwatch run` uses).
const LARGE_PAYLOAD_BYTES: usize = 16 * 1024;

/// The fingerprint key used when none is configured: fine for a trial, but then
/// dedup keys are guessable for short identifiers, so start-up warns.
const DEFAULT_FINGERPRINT_KEY: &[u8] = b"postwatch-default-fingerprint-key";

/// Builds the detector from the configuration: profile, rule packs, fingerprint key.
///
/// # Errors
///
/// A profile or rule pack that does not load, with every problem listed.
pub fn build_detector(config: &Config) -> anyhow::Result<Detector> {
    let profile = Profile::load(&config.profile)?;
    let lexicon = load_packs(&config.rule_dirs)?;
    let rules = RuleSet::build(lexicon, profile)?;
    let key = match &config.fingerprint_key {
        Some(key) => key.expose().as_bytes().to_vec(),
        None => {
            tracing::warn!(
                variable = %config.fingerprint_key_env,
                "no fingerprint key set; dedup keys use the built-in default key"
            );
            DEFAULT_FINGERPRINT_KEY.to_vec()
        }
    };
    Ok(Detector {
        rules,
        fingerprinter: Fingerprinter::new(&key),
        alert_min_severity: config.alert_min_severity,
    })
}

/// Runs the service until `shutdown` turns true: admin server, source, pipeline.
///
/// # Errors
///
/// Only start-up failures: configuration, rules, Kafka clients, the admin listener.
pub async fn run(config: Config, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let detector = Arc::new(build_detector(&config)?);
    METRICS
        .rule_patterns
        .set(detector.rules.pattern_count() as i64);
    let state = Arc::new(SourceState::default());
    let health = Arc::new(Health::new(
        state.assigned_partitions.clone(),
        config.liveness_stall,
    ));
    health.set_rules_loaded(true);

    start_admin(config.admin_listen, health.clone(), shutdown.clone()).await?;

    let producer = create_producer(&config.kafka).context("cannot create the Kafka producer")?;
    let source = create_source(
        &config.kafka,
        config.commit_interval.as_millis() as u64,
        state.clone(),
    )
    .context("cannot create the Kafka consumer")?;
    tracing::info!(
        group = %config.kafka.group_id,
        posts = %config.kafka.posts_topic,
        mentions = %config.kafka.mentions_topic,
        "consuming"
    );
    // The notifier is its own consumer group in its own task: a PagerDuty outage
    // delays paging, never detection.
    let notifier = match &config.notify {
        Some(_) => Some(crate::notify::start(
            &config,
            shutdown.clone(),
            Arc::new(std::sync::atomic::AtomicI64::new(0)),
            None,
        )?),
        None => None,
    };
    let pipeline = Pipeline {
        config: &config,
        detector,
        producer,
        source: &source,
        state: &state,
        health: health.clone(),
        spikes: std::sync::Mutex::new(HashMap::new()),
    };
    pipeline.run(&mut shutdown).await;
    if let Some(notifier) = notifier {
        if let Err(error) = notifier.await {
            tracing::error!(error = %error, "notifier task failed");
        }
    }
    Ok(())
}

/// Binds the admin server (`/metrics`, `/healthz`, `/readyz`) and serves it until
/// `shutdown`.
///
/// # Errors
///
/// The address cannot be bound.
pub async fn start_admin(
    listen: std::net::SocketAddr,
    health: Arc<Health>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} for the admin server"))?;
    tracing::info!(address = %listener.local_addr()?, "admin server listening");
    tokio::spawn(async move {
        let serve =
            axum::serve(listener, admin::router(health)).with_graceful_shutdown(wait_for(shutdown));
        if let Err(error) = serve.await {
            tracing::error!(error = %error, "admin server stopped");
        }
    });
    Ok(())
}

async fn wait_for(mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

struct Pipeline<'a> {
    config: &'a Config,
    detector: Arc<Detector>,
    producer: FutureProducer,
    source: &'a Source,
    state: &'a Arc<SourceState>,
    health: Arc<Health>,
    /// One spike detector per mentions partition, with the assignment epoch it was
    /// made for: a partition assigned again starts a new detector (see `spike`).
    spikes: std::sync::Mutex<HashMap<PartitionKey, (u64, SpikeDetector)>>,
}

impl Pipeline<'_> {
    /// The processing loop: consume, process, hand outcomes to delivery tasks, store
    /// offsets as outcomes complete; on shutdown, drain and commit.
    async fn run(&self, shutdown: &mut watch::Receiver<bool>) {
        let (finished_sender, mut finished) = mpsc::unbounded_channel::<Ticket>();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            self.health.progress();
            METRICS.loop_iterations.inc();
            let has_room = self.state.tracker().in_flight() < self.config.max_in_flight;
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        break;
                    }
                }
                Some(ticket) = finished.recv() => self.finish(&ticket),
                message = self.source.recv(), if has_room => match message {
                    Ok(message) => self.handle(&message, &finished_sender),
                    Err(error) => {
                        tracing::warn!(error = %error, "consume error");
                    }
                },
                _ = tick.tick() => {}
            }
        }
        self.drain(&mut finished).await;
    }

    fn handle(
        &self,
        message: &rdkafka::message::BorrowedMessage<'_>,
        finished: &mpsc::UnboundedSender<Ticket>,
    ) {
        let topic = message.topic();
        METRICS.messages_consumed.with_label_values(&[topic]).inc();
        if let Some(millis) = message.timestamp().to_millis() {
            let age = (chrono::Utc::now().timestamp_millis() - millis).max(0) as f64 / 1000.0;
            METRICS
                .consumer_message_age
                .with_label_values(&[topic])
                .set(age);
        }
        let key = PartitionKey {
            topic: topic.to_string(),
            partition: message.partition(),
        };
        let ticket = {
            let mut tracker = self.state.tracker();
            let ticket = tracker.begin(key, message.offset());
            METRICS.in_flight_messages.set(tracker.in_flight() as i64);
            ticket
        };
        let payload = message.payload().unwrap_or_default();
        let started = Instant::now();
        // A typical post takes microseconds; a 64 KiB one can take milliseconds, more
        // than an async task should hold a worker, so big posts run as blocking work.
        let outcome = if payload.len() > LARGE_PAYLOAD_BYTES {
            tokio::task::block_in_place(|| self.detector.process(payload, chrono::Utc::now()))
        } else {
            self.detector.process(payload, chrono::Utc::now())
        };
        METRICS
            .processing_duration
            .observe(started.elapsed().as_secs_f64());
        let source_headers = vec![
            ("postwatch.source.topic", topic.to_string()),
            (
                "postwatch.source.partition",
                message.partition().to_string(),
            ),
            ("postwatch.source.offset", message.offset().to_string()),
        ];
        let mut spike_records = Vec::new();
        let record = match outcome {
            Outcome::Scanned {
                post,
                verdict,
                alert,
            } => {
                if topic == self.config.kafka.mentions_topic {
                    spike_records = self.observe_spike(&ticket, &post, &verdict);
                }
                METRICS.posts_processed.with_label_values(&[topic]).inc();
                METRICS
                    .verdicts
                    .with_label_values(&[verdict.severity.as_str()])
                    .inc();
                for finding in &verdict.findings {
                    METRICS
                        .findings
                        .with_label_values(&[finding.category.as_str()])
                        .inc();
                }
                alert.map(|alert| {
                    for category in &alert.categories {
                        METRICS
                            .alerts
                            .with_label_values(&[category.as_str(), alert.severity.as_str()])
                            .inc();
                    }
                    OutgoingRecord {
                        destination: Destination::Alerts,
                        topic: self.config.kafka.alerts_topic.clone(),
                        key: Some(alert.dedup_key.clone().into_bytes()),
                        payload: serde_json::to_vec(&alert).expect("alert records serialise"),
                        headers: source_headers,
                    }
                })
            }
            Outcome::Invalid(error) => {
                METRICS
                    .messages_dead_lettered
                    .with_label_values(&[topic, error.reason.code()])
                    .inc();
                tracing::debug!(
                    topic,
                    offset = message.offset(),
                    reason = error.reason.code(),
                    "invalid message"
                );
                let mut headers = source_headers;
                headers.push(("postwatch.error", error.reason.to_string()));
                headers.push(("postwatch.error.code", error.reason.code().to_string()));
                if let Some(id) = &error.id {
                    headers.push(("postwatch.post.id", id.clone()));
                }
                Some(OutgoingRecord {
                    destination: Destination::DeadLetter,
                    topic: self.config.kafka.dead_letter_topic.clone(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: payload.to_vec(),
                    headers,
                })
            }
        };
        let records: Vec<OutgoingRecord> = record.into_iter().chain(spike_records).collect();
        if records.is_empty() {
            self.finish(&ticket);
            return;
        }
        let producer = self.producer.clone();
        let finished = finished.clone();
        let max_backoff = self.config.produce_retry_max_backoff;
        tokio::spawn(async move {
            for record in &records {
                deliver(&producer, record, max_backoff).await;
                if record.destination == Destination::Alerts {
                    METRICS.alerts_produced.inc();
                }
            }
            // The loop may already have stopped waiting; then the offset stays
            // uncommitted and the message is processed again.
            let _ = finished.send(ticket);
        });
    }

    /// Feeds one mention to its partition's spike detector; returns the spike alert
    /// records it causes.
    fn observe_spike(
        &self,
        ticket: &Ticket,
        post: &Post,
        verdict: &crate::verdict::Verdict,
    ) -> Vec<OutgoingRecord> {
        let Some(settings) = &self.config.spike else {
            return Vec::new();
        };
        let now = chrono::Utc::now();
        let skew = chrono::Duration::seconds(settings.max_future_skew_seconds);
        let event_time = post.created_at.with_timezone(&chrono::Utc).min(now + skew);
        let brand = post.brand.as_deref().unwrap_or(spike::NO_BRAND);
        let events = {
            let mut spikes = self.spikes.lock().unwrap_or_else(|p| p.into_inner());
            let entry = spikes
                .entry(ticket.key.clone())
                .or_insert_with(|| (ticket.epoch, SpikeDetector::new(settings.clone())));
            if entry.0 != ticket.epoch {
                // Assigned again: what the old detector held may be stale.
                METRICS
                    .spike_episodes_open
                    .sub(entry.1.open_episodes() as i64);
                *entry = (ticket.epoch, SpikeDetector::new(settings.clone()));
            }
            entry.1.observe(brand, &verdict.categories, event_time)
        };
        events
            .iter()
            .map(|event| {
                match event.action {
                    spike::SpikeAction::Trigger => METRICS.spike_episodes_open.inc(),
                    spike::SpikeAction::Resolve => METRICS.spike_episodes_open.dec(),
                }
                let alert = spike::spike_alert(&self.detector.fingerprinter, settings, event, now);
                OutgoingRecord {
                    destination: Destination::Alerts,
                    topic: self.config.kafka.alerts_topic.clone(),
                    key: Some(alert.dedup_key.clone().into_bytes()),
                    payload: serde_json::to_vec(&alert).expect("alert records serialise"),
                    headers: vec![("postwatch.spike.action", alert.action.as_str().to_string())],
                }
            })
            .collect()
    }

    fn finish(&self, ticket: &Ticket) {
        let mut tracker = self.state.tracker();
        if let Some(next_offset) = tracker.finish(ticket) {
            // `store_offsets` takes the next offset to consume, as committed offsets are.
            let mut list = rdkafka::TopicPartitionList::new();
            let stored = list
                .add_partition_offset(
                    &ticket.key.topic,
                    ticket.key.partition,
                    rdkafka::Offset::Offset(next_offset),
                )
                .and_then(|()| self.source.store_offsets(&list));
            if let Err(error) = stored {
                // The partition was revoked meanwhile: its new owner repeats the work.
                tracing::debug!(error = %error, "offset not stored");
            }
        }
        METRICS.in_flight_messages.set(tracker.in_flight() as i64);
    }

    /// Shutdown: no more fetching; wait for in-flight outcomes up to the deadline,
    /// then commit synchronously. The consumer leaves the group when it is dropped.
    async fn drain(&self, finished: &mut mpsc::UnboundedReceiver<Ticket>) {
        let in_flight = self.state.tracker().in_flight();
        tracing::info!(in_flight, deadline = ?self.config.shutdown_deadline, "shutting down: draining");
        let deadline = tokio::time::Instant::now() + self.config.shutdown_deadline;
        while self.state.tracker().in_flight() > 0 {
            match tokio::time::timeout_at(deadline, finished.recv()).await {
                Ok(Some(ticket)) => self.finish(&ticket),
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        in_flight = self.state.tracker().in_flight(),
                        "shutdown deadline reached; unfinished messages will be processed again"
                    );
                    break;
                }
            }
        }
        match self.source.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => tracing::info!("offsets committed"),
            Err(rdkafka::error::KafkaError::ConsumerCommit(
                rdkafka::types::RDKafkaErrorCode::NoOffset,
            )) => {
                tracing::info!("no new offsets to commit")
            }
            Err(error) => tracing::error!(error = %error, "final offset commit failed"),
        }
        self.source.unsubscribe();
    }
}
