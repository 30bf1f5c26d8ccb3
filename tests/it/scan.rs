//! `postwatch scan` and `postwatch check-config` as a user runs them.

use crate::support::*;
use std::process::Command;

fn run_scan(input: &str) -> (Option<i32>, Vec<serde_json::Value>) {
    let output = scan_stdin(input);
    let verdicts = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (output.status.code(), verdicts)
}

#[test]
fn scan_prints_one_verdict_per_line_in_order_and_flags_invalid_lines() {
    let iban = dutch_iban(4242);
    let input = [
        String::from_utf8(post_json(
            "a",
            "@jdevries_zephyr",
            &format!("rekening {iban}"),
        ))
        .unwrap(),
        "{broken".to_string(),
        String::from_utf8(post_json("c", "@someone", "Fijne dag allemaal")).unwrap(),
    ]
    .join("\n");
    let (code, verdicts) = run_scan(&input);
    assert_eq!(code, Some(1), "an invalid line makes the exit status 1");
    assert_eq!(verdicts.len(), 3);
    assert_eq!(verdicts[0]["id"], "a");
    assert_eq!(verdicts[0]["severity"], "critical");
    assert_eq!(verdicts[0]["categories"], serde_json::json!(["leak.pii"]));
    let finding = &verdicts[0]["findings"][0];
    let start = finding["start"].as_u64().unwrap() as usize;
    let end = finding["end"].as_u64().unwrap() as usize;
    assert_eq!(
        &format!("rekening {iban}")[start..end],
        iban,
        "offsets point into the original text"
    );
    assert!(
        !verdicts[0].to_string().contains(&iban[4..14]),
        "no raw IBAN in the verdict"
    );
    assert!(verdicts[1]["id"].is_null() && verdicts[1]["error"].is_string());
    assert_eq!(verdicts[2]["severity"], "none");
}

#[test]
fn check_config_reports_every_problem() {
    let dir = tempdir();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[detection]\nalert_min_severity = \"loud\"\n[log]\nformat = \"xml\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_postwatch"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8(output.stderr).unwrap();
    for expected in ["detection.profile is required", "loud", "xml"] {
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn operator_rule_packs_apply_and_a_broken_pack_is_rejected_whole_with_file_and_line() {
    let dir = tempdir();
    let packs = dir.path().join("packs");
    std::fs::create_dir_all(&packs).unwrap();
    std::fs::write(
        packs.join("house.toml"),
        r#"[pack]
name = "house"

[[rule]]
id = "house.project_word"
category = "leak.confidential"
weight = 80
terms = ["operatie zonnebloem"]
"#,
    )
    .unwrap();
    let posts = dir.path().join("posts.jsonl");
    std::fs::write(
        &posts,
        String::from_utf8(post_json(
            "h1",
            "@jdevries_zephyr",
            "Morgen start Operatie Zonnebloem, spannend!",
        ))
        .unwrap()
            + "\n",
    )
    .unwrap();
    let scan = |extra: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_postwatch"))
            .args(["scan", "--profile"])
            .arg(dev_profile())
            .arg("--rules")
            .arg(extra)
            .arg(&posts)
            .output()
            .unwrap()
    };
    let output = scan(&packs);
    assert_eq!(output.status.code(), Some(0));
    let verdict: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["findings"][0]["rule"], "house.project_word");
    assert_eq!(verdict["severity"], "error");

    // One bad rule in a second file: nothing is applied, and the error names file and line.
    std::fs::write(
        packs.join("zz-broken.toml"),
        "[pack]\nname = \"broken\"\n\n[[rule]]\nid = \"broken.one\"\ncategory = \"leak.nonsense\"\nweight = 70\nterms = [\"x\"]\n",
    )
    .unwrap();
    let output = scan(&packs);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "no verdict from a half-loaded rule set"
    );
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("zz-broken.toml:4"), "{message}");
    assert!(message.contains("leak.nonsense"), "{message}");
}
