//! The alert stage: a verdict at or above the alert threshold becomes an alert record
//! with a deterministic dedup key and redacted evidence only.

use crate::post::Post;
use crate::verdict::{AccountRole, Category, Severity, Verdict};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Version of the alert record format on `postwatch.alerts`.
pub const ALERT_SCHEMA_VERSION: u32 = 1;

/// One piece of redacted evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub rule: String,
    pub category: Category,
    pub excerpt: String,
}

/// What an alert record asks of the pager: open (or repeat) an alert, or close it.
/// Records written before the field existed are triggers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertAction {
    #[default]
    Trigger,
    Resolve,
}

impl AlertAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertAction::Trigger => "trigger",
            AlertAction::Resolve => "resolve",
        }
    }
}

/// The stream-level facts of a `reputation.spike` alert (see `spike`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeDetails {
    /// `all` (every mention of the brand) or a reputation category.
    pub scope: String,
    /// Mentions in the recent window when the record was made.
    pub recent_count: u64,
    /// Mentions the baseline predicts for a recent window (frozen at the trigger).
    pub expected_count: f64,
    pub recent_window_seconds: u64,
    pub baseline_window_seconds: u64,
    /// Event time at which the episode started.
    pub episode_started_at: DateTime<Utc>,
}

/// The record produced to `postwatch.alerts`, keyed by `dedup_key`.
///
/// Post alerts describe one post. Spike alerts (`categories == [reputation.spike]`)
/// describe a stream: their `post_id` is empty and `spike` holds the details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub schema_version: u32,
    /// Absent in older records: a trigger.
    #[serde(default)]
    pub action: AlertAction,
    /// Deterministic per post: a repeat of the same post has the same alert id.
    pub alert_id: String,
    /// Deterministic per leak (see `dedup_key`).
    pub dedup_key: String,
    pub post_id: String,
    pub post_url: Option<String>,
    pub platform: String,
    pub brand: Option<String>,
    pub account_role: AccountRole,
    pub categories: Vec<Category>,
    pub severity: Severity,
    pub leak_score: u8,
    pub reputation_score: u8,
    pub rules: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub post_created_at: DateTime<chrono::FixedOffset>,
    pub detected_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<SpikeDetails>,
}

/// Computes keys with a secret so that a key never lets anyone guess a short
/// identifier (a BSN has only 10^9 values) by hashing candidates.
#[derive(Clone)]
pub struct Fingerprinter {
    key: Vec<u8>,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <redacted> }")
    }
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Fingerprinter {
        Fingerprinter { key: key.to_vec() }
    }

    /// HMAC-SHA-256 of the length-prefixed parts, hex, first 16 bytes.
    fn digest(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The dedup key of a verdict.
    ///
    /// A leak is keyed by what leaked, not by the post: the same secret, IBAN or
    /// codename reposted in ten replies is one incident, for one brand. A
    /// reputation-only verdict is keyed by the post (two customers' complaints are
    /// two alerts).
    pub fn dedup_key(&self, post: &Post, verdict: &Verdict) -> String {
        let brand = post.brand.as_deref().unwrap_or("").to_lowercase();
        let mut leak_parts: Vec<String> = verdict
            .findings
            .iter()
            .filter(|finding| finding.category.is_leak())
            .map(|finding| {
                let value = post.text.get(finding.start..finding.end).unwrap_or("");
                let folded = crate::normalize::normalize(value).text;
                format!("{}\u{0}{folded}", finding.rule)
            })
            .collect();
        if leak_parts.is_empty() {
            let digest = self.digest(&[
                b"post",
                post.platform.as_str().as_bytes(),
                post.id.as_bytes(),
            ]);
            return format!("pw1-post-{digest}");
        }
        leak_parts.sort();
        leak_parts.dedup();
        let mut parts: Vec<&[u8]> = vec![b"leak", brand.as_bytes()];
        parts.extend(leak_parts.iter().map(|part| part.as_bytes()));
        format!("pw1-leak-{}", self.digest(&parts))
    }

    /// The dedup key of a spike episode: the same for its trigger and its resolve,
    /// and the same when the stream is replayed (it depends on event time only).
    pub fn spike_dedup_key(&self, brand: &str, scope: &str, episode_start: i64) -> String {
        let digest = self.digest(&[
            b"spike",
            brand.to_lowercase().as_bytes(),
            scope.as_bytes(),
            &episode_start.to_be_bytes(),
        ]);
        format!("pw1-spike-{digest}")
    }

    /// The alert id: one per post, the same on every repeat of that post.
    pub fn alert_id(&self, post: &Post) -> String {
        self.digest(&[
            b"alert",
            post.platform.as_str().as_bytes(),
            post.id.as_bytes(),
        ])
    }
}

/// Builds the alert record for a verdict.
pub fn alert_record(
    fingerprinter: &Fingerprinter,
    post: &Post,
    verdict: &Verdict,
    detected_at: DateTime<Utc>,
) -> AlertRecord {
    let mut rules: Vec<String> = verdict
        .findings
        .iter()
        .map(|finding| finding.rule.clone())
        .collect();
    rules.sort();
    rules.dedup();
    AlertRecord {
        schema_version: ALERT_SCHEMA_VERSION,
        action: AlertAction::Trigger,
        alert_id: fingerprinter.alert_id(post),
        dedup_key: fingerprinter.dedup_key(post, verdict),
        post_id: post.id.clone(),
        post_url: post.url.clone(),
        platform: post.platform.as_str().to_string(),
        brand: post.brand.clone(),
        account_role: verdict.account_role,
        categories: verdict.categories.clone(),
        severity: verdict.severity,
        leak_score: verdict.leak_score,
        reputation_score: verdict.reputation_score,
        rules,
        evidence: verdict
            .findings
            .iter()
            .map(|finding| Evidence {
                rule: finding.rule.clone(),
                category: finding.category,
                excerpt: finding.excerpt.clone(),
            })
            .collect(),
        post_created_at: post.created_at,
        detected_at,
        spike: None,
    }
}
