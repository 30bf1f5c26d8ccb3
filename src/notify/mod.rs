//! The notifier: `postwatch.alerts` → threshold, routing, dedup window, rate limit and
//! digest → PagerDuty Events API v2.
//!
//! ```text
//! postwatch.alerts -> consumer loop (own group) -> worker -> PagerDuty /v2/enqueue
//!                          ^ store offset <- ticket --'   \-> postwatch.notify.dlq (400)
//! ```
//!
//! Delivery never stalls detection: the notifier is its own consumer group (default
//! `postwatch-notifier`) in its own task — inside `postwatch run`, or alone with
//! `postwatch notify`. An alert's offset is stored only once PagerDuty answered 202,
//! or 400 (then the alert and the answer go to the dead-letter topic); 429, 5xx,
//! timeouts and connection errors are retried with capped exponential backoff and
//! jitter, as long as it takes. Meanwhile the consumer loop keeps polling (pausing its
//! partitions at `max_in_flight`), so the group never times it out. A restart during
//! an outage consumes again from the last stored offset: nothing is lost, and a
//! repeat reaches PagerDuty under the same dedup key.

pub mod config;
pub mod pagerduty;
pub mod routing;
pub mod suppress;
pub mod worker;

use crate::admin::Health;
use crate::config::Config;
use crate::kafka::offsets::PartitionKey;
use crate::kafka::sink::create_producer;
use crate::kafka::source::SourceState;
use anyhow::Context;
use config::NotifyConfig;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, TopicPartitionList};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use worker::{Job, Worker, stopping};

type NotifierConsumer = crate::kafka::source::Source;

/// Builds the notifier's clients and starts its task; it stops when `shutdown` turns
/// true, after committing what PagerDuty accepted. `assigned_partitions` counts its
/// partitions; `health`, when given, hears of every turn of its loop (liveness).
///
/// # Errors
///
/// Only start-up failures: no `[notify]` section, Kafka clients, the HTTP client.
pub fn start(
    config: &Config,
    shutdown: watch::Receiver<bool>,
    assigned_partitions: Arc<AtomicI64>,
    health: Option<Arc<Health>>,
) -> anyhow::Result<JoinHandle<()>> {
    let notify = Arc::new(
        config
            .notify
            .clone()
            .context("the configuration has no [notify] section")?,
    );
    let state = Arc::new(SourceState {
        tracker: Default::default(),
        assigned_partitions,
    });
    let consumer = create_consumer(config, &notify, state.clone())
        .context("cannot create the notifier's Kafka consumer")?;
    let producer =
        create_producer(&config.kafka).context("cannot create the notifier's Kafka producer")?;
    let client = pagerduty::PagerDutyClient::new(&notify.base_url, notify.request_timeout)
        .context("cannot create the PagerDuty HTTP client")?;
    let teams: Vec<&str> = notify.teams.iter().map(|team| team.name.as_str()).collect();
    tracing::info!(
        group = %notify.group_id,
        topic = %config.kafka.alerts_topic,
        base_url = %notify.base_url,
        teams = ?teams,
        "notifier consuming"
    );
    let (finished_sender, finished) = mpsc::unbounded_channel();
    let (jobs, job_receiver) = mpsc::unbounded_channel();
    let worker = Worker::new(
        notify.clone(),
        client,
        producer,
        config.produce_retry_max_backoff,
        finished_sender,
        shutdown.clone(),
    );
    let worker = tokio::spawn(worker.run(job_receiver));
    let consumer_loop = ConsumerLoop {
        consumer,
        state,
        max_in_flight: notify.max_in_flight,
        shutdown_deadline: config.shutdown_deadline,
        paused: false,
        health,
    };
    Ok(tokio::spawn(
        consumer_loop.run(shutdown, jobs, finished, worker),
    ))
}

fn create_consumer(
    config: &Config,
    notify: &NotifyConfig,
    state: Arc<SourceState>,
) -> Result<NotifierConsumer, KafkaError> {
    crate::kafka::source::create_source(
        &config.kafka,
        &notify.group_id,
        &[&config.kafka.alerts_topic],
        config.commit_interval.as_millis() as u64,
        state,
        crate::kafka::source::SourceRole::Notifier,
    )
}

struct ConsumerLoop {
    consumer: NotifierConsumer,
    state: Arc<SourceState>,
    max_in_flight: usize,
    shutdown_deadline: Duration,
    paused: bool,
    health: Option<Arc<Health>>,
}

impl ConsumerLoop {
    async fn run(
        mut self,
        shutdown: watch::Receiver<bool>,
        jobs: mpsc::UnboundedSender<Job>,
        mut finished: mpsc::UnboundedReceiver<crate::kafka::offsets::Ticket>,
        worker: JoinHandle<()>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            if let Some(health) = &self.health {
                health.progress();
            }
            tokio::select! {
                biased;
                () = stopping(shutdown.clone()) => break,
                _ = tick.tick() => {}
                Some(ticket) = finished.recv() => self.finish(&ticket),
                message = self.consumer.recv() => {
                    let full = match message {
                        Ok(message) => self.dispatch(&message, &jobs),
                        Err(error) => {
                            tracing::warn!(error = %error, "notifier consume error");
                            false
                        }
                    };
                    if full {
                        // Stop fetching but keep polling: the group must not think
                        // this member died.
                        self.set_paused(true);
                    }
                }
            }
        }
        drop(jobs);
        let in_flight = self.state.tracker().in_flight();
        tracing::info!(in_flight, "notifier shutting down");
        if tokio::time::timeout(self.shutdown_deadline, worker)
            .await
            .is_err()
        {
            tracing::warn!("notifier worker did not stop before the deadline");
        }
        while let Ok(ticket) = finished.try_recv() {
            self.finish(&ticket);
        }
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) => tracing::info!("notifier offsets committed"),
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(error) => tracing::error!(error = %error, "notifier final offset commit failed"),
        }
        self.consumer.unsubscribe();
    }

    /// Hands one message to the worker; true when `max_in_flight` is reached.
    fn dispatch(
        &self,
        message: &rdkafka::message::BorrowedMessage<'_>,
        jobs: &mpsc::UnboundedSender<Job>,
    ) -> bool {
        let key = PartitionKey {
            topic: message.topic().to_string(),
            partition: message.partition(),
        };
        let (ticket, in_flight) = {
            let mut tracker = self.state.tracker();
            let ticket = tracker.begin(key, message.offset());
            (ticket, tracker.in_flight())
        };
        let job = Job {
            ticket,
            payload: message.payload().unwrap_or_default().to_vec(),
        };
        jobs.send(job).is_ok() && in_flight >= self.max_in_flight
    }

    fn finish(&mut self, ticket: &crate::kafka::offsets::Ticket) {
        let (next_offset, in_flight) = {
            let mut tracker = self.state.tracker();
            (tracker.finish(ticket), tracker.in_flight())
        };
        if let Some(next_offset) = next_offset {
            let mut list = TopicPartitionList::new();
            let stored = list
                .add_partition_offset(
                    &ticket.key.topic,
                    ticket.key.partition,
                    rdkafka::Offset::Offset(next_offset),
                )
                .and_then(|()| self.consumer.store_offsets(&list));
            if let Err(error) = stored {
                tracing::debug!(error = %error, "notifier offset not stored");
            }
        }
        if self.paused && in_flight <= self.max_in_flight / 2 {
            self.set_paused(false);
        }
    }

    fn set_paused(&mut self, paused: bool) {
        let assignment = match self.consumer.assignment() {
            Ok(assignment) => assignment,
            Err(error) => {
                tracing::warn!(error = %error, "notifier assignment unknown");
                return;
            }
        };
        let result = if paused {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        match result {
            Ok(()) => {
                self.paused = paused;
                tracing::debug!(paused, "notifier fetching paused or resumed");
            }
            Err(error) => tracing::warn!(error = %error, "notifier pause/resume failed"),
        }
    }
}

/// `postwatch notify`: the notifier alone, with the admin server, until `shutdown`.
///
/// # Errors
///
/// Only start-up failures.
pub async fn serve(config: Config, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let assigned_partitions = Arc::new(AtomicI64::new(0));
    let health = Arc::new(Health::new(
        assigned_partitions.clone(),
        config.liveness_stall,
    ));
    // Nothing to load but the configuration, which is loaded.
    health.set_rules_loaded(true);
    crate::app::start_admin(config.admin_listen, health.clone(), shutdown.clone()).await?;
    let task = start(&config, shutdown, assigned_partitions, Some(health))?;
    if let Err(error) = task.await {
        tracing::error!(error = %error, "notifier task failed");
    }
    Ok(())
}
