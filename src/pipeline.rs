//! The per-message data path, top to bottom, with no I/O:
//! bytes → decode → normalise + detect → score → alert record.

use crate::alert::{AlertRecord, Fingerprinter, alert_record};
use crate::detect::RuleSet;
use crate::post::{DecodeError, Post, decode};
use crate::score::score;
use crate::verdict::{Category, Severity, Verdict};
use chrono::{DateTime, Utc};

/// What became of one message.
#[derive(Debug)]
pub enum Outcome {
    /// A valid post and its verdict; an alert record when the verdict reached the
    /// alert threshold.
    Scanned {
        post: Box<Post>,
        verdict: Verdict,
        alert: Option<Box<AlertRecord>>,
        /// Rule findings the learned model overruled (rule id, category), for the
        /// worker's metric and debug log.
        vetoed: Vec<(&'static str, Category)>,
    },
    /// Not a valid post: it goes to the dead-letter topic.
    Invalid(DecodeError),
}

/// Everything the data path needs, built once at start-up.
pub struct Detector {
    pub rules: RuleSet,
    pub fingerprinter: Fingerprinter,
    pub alert_min_severity: Severity,
}

impl Detector {
    /// The verdict on a decoded post.
    pub fn verdict(&self, post: &Post) -> Verdict {
        self.verdict_and_vetoes(post).0
    }

    /// The verdict, and the rule findings the learned model overruled on the way.
    fn verdict_and_vetoes(&self, post: &Post) -> (Verdict, Vec<(&'static str, Category)>) {
        let mut detection = self.rules.detect(post);
        let vetoed = std::mem::take(&mut detection.vetoed);
        (score(&post.id, &post.text, detection), vetoed)
    }

    /// The whole per-message path.
    pub fn process(&self, bytes: &[u8], now: DateTime<Utc>) -> Outcome {
        let post = match decode(bytes) {
            Ok(post) => post,
            Err(error) => return Outcome::Invalid(error),
        };
        let (verdict, vetoed) = self.verdict_and_vetoes(&post);
        let alert = (verdict.severity >= self.alert_min_severity)
            .then(|| Box::new(alert_record(&self.fingerprinter, &post, &verdict, now)));
        Outcome::Scanned {
            post: Box::new(post),
            verdict,
            alert,
            vetoed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::load_packs;
    use crate::profile::Profile;

    /// The demo's example posts (README: `scripts/demo`) get the categories a newcomer
    /// is promised, so a change in the packs cannot quietly empty the demo.
    #[test]
    fn the_demo_posts_get_their_categories() {
        let profile = Profile::parse(include_str!("../examples/profile.yaml")).unwrap();
        let detector = Detector {
            rules: RuleSet::build(load_packs(&[]).unwrap(), profile)
                .unwrap()
                .with_model(Some(crate::detect::learned::TextModel::builtin())),
            fingerprinter: Fingerprinter::new(b"test"),
            alert_min_severity: Severity::Warning,
        };
        let expected: &[(&str, &[&str])] = &[
            ("demo-1", &["leak.pricing"]),
            ("demo-2", &["leak.secret"]),
            ("demo-3", &["reputation.complaint"]),
            ("demo-4", &["leak.pii"]),
            ("demo-5", &[]),
            ("demo-6", &["leak.confidential"]),
            ("demo-7", &["reputation.crisis"]),
            ("demo-8", &[]),
            ("demo-9", &["leak.confidential", "leak.financial"]),
            ("demo-10", &[]),
            ("demo-11", &["reputation.abuse"]),
            ("demo-12", &["leak.confidential", "leak.security"]),
        ];
        let mut seen = 0;
        for line in include_str!("../examples/posts.jsonl").lines() {
            let Ok(post) = decode(line.as_bytes()) else {
                continue;
            };
            let verdict = detector.verdict(&post);
            let got: Vec<&str> = verdict.categories.iter().map(|c| c.as_str()).collect();
            let (_, want) = expected
                .iter()
                .find(|(id, _)| *id == post.id)
                .unwrap_or_else(|| panic!("no expectation for {}", post.id));
            assert_eq!(got, *want, "{}: {}", post.id, post.text);
            seen += 1;
        }
        assert_eq!(seen, expected.len());
    }
}
