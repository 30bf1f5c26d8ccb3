//! `[notify]`: where alerts are paged, which ones, and how fast. Routing keys come
//! from the environment only (`POSTWATCH_PAGERDUTY_ROUTING_KEY_<TEAM>`) and are held
//! as [`Secret`]s: `Debug` and logs never show them.

use super::routing::{Route, Routing, Thresholds};
use crate::config::Secret;
use crate::verdict::Category;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The prefix of the routing-key variables; the team name follows, uppercased, with
/// `-` read as `_` (team `customer-service` → `…_CUSTOMER_SERVICE`).
pub const ROUTING_KEY_ENV_PREFIX: &str = "POSTWATCH_PAGERDUTY_ROUTING_KEY_";
/// PagerDuty integration keys are 32 characters.
pub const ROUTING_KEY_CHARS: usize = 32;

/// `[notify]` as written in the configuration file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    enabled: Option<bool>,
    group_id: Option<String>,
    dead_letter_topic: Option<String>,
    base_url: Option<String>,
    source: Option<String>,
    request_timeout_ms: Option<u64>,
    retry_initial_backoff_ms: Option<u64>,
    retry_max_backoff_ms: Option<u64>,
    dedup_window_seconds: Option<u64>,
    dedup_max_entries: Option<usize>,
    rate_per_minute: Option<u32>,
    rate_burst: Option<u32>,
    fold_window_seconds: Option<u64>,
    max_in_flight: Option<usize>,
    default_team: Option<String>,
    /// Category (or `leak.*`, `reputation.*`) → least severity paged, or `never`.
    #[serde(default)]
    min_severity: BTreeMap<String, String>,
    #[serde(default)]
    routes: Vec<RawRoute>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    team: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    brands: Vec<String>,
}

/// Defaults of `[notify]`, stated once.
pub mod defaults {
    pub const GROUP_ID: &str = "postwatch-notifier";
    pub const DEAD_LETTER_TOPIC: &str = "postwatch.notify.dlq";
    pub const BASE_URL: &str = "https://events.pagerduty.com";
    pub const SOURCE: &str = "postwatch";
    pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
    pub const RETRY_INITIAL_BACKOFF_MS: u64 = 1_000;
    pub const RETRY_MAX_BACKOFF_MS: u64 = 120_000;
    pub const DEDUP_WINDOW_SECONDS: u64 = 3_600;
    pub const DEDUP_MAX_ENTRIES: usize = 100_000;
    /// With the burst, at most 120 events in any minute: PagerDuty's per-key limit.
    pub const RATE_PER_MINUTE: u32 = 100;
    pub const RATE_BURST: u32 = 20;
    pub const FOLD_WINDOW_SECONDS: u64 = 60;
    pub const MAX_IN_FLIGHT: usize = 10_000;
    pub const DEFAULT_TEAM: &str = "security";
    /// Leaks at `error` and above, and spikes; nothing else unless configured.
    pub const MIN_SEVERITY: &[(&str, &str)] = &[("leak.*", "error"), ("reputation.spike", "info")];
}

/// A team and its PagerDuty integration.
#[derive(Debug, Clone)]
pub struct Team {
    pub name: String,
    pub routing_key: Secret,
}

/// The validated `[notify]` section.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    pub group_id: String,
    pub dead_letter_topic: String,
    /// Without a trailing `/`; events go to `{base_url}/v2/enqueue`.
    pub base_url: String,
    /// `payload.source` of every event.
    pub source: String,
    pub request_timeout: Duration,
    pub retry_initial_backoff: Duration,
    pub retry_max_backoff: Duration,
    pub dedup_window: Duration,
    pub dedup_max_entries: usize,
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    pub fold_window: Duration,
    pub max_in_flight: usize,
    pub thresholds: Thresholds,
    pub routing: Routing,
    /// Every team a route or the default names; `Routing` indexes into this.
    pub teams: Vec<Team>,
}

fn routing_key_variable(team: &str) -> String {
    format!(
        "{ROUTING_KEY_ENV_PREFIX}{}",
        team.to_uppercase().replace('-', "_")
    )
}

fn is_team_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The categories a pattern (`leak.pii`, `leak.*`, `reputation.*`, `*`) names.
fn categories_of(pattern: &str) -> Option<Vec<Category>> {
    if let Some(prefix) = pattern.strip_suffix('*') {
        let matched: Vec<Category> = Category::ALL
            .into_iter()
            .filter(|category| category.as_str().starts_with(prefix))
            .collect();
        return (!matched.is_empty()).then_some(matched);
    }
    Category::parse(pattern).map(|category| vec![category])
}

impl NotifyConfig {
    /// Validates `[notify]`; `None` when it is disabled. Problems are appended to
    /// `problems`; routing keys are read through `env`.
    pub fn from_raw(
        raw: RawNotify,
        env: &impl Fn(&str) -> Option<String>,
        problems: &mut Vec<String>,
    ) -> Option<NotifyConfig> {
        if raw.enabled == Some(false) {
            return None;
        }
        let text = |value: Option<String>, default: &str| value.unwrap_or_else(|| default.into());
        let group_id = text(raw.group_id, defaults::GROUP_ID);
        let dead_letter_topic = text(raw.dead_letter_topic, defaults::DEAD_LETTER_TOPIC);
        let source = text(raw.source, defaults::SOURCE);
        for (key, value) in [
            ("notify.group_id", &group_id),
            ("notify.dead_letter_topic", &dead_letter_topic),
            ("notify.source", &source),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{key} must not be empty"));
            }
        }
        let base_url = text(raw.base_url, defaults::BASE_URL)
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            problems.push(format!(
                "notify.base_url `{base_url}` must start with https:// (or http:// for a local proxy)"
            ));
        }

        let mut positive = |key: &str, value: u64| {
            if value == 0 {
                problems.push(format!("notify.{key} must be at least 1"));
            }
            value
        };
        let request_timeout_ms = positive(
            "request_timeout_ms",
            raw.request_timeout_ms
                .unwrap_or(defaults::REQUEST_TIMEOUT_MS),
        );
        let retry_initial_backoff_ms = positive(
            "retry_initial_backoff_ms",
            raw.retry_initial_backoff_ms
                .unwrap_or(defaults::RETRY_INITIAL_BACKOFF_MS),
        );
        let retry_max_backoff_ms = positive(
            "retry_max_backoff_ms",
            raw.retry_max_backoff_ms
                .unwrap_or(defaults::RETRY_MAX_BACKOFF_MS),
        );
        let dedup_window_seconds = raw
            .dedup_window_seconds
            .unwrap_or(defaults::DEDUP_WINDOW_SECONDS);
        let dedup_max_entries = positive(
            "dedup_max_entries",
            raw.dedup_max_entries.unwrap_or(defaults::DEDUP_MAX_ENTRIES) as u64,
        ) as usize;
        let rate_per_minute = positive(
            "rate_per_minute",
            u64::from(raw.rate_per_minute.unwrap_or(defaults::RATE_PER_MINUTE)),
        ) as u32;
        let rate_burst = positive(
            "rate_burst",
            u64::from(raw.rate_burst.unwrap_or(defaults::RATE_BURST)),
        ) as u32;
        let fold_window_seconds = positive(
            "fold_window_seconds",
            raw.fold_window_seconds
                .unwrap_or(defaults::FOLD_WINDOW_SECONDS),
        );
        let max_in_flight = positive(
            "max_in_flight",
            raw.max_in_flight.unwrap_or(defaults::MAX_IN_FLIGHT) as u64,
        ) as usize;
        if retry_initial_backoff_ms > retry_max_backoff_ms {
            problems.push(format!(
                "notify.retry_initial_backoff_ms ({retry_initial_backoff_ms}) exceeds notify.retry_max_backoff_ms ({retry_max_backoff_ms})"
            ));
        }

        let mut thresholds = Thresholds::never();
        let configured = defaults::MIN_SEVERITY
            .iter()
            .map(|(pattern, severity)| (pattern.to_string(), severity.to_string()))
            .chain(raw.min_severity);
        for (pattern, severity) in configured {
            let Some(categories) = categories_of(&pattern) else {
                problems.push(format!(
                    "notify.min_severity.\"{pattern}\" is not a category, `leak.*` or `reputation.*`"
                ));
                continue;
            };
            if let Err(problem) = thresholds.set(&categories, &severity) {
                problems.push(format!("notify.min_severity.\"{pattern}\" {problem}"));
            }
        }

        let default_team = text(raw.default_team, defaults::DEFAULT_TEAM);
        let mut team_names = vec![default_team.clone()];
        let mut routes = Vec::new();
        for (index, route) in raw.routes.into_iter().enumerate() {
            let mut categories = Vec::new();
            for pattern in &route.categories {
                match categories_of(pattern) {
                    Some(found) => categories.extend(found),
                    None => problems.push(format!(
                        "notify.routes[{index}].categories entry `{pattern}` is not a category"
                    )),
                }
            }
            let team = match team_names.iter().position(|name| *name == route.team) {
                Some(position) => position,
                None => {
                    team_names.push(route.team.clone());
                    team_names.len() - 1
                }
            };
            routes.push(Route {
                team,
                categories,
                brands: route.brands.iter().map(|b| b.to_lowercase()).collect(),
            });
        }
        let mut teams = Vec::new();
        for name in team_names {
            if !is_team_name(&name) {
                problems.push(format!(
                    "team `{name}` must be 1–64 characters of a-z, 0-9, `_` or `-`"
                ));
            }
            let variable = routing_key_variable(&name);
            let routing_key = match env(&variable) {
                None => {
                    problems.push(format!(
                        "{variable} is not set: the PagerDuty routing key of team `{name}`"
                    ));
                    String::new()
                }
                Some(key) if key.chars().count() != ROUTING_KEY_CHARS => {
                    // Never echo the value: it is a credential.
                    problems.push(format!(
                        "{variable} holds {} characters; a PagerDuty routing key has {ROUTING_KEY_CHARS}",
                        key.chars().count()
                    ));
                    String::new()
                }
                Some(key) => key,
            };
            teams.push(Team {
                name,
                routing_key: Secret::new(routing_key),
            });
        }

        Some(NotifyConfig {
            group_id,
            dead_letter_topic,
            base_url,
            source,
            request_timeout: Duration::from_millis(request_timeout_ms),
            retry_initial_backoff: Duration::from_millis(retry_initial_backoff_ms),
            retry_max_backoff: Duration::from_millis(retry_max_backoff_ms),
            dedup_window: Duration::from_secs(dedup_window_seconds),
            dedup_max_entries,
            rate_per_minute,
            rate_burst,
            fold_window: Duration::from_secs(fold_window_seconds),
            max_in_flight,
            thresholds,
            routing: Routing {
                routes,
                default_team: 0,
            },
            teams,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Severity;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    fn parse(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<NotifyConfig>, Vec<String>> {
        let raw: RawNotify = toml::from_str(text).map_err(|error| vec![error.to_string()])?;
        let mut problems = Vec::new();
        let config = NotifyConfig::from_raw(raw, &env, &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    #[test]
    fn defaults_page_leaks_at_error_and_spikes_to_security() {
        let config = parse("", |name| {
            (name == "POSTWATCH_PAGERDUTY_ROUTING_KEY_SECURITY").then(|| KEY.to_string())
        })
        .unwrap()
        .unwrap();
        assert_eq!(config.base_url, "https://events.pagerduty.com");
        assert_eq!(config.teams.len(), 1);
        assert_eq!(config.teams[0].routing_key.expose(), KEY);
        let t = &config.thresholds;
        assert_eq!(t.least(Category::LeakPii), Some(Severity::Error));
        assert_eq!(t.least(Category::LeakSecret), Some(Severity::Error));
        assert_eq!(t.least(Category::ReputationSpike), Some(Severity::Info));
        assert_eq!(t.least(Category::ReputationComplaint), None);
        let printed = format!("{config:?}");
        assert!(!printed.contains(KEY), "{printed}");
    }

    #[test]
    fn routes_name_teams_whose_keys_come_from_the_environment() {
        let text = r#"
default_team = "security"
base_url = "https://events.eu.pagerduty.com/"
[min_severity]
"reputation.crisis" = "error"
"leak.pii" = "never"
[[routes]]
team = "legal"
categories = ["leak.financial"]
[[routes]]
team = "customer-service"
categories = ["reputation.*"]
brands = ["Zephyr"]
"#;
        let env = |name: &str| match name {
            "POSTWATCH_PAGERDUTY_ROUTING_KEY_SECURITY"
            | "POSTWATCH_PAGERDUTY_ROUTING_KEY_LEGAL"
            | "POSTWATCH_PAGERDUTY_ROUTING_KEY_CUSTOMER_SERVICE" => Some(KEY.to_string()),
            _ => None,
        };
        let config = parse(text, env).unwrap().unwrap();
        assert_eq!(config.base_url, "https://events.eu.pagerduty.com");
        let names: Vec<&str> = config.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["security", "legal", "customer-service"]);
        assert_eq!(config.thresholds.least(Category::LeakPii), None);
        assert_eq!(
            config.thresholds.least(Category::ReputationCrisis),
            Some(Severity::Error)
        );
        assert_eq!(config.routing.routes[1].brands, ["zephyr"]);
    }

    #[test]
    fn the_service_configuration_carries_both_sections() {
        let base = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let profile = "[detection]\nprofile = \"../shared/eval/profile.yaml\"\n";
        let env = |name: &str| {
            (name == "POSTWATCH_PAGERDUTY_ROUTING_KEY_SECURITY").then(|| KEY.to_string())
        };
        let config =
            crate::config::Config::parse(&format!("{profile}[notify]\n"), &base, env).unwrap();
        assert!(config.notify.is_some() && config.spike.is_some());
        let config = crate::config::Config::parse(profile, &base, env).unwrap();
        assert!(config.notify.is_none(), "no section, no notifier");
        let text = format!("{profile}[notify]\nbase_urll = \"x\"\n[spike]\nwindow = 1\n");
        let problems = crate::config::Config::parse(&text, &base, env).unwrap_err();
        assert!(problems[0].contains("base_urll"), "{problems:?}");
        let text = format!(
            "{profile}[notify]\ndead_letter_topic = \"postwatch.alerts\"\n[spike]\nmax_brands = 0\n"
        );
        let problems = crate::config::Config::parse(&text, &base, |_| None).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
    }

    #[test]
    fn every_problem_is_reported_and_no_key_is_echoed() {
        let text = r#"
base_url = "ftp://x"
rate_per_minute = 0
[min_severity]
"leak.everything" = "error"
"leak.pii" = "loud"
[[routes]]
team = "Bad Team"
categories = ["nonsense"]
"#;
        let env = |name: &str| {
            (name == "POSTWATCH_PAGERDUTY_ROUTING_KEY_SECURITY").then(|| "short-secret".to_string())
        };
        let problems = parse(text, env).unwrap_err();
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(!problems.join("\n").contains("short-secret"));
        assert!(
            parse("routez = []", |_| None).is_err(),
            "unknown keys rejected"
        );
        assert!(parse("enabled = false", |_| None).unwrap().is_none());
    }
}
