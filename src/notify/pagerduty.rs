//! PagerDuty Events API v2: alert records mapped to events, and the HTTP client.
//!
//! An event never carries raw post content: the summary is built from categories,
//! severity, platform, account role and rule ids; `custom_details` holds the alert's
//! excerpts, which were redacted by the detection stage. Paging must not become a
//! second leak.

use super::suppress::Digest;
use crate::alert::{AlertAction, AlertRecord};
use crate::config::Secret;
use crate::metrics::METRICS;
use crate::verdict::Severity;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `payload.summary` limit, in characters.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// `dedup_key` limit, in characters.
pub const MAX_DEDUP_KEY_CHARS: usize = 255;
/// A whole event must stay under this many bytes.
pub const MAX_EVENT_BYTES: usize = 512 * 1024;
/// Free-text fields (`component`, `group`, `class`, brand in details) are cut here.
const MAX_LABEL_CHARS: usize = 256;
/// At most this many evidence items, each excerpt at most this long, go in details.
const MAX_EVIDENCE_ITEMS: usize = 20;
const MAX_EXCERPT_CHARS: usize = 300;
/// A post URL longer than this is left out of `links` (it stays in the record).
const MAX_LINK_CHARS: usize = 2_048;

/// PagerDuty's severity for ours: `none` has no equivalent and reads as `info`.
pub fn pagerduty_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::None => "info",
    }
}

/// `text` cut to `max` characters (not bytes), ending in `…` when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct Link<'a> {
    href: &'a str,
    text: String,
}

#[derive(Serialize)]
struct Payload {
    summary: String,
    source: String,
    severity: &'static str,
    timestamp: String,
    component: String,
    group: String,
    class: String,
    custom_details: Value,
}

/// An alert event. No `Debug`: it holds the routing key.
#[derive(Serialize)]
struct Event<'a> {
    routing_key: &'a str,
    event_action: &'static str,
    dedup_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'static str>,
}

fn serialise(event: &Event<'_>) -> Vec<u8> {
    serde_json::to_vec(event).expect("events serialise")
}

/// The summary line: what, how bad, where, which rules. Never post text.
pub fn summary(alert: &AlertRecord) -> String {
    let categories: Vec<&str> = alert.categories.iter().map(|c| c.as_str()).collect();
    let brand = alert.brand.as_deref().unwrap_or("no brand");
    let text = match &alert.spike {
        Some(spike) => format!(
            "[{severity}] mention spike for brand {brand} ({scope}): {recent} mentions in the last {minutes} min, about {expected:.0} expected",
            severity = alert.severity,
            scope = spike.scope,
            recent = spike.recent_count,
            minutes = spike.recent_window_seconds / 60,
            expected = spike.expected_count,
        ),
        None => format!(
            "[{severity}] {categories} on {platform}, account role {role}, brand {brand}; rules: {rules}",
            severity = alert.severity,
            categories = categories.join(", "),
            role = alert.account_role.as_str(),
            platform = alert.platform,
            rules = alert.rules.join(", "),
        ),
    };
    truncate_chars(&text, MAX_SUMMARY_CHARS)
}

fn details(alert: &AlertRecord, evidence_items: usize) -> Value {
    let evidence: Vec<Value> = alert
        .evidence
        .iter()
        .take(evidence_items)
        .map(|item| {
            json!({
                "rule": item.rule,
                "category": item.category,
                "excerpt": truncate_chars(&item.excerpt, MAX_EXCERPT_CHARS),
            })
        })
        .collect();
    let mut details = json!({
        "categories": alert.categories,
        "severity": alert.severity,
        "leak_score": alert.leak_score,
        "reputation_score": alert.reputation_score,
        "rules": alert.rules,
        "evidence": evidence,
        "account_role": alert.account_role,
        "platform": truncate_chars(&alert.platform, MAX_LABEL_CHARS),
        "brand": alert.brand.as_deref().map(|brand| truncate_chars(brand, MAX_LABEL_CHARS)),
        "post_id": truncate_chars(&alert.post_id, MAX_LABEL_CHARS),
        "alert_id": alert.alert_id,
        "detected_at": alert.detected_at.to_rfc3339(),
    });
    if alert.evidence.len() > evidence_items {
        details["evidence_omitted"] = json!(alert.evidence.len() - evidence_items);
    }
    if let Some(spike) = &alert.spike {
        details["spike"] = json!(spike);
    }
    details
}

/// The JSON body of the event for `alert`: a trigger with the full payload, or a
/// resolve with only `routing_key`, `dedup_key` and `event_action`.
pub fn alert_event(alert: &AlertRecord, routing_key: &Secret, source: &str) -> Vec<u8> {
    if alert.action == AlertAction::Resolve {
        return serialise(&Event {
            routing_key: routing_key.expose(),
            event_action: "resolve",
            dedup_key: &alert.dedup_key,
            payload: None,
            links: Vec::new(),
            client: None,
        });
    }
    let links = alert
        .post_url
        .as_deref()
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .filter(|url| url.chars().count() <= MAX_LINK_CHARS)
        .map(|href| Link {
            href,
            text: truncate_chars(&format!("post on {}", alert.platform), MAX_LABEL_CHARS),
        })
        .into_iter()
        .collect::<Vec<_>>();
    let build = |evidence_items: usize| {
        serialise(&Event {
            routing_key: routing_key.expose(),
            event_action: "trigger",
            dedup_key: &alert.dedup_key,
            payload: Some(Payload {
                summary: summary(alert),
                source: source.to_string(),
                severity: pagerduty_severity(alert.severity),
                timestamp: alert.post_created_at.to_rfc3339(),
                component: truncate_chars(&alert.platform, MAX_LABEL_CHARS),
                group: truncate_chars(
                    alert.brand.as_deref().unwrap_or("no brand"),
                    MAX_LABEL_CHARS,
                ),
                class: alert
                    .categories
                    .first()
                    .map_or("unknown", |category| category.as_str())
                    .to_string(),
                custom_details: details(alert, evidence_items),
            }),
            links: links
                .iter()
                .map(|link| Link {
                    href: link.href,
                    text: link.text.clone(),
                })
                .collect(),
            client: Some("postwatch"),
        })
    };
    let body = build(MAX_EVIDENCE_ITEMS);
    if body.len() < MAX_EVENT_BYTES {
        return body;
    }
    // Only oversized link text or excerpts can get here; the evidence goes first.
    build(0)
}

/// The digest event of `team`: one trigger standing for every folded alert.
pub fn digest_event(
    digest: &Digest,
    team: &str,
    routing_key: &Secret,
    source: &str,
    fold_window: Duration,
) -> Vec<u8> {
    let opened_at = digest
        .opened
        .map(|(_, at)| at)
        .unwrap_or_else(chrono::Utc::now);
    let dedup_key = format!("pw1-digest-{team}-{}", opened_at.timestamp());
    let by_category: Vec<String> = digest
        .by_category
        .iter()
        .map(|(category, count)| format!("{category} {count}"))
        .collect();
    let summary = truncate_chars(
        &format!(
            "[{severity}] postwatch digest for team {team}: {folded} alerts over the paging rate folded in {seconds} s ({categories})",
            severity = digest.highest_severity,
            folded = digest.folded,
            seconds = fold_window.as_secs(),
            categories = by_category.join(", "),
        ),
        MAX_SUMMARY_CHARS,
    );
    let listed = digest.dedup_keys.len() as u64;
    serialise(&Event {
        routing_key: routing_key.expose(),
        event_action: "trigger",
        dedup_key: &dedup_key,
        payload: Some(Payload {
            summary,
            source: source.to_string(),
            severity: pagerduty_severity(digest.highest_severity),
            timestamp: opened_at.to_rfc3339(),
            component: "postwatch".to_string(),
            group: team.to_string(),
            class: "digest".to_string(),
            custom_details: json!({
                "folded": digest.folded,
                "by_category": digest.by_category,
                "highest_severity": digest.highest_severity,
                "dedup_keys": digest.dedup_keys,
                "dedup_keys_not_listed": digest.folded.saturating_sub(listed),
                "window_seconds": fold_window.as_secs(),
            }),
        }),
        links: Vec::new(),
        client: Some("postwatch"),
    })
}

/// A final answer from PagerDuty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 202: the event was processed.
    Accepted,
    /// 400 (or 413): the event is invalid; sending it again cannot help.
    Rejected { status: u16, body: String },
}

/// An answer that means "later": the event was not ingested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    RateLimited,
    ServerError(u16),
    /// Any other status: a proxy or base-URL problem an operator must look at.
    UnexpectedStatus(u16),
    Timeout,
    Connection,
}

impl Failure {
    /// The bounded `result` label.
    pub fn code(&self) -> &'static str {
        match self {
            Failure::RateLimited => "rate_limited",
            Failure::ServerError(_) => "server_error",
            Failure::UnexpectedStatus(_) => "unexpected_status",
            Failure::Timeout => "timeout",
            Failure::Connection => "connection_error",
        }
    }
}

/// The response body kept with a dead letter is cut to this many bytes.
const MAX_KEPT_RESPONSE_BYTES: usize = 8 * 1024;

/// The Events API client: one POST per call, no retries (the caller owns those).
#[derive(Debug, Clone)]
pub struct PagerDutyClient {
    http: reqwest::Client,
    enqueue_url: String,
}

impl PagerDutyClient {
    /// # Errors
    ///
    /// The TLS backend cannot be initialised.
    pub fn new(base_url: &str, timeout: Duration) -> reqwest::Result<PagerDutyClient> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("postwatch/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(PagerDutyClient {
            http,
            enqueue_url: format!("{base_url}/v2/enqueue"),
        })
    }

    /// Posts one event body; `action` is the metric label.
    pub async fn post(&self, body: Vec<u8>, action: &'static str) -> Result<Answer, Failure> {
        let started = Instant::now();
        let result = self
            .http
            .post(&self.enqueue_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let outcome = match result {
            Ok(response) => {
                let status = response.status().as_u16();
                match status {
                    200..=299 => Ok(Answer::Accepted),
                    400 | 413 => {
                        let bytes = response.bytes().await.unwrap_or_default();
                        let kept = &bytes[..bytes.len().min(MAX_KEPT_RESPONSE_BYTES)];
                        Ok(Answer::Rejected {
                            status,
                            body: String::from_utf8_lossy(kept).into_owned(),
                        })
                    }
                    429 => Err(Failure::RateLimited),
                    500..=599 => Err(Failure::ServerError(status)),
                    other => Err(Failure::UnexpectedStatus(other)),
                }
            }
            Err(error) if error.is_timeout() => Err(Failure::Timeout),
            Err(_) => Err(Failure::Connection),
        };
        METRICS
            .pagerduty_request_duration
            .observe(started.elapsed().as_secs_f64());
        let result_label = match &outcome {
            Ok(Answer::Accepted) => "accepted",
            Ok(Answer::Rejected { .. }) => "rejected",
            Err(failure) => failure.code(),
        };
        METRICS
            .pagerduty_events
            .with_label_values(&[action, result_label])
            .inc();
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Evidence, SpikeDetails};
    use crate::verdict::{AccountRole, Category};

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn leak() -> AlertRecord {
        AlertRecord {
            schema_version: 1,
            action: AlertAction::Trigger,
            alert_id: "a1".into(),
            dedup_key: "pw1-leak-0011".into(),
            post_id: "x-1".into(),
            post_url: Some("https://x.com/status/1".into()),
            platform: "x".into(),
            brand: Some("zephyr".into()),
            account_role: AccountRole::Employee,
            categories: vec![Category::LeakPii],
            severity: Severity::Critical,
            leak_score: 92,
            reputation_score: 0,
            rules: vec!["pii.iban".into()],
            evidence: vec![Evidence {
                rule: "pii.iban".into(),
                category: Category::LeakPii,
                excerpt: "NL91 **** **** **** 4300".into(),
            }],
            post_created_at: chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z").unwrap(),
            detected_at: chrono::Utc::now(),
            spike: None,
        }
    }

    fn event(alert: &AlertRecord) -> Value {
        serde_json::from_slice(&alert_event(alert, &Secret::new(KEY.into()), "postwatch")).unwrap()
    }

    #[test]
    fn a_trigger_carries_every_field_the_pager_needs() {
        let event = event(&leak());
        assert_eq!(event["routing_key"], KEY);
        assert_eq!(event["event_action"], "trigger");
        assert_eq!(event["dedup_key"], "pw1-leak-0011");
        let payload = &event["payload"];
        assert_eq!(payload["severity"], "critical");
        assert_eq!(payload["source"], "postwatch");
        assert_eq!(payload["component"], "x");
        assert_eq!(payload["group"], "zephyr");
        assert_eq!(payload["class"], "leak.pii");
        assert_eq!(
            payload["summary"],
            "[critical] leak.pii on x, account role employee, brand zephyr; rules: pii.iban"
        );
        let details = &payload["custom_details"];
        assert_eq!(details["categories"], json!(["leak.pii"]));
        assert_eq!(details["rules"], json!(["pii.iban"]));
        assert_eq!(details["account_role"], "employee");
        assert_eq!(details["platform"], "x");
        assert_eq!(details["leak_score"], 92);
        assert_eq!(
            details["evidence"][0]["excerpt"],
            "NL91 **** **** **** 4300"
        );
        assert_eq!(event["links"][0]["href"], "https://x.com/status/1");
    }

    #[test]
    fn severities_map_to_the_four_pagerduty_values() {
        let cases = [
            (Severity::Critical, "critical"),
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Info, "info"),
            (Severity::None, "info"),
        ];
        for (severity, expected) in cases {
            assert_eq!(pagerduty_severity(severity), expected);
        }
    }

    #[test]
    fn a_resolve_carries_only_the_three_fields() {
        let mut alert = leak();
        alert.action = AlertAction::Resolve;
        let event = event(&alert);
        let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["dedup_key", "event_action", "routing_key"]);
        assert_eq!(event["event_action"], "resolve");
    }

    #[test]
    fn limits_hold_for_pathological_records() {
        let mut alert = leak();
        alert.brand = Some("é".repeat(5_000));
        alert.platform = "p".repeat(5_000);
        alert.rules = (0..500).map(|i| format!("rule.number_{i}")).collect();
        alert.evidence = (0..5_000)
            .map(|i| Evidence {
                rule: format!("rule.{i}"),
                category: Category::LeakSecret,
                excerpt: "ghp_****a1".repeat(100),
            })
            .collect();
        alert.post_url = Some(format!("https://x.com/{}", "a".repeat(600_000)));
        let body = alert_event(&alert, &Secret::new(KEY.into()), "postwatch");
        assert!(body.len() < MAX_EVENT_BYTES, "{} bytes", body.len());
        let event: Value = serde_json::from_slice(&body).unwrap();
        let summary = event["payload"]["summary"].as_str().unwrap();
        assert!(summary.chars().count() <= MAX_SUMMARY_CHARS);
        assert!(summary.ends_with('…'));
        assert_eq!(
            event["payload"]["custom_details"]["evidence_omitted"],
            4_980
        );
        assert!(event.get("links").is_none(), "an absurd URL is left out");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("ééé", 3), "ééé");
        assert_eq!(truncate_chars("éééé", 3), "éé…");
        assert_eq!(
            truncate_chars(&"€".repeat(2_000), 1024).chars().count(),
            1024
        );
    }

    #[test]
    fn a_spike_summary_names_brand_scope_and_volume() {
        let mut alert = leak();
        alert.categories = vec![Category::ReputationSpike];
        alert.severity = Severity::Warning;
        alert.spike = Some(SpikeDetails {
            scope: "all".into(),
            recent_count: 420,
            expected_count: 20.0,
            recent_window_seconds: 3600,
            baseline_window_seconds: 43200,
            episode_started_at: chrono::Utc::now(),
        });
        let event = event(&alert);
        assert_eq!(
            event["payload"]["summary"],
            "[warning] mention spike for brand zephyr (all): 420 mentions in the last 60 min, about 20 expected"
        );
        assert_eq!(
            event["payload"]["custom_details"]["spike"]["recent_count"],
            420
        );
    }

    #[test]
    fn records_without_the_new_fields_are_triggers() {
        let mut value = serde_json::to_value(leak()).unwrap();
        value.as_object_mut().unwrap().remove("action");
        value.as_object_mut().unwrap().remove("spike");
        let alert: AlertRecord = serde_json::from_value(value).unwrap();
        assert_eq!(alert.action, AlertAction::Trigger);
        assert_eq!(alert.spike, None);
    }
}
