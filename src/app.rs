//! Wiring: the one place that builds every part of `postwatch run` and connects them.
//!
//! ```text
//! Kafka (posts, mentions) -> source -> decode -> normalize -> detect -> score -> alert
//!                                                        postwatch.alerts / postwatch.dlq
//! ```

use crate::admin::{self, Health};
use crate::alert::Fingerprinter;
use crate::config::{Config, LearnedModel};
use crate::detect::RuleSet;
use crate::detect::learned::TextModel;
use crate::detect::rules::load_packs;
use crate::kafka::offsets::{PartitionKey, Ticket};
use crate::kafka::sink::create_producer;
use crate::kafka::source::{Source, SourceRole, SourceState, create_source};
use crate::metrics::METRICS;
use crate::pipeline::Detector;
use crate::profile::Profile;
use crate::workers::{Job, WorkerContext, Workers};
use anyhow::Context;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

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
    for key in &profile.ignored_keys {
        tracing::warn!(profile = %config.profile.display(), key = %key, "unknown profile key ignored");
    }
    let lexicon = load_packs(&config.rule_dirs)?;
    let model = learned_model(&config.learned_model)?;
    let rules = RuleSet::build(lexicon, profile)?.with_model(model);
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

/// The learned model a configuration asks for (`detection.learned_model`).
///
/// # Errors
///
/// A model file that does not load, with the line at fault.
pub fn learned_model(
    choice: &LearnedModel,
) -> Result<Option<Arc<TextModel>>, crate::detect::learned::ModelError> {
    Ok(match choice {
        LearnedModel::Builtin => Some(TextModel::builtin()),
        LearnedModel::Off => None,
        LearnedModel::File(path) => Some(Arc::new(TextModel::load(path)?)),
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
        &config.kafka.group_id,
        &[&config.kafka.posts_topic, &config.kafka.mentions_topic],
        config.commit_interval.as_millis() as u64,
        state.clone(),
        SourceRole::Pipeline,
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
    let (finished_sender, finished) = mpsc::unbounded_channel::<Ticket>();
    let workers = Workers::start(
        config.workers,
        Arc::new(WorkerContext {
            detector,
            producer,
            alerts_topic: config.kafka.alerts_topic.clone(),
            dead_letter_topic: config.kafka.dead_letter_topic.clone(),
            mentions_topic: config.kafka.mentions_topic.clone(),
            spike: config.spike.clone(),
            produce_retry_max_backoff: config.produce_retry_max_backoff,
            finished: finished_sender,
            runtime: tokio::runtime::Handle::current(),
        }),
    );
    let pipeline = Pipeline {
        config: &config,
        source: &source,
        state: &state,
        health: health.clone(),
        workers,
    };
    pipeline.run(&mut shutdown, finished).await;
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
    source: &'a Source,
    state: &'a Arc<SourceState>,
    health: Arc<Health>,
    workers: Workers,
}

impl Pipeline<'_> {
    /// The processing loop: consume, hand each message to the worker that owns its
    /// partition, store offsets as outcomes complete; on shutdown, drain and commit.
    async fn run(
        self,
        shutdown: &mut watch::Receiver<bool>,
        mut finished: mpsc::UnboundedReceiver<Ticket>,
    ) {
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
                    Ok(message) => self.handle(&message),
                    Err(error) => {
                        tracing::warn!(error = %error, "consume error");
                    }
                },
                _ = tick.tick() => {}
            }
        }
        self.drain(&mut finished).await;
        // Workers hold nothing that is not finished or abandoned by now.
        tokio::task::block_in_place(|| self.workers.stop());
    }

    fn handle(&self, message: &rdkafka::message::BorrowedMessage<'_>) {
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
        self.workers.dispatch(Job {
            ticket,
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().unwrap_or_default().to_vec(),
        });
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
