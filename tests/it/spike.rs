//! Mention spikes end to end: a synthetic mention stream through Kafka, the detector in
//! `postwatch run`, spike records on `postwatch.alerts`, and the notifier paging and
//! resolving them.

use crate::notify::{create_notify_topic, notify_section, routing_key, start_postwatch};
use crate::pagerduty_receiver::Receiver;
use crate::support::*;
use rdkafka::message::Message;
use serde_json::{Value, json};
use std::time::Duration;

/// One mention of `brand` at `minute` minutes after 2026-06-01T00:00:00Z.
fn mention(brand: &str, minute: i64, second: i64, index: usize) -> (i64, (String, Vec<u8>)) {
    let id = format!("{brand}-{index}");
    let created_at = chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z").unwrap()
        + chrono::Duration::seconds(minute * 60 + second);
    let post = json!({
        "id": id,
        "platform": "x",
        "account": {"handle": "@someone_else"},
        "text": format!("Mooie dag vandaag, bericht nummer {index}. Tot morgen!"),
        "created_at": created_at.to_rfc3339(),
        "brand": brand,
    });
    (
        minute * 60 + second,
        (brand.to_string(), post.to_string().into_bytes()),
    )
}

/// Four hours of two mentions a minute per brand, and fifteen minutes of thirty a
/// minute for `zephyr` from 2h30.
fn stream() -> Vec<(String, Vec<u8>)> {
    let mut mentions = Vec::new();
    let mut index = 0;
    for minute in 0..240 {
        for brand in ["zephyr", "boreas"] {
            for second in [0, 30] {
                mentions.push(mention(brand, minute, second, index));
                index += 1;
            }
        }
        if (150..165).contains(&minute) {
            for second in 0..30 {
                mentions.push(mention("zephyr", minute, second * 2 + 1, index));
                index += 1;
            }
        }
    }
    mentions.sort_by_key(|(at, _)| *at);
    mentions.into_iter().map(|(_, message)| message).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_raises_one_spike_and_resolves_it_and_steady_traffic_raises_nothing() {
    let topics = TestTopics::create("spike", 2).await;
    create_notify_topic(&topics).await;
    let receiver = Receiver::start().await;
    let dir = tempdir();
    let port = free_port();
    let extra = format!(
        "{}\n[spike]\nbucket_seconds = 60\nrecent_window_seconds = 600\nbaseline_window_seconds = 3600\nmin_recent_count = 20\nmin_baseline_count = 12\n",
        notify_section(
            &receiver,
            &topics,
            "",
            "[[notify.routes]]\nteam = \"communications\"\ncategories = [\"reputation.spike\"]\n",
        )
    );
    let config = write_config(dir.path(), &topics, port, &extra);
    let mut service = start_postwatch(
        "run",
        &config,
        port,
        &dir.path().join("postwatch.log"),
        &["security", "communications"],
    );
    service.wait_ready();

    // Keyed by brand: one partition sees all of a brand's mentions, in order.
    let mentions = stream();
    produce_all(&producer(), &topics.mentions, &mentions).await;

    receiver
        .wait_until("a trigger and a resolve", Duration::from_secs(90), |r| {
            r.accepted().len() >= 2
        })
        .await;
    eventually("every mention processed", Duration::from_secs(60), || {
        let committed = committed_offsets(&topics.group, &topics.mentions);
        end_offsets(&topics.mentions)
            .iter()
            .all(|(partition, end)| *end == 0 || committed.get(partition) == Some(end))
    });
    let alerts = read_topic(
        &topics.alerts,
        usize::MAX,
        Duration::from_secs(20),
        Duration::from_secs(3),
    );
    let records: Vec<Value> = alerts
        .iter()
        .map(|message| serde_json::from_slice(message.payload().unwrap()).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{records:#?}");
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "resolve"]);
    for record in &records {
        assert_eq!(
            record["brand"], "zephyr",
            "boreas' steady traffic is untouched"
        );
        assert_eq!(record["categories"], json!(["reputation.spike"]));
        assert_eq!(record["spike"]["scope"], "all");
        assert_eq!(record["dedup_key"], records[0]["dedup_key"]);
    }
    let started: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(records[0]["spike"]["episode_started_at"].clone()).unwrap();
    let storm_start = chrono::DateTime::parse_from_rfc3339("2026-06-01T02:30:00Z").unwrap();
    assert!(
        started >= storm_start && started < storm_start + chrono::Duration::minutes(15),
        "the episode starts within the storm, on event time: {started}"
    );

    let accepted = receiver.accepted();
    assert_eq!(accepted.len(), 2);
    let dedup_key = records[0]["dedup_key"].as_str().unwrap();
    assert_eq!(
        accepted
            .iter()
            .map(|e| (e.action.as_str(), e.dedup_key.as_str()))
            .collect::<Vec<_>>(),
        [("trigger", dedup_key), ("resolve", dedup_key)]
    );
    assert!(
        accepted
            .iter()
            .all(|e| e.routing_key == routing_key("communications"))
    );
    assert_eq!(
        receiver.incident(&routing_key("communications"), dedup_key),
        (1, false),
        "opened once, resolved"
    );
    let (_, metrics) = service.get("/metrics");
    assert_eq!(
        metric_sum(&metrics, "postwatch_spike_episodes_open", ""),
        0.0
    );
    assert_eq!(service.terminate(), Some(0));
}
