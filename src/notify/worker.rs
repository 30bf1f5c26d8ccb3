//! The delivery worker: one alert at a time, in consumption order — threshold,
//! routing, dedup window, rate limit or fold, then PagerDuty until it gives a final
//! answer. A finished alert's ticket goes back to the consumer loop, which stores the
//! offset; an alert folded into a digest finishes when the digest is accepted.

use super::config::NotifyConfig;
use super::pagerduty::{Answer, Failure, PagerDutyClient, alert_event, digest_event};
use super::suppress::{DedupWindow, Digest, Seen, TokenBucket};
use crate::alert::{AlertAction, AlertRecord};
use crate::kafka::offsets::Ticket;
use crate::kafka::sink::{Destination, OutgoingRecord, deliver};
use crate::metrics::METRICS;
use rand::Rng;
use rdkafka::producer::FutureProducer;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// One consumed alert record.
#[derive(Debug)]
pub struct Job {
    pub ticket: Ticket,
    pub payload: Vec<u8>,
}

/// Shutdown came before a final answer: the alert stays unfinished and is consumed
/// again after the restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

pub struct Worker {
    pub config: Arc<NotifyConfig>,
    pub client: PagerDutyClient,
    pub producer: FutureProducer,
    pub produce_max_backoff: Duration,
    pub finished: mpsc::UnboundedSender<Ticket>,
    pub shutdown: watch::Receiver<bool>,
    dedup: DedupWindow,
    buckets: Vec<TokenBucket>,
    digests: Vec<Digest>,
}

/// Resolves when `shutdown` is (or turns) true.
pub async fn stopping(mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            // The sender is gone: nobody can ask for a stop any more.
            std::future::pending::<()>().await;
        }
    }
}

impl Worker {
    pub fn new(
        config: Arc<NotifyConfig>,
        client: PagerDutyClient,
        producer: FutureProducer,
        produce_max_backoff: Duration,
        finished: mpsc::UnboundedSender<Ticket>,
        shutdown: watch::Receiver<bool>,
    ) -> Worker {
        let now = Instant::now();
        let teams = config.teams.len();
        Worker {
            dedup: DedupWindow::new(config.dedup_window, config.dedup_max_entries),
            buckets: (0..teams)
                .map(|_| TokenBucket::new(config.rate_per_minute, config.rate_burst, now))
                .collect(),
            digests: (0..teams).map(|_| Digest::default()).collect(),
            config,
            client,
            producer,
            produce_max_backoff,
            finished,
            shutdown,
        }
    }

    /// Handles jobs until shutdown or until the consumer loop hangs up.
    pub async fn run(mut self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                biased;
                () = stopping(self.shutdown.clone()) => Err(Interrupted),
                _ = tick.tick() => self.flush_due_digests().await,
                job = jobs.recv() => match job {
                    Some(job) => self.handle(job).await,
                    None => Err(Interrupted),
                },
            };
            if step.is_err() {
                break;
            }
        }
        self.flush_on_shutdown().await;
    }

    fn finish(&self, ticket: Ticket) {
        // The loop may be gone at shutdown: then the offset stays uncommitted.
        let _ = self.finished.send(ticket);
    }

    fn team_name(&self, team: usize) -> &str {
        &self.config.teams[team].name
    }

    async fn handle(&mut self, job: Job) -> Result<(), Interrupted> {
        let alert: AlertRecord = match serde_json::from_slice(&job.payload) {
            Ok(alert) => alert,
            Err(error) => {
                tracing::warn!(
                    offset = job.ticket.offset,
                    partition = job.ticket.key.partition,
                    "alert record does not parse; dead-lettered"
                );
                let reason = format!("alert record does not parse: {error}");
                self.dead_letter(&job, "invalid_record", None, &reason, None)
                    .await?;
                self.finish(job.ticket);
                return Ok(());
            }
        };
        if !self.config.thresholds.pages(&alert) {
            METRICS
                .notify_suppressed
                .with_label_values(&["below_threshold"])
                .inc();
            self.finish(job.ticket);
            return Ok(());
        }
        let team = self.config.routing.team_for(&alert);
        let now = Instant::now();
        match self.dedup.check(&alert.dedup_key, alert.action, now) {
            None => {}
            Some(seen) => {
                METRICS
                    .notify_suppressed
                    .with_label_values(&["duplicate"])
                    .inc();
                match seen {
                    Seen::Folded { team, generation }
                        if self.digests[team].generation == generation =>
                    {
                        self.digests[team].attach(job.ticket);
                    }
                    _ => self.finish(job.ticket),
                }
                return Ok(());
            }
        }
        if alert.action == AlertAction::Resolve {
            // Never folded: a folded resolve would leave its alert open.
            self.take_token(team).await?;
        } else if !self.buckets[team].try_take(now) {
            METRICS
                .notify_folded
                .with_label_values(&[self.team_name(team)])
                .inc();
            let generation = self.digests[team].generation;
            self.digests[team].fold(&alert, job.ticket, now);
            self.dedup.record(
                &alert.dedup_key,
                alert.action,
                Seen::Folded { team, generation },
                now,
            );
            return Ok(());
        }
        let body = alert_event(
            &alert,
            &self.config.teams[team].routing_key,
            &self.config.source,
        );
        match self.send(body, alert.action.as_str(), team).await? {
            Answer::Accepted => {}
            Answer::Rejected { status, body } => {
                tracing::error!(
                    team = self.team_name(team),
                    dedup_key = %alert.dedup_key,
                    status,
                    "pagerduty rejected an event; the alert goes to the dead-letter topic"
                );
                self.dead_letter(&job, "rejected", Some(status), &body, Some(team))
                    .await?;
            }
        }
        self.dedup.record(
            &alert.dedup_key,
            alert.action,
            Seen::Delivered,
            Instant::now(),
        );
        self.finish(job.ticket);
        Ok(())
    }

    /// Waits for a token of `team`'s bucket and takes it.
    async fn take_token(&mut self, team: usize) -> Result<(), Interrupted> {
        loop {
            let wait = self.buckets[team].wait_time(Instant::now());
            if wait.is_zero() && self.buckets[team].try_take(Instant::now()) {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stopping(self.shutdown.clone()) => return Err(Interrupted),
            }
        }
    }

    /// Posts `body` until PagerDuty gives a final answer, backing off (capped
    /// exponential with jitter) after each 429, 5xx, timeout or connection error.
    async fn send(
        &mut self,
        body: Vec<u8>,
        action: &'static str,
        team: usize,
    ) -> Result<Answer, Interrupted> {
        let mut backoff = self.config.retry_initial_backoff;
        let mut failures: u32 = 0;
        loop {
            let attempt = tokio::select! {
                result = self.client.post(body.clone(), action) => result,
                () = stopping(self.shutdown.clone()) => return Err(Interrupted),
            };
            let failure = match attempt {
                Ok(answer) => {
                    if failures > 0 {
                        tracing::info!(
                            team = self.team_name(team),
                            failures,
                            "pagerduty delivery recovered"
                        );
                    }
                    return Ok(answer);
                }
                Err(failure) => failure,
            };
            failures += 1;
            METRICS
                .pagerduty_retries
                .with_label_values(&[failure.code()])
                .inc();
            if failure == Failure::RateLimited {
                self.buckets[team].drain(Instant::now());
            }
            if failures == 1 || failures.is_power_of_two() {
                let status = match failure {
                    Failure::ServerError(status) | Failure::UnexpectedStatus(status) => status,
                    Failure::RateLimited => 429,
                    Failure::Timeout | Failure::Connection => 0,
                };
                if matches!(failure, Failure::UnexpectedStatus(_)) {
                    tracing::error!(
                        team = self.team_name(team),
                        failures,
                        status,
                        "pagerduty answered with an unexpected status (check notify.base_url); retrying"
                    );
                } else {
                    tracing::warn!(
                        team = self.team_name(team),
                        failures,
                        reason = failure.code(),
                        status,
                        "pagerduty delivery failed; retrying, paging is delayed"
                    );
                }
            }
            let jitter = rand::rng().random_range(0.5..1.0);
            tokio::select! {
                () = tokio::time::sleep(backoff.mul_f64(jitter)) => {}
                () = stopping(self.shutdown.clone()) => return Err(Interrupted),
            }
            backoff = (backoff * 2).min(self.config.retry_max_backoff);
        }
    }

    /// Sends every digest whose window is over.
    async fn flush_due_digests(&mut self) -> Result<(), Interrupted> {
        for team in 0..self.digests.len() {
            if !self.digests[team].is_due(self.config.fold_window, Instant::now()) {
                continue;
            }
            self.take_token(team).await?;
            let body = self.digest_body(team);
            if let Answer::Rejected {
                status,
                body: response,
            } = self.send(body.clone(), "trigger", team).await?
            {
                tracing::error!(
                    team = self.team_name(team),
                    status,
                    "pagerduty rejected a digest; it goes to the dead-letter topic"
                );
                self.dead_letter_digest(team, &body, status, &response)
                    .await?;
            }
            self.close_digest(team);
        }
        Ok(())
    }

    fn digest_body(&self, team: usize) -> Vec<u8> {
        let config = &self.config;
        digest_event(
            &self.digests[team],
            &config.teams[team].name,
            &config.teams[team].routing_key,
            &config.source,
            config.fold_window,
        )
    }

    fn close_digest(&mut self, team: usize) {
        let folded = self.digests[team].folded;
        tracing::info!(team = self.team_name(team), folded, "digest sent");
        for ticket in self.digests[team].close() {
            self.finish(ticket);
        }
    }

    /// At shutdown, one attempt per open digest, so that folded alerts need not be
    /// consumed again; a digest that does not make it is rebuilt after the restart.
    async fn flush_on_shutdown(&mut self) {
        let deadline = Instant::now() + self.config.request_timeout;
        for team in 0..self.digests.len() {
            if !self.digests[team].is_open() || Instant::now() >= deadline {
                continue;
            }
            let body = self.digest_body(team);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let answer = tokio::time::timeout(remaining, self.client.post(body, "trigger")).await;
            if let Ok(Ok(Answer::Accepted)) = answer {
                self.close_digest(team);
            }
        }
    }

    async fn produce(&self, record: OutgoingRecord) -> Result<(), Interrupted> {
        tokio::select! {
            () = deliver(&self.producer, &record, self.produce_max_backoff) => Ok(()),
            () = stopping(self.shutdown.clone()) => Err(Interrupted),
        }
    }

    /// The alert as consumed, with why it could not be paged, to the notifier's
    /// dead-letter topic.
    async fn dead_letter(
        &self,
        job: &Job,
        reason: &'static str,
        status: Option<u16>,
        response: &str,
        team: Option<usize>,
    ) -> Result<(), Interrupted> {
        let mut headers = vec![
            ("postwatch.source.topic", job.ticket.key.topic.clone()),
            (
                "postwatch.source.partition",
                job.ticket.key.partition.to_string(),
            ),
            ("postwatch.source.offset", job.ticket.offset.to_string()),
            ("postwatch.notify.reason", reason.to_string()),
            ("postwatch.notify.response", response.to_string()),
        ];
        if let Some(status) = status {
            headers.push(("postwatch.notify.status", status.to_string()));
        }
        if let Some(team) = team {
            headers.push(("postwatch.notify.team", self.team_name(team).to_string()));
        }
        self.produce(OutgoingRecord {
            destination: Destination::DeadLetter,
            topic: self.config.dead_letter_topic.clone(),
            key: None,
            payload: job.payload.clone(),
            headers,
        })
        .await?;
        METRICS
            .notify_dead_lettered
            .with_label_values(&[reason])
            .inc();
        Ok(())
    }

    /// A rejected digest, without its routing key, to the dead-letter topic.
    async fn dead_letter_digest(
        &self,
        team: usize,
        body: &[u8],
        status: u16,
        response: &str,
    ) -> Result<(), Interrupted> {
        let mut event: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        if let Some(object) = event.as_object_mut() {
            object.remove("routing_key");
        }
        self.produce(OutgoingRecord {
            destination: Destination::DeadLetter,
            topic: self.config.dead_letter_topic.clone(),
            key: None,
            payload: serde_json::to_vec(&event).unwrap_or_default(),
            headers: vec![
                ("postwatch.notify.reason", "rejected_digest".to_string()),
                ("postwatch.notify.status", status.to_string()),
                ("postwatch.notify.response", response.to_string()),
                ("postwatch.notify.team", self.team_name(team).to_string()),
            ],
        })
        .await?;
        METRICS
            .notify_dead_lettered
            .with_label_values(&["rejected_digest"])
            .inc();
        Ok(())
    }
}
