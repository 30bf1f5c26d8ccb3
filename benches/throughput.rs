//! Throughput against the real broker: loads N posts into a fresh topic, then reads
//! them twice per round, side by side — once with a bare consumer doing no processing
//! (the raw consume rate) and once through the full pipeline (decode → verdict →
//! alerts produced and acknowledged → offsets stored) — and prints both rates and
//! their ratio. Needs Kafka (`deploy/local/kafka start`).
//!
//! `cargo bench --bench throughput`; `POSTWATCH_BENCH_POSTS` (default 200000) and
//! `POSTWATCH_BENCH_ROUNDS` (default 2) change the size.

use postwatch::config::Config;
use postwatch::metrics::METRICS;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::path::Path;
use std::time::{Duration, Instant};

const LEAK_EVERY: usize = 20;

fn brokers() -> String {
    std::env::var("POSTWATCH_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_string())
}

fn post(index: usize) -> Vec<u8> {
    let (handle, text) = if index % LEAK_EVERY == 0 {
        (
            "@jdevries_zephyr",
            format!(
                "Even snel: de klant met ordernummer {index} wil het geld terug op NL91ABNA0417164300, kan iemand dat vandaag regelen? Dank!"
            ),
        )
    } else {
        (
            "@someone",
            format!(
                "Post {index}: net de nieuwe Vista 55 OLED gezien in de winkel in Utrecht, wat een beeld zeg. De actieprijs van €1.299 geldt nog tot zondag. Fijne dag allemaal en tot straks!"
            ),
        )
    };
    serde_json::json!({
        "id": format!("bench-{index}"),
        "platform": "x",
        "account": {"handle": handle},
        "text": text,
        "created_at": "2026-06-01T10:00:00Z",
        "brand": "zephyr",
    })
    .to_string()
    .into_bytes()
}

async fn create_topics(names: &[&str]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .create()
        .expect("admin client");
    let topics: Vec<NewTopic> = names
        .iter()
        .map(|name| NewTopic::new(name, 4, TopicReplication::Fixed(1)))
        .collect();
    for result in admin
        .create_topics(&topics, &AdminOptions::new())
        .await
        .expect("create topics (is Kafka running? deploy/local/kafka start)")
    {
        result.expect("topic created");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
}

async fn load(topic: &str, count: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("linger.ms", "20")
        .set("compression.type", "lz4")
        .create()
        .expect("producer");
    let mut pending = Vec::new();
    for index in 0..count {
        let payload = post(index);
        let key = index.to_string();
        loop {
            match producer.send_result(FutureRecord::to(topic).key(&key).payload(&payload)) {
                Ok(delivery) => {
                    pending.push(delivery);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        if pending.len() >= 50_000 {
            for delivery in pending.drain(..) {
                delivery.await.expect("reported").expect("delivered");
            }
        }
    }
    for delivery in pending {
        delivery.await.expect("reported").expect("delivered");
    }
}

/// Reads `count` messages with no processing; seconds from first to last message.
async fn raw_consume(topic: &str, count: usize, group: &str) -> f64 {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers())
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("fetch.queue.backoff.ms", "10")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut first = None;
    let mut seen = 0;
    while seen < count {
        let message = consumer.recv().await.expect("message");
        std::hint::black_box(&message);
        first.get_or_insert_with(Instant::now);
        seen += 1;
    }
    first.expect("messages").elapsed().as_secs_f64()
}

fn counter_sum(family: &prometheus::IntCounterVec) -> u64 {
    use prometheus::core::Collector;
    family
        .collect()
        .iter()
        .flat_map(|family| {
            family
                .get_metric()
                .iter()
                .map(|metric| metric.get_counter().get_value() as u64)
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Runs the full pipeline over `count` messages; seconds from the first consumed
/// message until every post has a verdict and every alert is acknowledged.
async fn pipeline(
    posts_topic: &str,
    mentions_topic: &str,
    alerts_topic: &str,
    count: usize,
    group: &str,
) -> f64 {
    let text = format!(
        r#"[kafka]
brokers = "{brokers}"
group_id = "{group}"
posts_topic = "{posts_topic}"
mentions_topic = "{mentions_topic}"
alerts_topic = "{alerts_topic}"
dead_letter_topic = "{alerts_topic}.dlq"
[detection]
profile = "../shared/eval/profile.yaml"
[admin]
listen = "127.0.0.1:0"
[log]
level = "warn"
"#,
        brokers = brokers()
    );
    let config =
        Config::parse(&text, Path::new(env!("CARGO_MANIFEST_DIR")), |_| None).expect("config");
    let consumed_before = counter_sum(&METRICS.messages_consumed);
    let processed_before = counter_sum(&METRICS.posts_processed);
    let alerts_before = METRICS.alerts_produced.get();
    let expected_alerts = count.div_ceil(LEAK_EVERY) as u64;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let service = tokio::spawn(postwatch::app::run(config, shutdown));
    let mut first = None;
    loop {
        if service.is_finished() {
            let ended = service.await.expect("joined");
            panic!("the pipeline stopped before finishing: {ended:?}");
        }
        if first.is_none() && counter_sum(&METRICS.messages_consumed) > consumed_before {
            first = Some(Instant::now());
        }
        if counter_sum(&METRICS.posts_processed) - processed_before >= count as u64
            && METRICS.alerts_produced.get() - alerts_before >= expected_alerts
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let seconds = first.expect("messages").elapsed().as_secs_f64();
    stop.send(true).expect("service listening");
    service.await.expect("joined").expect("service ran");
    seconds
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let count: usize = std::env::var("POSTWATCH_BENCH_POSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let rounds: usize = std::env::var("POSTWATCH_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let posts = format!("bench.posts.{run}");
    let mentions = format!("bench.mentions.{run}");
    let alerts = format!("bench.alerts.{run}");
    let dead_letter = format!("{alerts}.dlq");
    create_topics(&[&posts, &mentions, &alerts, &dead_letter]).await;
    let started = Instant::now();
    load(&posts, count).await;
    println!(
        "loaded {count} posts ({} with a leak) in {:.1} s",
        count.div_ceil(LEAK_EVERY),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<6} {:>14} {:>14} {:>8}",
        "round", "raw posts/s", "pipeline/s", "ratio"
    );
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let raw = raw_consume(&posts, count, &format!("bench-raw-{run}-{round}")).await;
        let full = pipeline(
            &posts,
            &mentions,
            &alerts,
            count,
            &format!("bench-pipeline-{run}-{round}"),
        )
        .await;
        let (raw_rate, full_rate) = (count as f64 / raw, count as f64 / full);
        ratios.push(full_rate / raw_rate);
        println!(
            "{round:<6} {raw_rate:>14.0} {full_rate:>14.0} {:>8.2}",
            full_rate / raw_rate
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "median pipeline / raw ratio: {:.2} (bar: 0.50)",
        ratios[ratios.len() / 2]
    );
}
