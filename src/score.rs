//! Scoring: hits and the account role become the verdict of CONTRACT §2, with the
//! severity policy of §4.

use crate::detect::{Detection, Hit};
use crate::redact;
use crate::verdict::{AccountRole, Category, Finding, Severity, Verdict};

/// How much a leak weighs when the public, not an insider, published it: a customer
/// exposing their own data is less grave than the company exposing it.
const PUBLIC_LEAK_FACTOR: f64 = 0.7;

/// The verdict for one post.
pub fn score(post_id: &str, text: &str, detection: Detection) -> Verdict {
    let Detection {
        account_role, hits, ..
    } = detection;
    let findings: Vec<Finding> = (0..hits.len())
        .map(|index| {
            let hit = &hits[index];
            Finding {
                rule: hit.rule.to_string(),
                category: hit.category,
                start: hit.start,
                end: hit.end,
                excerpt: redact::excerpt(text, &hits, index),
                weight: hit.weight,
                checksum_validated: hit.checksum_validated,
            }
        })
        .collect();
    let mut categories: Vec<Category> = hits.iter().map(|hit| hit.category).collect();
    categories.sort();
    categories.dedup();
    let role_factor = if account_role.is_insider() {
        1.0
    } else {
        PUBLIC_LEAK_FACTOR
    };
    let leak_score = combined_score(
        hits.iter().filter(|hit| hit.category.is_leak()),
        role_factor,
    );
    let reputation_score = combined_score(hits.iter().filter(|hit| !hit.category.is_leak()), 1.0);
    let severity = hits
        .iter()
        .map(|hit| finding_severity(hit, account_role))
        .max()
        .unwrap_or(Severity::None);
    Verdict {
        id: post_id.to_string(),
        severity,
        leak_score,
        reputation_score,
        account_role,
        categories,
        findings,
    }
}

/// Independent evidence adds up without passing 100: `1 - Π(1 - weight)`.
fn combined_score<'a>(hits: impl Iterator<Item = &'a Hit>, factor: f64) -> u8 {
    let miss = hits.fold(1.0, |miss, hit| {
        miss * (1.0 - f64::from(hit.weight) / 100.0)
    });
    ((1.0 - miss) * factor * 100.0).round().clamp(0.0, 100.0) as u8
}

/// The severity one finding calls for (CONTRACT §4).
pub fn finding_severity(hit: &Hit, role: AccountRole) -> Severity {
    match hit.category {
        category if category.is_leak() && role.is_insider() => match category {
            Category::LeakSecret | Category::LeakPricing => Severity::Critical,
            Category::LeakPii if hit.checksum_validated => Severity::Critical,
            _ => Severity::Error,
        },
        category if category.is_leak() => Severity::Warning,
        Category::ReputationComplaint => Severity::Warning,
        Category::ReputationCrisis | Category::ReputationSpike => Severity::Error,
        Category::ReputationAbuse if role.is_insider() => Severity::Error,
        _ => Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Sensitivity;

    fn hit(category: Category, validated: bool) -> Hit {
        Hit {
            rule: "test.rule",
            category,
            start: 0,
            end: 4,
            weight: 80,
            checksum_validated: validated,
            sensitivity: Sensitivity::Plain,
            canonical: None,
        }
    }

    #[test]
    fn severity_policy() {
        use AccountRole::*;
        use Category::*;
        let cases = [
            (LeakSecret, false, Employee, Severity::Critical),
            (LeakPricing, false, Corporate, Severity::Critical),
            (LeakPii, true, Employee, Severity::Critical),
            (LeakPii, false, Employee, Severity::Error),
            (LeakConfidential, false, Employee, Severity::Error),
            (LeakSecret, false, Public, Severity::Warning),
            (LeakPii, true, Public, Severity::Warning),
            (ReputationComplaint, false, Public, Severity::Warning),
            (ReputationCrisis, false, Public, Severity::Error),
            (ReputationAbuse, false, Public, Severity::Warning),
            (ReputationAbuse, false, Corporate, Severity::Error),
        ];
        for (category, validated, role, expected) in cases {
            assert_eq!(
                finding_severity(&hit(category, validated), role),
                expected,
                "{category} {role:?}"
            );
        }
    }

    #[test]
    fn verdict_has_sorted_distinct_categories_and_the_highest_severity() {
        let detection = Detection {
            vetoed: Vec::new(),
            account_role: AccountRole::Employee,
            hits: vec![
                hit(Category::ReputationAbuse, false),
                hit(Category::LeakSecret, false),
                hit(Category::LeakSecret, false),
            ],
        };
        let verdict = score("p1", "abcdefgh", detection);
        assert_eq!(
            verdict.categories,
            vec![Category::LeakSecret, Category::ReputationAbuse]
        );
        assert_eq!(verdict.severity, Severity::Critical);
        assert_eq!(verdict.leak_score, 96);
        assert_eq!(verdict.reputation_score, 80);
    }

    #[test]
    fn no_findings_is_none() {
        let detection = Detection {
            vetoed: Vec::new(),
            account_role: AccountRole::Public,
            hits: vec![],
        };
        let verdict = score("p1", "hello", detection);
        assert_eq!(verdict.severity, Severity::None);
        assert_eq!((verdict.leak_score, verdict.reputation_score), (0, 0));
    }
}
