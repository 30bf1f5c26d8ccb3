//! Service configuration: one TOML file plus environment overrides, parsed raw, then
//! validated with every problem reported at once. Secrets come only from the
//! environment and are never printed.

use crate::verdict::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variables that override file settings (documented in the README).
pub const ENV_BROKERS: &str = "POSTWATCH_KAFKA_BROKERS";
pub const ENV_GROUP_ID: &str = "POSTWATCH_KAFKA_GROUP_ID";
pub const ENV_ADMIN_LISTEN: &str = "POSTWATCH_ADMIN_LISTEN";
pub const ENV_LOG_LEVEL: &str = "POSTWATCH_LOG_LEVEL";
pub const ENV_LOG_FORMAT: &str = "POSTWATCH_LOG_FORMAT";
/// `POSTWATCH_RDKAFKA_SASL_PASSWORD=…` sets `sasl.password` on every Kafka client.
pub const ENV_RDKAFKA_PREFIX: &str = "POSTWATCH_RDKAFKA_";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    kafka: RawKafka,
    #[serde(default)]
    detection: RawDetection,
    #[serde(default)]
    pipeline: RawPipeline,
    #[serde(default)]
    admin: RawAdmin,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    alerts: RawAlerts,
    /// Absent: no notifier. See `notify::config`.
    notify: Option<crate::notify::config::RawNotify>,
    #[serde(default)]
    spike: crate::spike::RawSpike,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKafka {
    brokers: Option<String>,
    group_id: Option<String>,
    posts_topic: Option<String>,
    mentions_topic: Option<String>,
    alerts_topic: Option<String>,
    dead_letter_topic: Option<String>,
    /// librdkafka properties for every client (e.g. `security.protocol`).
    #[serde(default)]
    client: BTreeMap<String, String>,
    /// librdkafka properties for the consumer only.
    #[serde(default)]
    consumer: BTreeMap<String, String>,
    /// librdkafka properties for the producer only.
    #[serde(default)]
    producer: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDetection {
    profile: Option<PathBuf>,
    #[serde(default)]
    rule_dirs: Vec<PathBuf>,
    alert_min_severity: Option<String>,
    learned_model: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    max_in_flight: Option<usize>,
    workers: Option<usize>,
    commit_interval_ms: Option<u64>,
    shutdown_deadline_seconds: Option<u64>,
    produce_retry_max_backoff_ms: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    listen: Option<String>,
    liveness_stall_seconds: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    fingerprint_key_env: Option<String>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// A value that must never be printed: `Debug` shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Kafka settings. Property values may hold credentials: `Debug` prints keys only.
#[derive(Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub group_id: String,
    pub posts_topic: String,
    pub mentions_topic: String,
    pub alerts_topic: String,
    pub dead_letter_topic: String,
    /// Extra librdkafka properties for every client.
    pub client: BTreeMap<String, String>,
    pub consumer: BTreeMap<String, String>,
    pub producer: BTreeMap<String, String>,
}

impl std::fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("group_id", &self.group_id)
            .field("posts_topic", &self.posts_topic)
            .field("mentions_topic", &self.mentions_topic)
            .field("alerts_topic", &self.alerts_topic)
            .field("dead_letter_topic", &self.dead_letter_topic)
            .field("client", &self.client.keys().collect::<Vec<_>>())
            .field("consumer", &self.consumer.keys().collect::<Vec<_>>())
            .field("producer", &self.producer.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Which learned model detection uses (`detection.learned_model`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LearnedModel {
    /// The model compiled in (`models/text.tsv`).
    Builtin,
    /// Rules and validated detectors only.
    Off,
    /// A model file written by `postwatch train`.
    File(PathBuf),
}

/// The validated configuration of `postwatch run`.
#[derive(Debug, Clone)]
pub struct Config {
    pub kafka: KafkaConfig,
    pub profile: PathBuf,
    pub rule_dirs: Vec<PathBuf>,
    pub alert_min_severity: Severity,
    pub learned_model: LearnedModel,
    pub max_in_flight: usize,
    /// Detection worker threads; each owns a share of the partitions.
    pub workers: usize,
    pub commit_interval: Duration,
    pub shutdown_deadline: Duration,
    pub produce_retry_max_backoff: Duration,
    pub admin_listen: SocketAddr,
    pub liveness_stall: Duration,
    pub log_level: String,
    pub log_format: LogFormat,
    /// The key of alert fingerprints; from the environment only.
    pub fingerprint_key: Option<Secret>,
    pub fingerprint_key_env: String,
    /// `[notify]`: `None` when the section is absent or disabled.
    pub notify: Option<crate::notify::config::NotifyConfig>,
    /// `[spike]`: `None` when disabled; on by default.
    pub spike: Option<crate::spike::SpikeSettings>,
}

/// Every problem found in a configuration.
#[derive(Debug, thiserror::Error)]
#[error("configuration {path} is invalid ({} problems):\n  - {}", problems.len(), problems.join("\n  - "))]
pub struct ConfigError {
    pub path: String,
    pub problems: Vec<String>,
}

/// Defaults, stated once.
pub mod defaults {
    pub const BROKERS: &str = "127.0.0.1:9092";
    pub const GROUP_ID: &str = "postwatch";
    pub const POSTS_TOPIC: &str = "social.posts";
    pub const MENTIONS_TOPIC: &str = "social.mentions";
    pub const ALERTS_TOPIC: &str = "postwatch.alerts";
    pub const DEAD_LETTER_TOPIC: &str = "postwatch.dlq";
    pub const ALERT_MIN_SEVERITY: &str = "warning";
    pub const MAX_IN_FLIGHT: usize = 10_000;
    pub const COMMIT_INTERVAL_MS: u64 = 1_000;
    pub const SHUTDOWN_DEADLINE_SECONDS: u64 = 20;
    pub const PRODUCE_RETRY_MAX_BACKOFF_MS: u64 = 30_000;
    pub const ADMIN_LISTEN: &str = "0.0.0.0:9464";
    pub const LIVENESS_STALL_SECONDS: u64 = 60;
    pub const LOG_LEVEL: &str = "info";
    pub const LOG_FORMAT: &str = "json";
    pub const FINGERPRINT_KEY_ENV: &str = "POSTWATCH_FINGERPRINT_KEY";
}

/// librdkafka properties postwatch sets itself: overriding them would break the
/// delivery guarantees, so the config may not.
const RESERVED_PROPERTIES: &[&str] = &[
    "group.id",
    "bootstrap.servers",
    "enable.auto.offset.store",
    "enable.auto.commit",
    "enable.idempotence",
];

impl Config {
    /// Reads the file, applies the environment, validates.
    ///
    /// # Errors
    ///
    /// Every problem at once, each naming the key and the value.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: display.clone(),
            problems: vec![format!("cannot read it: {error}")],
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, base, |name| std::env::var(name).ok()).map_err(|problems| {
            ConfigError {
                path: display,
                problems,
            }
        })
    }

    /// Parses TOML text; relative paths are resolved against `base`; `env` reads the
    /// environment (a function, so tests need not touch the process environment).
    ///
    /// # Errors
    ///
    /// The list of every problem found.
    pub fn parse(
        text: &str,
        base: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Vec<String>> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let line = error.span().map_or(0, |span| {
                text[..span.start.min(text.len())].matches('\n').count() + 1
            });
            vec![format!("line {line}: {}", error.message())]
        })?;
        let mut problems = Vec::new();
        let env_or = |name: &str, file: Option<String>, default: &str| {
            env(name).or(file).unwrap_or_else(|| default.to_string())
        };

        let mut client = raw.kafka.client;
        for (key, value) in env_properties(&env) {
            client.insert(key, value);
        }
        for (section, properties) in [
            ("kafka.client", &client),
            ("kafka.consumer", &raw.kafka.consumer),
            ("kafka.producer", &raw.kafka.producer),
        ] {
            for key in properties.keys() {
                if RESERVED_PROPERTIES.contains(&key.as_str()) {
                    problems.push(format!(
                        "{section}.\"{key}\" is set by postwatch itself and cannot be overridden"
                    ));
                }
            }
        }
        let kafka = KafkaConfig {
            brokers: env_or(ENV_BROKERS, raw.kafka.brokers, defaults::BROKERS),
            group_id: env_or(ENV_GROUP_ID, raw.kafka.group_id, defaults::GROUP_ID),
            posts_topic: raw
                .kafka
                .posts_topic
                .unwrap_or_else(|| defaults::POSTS_TOPIC.into()),
            mentions_topic: raw
                .kafka
                .mentions_topic
                .unwrap_or_else(|| defaults::MENTIONS_TOPIC.into()),
            alerts_topic: raw
                .kafka
                .alerts_topic
                .unwrap_or_else(|| defaults::ALERTS_TOPIC.into()),
            dead_letter_topic: raw
                .kafka
                .dead_letter_topic
                .unwrap_or_else(|| defaults::DEAD_LETTER_TOPIC.into()),
            client,
            consumer: raw.kafka.consumer,
            producer: raw.kafka.producer,
        };
        for (key, value) in [
            ("kafka.brokers", &kafka.brokers),
            ("kafka.group_id", &kafka.group_id),
            ("kafka.posts_topic", &kafka.posts_topic),
            ("kafka.mentions_topic", &kafka.mentions_topic),
            ("kafka.alerts_topic", &kafka.alerts_topic),
            ("kafka.dead_letter_topic", &kafka.dead_letter_topic),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{key} must not be empty"));
            }
        }
        if kafka.alerts_topic == kafka.posts_topic
            || kafka.alerts_topic == kafka.mentions_topic
            || kafka.dead_letter_topic == kafka.posts_topic
            || kafka.dead_letter_topic == kafka.mentions_topic
        {
            problems.push(
                "kafka.alerts_topic and kafka.dead_letter_topic must differ from the input topics"
                    .to_string(),
            );
        }

        let profile = match raw.detection.profile {
            Some(profile) => base.join(profile),
            None => {
                problems
                    .push("detection.profile is required (the company profile YAML)".to_string());
                PathBuf::new()
            }
        };
        if !profile.as_os_str().is_empty() && !profile.is_file() {
            problems.push(format!(
                "detection.profile `{}` does not exist",
                profile.display()
            ));
        }
        let rule_dirs: Vec<PathBuf> = raw
            .detection
            .rule_dirs
            .iter()
            .map(|dir| base.join(dir))
            .collect();
        for dir in &rule_dirs {
            if !dir.is_dir() {
                problems.push(format!(
                    "detection.rule_dirs entry `{}` is not a directory",
                    dir.display()
                ));
            }
        }
        let learned_model = match raw.detection.learned_model.as_deref() {
            None | Some("builtin") => LearnedModel::Builtin,
            Some("off") => LearnedModel::Off,
            Some(path) => {
                let path = base.join(path);
                if !path.is_file() {
                    problems.push(format!(
                        "detection.learned_model `{}` is not a file (or say `builtin` or `off`)",
                        path.display()
                    ));
                }
                LearnedModel::File(path)
            }
        };
        let severity_name = raw
            .detection
            .alert_min_severity
            .unwrap_or_else(|| defaults::ALERT_MIN_SEVERITY.into());
        let alert_min_severity = match Severity::parse(&severity_name) {
            Some(Severity::None) | None => {
                problems.push(format!(
                    "detection.alert_min_severity is `{severity_name}`, must be info, warning, error or critical"
                ));
                Severity::Warning
            }
            Some(severity) => severity,
        };

        let max_in_flight = raw
            .pipeline
            .max_in_flight
            .unwrap_or(defaults::MAX_IN_FLIGHT);
        if max_in_flight == 0 {
            problems.push("pipeline.max_in_flight must be at least 1".to_string());
        }
        let workers = raw.pipeline.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        if workers == 0 {
            problems.push("pipeline.workers must be at least 1".to_string());
        }
        let commit_interval_ms = raw
            .pipeline
            .commit_interval_ms
            .unwrap_or(defaults::COMMIT_INTERVAL_MS);
        if commit_interval_ms == 0 {
            problems.push("pipeline.commit_interval_ms must be at least 1".to_string());
        }
        let shutdown_deadline = raw
            .pipeline
            .shutdown_deadline_seconds
            .unwrap_or(defaults::SHUTDOWN_DEADLINE_SECONDS);

        let listen = env_or(ENV_ADMIN_LISTEN, raw.admin.listen, defaults::ADMIN_LISTEN);
        let admin_listen = listen.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "admin.listen `{listen}` is not an address like 0.0.0.0:9464"
            ));
            SocketAddr::from(([0, 0, 0, 0], 9464))
        });

        let log_level = env_or(ENV_LOG_LEVEL, raw.log.level, defaults::LOG_LEVEL);
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            problems.push(format!(
                "log.level `{log_level}` is not a valid level or filter"
            ));
        }
        let format_name = env_or(ENV_LOG_FORMAT, raw.log.format, defaults::LOG_FORMAT);
        let log_format = match format_name.as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => {
                problems.push(format!("log.format `{other}` must be json or text"));
                LogFormat::Json
            }
        };
        let fingerprint_key_env = raw
            .alerts
            .fingerprint_key_env
            .unwrap_or_else(|| defaults::FINGERPRINT_KEY_ENV.into());
        let fingerprint_key = env(&fingerprint_key_env)
            .filter(|key| !key.is_empty())
            .map(Secret);
        let notify = raw.notify.and_then(|raw| {
            crate::notify::config::NotifyConfig::from_raw(raw, &env, &mut problems)
        });
        let kafka_topics = [
            &kafka.posts_topic,
            &kafka.mentions_topic,
            &kafka.alerts_topic,
            &kafka.dead_letter_topic,
        ];
        if let Some(topic) = notify
            .as_ref()
            .map(|notify| &notify.dead_letter_topic)
            .filter(|topic| kafka_topics.contains(topic))
        {
            problems.push(format!(
                "notify.dead_letter_topic `{topic}` must differ from the kafka topics"
            ));
        }
        let spike = crate::spike::SpikeSettings::from_raw(raw.spike, &mut problems);

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config {
            kafka,
            profile,
            rule_dirs,
            alert_min_severity,
            learned_model,
            max_in_flight,
            workers,
            commit_interval: Duration::from_millis(commit_interval_ms),
            shutdown_deadline: Duration::from_secs(shutdown_deadline),
            produce_retry_max_backoff: Duration::from_millis(
                raw.pipeline
                    .produce_retry_max_backoff_ms
                    .unwrap_or(defaults::PRODUCE_RETRY_MAX_BACKOFF_MS),
            ),
            admin_listen,
            liveness_stall: Duration::from_secs(
                raw.admin
                    .liveness_stall_seconds
                    .unwrap_or(defaults::LIVENESS_STALL_SECONDS),
            ),
            log_level,
            log_format,
            fingerprint_key,
            fingerprint_key_env,
            notify,
            spike,
        })
    }
}

/// librdkafka properties from `POSTWATCH_RDKAFKA_*` variables: the rest of the name,
/// lowercased, with `_` read as `.` (`SASL_PASSWORD` → `sasl.password`).
fn env_properties(env: &impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    const KNOWN: &[&str] = &[
        "security.protocol",
        "sasl.mechanism",
        "sasl.username",
        "sasl.password",
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.key.password",
    ];
    KNOWN
        .iter()
        .filter_map(|property| {
            let name = format!(
                "{ENV_RDKAFKA_PREFIX}{}",
                property.replace('.', "_").to_uppercase()
            );
            env(&name).map(|value| (property.to_string(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn base() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn minimal_config_takes_documented_defaults() {
        let config = Config::parse(
            "[detection]\nprofile = \"../shared/eval/profile.yaml\"\n",
            &base(),
            no_env,
        )
        .unwrap();
        assert_eq!(config.kafka.brokers, defaults::BROKERS);
        assert_eq!(config.kafka.posts_topic, "social.posts");
        assert_eq!(config.alert_min_severity, Severity::Warning);
        assert_eq!(config.shutdown_deadline, Duration::from_secs(20));
        assert_eq!(config.learned_model, LearnedModel::Builtin);
    }

    #[test]
    fn the_learned_model_is_builtin_off_or_a_file() {
        let with = |value: &str| {
            Config::parse(
                &format!(
                    "[detection]\nprofile = \"../shared/eval/profile.yaml\"\nlearned_model = \"{value}\"\n"
                ),
                &base(),
                no_env,
            )
        };
        assert_eq!(with("off").unwrap().learned_model, LearnedModel::Off);
        assert_eq!(
            with("builtin").unwrap().learned_model,
            LearnedModel::Builtin
        );
        assert_eq!(
            with("models/text.tsv").unwrap().learned_model,
            LearnedModel::File(base().join("models/text.tsv"))
        );
        let problems = with("models/missing.tsv").unwrap_err();
        assert!(problems[0].contains("learned_model"), "{problems:?}");
    }

    #[test]
    fn reports_every_problem_at_once_and_unknown_keys_by_name() {
        let problems = Config::parse("[kafka]\nbrokerz = \"x\"\n", &base(), no_env).unwrap_err();
        assert!(problems[0].contains("brokerz"), "{problems:?}");

        let text = r#"
[kafka]
group_id = ""
[kafka.consumer]
"group.id" = "sneaky"
[detection]
alert_min_severity = "loud"
[admin]
listen = "nowhere"
[log]
format = "xml"
"#;
        let problems = Config::parse(text, &base(), no_env).unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:#?}");
    }

    #[test]
    fn environment_overrides_the_file_and_carries_secrets() {
        let env = |name: &str| match name {
            "POSTWATCH_KAFKA_BROKERS" => Some("kafka:9092".to_string()),
            "POSTWATCH_RDKAFKA_SASL_PASSWORD" => Some("s3cret".to_string()),
            "POSTWATCH_FINGERPRINT_KEY" => Some("k".to_string()),
            _ => None,
        };
        let text = "[kafka]\nbrokers = \"file:9092\"\n[detection]\nprofile = \"../shared/eval/profile.yaml\"\n";
        let config = Config::parse(text, &base(), env).unwrap();
        assert_eq!(config.kafka.brokers, "kafka:9092");
        assert_eq!(
            config.kafka.client.get("sasl.password").map(String::as_str),
            Some("s3cret")
        );
        assert_eq!(
            config.fingerprint_key.as_ref().map(Secret::expose),
            Some("k")
        );
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("s3cret") && printed.contains("sasl.password"),
            "{printed}"
        );
    }
}
