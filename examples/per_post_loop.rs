//! Runs the detection pass on the typical post of `benches/detect.rs` N times
//! (`cargo run --release --example per_post_loop -- N`), for instruction counts that
//! shared, noisy machines cannot blur: the difference between two runs under
//! `valgrind --tool=callgrind` (say N = 1000 and N = 3000), divided by the difference
//! in N, is the instructions per post. Compare two builds that way, side by side.
//! A second argument `rules-only` leaves the learned model out.

use postwatch::alert::Fingerprinter;
use postwatch::detect::RuleSet;
use postwatch::detect::rules::load_packs;
use postwatch::pipeline::Detector;
use postwatch::profile::Profile;
use postwatch::verdict::Severity;

/// The post `benches/detect.rs` measures.
const TYPICAL_POST: &str = include_str!("../benches/typical_post.json");

fn main() {
    // The development profile, as in the criterion bench.
    let profile = Profile::parse(include_str!("../../shared/eval/profile.yaml")).unwrap();
    let mut rules = RuleSet::build(load_packs(&[]).unwrap(), profile).unwrap();
    if std::env::args().nth(2).as_deref() != Some("rules-only") {
        rules = rules.with_model(Some(postwatch::detect::learned::TextModel::builtin()));
    }
    let d = Detector {
        rules,
        fingerprinter: Fingerprinter::new(b"x"),
        alert_min_severity: Severity::Warning,
    };
    let post = postwatch::post::decode(TYPICAL_POST.as_bytes()).unwrap();
    let n: u32 = std::env::args().nth(1).map_or(0, |a| a.parse().unwrap());
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(d.verdict(std::hint::black_box(&post)));
    }
    if n > 0 {
        println!("{:?}", t.elapsed() / n);
    }
}
