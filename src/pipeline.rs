//! The per-message data path, top to bottom, with no I/O:
//! bytes → decode → normalise + detect → score → alert record.

use crate::alert::{AlertRecord, Fingerprinter, alert_record};
use crate::detect::RuleSet;
use crate::post::{DecodeError, Post, decode};
use crate::score::score;
use crate::verdict::{Severity, Verdict};
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
        let detection = self.rules.detect(post);
        score(&post.id, &post.text, detection)
    }

    /// The whole per-message path.
    pub fn process(&self, bytes: &[u8], now: DateTime<Utc>) -> Outcome {
        let post = match decode(bytes) {
            Ok(post) => post,
            Err(error) => return Outcome::Invalid(error),
        };
        let verdict = self.verdict(&post);
        let alert = (verdict.severity >= self.alert_min_severity)
            .then(|| Box::new(alert_record(&self.fingerprinter, &post, &verdict, now)));
        Outcome::Scanned {
            post: Box::new(post),
            verdict,
            alert,
        }
    }
}
