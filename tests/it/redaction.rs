//! Canary secrets and identifiers: none may appear in any verdict, alert, log line or
//! metric. Paging and logging must never become a second leak.

use crate::support::*;
use rdkafka::message::Message;
use std::time::Duration;

/// A Luhn-valid 16-digit Visa number starting with `prefix` (15 digits).
fn visa(prefix: &str) -> String {
    let digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, digit)| {
            if index % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                *digit
            }
        })
        .sum();
    format!("{prefix}{}", (10 - sum % 10) % 10)
}

/// (the post text, the raw fragments that must never appear outside the post).
/// Fragments are long enough never to occur by chance in a timestamp or an id of a
/// trace-level log line (a bare four-digit run does).
fn canaries() -> Vec<(String, Vec<String>)> {
    let iban = dutch_iban(5_550_123);
    let card = visa("411111739284615");
    let stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQx91";
    let slack = "xoxb-192837465012-918273645012-Qx7TfR2mLp9sKd4WbZ0yVn3e";
    let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lk2Tm9Q";
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIiwibmFtZSI6IkNhbmFyeSBVc2VyIn0.Xq3m9VtR7pLs2KdWb8Zn4Yc1Hf6Jg0Ae5Ui";
    let password = "Zomer2026!qxv";
    let database = "postgres://app:Kanarie-Wachtwoord-77@db.example.com:5432/orders";
    vec![
        (
            format!("Klant wil terugbetaling op {iban}, graag snel"),
            vec![iban[4..14].to_string()],
        ),
        (
            format!("creditcard van klant: {card} exp 12/27"),
            vec![card[4..12].to_string()],
        ),
        (
            "klant met BSN 111222333 belde over zijn bestelling".to_string(),
            vec!["111222333".to_string()],
        ),
        (
            "mail de klant op kanarie.vogel@gmail.com over de retour".to_string(),
            vec!["kanarie.vogel".to_string()],
        ),
        (
            "bel de klant terug op 06-81234567 vandaag".to_string(),
            vec!["81234567".to_string(), "06-812".to_string()],
        ),
        (
            format!("checkout config: STRIPE_KEY={stripe}"),
            vec![stripe[8..30].to_string()],
        ),
        (
            format!("bot token {slack} for the alerts channel"),
            vec![slack[5..40].to_string()],
        ),
        (
            format!("aws_access_key_id=AKIAQ7LMNZX2WJ4KTR5B aws_secret_access_key={aws_secret}"),
            vec!["Q7LMNZX2WJ4K".to_string(), aws_secret[4..36].to_string()],
        ),
        (
            format!("Authorization: Bearer {jwt}"),
            vec![jwt[10..60].to_string()],
        ),
        (
            format!("het wachtwoord van de testomgeving is {password}"),
            vec![password.to_string()],
        ),
        (
            format!("DATABASE_URL={database}"),
            vec!["Kanarie-Wachtwoord-77".to_string()],
        ),
    ]
}

fn assert_clean(place: &str, text: &str, fragments: &[String]) {
    for fragment in fragments {
        assert!(
            !text.contains(fragment.as_str()),
            "{place} holds the raw canary `{fragment}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canaries_never_reach_verdicts_alerts_logs_or_metrics() {
    let cases = canaries();
    let fragments: Vec<String> = cases.iter().flat_map(|(_, raw)| raw.clone()).collect();

    // Offline verdicts: every canary is found, and none is shown raw.
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(index, (text, _))| {
            String::from_utf8(post_json(
                &format!("canary-{index}"),
                "@jdevries_zephyr",
                text,
            ))
            .unwrap()
                + "\n"
        })
        .collect();
    let output = scan_stdin(&input);
    let verdicts = String::from_utf8(output.stdout).unwrap();
    for (index, line) in verdicts.lines().enumerate() {
        let verdict: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            verdict["severity"] == "critical" || verdict["severity"] == "error",
            "canary {index} was not detected: {line}"
        );
    }
    assert_clean("scan output", &verdicts, &fragments);
    assert_clean(
        "scan stderr",
        &String::from_utf8_lossy(&output.stderr),
        &fragments,
    );

    // Through the service, with the most verbose logging.
    let topics = TestTopics::create("canary", 1).await;
    let dir = tempdir();
    let port = free_port();
    let config = write_config(dir.path(), &topics, port, "");
    let verbose = std::fs::read_to_string(&config)
        .unwrap()
        .replace("level = \"info\"", "level = \"trace\"");
    std::fs::write(&config, verbose).unwrap();
    let mut service = Service::start(&config, port, &dir.path().join("postwatch.log"));
    service.wait_ready();
    let messages: Vec<(String, Vec<u8>)> = cases
        .iter()
        .enumerate()
        .map(|(index, (text, _))| {
            let id = format!("canary-{index}");
            (id.clone(), post_json(&id, "@jdevries_zephyr", text))
        })
        .collect();
    produce_all(&producer(), &topics.posts, &messages).await;
    let alerts = read_topic(
        &topics.alerts,
        cases.len(),
        Duration::from_secs(60),
        Duration::from_secs(5),
    );
    assert_eq!(alerts.len(), cases.len(), "every canary raised an alert");
    for alert in &alerts {
        let payload = String::from_utf8_lossy(alert.payload().unwrap());
        assert_clean("alert record", &payload, &fragments);
        assert_clean(
            "alert key",
            &String::from_utf8_lossy(alert.key().unwrap()),
            &fragments,
        );
    }
    let (_, metrics) = service.get("/metrics");
    assert_clean("metrics", &metrics, &fragments);
    assert_eq!(service.terminate(), Some(0));
    let log = service.log();
    assert!(log.lines().count() > 10, "trace logging was on");
    assert_clean("log", &log, &fragments);
}
