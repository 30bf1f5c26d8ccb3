//! Detection workers: OS threads that run the pure per-message path. Each worker owns
//! a fixed share of the partitions, so a partition's messages keep their order, its
//! spike windows live in one thread without locks, and detection — CPU work — never
//! holds an async worker thread.

use crate::kafka::offsets::{PartitionKey, Ticket};
use crate::kafka::sink::{Destination, OutgoingRecord, deliver};
use crate::metrics::METRICS;
use crate::pipeline::{Detector, Outcome};
use crate::post::Post;
use crate::spike::{self, SpikeDetector, SpikeSettings};
use crate::verdict::Verdict;
use rdkafka::producer::FutureProducer;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// One consumed message, handed to the worker that owns its partition.
pub struct Job {
    pub ticket: Ticket,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// What every worker shares: the detector and where outcomes go.
pub struct WorkerContext {
    pub detector: Arc<Detector>,
    pub producer: FutureProducer,
    pub alerts_topic: String,
    pub dead_letter_topic: String,
    pub mentions_topic: String,
    pub spike: Option<SpikeSettings>,
    pub produce_retry_max_backoff: Duration,
    /// Tickets of messages whose outcome is final, back to the processing loop.
    pub finished: mpsc::UnboundedSender<Ticket>,
    /// The runtime the delivery tasks run on.
    pub runtime: tokio::runtime::Handle,
}

/// The worker threads and the queues into them.
pub struct Workers {
    queues: Vec<mpsc::UnboundedSender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` worker threads.
    ///
    /// # Panics
    ///
    /// If the operating system cannot start a thread.
    pub fn start(count: usize, context: Arc<WorkerContext>) -> Workers {
        let mut queues = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        for index in 0..count.max(1) {
            let (queue, jobs) = mpsc::unbounded_channel();
            let context = context.clone();
            let thread = std::thread::Builder::new()
                .name(format!("postwatch-detect-{index}"))
                .spawn(move || run_worker(&context, jobs))
                .expect("detection worker thread starts");
            queues.push(queue);
            threads.push(thread);
        }
        Workers { queues, threads }
    }

    /// Queues a job on the worker that owns its partition. The queue is unbounded:
    /// the processing loop bounds what is in flight (`pipeline.max_in_flight`).
    pub fn dispatch(&self, job: Job) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        job.ticket.key.hash(&mut hasher);
        let owner = (hasher.finish() % self.queues.len() as u64) as usize;
        // A worker only stops when its queue is closed, which `stop` does last.
        let _ = self.queues[owner].send(job);
    }

    /// Closes the queues and waits for the workers to finish what they hold.
    pub fn stop(self) {
        drop(self.queues);
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a detection worker panicked");
            }
        }
    }
}

fn run_worker(context: &WorkerContext, mut jobs: mpsc::UnboundedReceiver<Job>) {
    // One spike detector per mentions partition, with the assignment epoch it was made
    // for: a partition assigned again starts a new detector (see `spike`).
    let mut spikes: HashMap<PartitionKey, (u64, SpikeDetector)> = HashMap::new();
    while let Some(job) = jobs.blocking_recv() {
        let records = outcome_records(context, &job, &mut spikes);
        finish_or_deliver(context, job.ticket, records);
    }
}

/// The records one message produces: its alert or dead letter, and any spike alerts.
fn outcome_records(
    context: &WorkerContext,
    job: &Job,
    spikes: &mut HashMap<PartitionKey, (u64, SpikeDetector)>,
) -> Vec<OutgoingRecord> {
    let topic = job.ticket.key.topic.as_str();
    let started = Instant::now();
    let outcome = context.detector.process(&job.payload, chrono::Utc::now());
    METRICS
        .processing_duration
        .observe(started.elapsed().as_secs_f64());
    match outcome {
        Outcome::Scanned {
            post,
            verdict,
            alert,
            vetoed,
        } => {
            count_verdict(topic, &verdict);
            for (rule, category) in vetoed {
                // Rule ids and the post id only: no text of the post.
                tracing::debug!(post = %post.id, rule, "the learned model overruled a finding");
                METRICS
                    .learned_vetoes
                    .with_label_values(&[category.as_str()])
                    .inc();
            }
            let mut records = Vec::new();
            if let Some(alert) = alert {
                for category in &alert.categories {
                    METRICS
                        .alerts
                        .with_label_values(&[category.as_str(), alert.severity.as_str()])
                        .inc();
                }
                records.push(OutgoingRecord {
                    destination: Destination::Alerts,
                    topic: context.alerts_topic.clone(),
                    key: Some(alert.dedup_key.clone().into_bytes()),
                    payload: serde_json::to_vec(&alert).expect("alert records serialise"),
                    headers: source_headers(&job.ticket),
                });
            }
            if topic == context.mentions_topic {
                records.extend(observe_spike(context, spikes, &job.ticket, &post, &verdict));
            }
            records
        }
        Outcome::Invalid(error) => {
            METRICS
                .messages_dead_lettered
                .with_label_values(&[topic, error.reason.code()])
                .inc();
            tracing::debug!(
                topic,
                offset = job.ticket.offset,
                reason = error.reason.code(),
                "invalid message"
            );
            let mut headers = source_headers(&job.ticket);
            headers.push(("postwatch.error", error.reason.to_string()));
            headers.push(("postwatch.error.code", error.reason.code().to_string()));
            if let Some(id) = &error.id {
                headers.push(("postwatch.post.id", id.clone()));
            }
            vec![OutgoingRecord {
                destination: Destination::DeadLetter,
                topic: context.dead_letter_topic.clone(),
                key: job.key.clone(),
                payload: job.payload.clone(),
                headers,
            }]
        }
    }
}

/// Where a record came from; built only for messages that produce a record, which
/// most messages do not.
fn source_headers(ticket: &Ticket) -> Vec<(&'static str, String)> {
    vec![
        ("postwatch.source.topic", ticket.key.topic.clone()),
        (
            "postwatch.source.partition",
            ticket.key.partition.to_string(),
        ),
        ("postwatch.source.offset", ticket.offset.to_string()),
    ]
}

fn count_verdict(topic: &str, verdict: &Verdict) {
    METRICS.posts_processed.with_label_values(&[topic]).inc();
    METRICS
        .verdicts
        .with_label_values(&[verdict.severity.as_str()])
        .inc();
    for finding in &verdict.findings {
        let category = [finding.category.as_str()];
        METRICS.findings.with_label_values(&category).inc();
        if finding
            .rule
            .starts_with(crate::detect::learned::RULE_PREFIX)
        {
            METRICS.learned_findings.with_label_values(&category).inc();
        }
    }
}

/// A message without records is finished now; otherwise a delivery task produces its
/// records and then finishes it.
fn finish_or_deliver(context: &WorkerContext, ticket: Ticket, records: Vec<OutgoingRecord>) {
    if records.is_empty() {
        let _ = context.finished.send(ticket);
        return;
    }
    let producer = context.producer.clone();
    let finished = context.finished.clone();
    let max_backoff = context.produce_retry_max_backoff;
    context.runtime.spawn(async move {
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
    context: &WorkerContext,
    spikes: &mut HashMap<PartitionKey, (u64, SpikeDetector)>,
    ticket: &Ticket,
    post: &Post,
    verdict: &Verdict,
) -> Vec<OutgoingRecord> {
    let Some(settings) = &context.spike else {
        return Vec::new();
    };
    let now = chrono::Utc::now();
    let skew = chrono::Duration::seconds(settings.max_future_skew_seconds);
    let event_time = post.created_at.with_timezone(&chrono::Utc).min(now + skew);
    let brand = post.brand.as_deref().unwrap_or(spike::NO_BRAND);
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
    let events = entry.1.observe(brand, &verdict.categories, event_time);
    events
        .iter()
        .map(|event| {
            match event.action {
                spike::SpikeAction::Trigger => METRICS.spike_episodes_open.inc(),
                spike::SpikeAction::Resolve => METRICS.spike_episodes_open.dec(),
            }
            let alert = spike::spike_alert(&context.detector.fingerprinter, settings, event, now);
            OutgoingRecord {
                destination: Destination::Alerts,
                topic: context.alerts_topic.clone(),
                key: Some(alert.dedup_key.clone().into_bytes()),
                payload: serde_json::to_vec(&alert).expect("alert records serialise"),
                headers: vec![("postwatch.spike.action", alert.action.as_str().to_string())],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{AccountRole, Category, Finding, Severity};

    #[test]
    fn findings_of_the_learned_model_are_counted_apart_too() {
        let finding = |rule: &str| Finding {
            rule: rule.to_string(),
            category: Category::ReputationComplaint,
            start: 0,
            end: 7,
            excerpt: "wachten".to_string(),
            weight: 80,
            checksum_validated: false,
        };
        let verdict = Verdict {
            id: "x-1".to_string(),
            severity: Severity::Warning,
            leak_score: 0,
            reputation_score: 80,
            account_role: AccountRole::Public,
            categories: vec![Category::ReputationComplaint],
            findings: vec![
                finding("learned.reputation.complaint"),
                finding("complaint.waiting"),
            ],
        };
        let count = |counter: &prometheus::IntCounterVec| {
            counter.with_label_values(&["reputation.complaint"]).get()
        };
        let (all, learned) = (count(&METRICS.findings), count(&METRICS.learned_findings));
        count_verdict("social.mentions", &verdict);
        // No other unit test counts verdicts of this process.
        assert_eq!(count(&METRICS.findings), all + 2);
        assert_eq!(count(&METRICS.learned_findings), learned + 1);
    }
}
