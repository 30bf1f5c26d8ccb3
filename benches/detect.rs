//! Criterion bench of the per-post path (decode → normalise → detect → score → alert
//! record) and of the detection pass alone (normalise → detect → score), on a
//! typical 300-byte post, with the development profile and with a profile of 100,000
//! products (names and aliases). Also times building that large rule set. The
//! detection pass is also timed without the learned model, in the same run, so its
//! cost reads as a ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use postwatch::alert::Fingerprinter;
use postwatch::detect::RuleSet;
use postwatch::detect::learned::TextModel;
use postwatch::detect::rules::load_packs;
use postwatch::pipeline::Detector;
use postwatch::profile::Profile;
use postwatch::verdict::Severity;
use std::hint::black_box;
use std::time::Instant;

const DEV_PROFILE: &str = include_str!("../../shared/eval/profile.yaml");

/// A typical post: about 300 bytes, one product, a price, a handle, a link.
const TYPICAL_POST: &str = include_str!("typical_post.json");

fn large_profile(products: usize) -> String {
    let mut catalogue = String::from("products:\n");
    for index in 0..products {
        catalogue.push_str(&format!(
            "  - name: \"Catalogus Artikel {index} Pro\"\n    aliases: [\"CA{index}\", \"Artikel{index}X\"]\n    list_price: {}.00\n    currency: EUR\n",
            100 + index % 900
        ));
    }
    DEV_PROFILE.replacen("products:\n", &catalogue, 1)
}

fn detector(profile_yaml: &str) -> Detector {
    let profile = Profile::parse(profile_yaml).expect("profile");
    let rules = RuleSet::build(load_packs(&[]).expect("packs"), profile)
        .expect("rule set")
        .with_model(Some(TextModel::builtin()));
    Detector {
        rules,
        fingerprinter: Fingerprinter::new(b"bench"),
        alert_min_severity: Severity::Warning,
    }
}

/// The same detector without the learned model: what the model costs, side by side.
fn rules_only(profile_yaml: &str) -> Detector {
    let profile = Profile::parse(profile_yaml).expect("profile");
    let rules = RuleSet::build(load_packs(&[]).expect("packs"), profile).expect("rule set");
    Detector {
        rules,
        fingerprinter: Fingerprinter::new(b"bench"),
        alert_min_severity: Severity::Warning,
    }
}

fn bench(criterion: &mut Criterion) {
    let started = Instant::now();
    let model = TextModel::builtin();
    println!(
        "build: learned model ({} features) loaded in {:.1} ms (once per process)",
        model.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let small = detector(DEV_PROFILE);
    let yaml = large_profile(100_000);
    let started = Instant::now();
    let large = detector(&yaml);
    println!(
        "build: rule set with 100,000 products ({} patterns) built in {:.2} s",
        large.rules.pattern_count(),
        started.elapsed().as_secs_f64()
    );
    let now = chrono::Utc::now();
    let bytes = TYPICAL_POST.as_bytes();
    criterion.bench_function("per_post/dev_profile", |b| {
        b.iter(|| black_box(small.process(black_box(bytes), now)))
    });
    criterion.bench_function("per_post/100k_products", |b| {
        b.iter(|| black_box(large.process(black_box(bytes), now)))
    });
    // The detection pass alone (normalise, match, detectors, score) on a decoded
    // post: issue 3's 20 µs target.
    let post = postwatch::post::decode(bytes).expect("typical post decodes");
    criterion.bench_function("detection_pass/dev_profile", |b| {
        b.iter(|| black_box(small.verdict(black_box(&post))))
    });
    criterion.bench_function("detection_pass/100k_products", |b| {
        b.iter(|| black_box(large.verdict(black_box(&post))))
    });
    let small_rules_only = rules_only(DEV_PROFILE);
    let large_rules_only = rules_only(&yaml);
    criterion.bench_function("detection_pass/dev_profile_rules_only", |b| {
        b.iter(|| black_box(small_rules_only.verdict(black_box(&post))))
    });
    criterion.bench_function("detection_pass/100k_products_rules_only", |b| {
        b.iter(|| black_box(large_rules_only.verdict(black_box(&post))))
    });
    criterion.bench_function("decode_only", |b| {
        b.iter(|| black_box(postwatch::post::decode(black_box(bytes))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
