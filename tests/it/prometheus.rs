//! The metrics as Prometheus itself sees them: `promtool check metrics` lints the
//! exposition, and a real Prometheus server scrapes postwatch and answers queries.

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .expect("sh");
    assert!(
        found.status.success(),
        "`{name}` is not installed: apt-get install prometheus (scripts/test and .ci/run do)"
    );
    String::from_utf8(found.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_pass_promtool_and_a_real_prometheus_scrapes_them() {
    let topics = TestTopics::create("prom", 1).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let mut service = Service::start(&config, port, &dir.path().join("postwatch.log"));
    service.wait_ready();

    let mut messages: Vec<(String, Vec<u8>)> = (0..30)
        .map(|index| {
            let id = format!("prom-{index}");
            let text = if index % 3 == 0 {
                format!("rekening {}", dutch_iban(index))
            } else {
                "Gewoon een mooie dag".to_string()
            };
            (id.clone(), post_json(&id, "@jdevries_zephyr", &text))
        })
        .collect();
    messages.push(("bad".to_string(), b"not json".to_vec()));
    produce_all(&producer(), &topics.posts, &messages).await;
    eventually("all posts processed", Duration::from_secs(30), || {
        metric_sum(
            &service.get("/metrics").1,
            "postwatch_posts_processed_total",
            "",
        ) == 30.0
    });

    // promtool lints names, units, HELP texts and types.
    let (status, exposition) = service.get("/metrics");
    assert_eq!(status, 200);
    let mut promtool = Command::new(tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let linted = promtool.wait_with_output().unwrap();
    assert!(
        linted.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );

    // A real Prometheus scrapes postwatch and answers a query over what it scraped.
    let prometheus_port = free_port();
    let prometheus_config = dir.path().join("prometheus.yml");
    std::fs::write(
        &prometheus_config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: postwatch\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let mut prometheus = Command::new(tool("prometheus"))
        .arg(format!("--config.file={}", prometheus_config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let query = |expression: &str| -> Option<f64> {
        let encoded: String = expression
            .bytes()
            .map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (byte as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect();
        let (status, body) = std::panic::catch_unwind(|| {
            http_get(prometheus_port, &format!("/api/v1/query?query={encoded}"))
        })
        .ok()?;
        if status != 200 {
            return None;
        }
        let body = body
            .lines()
            .find(|line| line.starts_with('{'))
            .unwrap_or(&body)
            .to_string();
        let answer: serde_json::Value = serde_json::from_str(&body).ok()?;
        answer["data"]["result"][0]["value"][1]
            .as_str()?
            .parse()
            .ok()
    };
    let mut processed = None;
    eventually(
        "Prometheus has scraped postwatch",
        Duration::from_secs(60),
        || {
            processed = query("sum(postwatch_posts_processed_total)");
            processed.is_some()
        },
    );
    assert_eq!(processed, Some(30.0));
    assert_eq!(
        query("sum(postwatch_messages_dead_lettered_total)"),
        Some(1.0)
    );
    assert_eq!(
        query("sum(postwatch_alerts_total{category=\"leak.pii\"})"),
        Some(10.0)
    );
    assert_eq!(query("up{job=\"postwatch\"}"), Some(1.0));
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    assert_eq!(service.terminate(), Some(0));
}
