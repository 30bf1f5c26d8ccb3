//! The notifier against the PagerDuty stand-in and the real broker: the event contract,
//! dead letters, an outage with a restart in the middle, and a burst over the rate.

use crate::pagerduty_receiver::{Mode, Receiver, validate};
use crate::support::*;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The 32-character routing key the tests give `team`.
pub fn routing_key(team: &str) -> String {
    format!("{team:x<32}")
}

/// Starts `postwatch <command>` (`run` or `notify`) with a routing key for each team.
pub fn start_postwatch(
    command: &str,
    config: &Path,
    admin_port: u16,
    log_path: &Path,
    teams: &[&str],
) -> Service {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap();
    let mut process = Command::new(env!("CARGO_BIN_EXE_postwatch"));
    process
        .arg(command)
        .arg("--config")
        .arg(config)
        .env("POSTWATCH_FINGERPRINT_KEY", "integration-test-key")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    for team in teams {
        process.env(
            format!(
                "POSTWATCH_PAGERDUTY_ROUTING_KEY_{}",
                team.to_uppercase().replace('-', "_")
            ),
            routing_key(team),
        );
    }
    Service {
        child: process.spawn().expect("start postwatch"),
        admin_port,
        log_path: log_path.to_path_buf(),
        config_path: config.to_path_buf(),
    }
}

/// The `[notify]` section for a test: fast retries, the receiver as PagerDuty.
/// `keys` go in the table; `tables` (sub-tables, routes) after it.
pub fn notify_section(
    receiver: &Receiver,
    topics: &TestTopics,
    keys: &str,
    tables: &str,
) -> String {
    format!(
        r#"
[notify]
base_url = "{url}"
group_id = "{group}-notifier"
dead_letter_topic = "{dlq}"
request_timeout_ms = 1000
retry_initial_backoff_ms = 100
retry_max_backoff_ms = 1000
{keys}
{tables}
"#,
        url = receiver.base_url(),
        group = topics.group,
        dlq = notify_dead_letter_topic(topics),
    )
}

pub fn notify_dead_letter_topic(topics: &TestTopics) -> String {
    format!("{}.notify", topics.dead_letter)
}

pub fn notifier_group(topics: &TestTopics) -> String {
    format!("{}-notifier", topics.group)
}

/// Creates the notifier's dead-letter topic (the broker does not auto-create).
pub async fn create_notify_topic(topics: &TestTopics) {
    let name = notify_dead_letter_topic(topics);
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(&name, 1, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .expect("create topic");
    for result in results {
        result.expect("topic created");
    }
    let consumer = plain_consumer(None);
    eventually(
        "the notify topic has a leader",
        Duration::from_secs(30),
        || {
            consumer
                .fetch_metadata(Some(&name), Duration::from_secs(5))
                .ok()
                .and_then(|metadata| {
                    metadata.topics().first().map(|topic| {
                        !topic.partitions().is_empty()
                            && topic.partitions().iter().all(|p| p.leader() >= 0)
                    })
                })
                .unwrap_or(false)
        },
    );
}

/// An alert record as the pipeline writes it (src/alert.rs), for `dedup_key`.
pub fn alert_record(dedup_key: &str, severity: &str, category: &str) -> Value {
    json!({
        "schema_version": 1,
        "alert_id": format!("id-{dedup_key}"),
        "dedup_key": dedup_key,
        "post_id": format!("post-{dedup_key}"),
        "post_url": format!("https://x.com/status/{dedup_key}"),
        "platform": "x",
        "brand": "zephyr",
        "account_role": "employee",
        "categories": [category],
        "severity": severity,
        "leak_score": 90,
        "reputation_score": 0,
        "rules": ["pii.iban"],
        "evidence": [{"rule": "pii.iban", "category": category, "excerpt": "NL91 **** **** **** 4300"}],
        "post_created_at": "2026-06-01T10:00:00Z",
        "detected_at": "2026-06-01T10:00:01Z"
    })
}

fn message(key: &str, value: &Value) -> (String, Vec<u8>) {
    (key.to_string(), value.to_string().into_bytes())
}

fn notifier_caught_up(topics: &TestTopics) -> bool {
    let committed = committed_offsets(&notifier_group(topics), &topics.alerts);
    end_offsets(&topics.alerts)
        .iter()
        .all(|(partition, end)| *end == 0 || committed.get(partition) == Some(end))
}

/// A valid trigger, to be broken one field at a time.
fn valid_trigger() -> Value {
    json!({
        "routing_key": routing_key("security"),
        "event_action": "trigger",
        "dedup_key": "pw1-leak-1",
        "payload": {
            "summary": "[critical] leak.pii",
            "source": "postwatch",
            "severity": "critical",
            "timestamp": "2026-06-01T10:00:00Z",
            "component": "x", "group": "zephyr", "class": "leak.pii",
            "custom_details": {"rules": ["pii.iban"]}
        },
        "links": [{"href": "https://x.com/status/1", "text": "post"}],
        "images": [{"src": "https://example.com/a.png", "href": "https://example.com", "alt": "a"}],
        "client": "postwatch",
        "client_url": "https://example.com"
    })
}

#[test]
fn the_receiver_enforces_every_documented_rule() {
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit, bool)> = vec![
        ("a complete trigger", |_| {}, true),
        (
            "routing_key of 31 characters",
            |e| e["routing_key"] = json!("k".repeat(31)),
            false,
        ),
        (
            "routing_key missing",
            |e| {
                e.as_object_mut().unwrap().remove("routing_key");
            },
            false,
        ),
        (
            "event_action unknown",
            |e| e["event_action"] = json!("page"),
            false,
        ),
        (
            "acknowledge is an action",
            |e| *e = json!({"routing_key": routing_key("security"), "event_action": "acknowledge", "dedup_key": "k"}),
            true,
        ),
        (
            "dedup_key of 255 characters",
            |e| e["dedup_key"] = json!("k".repeat(255)),
            true,
        ),
        (
            "dedup_key of 256 characters",
            |e| e["dedup_key"] = json!("k".repeat(256)),
            false,
        ),
        (
            "trigger without dedup_key opens a new alert",
            |e| {
                e.as_object_mut().unwrap().remove("dedup_key");
            },
            true,
        ),
        (
            "summary of 1024 two-byte characters",
            |e| e["payload"]["summary"] = json!("é".repeat(1024)),
            true,
        ),
        (
            "summary of 1025 characters",
            |e| e["payload"]["summary"] = json!("s".repeat(1025)),
            false,
        ),
        (
            "summary missing",
            |e| {
                e["payload"].as_object_mut().unwrap().remove("summary");
            },
            false,
        ),
        (
            "source missing",
            |e| {
                e["payload"].as_object_mut().unwrap().remove("source");
            },
            false,
        ),
        (
            "severity missing",
            |e| {
                e["payload"].as_object_mut().unwrap().remove("severity");
            },
            false,
        ),
        (
            "severity outside the four",
            |e| e["payload"]["severity"] = json!("fatal"),
            false,
        ),
        (
            "timestamp not ISO 8601",
            |e| e["payload"]["timestamp"] = json!("yesterday"),
            false,
        ),
        (
            "class not text",
            |e| e["payload"]["class"] = json!(5),
            false,
        ),
        (
            "custom_details not an object",
            |e| e["payload"]["custom_details"] = json!([1]),
            false,
        ),
        (
            "payload missing on trigger",
            |e| {
                e.as_object_mut().unwrap().remove("payload");
            },
            false,
        ),
        (
            "resolve with only the three fields",
            |e| *e = json!({"routing_key": routing_key("security"), "event_action": "resolve", "dedup_key": "k"}),
            true,
        ),
        (
            "resolve without dedup_key",
            |e| *e = json!({"routing_key": routing_key("security"), "event_action": "resolve"}),
            false,
        ),
        (
            "resolve with a payload",
            |e| e["event_action"] = json!("resolve"),
            false,
        ),
        (
            "link without href",
            |e| e["links"] = json!([{"text": "post"}]),
            false,
        ),
        (
            "links not a list",
            |e| e["links"] = json!({"href": "https://x"}),
            false,
        ),
        (
            "image over http",
            |e| e["images"] = json!([{"src": "http://example.com/a.png"}]),
            false,
        ),
        (
            "image without src",
            |e| e["images"] = json!([{"alt": "a"}]),
            false,
        ),
        ("client not text", |e| e["client"] = json!(1), false),
        ("unknown field", |e| e["priority"] = json!("P1"), false),
        (
            "event of 512 KB",
            |e| e["payload"]["custom_details"]["padding"] = json!("p".repeat(512 * 1024)),
            false,
        ),
        (
            "event just under 512 KB",
            |e| e["payload"]["custom_details"]["padding"] = json!("p".repeat(500 * 1024)),
            true,
        ),
    ];
    for (name, edit, valid) in cases {
        let mut event = valid_trigger();
        edit(&mut event);
        let result = validate(event.to_string().as_bytes());
        assert_eq!(result.is_ok(), valid, "{name}: {result:?}");
    }
    assert!(validate(b"{not json").is_err());
    assert!(validate(b"[1]").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_receiver_answers_with_the_documented_statuses_and_bodies() {
    let receiver = Receiver::start().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{}/v2/enqueue", receiver.base_url());
    let send = |body: Value| client.post(&url).body(body.to_string()).send();

    let response = send(valid_trigger()).await.unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "success", "message": "Event processed", "dedup_key": "pw1-leak-1"})
    );
    let mut invalid = valid_trigger();
    invalid["payload"]["severity"] = json!("fatal");
    let response = send(invalid).await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Event object is invalid");
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));

    receiver.set_mode(Mode::RateLimit);
    assert_eq!(send(valid_trigger()).await.unwrap().status(), 429);
    receiver.set_mode(Mode::ServerError);
    assert_eq!(send(valid_trigger()).await.unwrap().status(), 500);
    receiver.set_mode(Mode::Hang);
    assert!(send(valid_trigger()).await.unwrap_err().is_timeout());
    receiver.set_mode(Mode::Accept);
    assert_eq!(receiver.accepted().len(), 1, "only the first was ingested");
    assert_eq!(
        receiver.incident(&routing_key("security"), "pw1-leak-1"),
        (1, true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_meet_the_contract_and_a_rejected_alert_is_dead_lettered() {
    let topics = TestTopics::create("notify-contract", 1).await;
    create_notify_topic(&topics).await;
    let receiver = Receiver::start().await;
    let dir = tempdir();
    let port = free_port();
    let section = notify_section(
        &receiver,
        &topics,
        "",
        "[[notify.routes]]\nteam = \"legal\"\ncategories = [\"leak.financial\"]\n",
    );
    let config = write_config(dir.path(), &topics, port, &section);
    let mut service = start_postwatch(
        "run",
        &config,
        port,
        &dir.path().join("postwatch.log"),
        &["security", "legal"],
    );
    service.wait_ready();

    let mut pathological = alert_record("k-odd", "critical", "leak.secret");
    pathological["brand"] = json!("é".repeat(3_000));
    pathological["platform"] = json!("p".repeat(3_000));
    pathological["rules"] = json!((0..300).map(|i| format!("rule.{i}")).collect::<Vec<_>>());
    pathological["evidence"] = json!(
        (0..100)
            .map(|i| json!({"rule": format!("rule.{i}"), "category": "leak.secret", "excerpt": "ghp_****a1 ".repeat(100)}))
            .collect::<Vec<_>>()
    );
    pathological["post_url"] = json!(format!("https://x.com/{}", "a".repeat(100_000)));
    let mut resolve = alert_record("k-critical", "critical", "leak.pii");
    resolve["action"] = json!("resolve");
    let long_key = "k".repeat(300);
    let records = vec![
        message(
            "k-critical",
            &alert_record("k-critical", "critical", "leak.pii"),
        ),
        message(
            "k-critical",
            &alert_record("k-critical", "critical", "leak.pii"),
        ),
        message(
            "k-warning",
            &alert_record("k-warning", "warning", "leak.pii"),
        ),
        message(
            "k-financial",
            &alert_record("k-financial", "error", "leak.financial"),
        ),
        message("k-odd", &pathological),
        message("k-critical", &resolve),
        message("k-long", &alert_record(&long_key, "critical", "leak.pii")),
        ("k-garbage".to_string(), b"{not an alert".to_vec()),
    ];
    let producer = producer();
    produce_all(&producer, &topics.alerts, &records).await;
    // And one leak through the whole pipeline: an employee pasting an IBAN.
    let iban = dutch_iban(4242);
    produce_all(
        &producer,
        &topics.posts,
        &[(
            "p1".to_string(),
            post_json(
                "p1",
                "@jdevries_zephyr",
                &format!("Klant rekening {iban} graag terugbetalen"),
            ),
        )],
    )
    .await;

    receiver
        .wait_until("five accepted events", Duration::from_secs(60), |r| {
            r.accepted().len() >= 5
        })
        .await;
    let dead = read_topic(
        &notify_dead_letter_topic(&topics),
        2,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    eventually("the notifier caught up", Duration::from_secs(30), || {
        notifier_caught_up(&topics)
    });

    let accepted = receiver.accepted();
    let by_key: HashMap<&str, Vec<&crate::pagerduty_receiver::Accepted>> =
        accepted.iter().fold(HashMap::new(), |mut map, event| {
            map.entry(event.dedup_key.as_str()).or_default().push(event);
            map
        });
    assert_eq!(accepted.len(), 5, "{by_key:#?}");
    let critical = &by_key["k-critical"];
    assert_eq!(
        critical
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["trigger", "resolve"],
        "the repeat was suppressed, the resolve was not"
    );
    assert_eq!(critical[0].routing_key, routing_key("security"));
    assert_eq!(by_key["k-financial"][0].routing_key, routing_key("legal"));
    assert!(!by_key.contains_key("k-warning"), "below the threshold");
    let odd = &by_key["k-odd"][0].event;
    assert!(odd["payload"]["summary"].as_str().unwrap().chars().count() <= 1024);
    let pipeline_event = accepted
        .iter()
        .find(|event| event.dedup_key.starts_with("pw1-leak-"))
        .expect("the pipeline's leak was paged");
    assert_eq!(pipeline_event.event["payload"]["severity"], "critical");
    assert_eq!(
        pipeline_event.event["links"][0]["href"],
        "https://x.com/status/p1"
    );
    // Excerpts are the detection stage's redacted ones; the summary holds no text.
    let sent = pipeline_event.event.to_string();
    assert!(!sent.contains(&iban), "no raw identifier: {sent}");
    let summary = pipeline_event.event["payload"]["summary"].as_str().unwrap();
    assert!(
        !summary.contains("rekening") && !summary.contains("NL"),
        "{summary}"
    );

    let rejected = receiver.rejected();
    assert_eq!(rejected.len(), 1, "only the 300-character dedup key");
    let reasons: HashSet<String> = dead
        .iter()
        .map(|message| header(message, "postwatch.notify.reason").unwrap())
        .collect();
    assert_eq!(
        reasons,
        HashSet::from(["rejected".into(), "invalid_record".into()])
    );
    let rejected_letter = dead
        .iter()
        .find(|m| header(m, "postwatch.notify.reason").as_deref() == Some("rejected"))
        .unwrap();
    assert_eq!(
        header(rejected_letter, "postwatch.notify.status").as_deref(),
        Some("400")
    );
    assert!(
        header(rejected_letter, "postwatch.notify.response")
            .unwrap()
            .contains("dedup_key")
    );
    let letter: Value = serde_json::from_slice(rejected_letter.payload().unwrap()).unwrap();
    assert_eq!(
        letter["dedup_key"], long_key,
        "the alert itself is kept for replay"
    );

    let (_, metrics) = service.get("/metrics");
    let count = |name: &str, filter: &str| metric_sum(&metrics, name, filter);
    assert_eq!(
        count("postwatch_pagerduty_events_total", "result=\"accepted\""),
        5.0
    );
    assert_eq!(
        count("postwatch_pagerduty_events_total", "result=\"rejected\""),
        1.0
    );
    assert_eq!(
        count("postwatch_notify_suppressed_total", "reason=\"duplicate\""),
        1.0
    );
    assert_eq!(
        count(
            "postwatch_notify_suppressed_total",
            "reason=\"below_threshold\""
        ),
        1.0
    );
    assert_eq!(count("postwatch_notify_dead_lettered_total", ""), 2.0);
    assert_eq!(service.terminate(), Some(0));
    let log = service.log();
    for secret in [routing_key("security"), routing_key("legal"), iban] {
        assert!(!log.contains(&secret), "the log holds `{secret}`");
    }
}

fn leak_posts(range: std::ops::Range<u64>) -> Vec<(String, Vec<u8>)> {
    range
        .map(|index| {
            let id = format!("outage-{index}");
            let text = format!("Rekening {} van een klant", dutch_iban(50_000 + index));
            (id.clone(), post_json(&id, "@jdevries_zephyr", &text))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_with_a_restart_in_the_middle_pages_every_key_exactly_once() {
    let topics = TestTopics::create("notify-outage", 2).await;
    create_notify_topic(&topics).await;
    let mut receiver = Receiver::start().await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(
        dir.path(),
        &topics,
        port,
        &notify_section(&receiver, &topics, "", ""),
    );
    let log = dir.path().join("postwatch.log");
    let mut service = start_postwatch("run", &config, port, &log, &["security"]);
    service.wait_ready();
    let producer = producer();

    produce_all(&producer, &topics.posts, &leak_posts(0..10)).await;
    receiver
        .wait_until("the first ten pages", Duration::from_secs(60), |r| {
            r.accepted().len() >= 10
        })
        .await;

    // PagerDuty goes away; detection carries on regardless.
    receiver.down().await;
    produce_all(&producer, &topics.posts, &leak_posts(10..30)).await;
    let alerts = read_topic(
        &topics.alerts,
        30,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(alerts.len(), 30, "detection is not held up by paging");
    eventually("the notifier retrying", Duration::from_secs(30), || {
        let (_, metrics) = service.get("/metrics");
        metric_sum(
            &metrics,
            "postwatch_pagerduty_retries_total",
            "connection_error",
        ) > 0.0
    });
    // Restarted in the middle of the outage, now as the stand-alone notifier.
    assert_eq!(service.terminate(), Some(0));
    let mut notifier = start_postwatch("notify", &config, port, &log, &["security"]);
    notifier.wait_ready();

    // PagerDuty comes back badly: errors first, then hanging requests.
    receiver.set_mode(Mode::ServerError);
    receiver.up().await;
    receiver
        .wait_until("500s answered", Duration::from_secs(30), |r| {
            r.refused() >= 2
        })
        .await;
    receiver.set_mode(Mode::Hang);
    eventually("a timed-out request", Duration::from_secs(30), || {
        let (_, metrics) = notifier.get("/metrics");
        metric_sum(
            &metrics,
            "postwatch_pagerduty_retries_total",
            "reason=\"timeout\"",
        ) > 0.0
    });
    receiver.set_mode(Mode::Accept);

    receiver
        .wait_until("thirty pages", Duration::from_secs(90), |r| {
            r.accepted().len() >= 30
        })
        .await;
    eventually("the notifier caught up", Duration::from_secs(30), || {
        notifier_caught_up(&topics)
    });
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for event in receiver.accepted() {
        assert_eq!(event.action, "trigger");
        *per_key.entry(event.dedup_key).or_default() += 1;
    }
    let alert_keys: HashSet<String> = alerts
        .iter()
        .map(|m| String::from_utf8(m.key().unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(per_key.keys().cloned().collect::<HashSet<_>>(), alert_keys);
    for (key, count) in &per_key {
        assert_eq!(*count, 1, "{key} paged {count} times");
        assert_eq!(receiver.incident(&routing_key("security"), key), (1, true));
    }
    assert_eq!(notifier.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_a_thousand_holds_the_rate_and_folds_the_rest_into_a_digest() {
    const BURST: u32 = 20;
    const PER_MINUTE: u32 = 100;
    let topics = TestTopics::create("notify-burst", 2).await;
    create_notify_topic(&topics).await;
    let receiver = Receiver::start().await;
    let dir = tempdir();
    let port = free_port();
    let keys =
        format!("rate_per_minute = {PER_MINUTE}\nrate_burst = {BURST}\nfold_window_seconds = 3");
    let config = write_config(
        dir.path(),
        &topics,
        port,
        &notify_section(&receiver, &topics, &keys, ""),
    );
    let mut service = start_postwatch(
        "run",
        &config,
        port,
        &dir.path().join("postwatch.log"),
        &["security"],
    );
    service.wait_ready();

    let records: Vec<(String, Vec<u8>)> = (0..1_000)
        .map(|index| {
            let key = format!("pw1-leak-burst-{index:04}");
            message(&key, &alert_record(&key, "critical", "leak.pii"))
        })
        .collect();
    let started = Instant::now();
    produce_all(&producer(), &topics.alerts, &records).await;

    let accounted = |receiver: &Receiver| {
        receiver
            .accepted()
            .iter()
            .map(|event| match event.event["payload"]["class"].as_str() {
                Some("digest") => event.event["payload"]["custom_details"]["folded"]
                    .as_u64()
                    .unwrap(),
                _ => 1,
            })
            .sum::<u64>()
    };
    receiver
        .wait_until("all 1,000 accounted for", Duration::from_secs(120), |r| {
            accounted(r) >= 1_000
        })
        .await;
    let elapsed = started.elapsed();
    eventually("the notifier caught up", Duration::from_secs(30), || {
        notifier_caught_up(&topics)
    });

    let accepted = receiver.accepted();
    let (digests, singles): (Vec<_>, Vec<_>) = accepted
        .iter()
        .partition(|event| event.event["payload"]["class"] == "digest");
    let folded: u64 = digests
        .iter()
        .map(|d| {
            d.event["payload"]["custom_details"]["folded"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(
        accounted(&receiver),
        1_000,
        "nothing lost, nothing counted twice"
    );
    assert!(!digests.is_empty(), "the overflow went into a digest");
    let single_keys: HashSet<&str> = singles.iter().map(|e| e.dedup_key.as_str()).collect();
    assert_eq!(single_keys.len(), singles.len(), "each alert at most once");
    for digest in &digests {
        let listed = digest.event["payload"]["custom_details"]["dedup_keys"]
            .as_array()
            .unwrap();
        assert!(
            listed
                .iter()
                .all(|key| !single_keys.contains(key.as_str().unwrap()))
        );
        assert!(
            digest.event["payload"]["summary"]
                .as_str()
                .unwrap()
                .contains("folded")
        );
    }
    // PagerDuty's limit: no 60-second span holds more than burst + rate events.
    let times: Vec<Instant> = accepted.iter().map(|event| event.at).collect();
    for (index, start) in times.iter().enumerate() {
        let in_minute = times[index..]
            .iter()
            .take_while(|at| at.duration_since(*start) < Duration::from_secs(60))
            .count();
        assert!(
            in_minute <= (BURST + PER_MINUTE) as usize,
            "{in_minute} events within a minute"
        );
    }
    let (_, metrics) = service.get("/metrics");
    assert_eq!(
        metric_sum(
            &metrics,
            "postwatch_notify_folded_total",
            "team=\"security\""
        ),
        folded as f64
    );
    eprintln!(
        "burst: 1000 alerts → {} events ({} single, {} digests folding {}) in {:.1} s",
        accepted.len(),
        singles.len(),
        digests.len(),
        folded,
        elapsed.as_secs_f64()
    );
    assert_eq!(service.terminate(), Some(0));
}
