//! Mention spikes (`reputation.spike`): per brand, and per reputation category, the
//! volume of mentions in a recent window compared with a baseline, on event time.
//!
//! The detector is a pure state machine: [`SpikeDetector::observe`] takes one mention
//! (brand, the reputation categories of its verdict, its `created_at`) and returns the
//! spike events it causes — a trigger when an episode starts, a resolve when the
//! volume is back to normal. `app` feeds it every mention and turns its events into
//! alert records on `postwatch.alerts`, where the notifier pages and resolves them.
//!
//! # The rule
//!
//! Counts live in buckets of `bucket_seconds` of event time. At the partition's event
//! time watermark `W` (the latest `created_at` seen), per series (brand × scope):
//!
//! - `recent` = mentions in the last `recent_window` (ending at `W`);
//! - `baseline` = mentions in the `baseline_window` before that;
//! - `expected` = max(`baseline`, `min_baseline_count`) scaled to the recent window.
//!
//! An episode starts when `recent ≥ min_recent_count` and `recent ≥ trigger_ratio ×
//! expected`; `expected` is then frozen (the storm must not raise its own bar), and the
//! episode ends when `recent ≤ resolve_ratio × expected`. One trigger and one resolve
//! per episode, under one dedup key derived from brand, scope and episode start.
//!
//! # Keying and rebalances
//!
//! The mentions topic must be keyed by brand, so that one partition — and so one
//! replica — sees every mention of a brand. State is per partition: `app` keeps one
//! detector per assigned mentions partition and starts a new, empty one whenever the
//! partition is assigned again. A new detector *warms up*: a series may trigger only
//! once the detector has watched a whole baseline plus recent span of event time, so
//! a replica that just took a busy brand over does not mistake normal volume for a
//! spike. An episode open on the previous owner is not resolved by the new owner (it
//! never saw it); see `docs/spikes.md`.
//!
//! # Resource usage
//!
//! A series holds one `u32` per bucket of the baseline plus recent span (156 buckets,
//! 624 bytes, with the defaults); a brand holds at most one series for all mentions and
//! one per reputation category. At most `max_brands` brands are kept per detector: a
//! brand idle for a whole span is dropped (its counts are all zero anyway), and when
//! the cap is reached the least recently active brand is evicted; an evicted brand's
//! open episode is resolved, and a brand created after an eviction under pressure warms
//! up on its own.

use crate::alert::{ALERT_SCHEMA_VERSION, AlertAction, AlertRecord, Fingerprinter, SpikeDetails};
use crate::verdict::{AccountRole, Category, Severity};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// `[spike]` as written in the configuration file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSpike {
    enabled: Option<bool>,
    bucket_seconds: Option<u64>,
    recent_window_seconds: Option<u64>,
    baseline_window_seconds: Option<u64>,
    min_recent_count: Option<u32>,
    min_baseline_count: Option<u32>,
    trigger_ratio: Option<f64>,
    resolve_ratio: Option<f64>,
    max_brands: Option<usize>,
    severity: Option<String>,
    max_future_skew_seconds: Option<u64>,
}

/// Defaults of `[spike]`, stated once.
pub mod defaults {
    pub const BUCKET_SECONDS: u64 = 300;
    pub const RECENT_WINDOW_SECONDS: u64 = 3_600;
    pub const BASELINE_WINDOW_SECONDS: u64 = 12 * 3_600;
    pub const MIN_RECENT_COUNT: u32 = 20;
    pub const MIN_BASELINE_COUNT: u32 = 12;
    pub const TRIGGER_RATIO: f64 = 3.0;
    pub const RESOLVE_RATIO: f64 = 1.5;
    pub const MAX_BRANDS: usize = 10_000;
    pub const SEVERITY: &str = "warning";
    pub const MAX_FUTURE_SKEW_SECONDS: u64 = 300;
}

/// The validated spike settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeSettings {
    pub bucket_seconds: i64,
    pub recent_buckets: usize,
    pub baseline_buckets: usize,
    pub min_recent_count: u32,
    pub min_baseline_count: u32,
    pub trigger_ratio: f64,
    pub resolve_ratio: f64,
    pub max_brands: usize,
    /// The severity of spike alerts.
    pub severity: Severity,
    /// A `created_at` further than this ahead of the wall clock is read as now, so one
    /// post dated 2099 cannot push every window into the past.
    pub max_future_skew_seconds: i64,
}

impl SpikeSettings {
    /// Validates `[spike]`; `None` when spike detection is disabled. Problems are
    /// appended to `problems`.
    pub fn from_raw(raw: RawSpike, problems: &mut Vec<String>) -> Option<SpikeSettings> {
        if raw.enabled == Some(false) {
            return None;
        }
        let bucket = raw.bucket_seconds.unwrap_or(defaults::BUCKET_SECONDS);
        let recent = raw
            .recent_window_seconds
            .unwrap_or(defaults::RECENT_WINDOW_SECONDS);
        let baseline = raw
            .baseline_window_seconds
            .unwrap_or(defaults::BASELINE_WINDOW_SECONDS);
        if bucket == 0 {
            problems.push("spike.bucket_seconds must be at least 1".to_string());
        }
        for (key, value) in [
            ("spike.recent_window_seconds", recent),
            ("spike.baseline_window_seconds", baseline),
        ] {
            if bucket > 0 && (value == 0 || value % bucket != 0) {
                problems.push(format!(
                    "{key} is {value}, must be a positive multiple of spike.bucket_seconds ({bucket})"
                ));
            }
        }
        let trigger_ratio = raw.trigger_ratio.unwrap_or(defaults::TRIGGER_RATIO);
        let resolve_ratio = raw.resolve_ratio.unwrap_or(defaults::RESOLVE_RATIO);
        if trigger_ratio.is_nan() || trigger_ratio <= 1.0 {
            problems.push(format!(
                "spike.trigger_ratio is {trigger_ratio}, must be above 1"
            ));
        }
        if resolve_ratio.is_nan() || resolve_ratio <= 0.0 || resolve_ratio >= trigger_ratio {
            problems.push(format!(
                "spike.resolve_ratio is {resolve_ratio}, must be above 0 and below spike.trigger_ratio"
            ));
        }
        let max_brands = raw.max_brands.unwrap_or(defaults::MAX_BRANDS);
        if max_brands == 0 {
            problems.push("spike.max_brands must be at least 1".to_string());
        }
        let severity_name = raw
            .severity
            .unwrap_or_else(|| defaults::SEVERITY.to_string());
        let severity = match Severity::parse(&severity_name) {
            Some(Severity::None) | None => {
                problems.push(format!(
                    "spike.severity is `{severity_name}`, must be info, warning, error or critical"
                ));
                Severity::Warning
            }
            Some(severity) => severity,
        };
        let buckets = |seconds: u64| (seconds / bucket.max(1)).max(1) as usize;
        Some(SpikeSettings {
            bucket_seconds: bucket.max(1) as i64,
            recent_buckets: buckets(recent),
            baseline_buckets: buckets(baseline),
            min_recent_count: raw.min_recent_count.unwrap_or(defaults::MIN_RECENT_COUNT),
            min_baseline_count: raw
                .min_baseline_count
                .unwrap_or(defaults::MIN_BASELINE_COUNT),
            trigger_ratio,
            resolve_ratio,
            max_brands,
            severity,
            max_future_skew_seconds: raw
                .max_future_skew_seconds
                .unwrap_or(defaults::MAX_FUTURE_SKEW_SECONDS)
                as i64,
        })
    }

    fn span_buckets(&self) -> usize {
        self.recent_buckets + self.baseline_buckets
    }

    pub fn recent_window_seconds(&self) -> u64 {
        self.recent_buckets as u64 * self.bucket_seconds as u64
    }

    pub fn baseline_window_seconds(&self) -> u64 {
        self.baseline_buckets as u64 * self.bucket_seconds as u64
    }
}

/// The brand of mentions that carry none.
pub const NO_BRAND: &str = "(no brand)";

/// The alert record of a spike event: stream-level, so no post, no evidence; the
/// dedup key ties the resolve to its trigger.
pub fn spike_alert(
    fingerprinter: &Fingerprinter,
    settings: &SpikeSettings,
    event: &SpikeEvent,
    detected_at: DateTime<Utc>,
) -> AlertRecord {
    let action = match event.action {
        SpikeAction::Trigger => AlertAction::Trigger,
        SpikeAction::Resolve => AlertAction::Resolve,
    };
    let dedup_key = fingerprinter.spike_dedup_key(
        &event.brand,
        event.scope.as_str(),
        event.episode_started_at.timestamp(),
    );
    AlertRecord {
        schema_version: ALERT_SCHEMA_VERSION,
        action,
        alert_id: format!("{dedup_key}-{}", action.as_str()),
        dedup_key,
        post_id: String::new(),
        post_url: None,
        platform: "all".to_string(),
        brand: Some(event.brand.clone()),
        account_role: AccountRole::Public,
        categories: vec![Category::ReputationSpike],
        severity: settings.severity,
        leak_score: 0,
        reputation_score: 0,
        rules: Vec::new(),
        evidence: Vec::new(),
        post_created_at: event.episode_started_at.fixed_offset(),
        detected_at,
        spike: Some(SpikeDetails {
            scope: event.scope.as_str().to_string(),
            recent_count: event.recent_count,
            expected_count: event.expected_count,
            recent_window_seconds: settings.recent_window_seconds(),
            baseline_window_seconds: settings.baseline_window_seconds(),
            episode_started_at: event.episode_started_at,
        }),
    }
}

/// What a series counts: every mention of the brand, or those of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    AllMentions,
    Category(Category),
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::AllMentions => "all",
            Scope::Category(category) => category.as_str(),
        }
    }
}

/// Whether an episode starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeAction {
    Trigger,
    Resolve,
}

/// One change of a spike episode.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeEvent {
    pub action: SpikeAction,
    pub brand: String,
    pub scope: Scope,
    /// Event time of the start of the episode's first bucket: part of its identity.
    pub episode_started_at: DateTime<Utc>,
    /// Mentions in the recent window at the time of the event.
    pub recent_count: u64,
    /// Mentions the baseline predicts for a recent window (frozen at the trigger).
    pub expected_count: f64,
}

/// Counts per bucket, in a ring covering the baseline plus recent span.
#[derive(Debug)]
struct Series {
    counts: Box<[u32]>,
    /// The bucket number the newest slot holds.
    head: i64,
    episode: Option<Episode>,
}

#[derive(Debug, Clone, Copy)]
struct Episode {
    started_bucket: i64,
    expected: f64,
}

impl Series {
    fn new(span: usize, head: i64) -> Series {
        Series {
            counts: vec![0; span].into_boxed_slice(),
            head,
            episode: None,
        }
    }

    fn slot(&self, bucket: i64) -> usize {
        bucket.rem_euclid(self.counts.len() as i64) as usize
    }

    /// Moves the ring forward to `bucket`, zeroing the buckets it enters.
    fn advance(&mut self, bucket: i64) {
        if bucket <= self.head {
            return;
        }
        let steps = (bucket - self.head).min(self.counts.len() as i64);
        for step in 0..steps {
            let slot = self.slot(bucket - step);
            self.counts[slot] = 0;
        }
        self.head = bucket;
    }

    fn add(&mut self, bucket: i64) {
        let oldest = self.head - self.counts.len() as i64 + 1;
        if bucket >= oldest && bucket <= self.head {
            let slot = self.slot(bucket);
            self.counts[slot] = self.counts[slot].saturating_add(1);
        }
    }

    /// The sum over buckets `first..=last` (both within the ring after `advance`).
    fn sum(&self, first: i64, last: i64) -> u64 {
        (first..=last)
            .map(|bucket| u64::from(self.counts[self.slot(bucket)]))
            .sum()
    }
}

#[derive(Debug)]
struct BrandState {
    series: Vec<(Scope, Series)>,
    /// The newest bucket with a mention of this brand.
    last_bucket: i64,
    /// The first bucket from which this detector has every mention of the brand.
    complete_since: i64,
}

/// The spike detector of one mentions partition. See the module documentation.
#[derive(Debug)]
pub struct SpikeDetector {
    settings: SpikeSettings,
    /// The first bucket this detector saw: it has every mention since (warm-up).
    origin: Option<i64>,
    watermark: i64,
    brands: HashMap<String, BrandState>,
    /// Brands and scopes with an open episode.
    open: BTreeSet<(String, Scope)>,
    evicted_under_pressure: bool,
}

impl SpikeDetector {
    pub fn new(settings: SpikeSettings) -> SpikeDetector {
        SpikeDetector {
            settings,
            origin: None,
            watermark: i64::MIN,
            brands: HashMap::new(),
            open: BTreeSet::new(),
            evicted_under_pressure: false,
        }
    }

    /// Episodes currently open.
    pub fn open_episodes(&self) -> usize {
        self.open.len()
    }

    /// Brands currently tracked.
    pub fn brands(&self) -> usize {
        self.brands.len()
    }

    /// One mention: `brand` (case-insensitive), the categories of its verdict (only
    /// the reputation ones count, `reputation.spike` excluded) and its event time.
    /// Returns the triggers and resolves it causes, possibly for other brands (a
    /// watermark moving on can end their episodes).
    pub fn observe(
        &mut self,
        brand: &str,
        categories: &[Category],
        event_time: DateTime<Utc>,
    ) -> Vec<SpikeEvent> {
        let bucket = event_time
            .timestamp()
            .div_euclid(self.settings.bucket_seconds);
        let origin = *self.origin.get_or_insert(bucket);
        let mut events = Vec::new();
        if bucket > self.watermark {
            self.watermark = bucket;
            self.drop_idle_brands();
        }
        let span = self.settings.span_buckets() as i64;
        if bucket > self.watermark - span {
            let brand = brand.to_lowercase();
            if !self.brands.contains_key(&brand) {
                self.make_room(&mut events);
                let complete_since = if self.evicted_under_pressure {
                    bucket
                } else {
                    origin
                };
                self.brands.insert(
                    brand.clone(),
                    BrandState {
                        series: Vec::new(),
                        last_bucket: bucket,
                        complete_since,
                    },
                );
            }
            let mut scopes = vec![Scope::AllMentions];
            scopes.extend(
                categories
                    .iter()
                    .filter(|category| {
                        !category.is_leak() && **category != Category::ReputationSpike
                    })
                    .map(|category| Scope::Category(*category)),
            );
            scopes.sort();
            scopes.dedup();
            let settings = &self.settings;
            let watermark = self.watermark;
            let state = self.brands.get_mut(&brand).expect("inserted above");
            state.last_bucket = state.last_bucket.max(bucket);
            let warm = state.complete_since <= watermark - span + 1;
            for scope in scopes {
                let index = match state.series.iter().position(|(s, _)| *s == scope) {
                    Some(index) => index,
                    None => {
                        state
                            .series
                            .push((scope, Series::new(span as usize, watermark)));
                        state.series.len() - 1
                    }
                };
                let series = &mut state.series[index].1;
                series.advance(watermark);
                series.add(bucket);
                if !warm || series.episode.is_some() {
                    continue;
                }
                if let Some(event) = try_trigger(settings, series, watermark, &brand, scope) {
                    self.open.insert((brand.clone(), scope));
                    events.push(event);
                }
            }
        }
        self.resolve_finished(&mut events);
        events
    }

    /// Ends every open episode whose recent volume is back to normal.
    fn resolve_finished(&mut self, events: &mut Vec<SpikeEvent>) {
        let settings = &self.settings;
        let watermark = self.watermark;
        let mut ended = Vec::new();
        for (brand, scope) in &self.open {
            let Some(series) = self.brands.get_mut(brand).and_then(|state| {
                state
                    .series
                    .iter_mut()
                    .find(|(s, _)| s == scope)
                    .map(|(_, series)| series)
            }) else {
                continue;
            };
            series.advance(watermark);
            let (recent, _) = windows(settings, series, watermark);
            let episode = series.episode.expect("open episodes have one");
            if recent as f64 <= settings.resolve_ratio * episode.expected {
                series.episode = None;
                events.push(resolve_event(settings, brand, *scope, episode, recent));
                ended.push((brand.clone(), *scope));
            }
        }
        for key in ended {
            self.open.remove(&key);
        }
    }

    /// Brands with no mention in a whole span have all-zero counts: dropping them
    /// changes no result.
    fn drop_idle_brands(&mut self) {
        let horizon = self.watermark - self.settings.span_buckets() as i64;
        let open = &self.open;
        self.brands.retain(|brand, state| {
            state.last_bucket > horizon
                || open
                    .iter()
                    .any(|(open_brand, _)| open_brand.as_str() == brand.as_str())
        });
    }

    /// At the cap, evicts the least recently active brand (resolving its episodes).
    fn make_room(&mut self, events: &mut Vec<SpikeEvent>) {
        if self.brands.len() < self.settings.max_brands {
            return;
        }
        let Some(oldest) = self
            .brands
            .iter()
            .min_by_key(|(_, state)| state.last_bucket)
            .map(|(brand, _)| brand.clone())
        else {
            return;
        };
        let state = self.brands.remove(&oldest).expect("found above");
        self.evicted_under_pressure = true;
        for (scope, series) in state.series {
            if let Some(episode) = series.episode {
                self.open.remove(&(oldest.clone(), scope));
                let (recent, _) = windows(&self.settings, &series, series.head);
                events.push(resolve_event(
                    &self.settings,
                    &oldest,
                    scope,
                    episode,
                    recent,
                ));
            }
        }
    }
}

/// (recent, baseline) counts at `watermark`.
fn windows(settings: &SpikeSettings, series: &Series, watermark: i64) -> (u64, u64) {
    let recent_first = watermark - settings.recent_buckets as i64 + 1;
    let baseline_first = recent_first - settings.baseline_buckets as i64;
    (
        series.sum(recent_first, watermark),
        series.sum(baseline_first, recent_first - 1),
    )
}

fn try_trigger(
    settings: &SpikeSettings,
    series: &mut Series,
    watermark: i64,
    brand: &str,
    scope: Scope,
) -> Option<SpikeEvent> {
    let (recent, baseline) = windows(settings, series, watermark);
    let expected = baseline.max(u64::from(settings.min_baseline_count)) as f64
        * settings.recent_buckets as f64
        / settings.baseline_buckets as f64;
    let is_spike = recent >= u64::from(settings.min_recent_count)
        && recent as f64 >= settings.trigger_ratio * expected;
    if !is_spike {
        return None;
    }
    let episode = Episode {
        started_bucket: watermark,
        expected,
    };
    series.episode = Some(episode);
    Some(SpikeEvent {
        action: SpikeAction::Trigger,
        brand: brand.to_string(),
        scope,
        episode_started_at: bucket_start(settings, episode.started_bucket),
        recent_count: recent,
        expected_count: expected,
    })
}

fn resolve_event(
    settings: &SpikeSettings,
    brand: &str,
    scope: Scope,
    episode: Episode,
    recent: u64,
) -> SpikeEvent {
    SpikeEvent {
        action: SpikeAction::Resolve,
        brand: brand.to_string(),
        scope,
        episode_started_at: bucket_start(settings, episode.started_bucket),
        recent_count: recent,
        expected_count: episode.expected,
    }
}

fn bucket_start(settings: &SpikeSettings, bucket: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(bucket * settings.bucket_seconds, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buckets of one minute; recent 10 minutes against the previous hour.
    fn settings() -> SpikeSettings {
        SpikeSettings {
            bucket_seconds: 60,
            recent_buckets: 10,
            baseline_buckets: 60,
            min_recent_count: 20,
            min_baseline_count: 12,
            trigger_ratio: 3.0,
            resolve_ratio: 1.5,
            max_brands: 100,
            severity: Severity::Warning,
            max_future_skew_seconds: 300,
        }
    }

    fn at(minute: i64, second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 / 60 * 60 + minute * 60 + second, 0).unwrap()
    }

    /// A stream: per minute from `start` to `end`, `per_minute` mentions of `brand`
    /// with `categories`.
    struct Traffic {
        brand: &'static str,
        categories: &'static [Category],
        start: i64,
        end: i64,
        per_minute: i64,
    }

    /// Runs the traffic in event-time order; returns (minute, event) pairs.
    fn run(detector: &mut SpikeDetector, traffic: &[Traffic]) -> Vec<(i64, SpikeEvent)> {
        let mut mentions: Vec<(DateTime<Utc>, &str, &[Category])> = Vec::new();
        for stream in traffic {
            for minute in stream.start..stream.end {
                for index in 0..stream.per_minute {
                    let second = index * 60 / stream.per_minute;
                    mentions.push((at(minute, second), stream.brand, stream.categories));
                }
            }
        }
        mentions.sort_by_key(|(time, brand, _)| (*time, *brand));
        let mut events = Vec::new();
        for (time, brand, categories) in mentions {
            for event in detector.observe(brand, categories, time) {
                let minute = (time - at(0, 0)).num_minutes();
                events.push((minute, event));
            }
        }
        events
    }

    fn summary(events: &[(i64, SpikeEvent)]) -> Vec<(SpikeAction, String, &'static str)> {
        events
            .iter()
            .map(|(_, event)| (event.action, event.brand.clone(), event.scope.as_str()))
            .collect()
    }

    /// A name, the traffic, and the (action, brand, scope) expected, in order.
    type Case = (
        &'static str,
        Vec<Traffic>,
        Vec<(SpikeAction, &'static str, &'static str)>,
    );

    const NONE: &[Category] = &[];
    const COMPLAINT: &[Category] = &[Category::ReputationComplaint];

    #[test]
    fn table_of_streams() {
        use SpikeAction::{Resolve, Trigger};
        let steady = |brand, end| Traffic {
            brand,
            categories: NONE,
            start: 0,
            end,
            per_minute: 2,
        };
        let cases: Vec<Case> = vec![
            (
                "steady traffic raises nothing",
                vec![steady("acme", 300)],
                vec![],
            ),
            (
                "a storm after warm-up: one trigger, one resolve",
                vec![
                    steady("acme", 300),
                    Traffic {
                        brand: "acme",
                        categories: NONE,
                        start: 120,
                        end: 135,
                        per_minute: 30,
                    },
                ],
                vec![(Trigger, "acme", "all"), (Resolve, "acme", "all")],
            ),
            (
                "a second brand's steady traffic is untouched",
                vec![
                    steady("acme", 300),
                    steady("globex", 300),
                    Traffic {
                        brand: "acme",
                        categories: NONE,
                        start: 120,
                        end: 135,
                        per_minute: 30,
                    },
                ],
                vec![(Trigger, "acme", "all"), (Resolve, "acme", "all")],
            ),
            (
                "a storm during warm-up is not judged against an empty baseline",
                vec![
                    steady("acme", 300),
                    Traffic {
                        brand: "acme",
                        categories: NONE,
                        start: 30,
                        end: 45,
                        per_minute: 30,
                    },
                ],
                vec![],
            ),
            (
                "below the minimum recent count nothing fires, however large the ratio",
                vec![
                    Traffic {
                        brand: "quiet",
                        categories: NONE,
                        start: 0,
                        end: 1,
                        per_minute: 1,
                    },
                    steady("acme", 300),
                    Traffic {
                        brand: "quiet",
                        categories: NONE,
                        start: 150,
                        end: 152,
                        per_minute: 9,
                    },
                ],
                vec![],
            ),
            (
                "a quiet brand waking up above the floor fires",
                vec![
                    Traffic {
                        brand: "quiet",
                        categories: NONE,
                        start: 0,
                        end: 1,
                        per_minute: 1,
                    },
                    steady("acme", 300),
                    Traffic {
                        brand: "quiet",
                        categories: NONE,
                        start: 150,
                        end: 160,
                        per_minute: 8,
                    },
                ],
                vec![(Trigger, "quiet", "all"), (Resolve, "quiet", "all")],
            ),
            (
                "a complaint storm spikes the category and the brand volume",
                vec![
                    steady("acme", 300),
                    Traffic {
                        brand: "acme",
                        categories: COMPLAINT,
                        start: 0,
                        end: 300,
                        per_minute: 1,
                    },
                    Traffic {
                        brand: "acme",
                        categories: COMPLAINT,
                        start: 120,
                        end: 135,
                        per_minute: 30,
                    },
                ],
                vec![
                    (Trigger, "acme", "reputation.complaint"),
                    (Trigger, "acme", "all"),
                    (Resolve, "acme", "all"),
                    (Resolve, "acme", "reputation.complaint"),
                ],
            ),
            (
                "the brand is case-insensitive",
                vec![
                    steady("acme", 300),
                    Traffic {
                        brand: "ACME",
                        categories: NONE,
                        start: 120,
                        end: 135,
                        per_minute: 30,
                    },
                ],
                vec![(Trigger, "acme", "all"), (Resolve, "acme", "all")],
            ),
        ];
        for (name, traffic, expected) in cases {
            let mut detector = SpikeDetector::new(settings());
            let events = run(&mut detector, &traffic);
            let got = summary(&events);
            let want: Vec<(SpikeAction, String, &str)> = expected
                .into_iter()
                .map(|(action, brand, scope)| (action, brand.to_string(), scope))
                .collect();
            assert_eq!(got, want, "{name}: {events:#?}");
            assert_eq!(detector.open_episodes(), 0, "{name}: every episode ended");
        }
    }

    #[test]
    fn trigger_and_resolve_share_the_episode_identity() {
        let mut detector = SpikeDetector::new(settings());
        let events = run(
            &mut detector,
            &[
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 0,
                    end: 200,
                    per_minute: 2,
                },
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 120,
                    end: 130,
                    per_minute: 30,
                },
            ],
        );
        assert_eq!(events.len(), 2, "{events:#?}");
        let (trigger_minute, trigger) = &events[0];
        let (resolve_minute, resolve) = &events[1];
        assert!((120..130).contains(trigger_minute), "{events:#?}");
        assert!(
            *resolve_minute > 130,
            "resolved after the storm: {events:#?}"
        );
        assert_eq!(trigger.episode_started_at, resolve.episode_started_at);
        assert_eq!(trigger.expected_count, resolve.expected_count);
        // Baseline 120 per hour → 20 expected in ten minutes.
        assert_eq!(trigger.expected_count, 20.0);
        assert!(trigger.recent_count >= 60);
    }

    #[test]
    fn an_episode_ends_when_the_brand_goes_silent_and_others_move_time_on() {
        let mut detector = SpikeDetector::new(settings());
        let events = run(
            &mut detector,
            &[
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 0,
                    end: 125,
                    per_minute: 2,
                },
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 120,
                    end: 125,
                    per_minute: 40,
                },
                Traffic {
                    brand: "globex",
                    categories: NONE,
                    start: 0,
                    end: 200,
                    per_minute: 1,
                },
            ],
        );
        assert_eq!(
            summary(&events),
            vec![
                (SpikeAction::Trigger, "acme".to_string(), "all"),
                (SpikeAction::Resolve, "acme".to_string(), "all"),
            ]
        );
    }

    #[test]
    fn late_mentions_count_in_their_own_bucket_and_ancient_ones_are_ignored() {
        let mut detector = SpikeDetector::new(settings());
        detector.observe("acme", NONE, at(100, 0));
        detector.observe("acme", NONE, at(95, 0));
        detector.observe("acme", NONE, at(0, 0));
        let series = &detector.brands["acme"].series[0].1;
        assert_eq!(windows(&settings(), series, detector.watermark), (2, 0));
    }

    #[test]
    fn memory_stays_bounded_whatever_the_number_of_brands() {
        let mut detector = SpikeDetector::new(SpikeSettings {
            max_brands: 50,
            ..settings()
        });
        for index in 0..10_000 {
            detector.observe(&format!("brand-{index}"), NONE, at(index / 100, 0));
            assert!(detector.brands() <= 50);
        }
    }

    #[test]
    fn an_evicted_brand_resolves_its_episode_and_a_new_brand_warms_up_alone() {
        let mut detector = SpikeDetector::new(SpikeSettings {
            max_brands: 2,
            ..settings()
        });
        let mut events = run(
            &mut detector,
            &[
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 0,
                    end: 125,
                    per_minute: 2,
                },
                Traffic {
                    brand: "acme",
                    categories: NONE,
                    start: 120,
                    end: 125,
                    per_minute: 40,
                },
                Traffic {
                    brand: "globex",
                    categories: NONE,
                    start: 0,
                    end: 126,
                    per_minute: 2,
                },
            ],
        );
        assert_eq!(detector.open_episodes(), 1, "{events:#?}");
        // A third brand at the cap evicts the least recently active one: acme.
        for second in 0..50 {
            events.extend(
                detector
                    .observe("initech", NONE, at(126, second))
                    .into_iter()
                    .map(|event| (126, event)),
            );
        }
        assert_eq!(
            summary(&events),
            vec![
                (SpikeAction::Trigger, "acme".to_string(), "all"),
                (SpikeAction::Resolve, "acme".to_string(), "all"),
            ],
            "initech's burst is its first sight: it warms up instead of firing"
        );
        assert_eq!(detector.open_episodes(), 0);
    }

    #[test]
    fn settings_are_validated_with_every_problem() {
        let raw: RawSpike = toml::from_str(
            "bucket_seconds = 60\nrecent_window_seconds = 90\ntrigger_ratio = 0.5\nseverity = \"loud\"\nmax_brands = 0\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        SpikeSettings::from_raw(raw, &mut problems);
        assert_eq!(problems.len(), 5, "{problems:#?}");
        let mut problems = Vec::new();
        let defaults = SpikeSettings::from_raw(RawSpike::default(), &mut problems).unwrap();
        assert!(problems.is_empty());
        assert_eq!(
            (defaults.recent_buckets, defaults.baseline_buckets),
            (12, 144)
        );
        let disabled: RawSpike = toml::from_str("enabled = false").unwrap();
        assert_eq!(SpikeSettings::from_raw(disabled, &mut problems), None);
    }
}
