//! Noise control, as plain data with explicit clocks: the dedup window (repeats of a
//! dedup key are suppressed), the per-routing-key token bucket (PagerDuty takes about
//! 120 events a minute per integration) and the digest that folds the overflow into
//! one alert per team and window.

use crate::alert::{AlertAction, AlertRecord};
use crate::kafka::offsets::Ticket;
use crate::verdict::{Category, Severity};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Where the alert that opened a dedup entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Delivered to PagerDuty (or dead-lettered): a repeat is done at once.
    Delivered,
    /// Folded into the digest of `team` in its `generation`: a repeat waits for it.
    Folded { team: usize, generation: u64 },
}

/// The dedup keys seen within the window, bounded.
///
/// # Resource usage
///
/// At most `max_entries` keys (plus an insertion-order queue of the same length);
/// entries expire after the window, and at the cap the oldest entry goes first.
#[derive(Debug)]
pub struct DedupWindow {
    window: Duration,
    max_entries: usize,
    entries: HashMap<(String, AlertAction), (Instant, Seen)>,
    /// Insertion order; an item is stale when its entry was recorded again later.
    order: VecDeque<((String, AlertAction), Instant)>,
}

impl DedupWindow {
    pub fn new(window: Duration, max_entries: usize) -> DedupWindow {
        DedupWindow {
            window,
            max_entries: max_entries.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// How the same key and action was handled within the window, if it was.
    pub fn check(&mut self, dedup_key: &str, action: AlertAction, now: Instant) -> Option<Seen> {
        self.expire(now);
        self.entries
            .get(&(dedup_key.to_string(), action))
            .map(|(_, seen)| *seen)
    }

    pub fn record(&mut self, dedup_key: &str, action: AlertAction, seen: Seen, now: Instant) {
        let key = (dedup_key.to_string(), action);
        self.entries.insert(key.clone(), (now, seen));
        self.order.push_back((key, now));
        while self.entries.len() > self.max_entries {
            self.pop_oldest();
        }
        // Stale queue items are dropped as they reach the front; keep the queue from
        // growing without bound when one key is recorded again and again.
        if self.order.len() > 2 * self.max_entries {
            let entries = &self.entries;
            self.order
                .retain(|(key, at)| entries.get(key).is_some_and(|(when, _)| when == at));
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.duration_since(*at) < self.window {
                break;
            }
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        let Some((key, at)) = self.order.pop_front() else {
            return;
        };
        if self.entries.get(&key).is_some_and(|(when, _)| *when == at) {
            self.entries.remove(&key);
        }
    }
}

/// A token bucket: `burst` tokens, refilled at `per_minute`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    updated: Instant,
}

impl TokenBucket {
    pub fn new(per_minute: u32, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            capacity: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            per_second: f64::from(per_minute.max(1)) / 60.0,
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
    }

    /// Takes a token if one is there.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until a token is there.
    pub fn wait_time(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.tokens >= 1.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64((1.0 - self.tokens) / self.per_second)
    }

    /// PagerDuty said 429: spend what is left so the overflow folds meanwhile.
    pub fn drain(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = self.tokens.min(0.0);
    }
}

/// How many dedup keys a digest lists; the rest are counted.
pub const DIGEST_LISTED_KEYS: usize = 100;

/// The alerts folded for one team in the current window.
#[derive(Debug)]
pub struct Digest {
    /// Bumped each time the digest is sent, so late repeats know their fold is gone.
    pub generation: u64,
    /// When the first alert of this window was folded.
    pub opened: Option<(Instant, chrono::DateTime<chrono::Utc>)>,
    pub folded: u64,
    pub by_category: BTreeMap<Category, u64>,
    pub highest_severity: Severity,
    pub dedup_keys: Vec<String>,
    /// The folded alerts and their repeats: their offsets wait for the digest.
    pub tickets: Vec<Ticket>,
}

impl Default for Digest {
    fn default() -> Digest {
        Digest {
            generation: 0,
            opened: None,
            folded: 0,
            by_category: BTreeMap::new(),
            highest_severity: Severity::Info,
            dedup_keys: Vec::new(),
            tickets: Vec::new(),
        }
    }
}

impl Digest {
    pub fn fold(&mut self, alert: &AlertRecord, ticket: Ticket, now: Instant) {
        if self.opened.is_none() {
            self.opened = Some((now, chrono::Utc::now()));
        }
        self.folded += 1;
        for category in &alert.categories {
            *self.by_category.entry(*category).or_default() += 1;
        }
        self.highest_severity = self.highest_severity.max(alert.severity);
        if self.dedup_keys.len() < DIGEST_LISTED_KEYS {
            self.dedup_keys.push(alert.dedup_key.clone());
        }
        self.tickets.push(ticket);
    }

    /// A repeat of a folded alert: suppressed, but its offset waits for the digest.
    pub fn attach(&mut self, ticket: Ticket) {
        self.tickets.push(ticket);
    }

    pub fn is_due(&self, window: Duration, now: Instant) -> bool {
        self.opened
            .is_some_and(|(opened, _)| now.duration_since(opened) >= window)
    }

    pub fn is_open(&self) -> bool {
        self.opened.is_some()
    }

    /// Empties the digest for the next window; returns the tickets it held.
    pub fn close(&mut self) -> Vec<Ticket> {
        let tickets = std::mem::take(&mut self.tickets);
        *self = Digest {
            generation: self.generation + 1,
            ..Digest::default()
        };
        tickets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_the_window_are_seen_and_expire_after_it() {
        let start = Instant::now();
        let mut window = DedupWindow::new(Duration::from_secs(60), 100);
        assert_eq!(window.check("k1", AlertAction::Trigger, start), None);
        window.record("k1", AlertAction::Trigger, Seen::Delivered, start);
        let later = start + Duration::from_secs(30);
        assert_eq!(
            window.check("k1", AlertAction::Trigger, later),
            Some(Seen::Delivered)
        );
        assert_eq!(
            window.check("k1", AlertAction::Resolve, later),
            None,
            "a resolve is not a repeat of its trigger"
        );
        assert_eq!(
            window.check("k1", AlertAction::Trigger, start + Duration::from_secs(61)),
            None
        );
        assert!(window.is_empty());
    }

    #[test]
    fn the_dedup_map_is_capped_oldest_first() {
        let start = Instant::now();
        let mut window = DedupWindow::new(Duration::from_secs(3600), 3);
        for (index, key) in ["a", "b", "c", "d"].iter().enumerate() {
            window.record(
                key,
                AlertAction::Trigger,
                Seen::Delivered,
                start + Duration::from_secs(index as u64),
            );
        }
        assert_eq!(window.len(), 3);
        let now = start + Duration::from_secs(10);
        assert_eq!(window.check("a", AlertAction::Trigger, now), None);
        assert!(window.check("d", AlertAction::Trigger, now).is_some());
        for round in 0..100 {
            window.record(
                "d",
                AlertAction::Trigger,
                Seen::Delivered,
                now + Duration::from_millis(round),
            );
        }
        assert!(window.order.len() <= 6, "the order queue stays bounded too");
    }

    #[test]
    fn the_bucket_allows_the_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(60, 5, start);
        let taken = (0..100).filter(|_| bucket.try_take(start)).count();
        assert_eq!(taken, 5);
        assert_eq!(bucket.wait_time(start), Duration::from_secs(1));
        let later = start + Duration::from_secs(10);
        let taken = (0..100).filter(|_| bucket.try_take(later)).count();
        assert_eq!(taken, 5, "refilled at one a second, capped at the burst");
        bucket.drain(later + Duration::from_secs(3));
        assert!(!bucket.try_take(later + Duration::from_secs(3)));
    }

    #[test]
    fn a_digest_counts_what_it_folds_and_starts_over_when_closed() {
        let now = Instant::now();
        let mut digest = Digest::default();
        assert!(!digest.is_due(Duration::from_secs(1), now));
        let alert: AlertRecord = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "alert_id": "a", "dedup_key": "k", "post_id": "p",
            "post_url": null, "platform": "x", "brand": null, "account_role": "employee",
            "categories": ["leak.pii"], "severity": "critical", "leak_score": 90,
            "reputation_score": 0, "rules": [], "evidence": [],
            "post_created_at": "2026-06-01T10:00:00Z", "detected_at": "2026-06-01T10:00:01Z"
        }))
        .unwrap();
        let ticket = |offset| Ticket {
            key: crate::kafka::offsets::PartitionKey {
                topic: "t".into(),
                partition: 0,
            },
            offset,
            epoch: 1,
        };
        digest.fold(&alert, ticket(1), now);
        digest.fold(&alert, ticket(2), now);
        digest.attach(ticket(3));
        assert_eq!(digest.folded, 2);
        assert_eq!(digest.by_category[&Category::LeakPii], 2);
        assert_eq!(digest.highest_severity, Severity::Critical);
        assert!(digest.is_due(Duration::from_secs(1), now + Duration::from_secs(1)));
        assert_eq!(digest.close().len(), 3);
        assert_eq!(digest.generation, 1);
        assert!(!digest.is_open());
    }
}
