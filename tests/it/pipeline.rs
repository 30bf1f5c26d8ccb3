//! The streaming pipeline end to end against the real broker.

use crate::support::*;
use rdkafka::message::Message;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// One stream of posts: every `leak_every`-th post is an employee pasting a
/// customer's IBAN (a critical leak); the rest are ordinary chatter.
struct Workload {
    posts: Vec<(String, Vec<u8>)>,
    mentions: Vec<(String, Vec<u8>)>,
    planted: HashSet<String>,
}

fn workload(count: usize, leak_every: usize, tag: &str) -> Workload {
    let mut workload = Workload {
        posts: Vec::new(),
        mentions: Vec::new(),
        planted: HashSet::new(),
    };
    for index in 0..count {
        let id = format!("{tag}-{index}");
        let (handle, text) = if index % leak_every == 0 {
            workload.planted.insert(id.clone());
            (
                "@jdevries_zephyr",
                format!(
                    "Klant wil z'n geld terug, rekening {} graag vandaag nog",
                    dutch_iban(index as u64 + 1000)
                ),
            )
        } else {
            (
                "@someone_else",
                format!("Mooie dag vandaag, bericht nummer {index}. Tot morgen!"),
            )
        };
        let message = (id.clone(), post_json(&id, handle, &text));
        if index % 2 == 0 {
            workload.posts.push(message);
        } else {
            workload.mentions.push(message);
        }
    }
    workload
}

fn alert_post_ids(messages: &[rdkafka::message::OwnedMessage]) -> Vec<(String, String)> {
    messages
        .iter()
        .map(|message| {
            let alert: serde_json::Value =
                serde_json::from_slice(message.payload().unwrap()).unwrap();
            let key = String::from_utf8(message.key().unwrap().to_vec()).unwrap();
            assert_eq!(alert["dedup_key"], key, "alerts are keyed by dedup key");
            (alert["post_id"].as_str().unwrap().to_string(), key)
        })
        .collect()
}

fn offsets_reach_end(topics: &TestTopics) -> bool {
    [&topics.posts, &topics.mentions].iter().all(|topic| {
        let committed = committed_offsets(&topics.group, topic);
        end_offsets(topic)
            .iter()
            .all(|(partition, end)| *end == 0 || committed.get(partition) == Some(end))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_posts_give_exactly_the_planted_alerts() {
    let topics = TestTopics::create("tenk", 4).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let mut service = Service::start(&config, port, &dir.path().join("postwatch.log"));
    service.wait_ready();

    let load = workload(10_000, 10, "tenk");
    let producer = producer();
    produce_all(&producer, &topics.posts, &load.posts).await;
    produce_all(&producer, &topics.mentions, &load.mentions).await;

    let alerts = read_topic(
        &topics.alerts,
        load.planted.len(),
        Duration::from_secs(120),
        Duration::from_secs(5),
    );
    let ids = alert_post_ids(&alerts);
    let alerted: HashSet<String> = ids.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        ids.len(),
        load.planted.len(),
        "one alert per planted leak, no repeats"
    );
    assert_eq!(alerted, load.planted);
    // Nothing more arrives after the expected ones.
    let again = read_topic(
        &topics.alerts,
        usize::MAX,
        Duration::from_secs(10),
        Duration::from_secs(3),
    );
    assert_eq!(again.len(), load.planted.len());

    eventually(
        "committed offsets at the end of both topics",
        Duration::from_secs(30),
        || offsets_reach_end(&topics),
    );
    let alert: serde_json::Value = serde_json::from_slice(alerts[0].payload().unwrap()).unwrap();
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["account_role"], "employee");
    assert_eq!(alert["categories"], serde_json::json!(["leak.pii"]));
    let evidence = alert["evidence"].to_string();
    assert!(
        !evidence.contains("ABNA"),
        "IBAN is masked in evidence: {evidence}"
    );

    let (status, metrics) = service.get("/metrics");
    assert_eq!(status, 200);
    assert_eq!(
        metric_sum(&metrics, "postwatch_posts_processed_total", ""),
        10_000.0
    );
    assert_eq!(
        metric_sum(&metrics, "postwatch_alerts_total", "category=\"leak.pii\""),
        load.planted.len() as f64
    );
    assert_eq!(service.get("/healthz").0, 200);
    assert_eq!(service.terminate(), Some(0));
    let log = service.log();
    for leaked in ["ABNA", "Mooie dag"] {
        assert!(!log.contains(leaked), "log holds post content `{leaked}`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_mid_stream_loses_nothing_and_repeats_only_under_the_same_key() {
    let topics = TestTopics::create("kill", 4).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let log = dir.path().join("postwatch.log");
    let mut service = Service::start(&config, port, &log);
    service.wait_ready();

    let load = workload(20_000, 5, "kill");
    let producer = producer();
    let (first_posts, rest_posts) = load.posts.split_at(load.posts.len() / 2);
    produce_all(&producer, &topics.posts, first_posts).await;
    // Kill as soon as some alerts are out, while the rest is still streaming in.
    read_topic(
        &topics.alerts,
        100,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    service.kill9();
    produce_all(&producer, &topics.posts, rest_posts).await;
    produce_all(&producer, &topics.mentions, &load.mentions).await;

    let mut service = Service::start(&config, port, &log);
    service.wait_ready();
    eventually(
        "committed offsets at the end of both topics",
        Duration::from_secs(120),
        || offsets_reach_end(&topics),
    );
    let alerts = read_topic(
        &topics.alerts,
        usize::MAX,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    let mut keys_by_post: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (post_id, key) in alert_post_ids(&alerts) {
        keys_by_post.entry(post_id).or_default().insert(key);
    }
    let alerted: HashSet<String> = keys_by_post.keys().cloned().collect();
    assert_eq!(
        alerted, load.planted,
        "every planted leak alerted, nothing else"
    );
    for (post_id, keys) in &keys_by_post {
        assert_eq!(
            keys.len(),
            1,
            "post {post_id} repeated under different keys"
        );
    }
    assert_eq!(service.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_messages_are_dead_lettered_with_their_reason_and_the_stream_goes_on() {
    let topics = TestTopics::create("dlq", 1).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let mut service = Service::start(&config, port, &dir.path().join("postwatch.log"));
    service.wait_ready();

    let valid = |id: &str| post_json(id, "@jdevries_zephyr", &format!("IBAN {}", dutch_iban(77)));
    let big_text = "x".repeat(64 * 1024 + 1);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("not_json", b"{not json".to_vec()),
        ("not_utf8", vec![b'{', 0xff, 0xfe, b'}']),
        ("not_object", b"[1, 2, 3]".to_vec()),
        ("missing_field", br#"{"id":"m1","platform":"x","account":{"handle":"@a"},"created_at":"2026-01-01T00:00:00Z"}"#.to_vec()),
        ("wrong_type", br#"{"id":"w1","platform":"x","account":{"handle":"@a"},"text":5,"created_at":"2026-01-01T00:00:00Z"}"#.to_vec()),
        ("text_too_large", post_json("big1", "@a", &big_text)),
        ("bad_timestamp", br#"{"id":"t1","platform":"x","account":{"handle":"@a"},"text":"hi","created_at":"yesterday"}"#.to_vec()),
        ("bad_kind", br#"{"id":"k1","platform":"x","kind":"story","account":{"handle":"@a"},"text":"hi","created_at":"2026-01-01T00:00:00Z"}"#.to_vec()),
        ("bad_id", br#"{"id":"","platform":"x","account":{"handle":"@a"},"text":"hi","created_at":"2026-01-01T00:00:00Z"}"#.to_vec()),
    ];
    let mut messages: Vec<(String, Vec<u8>)> = Vec::new();
    for (index, (_, payload)) in cases.iter().enumerate() {
        messages.push((format!("bad-{index}"), payload.clone()));
        messages.push((format!("good-{index}"), valid(&format!("good-{index}"))));
    }
    let producer = producer();
    let placed = produce_all(&producer, &topics.posts, &messages).await;

    let dead = read_topic(
        &topics.dead_letter,
        cases.len(),
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(dead.len(), cases.len());
    let by_offset: HashMap<i64, &rdkafka::message::OwnedMessage> = dead
        .iter()
        .map(|message| {
            (
                header(message, "postwatch.source.offset")
                    .unwrap()
                    .parse()
                    .unwrap(),
                message,
            )
        })
        .collect();
    for (index, (code, payload)) in cases.iter().enumerate() {
        let (_, offset) = placed[index * 2];
        let entry = by_offset
            .get(&offset)
            .unwrap_or_else(|| panic!("{code} not dead-lettered"));
        assert_eq!(
            header(entry, "postwatch.error.code").as_deref(),
            Some(*code)
        );
        assert!(!header(entry, "postwatch.error").unwrap().is_empty());
        assert_eq!(
            header(entry, "postwatch.source.topic").as_deref(),
            Some(topics.posts.as_str())
        );
        assert_eq!(
            entry.payload().unwrap(),
            payload.as_slice(),
            "original bytes kept for replay"
        );
    }
    let alerts = read_topic(
        &topics.alerts,
        cases.len(),
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(
        alerts.len(),
        cases.len(),
        "every valid post after a bad one still alerted"
    );
    eventually(
        "offsets committed past the bad messages",
        Duration::from_secs(30),
        || {
            committed_offsets(&topics.group, &topics.posts).get(&0)
                == Some(&(messages.len() as i64))
        },
    );
    let (_, metrics) = service.get("/metrics");
    assert_eq!(
        metric_sum(&metrics, "postwatch_messages_dead_lettered_total", ""),
        cases.len() as f64
    );
    assert_eq!(service.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_commits_exactly_the_finished_work() {
    let topics = TestTopics::create("term", 2).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let mut service = Service::start(&config, port, &dir.path().join("postwatch.log"));
    service.wait_ready();

    // Keep producing in the background so the signal lands in the middle of a stream.
    let load = workload(60_000, 4, "term");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let placement =
        std::sync::Arc::new(std::sync::Mutex::new(HashMap::<String, (i32, i64)>::new()));
    let feeder = {
        let (stop, placement, topic) = (stop.clone(), placement.clone(), topics.posts.clone());
        let posts = load.posts.clone();
        tokio::spawn(async move {
            let producer = producer();
            for batch in posts.chunks(1_000) {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let placed = produce_all(&producer, &topic, batch).await;
                let mut placement = placement.lock().unwrap();
                for ((id, _), place) in batch.iter().zip(placed) {
                    placement.insert(id.clone(), place);
                }
            }
        })
    };
    read_topic(
        &topics.alerts,
        200,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(service.terminate(), Some(0), "clean exit on SIGTERM");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    feeder.await.unwrap();

    let placement = placement.lock().unwrap().clone();
    let committed = committed_offsets(&topics.group, &topics.posts);
    let ends = end_offsets(&topics.posts);
    assert!(
        committed
            .iter()
            .any(|(partition, offset)| *offset < ends[partition]),
        "the signal came while posts were still waiting: committed {committed:?}, ends {ends:?}"
    );
    let alerts = read_topic(
        &topics.alerts,
        usize::MAX,
        Duration::from_secs(30),
        Duration::from_secs(4),
    );
    let alerted: HashSet<String> = alert_post_ids(&alerts)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut finished = 0;
    for (id, (partition, offset)) in &placement {
        let is_committed = *offset < committed.get(partition).copied().unwrap_or(0);
        if load.planted.contains(id) {
            assert_eq!(
                alerted.contains(id),
                is_committed,
                "post {id} at {partition}/{offset}: alerted={} committed={is_committed}",
                alerted.contains(id)
            );
            finished += usize::from(is_committed);
        }
    }
    assert!(
        finished >= 200,
        "the work finished before the signal is committed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_leaving_mid_stream_hands_its_partitions_over_and_nothing_is_lost() {
    let topics = TestTopics::create("rebalance", 4).await;
    let dir = tempdir();
    let (first_port, second_port) = (free_port(), free_port());
    let first_dir = dir.path().join("first");
    let second_dir = dir.path().join("second");
    std::fs::create_dir_all(&first_dir).unwrap();
    std::fs::create_dir_all(&second_dir).unwrap();
    let first_config = write_config(&first_dir, &topics, first_port, "");
    let second_config = write_config(&second_dir, &topics, second_port, "");
    let mut first = Service::start(&first_config, first_port, &first_dir.join("postwatch.log"));
    let mut second = Service::start(
        &second_config,
        second_port,
        &second_dir.join("postwatch.log"),
    );
    first.wait_ready();
    second.wait_ready();

    let load = workload(30_000, 5, "rebalance");
    let producer = producer();
    let (early, late) = load.posts.split_at(load.posts.len() / 3);
    produce_all(&producer, &topics.posts, early).await;
    read_topic(
        &topics.alerts,
        200,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(
        second.terminate(),
        Some(0),
        "the leaving replica exits cleanly"
    );
    produce_all(&producer, &topics.posts, late).await;
    produce_all(&producer, &topics.mentions, &load.mentions).await;

    eventually(
        "the remaining replica finishes both topics",
        Duration::from_secs(120),
        || offsets_reach_end(&topics),
    );
    let alerts = read_topic(
        &topics.alerts,
        usize::MAX,
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    let alerted: HashSet<String> = alert_post_ids(&alerts)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        alerted, load.planted,
        "every planted leak alerted across the hand-over"
    );
    let (_, metrics) = first.get("/metrics");
    assert!(metric_sum(&metrics, "postwatch_rebalances_total", "kind=\"assign\"") >= 2.0);
    assert_eq!(first.terminate(), Some(0));
}
