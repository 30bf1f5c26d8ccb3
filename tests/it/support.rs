//! Shared test plumbing: unique topics, the postwatch binary as a child process, and
//! Kafka produce/consume helpers.

#![allow(dead_code)]

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub fn brokers() -> String {
    std::env::var("POSTWATCH_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_string())
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn dev_profile() -> PathBuf {
    repo_path("../shared/eval/profile.yaml")
}

/// Topic and group names unique to one test run.
#[derive(Debug, Clone)]
pub struct TestTopics {
    pub posts: String,
    pub mentions: String,
    pub alerts: String,
    pub dead_letter: String,
    pub group: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestTopics {
    pub async fn create(name: &str, partitions: i32) -> TestTopics {
        let unique = format!(
            "{name}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        );
        let topics = TestTopics {
            posts: format!("test.posts.{unique}"),
            mentions: format!("test.mentions.{unique}"),
            alerts: format!("test.alerts.{unique}"),
            dead_letter: format!("test.dlq.{unique}"),
            group: format!("test-group-{unique}"),
        };
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .create()
            .expect("admin client");
        let new_topics: Vec<NewTopic> = [
            (&topics.posts, partitions),
            (&topics.mentions, partitions),
            (&topics.alerts, partitions),
            (&topics.dead_letter, 1),
        ]
        .into_iter()
        .map(|(name, count)| NewTopic::new(name, count, TopicReplication::Fixed(1)))
        .collect();
        let results = admin
            .create_topics(
                &new_topics,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            )
            .await
            .expect("create topics (is Kafka running? deploy/local/kafka start)");
        for result in results {
            result.expect("topic created");
        }
        // Wait until every partition has a leader.
        let consumer = plain_consumer(None);
        for topic in [
            &topics.posts,
            &topics.mentions,
            &topics.alerts,
            &topics.dead_letter,
        ] {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let ready = consumer
                    .fetch_metadata(Some(topic), Duration::from_secs(5))
                    .ok()
                    .and_then(|metadata| {
                        metadata.topics().first().map(|t| {
                            !t.partitions().is_empty()
                                && t.partitions().iter().all(|p| p.leader() >= 0)
                        })
                    })
                    .unwrap_or(false);
                if ready {
                    break;
                }
                assert!(Instant::now() < deadline, "topic {topic} has no leaders");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        topics
    }
}

pub fn plain_consumer(group: Option<&str>) -> BaseConsumer {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers())
        .set("enable.auto.commit", "false")
        .set("group.id", group.unwrap_or("postwatch-test-reader"));
    config.create().expect("consumer")
}

pub fn producer() -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("linger.ms", "5")
        .set("message.max.bytes", "2000000")
        .create()
        .expect("producer")
}

/// Produces every payload to `topic`, keyed, and returns where each landed.
/// Records are all enqueued first, then awaited, so the producer batches them.
pub async fn produce_all(
    producer: &FutureProducer,
    topic: &str,
    messages: &[(String, Vec<u8>)],
) -> Vec<(i32, i64)> {
    let mut futures = Vec::with_capacity(messages.len());
    for (key, payload) in messages {
        let mut record = FutureRecord::to(topic).key(key).payload(payload);
        let future = loop {
            match producer.send_result(record) {
                Ok(future) => break future,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    back,
                )) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err((error, _)) => panic!("produce to {topic}: {error}"),
            }
        };
        futures.push(future);
    }
    let mut placed = Vec::with_capacity(messages.len());
    for future in futures {
        let delivery = future.await.expect("delivery reported").expect("produced");
        placed.push((delivery.partition, delivery.offset));
    }
    placed
}

/// Reads `topic` from the beginning until `want` messages arrived or `timeout` passed
/// with no new message for `quiet`.
pub fn read_topic(
    topic: &str,
    want: usize,
    timeout: Duration,
    quiet: Duration,
) -> Vec<OwnedMessage> {
    let consumer = plain_consumer(None);
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut list = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        list.add_partition_offset(topic, partition.id(), Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&list).expect("assign");
    let deadline = Instant::now() + timeout;
    let mut last_message = Instant::now();
    let mut messages = Vec::new();
    while Instant::now() < deadline && messages.len() < want {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(message)) => {
                messages.push(message.detach());
                last_message = Instant::now();
            }
            Some(Err(error)) => panic!("read {topic}: {error}"),
            None if messages.len() >= want
                || last_message.elapsed() > quiet && want == usize::MAX =>
            {
                break;
            }
            None => {}
        }
    }
    messages
}

pub fn header(message: &OwnedMessage, name: &str) -> Option<String> {
    message.headers().and_then(|headers| {
        headers
            .iter()
            .find(|header| header.key == name)
            .and_then(|header| {
                header
                    .value
                    .map(|value| String::from_utf8_lossy(value).into_owned())
            })
    })
}

/// The group's committed offset per partition of `topic` (-1001 when none).
pub fn committed_offsets(group: &str, topic: &str) -> HashMap<i32, i64> {
    let consumer = plain_consumer(Some(group));
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let mut list = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        list.add_partition(topic, partition.id());
    }
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .expect("committed offsets");
    committed
        .elements()
        .iter()
        .map(|element| (element.partition(), element.offset().to_raw().unwrap_or(-1)))
        .collect()
}

/// The high watermark per partition of `topic`.
pub fn end_offsets(topic: &str) -> HashMap<i32, i64> {
    let consumer = plain_consumer(None);
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    metadata.topics()[0]
        .partitions()
        .iter()
        .map(|partition| {
            let (_, high) = consumer
                .fetch_watermarks(topic, partition.id(), Duration::from_secs(10))
                .expect("watermarks");
            (partition.id(), high)
        })
        .collect()
}

/// Waits until `check` holds, or panics with `what` after `timeout`.
pub fn eventually(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A running `postwatch run`.
pub struct Service {
    pub child: Child,
    pub admin_port: u16,
    pub log_path: PathBuf,
    pub config_path: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn write_config(dir: &Path, topics: &TestTopics, admin_port: u16, extra: &str) -> PathBuf {
    let path = dir.join("postwatch.toml");
    let text = format!(
        r#"[kafka]
brokers = "{brokers}"
group_id = "{group}"
posts_topic = "{posts}"
mentions_topic = "{mentions}"
alerts_topic = "{alerts}"
dead_letter_topic = "{dead_letter}"

[kafka.consumer]
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "500"

[detection]
profile = "{profile}"
alert_min_severity = "warning"

[pipeline]
commit_interval_ms = 200
shutdown_deadline_seconds = 15

[admin]
listen = "127.0.0.1:{admin_port}"

[log]
level = "info"
format = "json"
{extra}
"#,
        brokers = brokers(),
        group = topics.group,
        posts = topics.posts,
        mentions = topics.mentions,
        alerts = topics.alerts,
        dead_letter = topics.dead_letter,
        profile = dev_profile().display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

impl Service {
    pub fn start(config_path: &Path, admin_port: u16, log_path: &Path) -> Service {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_postwatch"))
            .arg("run")
            .arg("--config")
            .arg(config_path)
            .env("POSTWATCH_FINGERPRINT_KEY", "integration-test-key")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postwatch");
        Service {
            child,
            admin_port,
            log_path: log_path.to_path_buf(),
            config_path: config_path.to_path_buf(),
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(self.admin_port, path)
    }

    /// Waits until `/readyz` says ready (partitions assigned).
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("postwatch exited early with {status}; log:\n{}", self.log());
            }
            if let Ok((200, _)) = try_http_get(self.admin_port, "/readyz") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postwatch not ready; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "postwatch did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn try_http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_string();
    Ok((status, body))
}

pub fn http_get(port: u16, path: &str) -> (u16, String) {
    try_http_get(port, path).expect("admin server answers")
}

/// The value of a metric line `name{labels} value` (first match), summed over
/// every line whose name and labels contain `filter`.
pub fn metric_sum(exposition: &str, name: &str, filter: &str) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with(name) && line[name.len()..].starts_with(['{', ' ']))
        .filter(|line| line.contains(filter))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A valid Dutch IBAN for account number `account` (mod-97 check digits computed).
pub fn dutch_iban(account: u64) -> String {
    let bban = format!("ABNA{account:010}");
    let rearranged = format!("{bban}NL00");
    let mut remainder: u64 = 0;
    for c in rearranged.chars() {
        let value = c.to_digit(36).unwrap() as u64;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    format!("NL{:02}{bban}", 98 - remainder)
}

/// A post as JSON, CONTRACT §1.
pub fn post_json(id: &str, handle: &str, text: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id,
        "platform": "x",
        "account": {"handle": handle},
        "text": text,
        "created_at": "2026-06-01T10:00:00Z",
        "url": format!("https://x.com/status/{id}"),
        "brand": "zephyr",
    })
    .to_string()
    .into_bytes()
}

/// Runs `postwatch scan` with the development profile on `input` (JSONL on stdin).
pub fn scan_stdin(input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postwatch"))
        .args(["scan", "--profile"])
        .arg(dev_profile())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start postwatch scan");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write posts");
    child.wait_with_output().expect("scan finishes")
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
