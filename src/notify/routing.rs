//! Which alerts page, and which team they page: per-category severity thresholds and
//! an ordered list of routes by category and brand, with a default team.

use crate::alert::AlertRecord;
use crate::verdict::{Category, Severity};

/// Per category, the least severity that pages; `None` never pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    least: [Option<Severity>; Category::ALL.len()],
}

fn index_of(category: Category) -> usize {
    Category::ALL
        .iter()
        .position(|c| *c == category)
        .expect("every category is in ALL")
}

impl Thresholds {
    /// Nothing pages.
    pub fn never() -> Thresholds {
        Thresholds {
            least: [None; Category::ALL.len()],
        }
    }

    /// Sets the threshold of `categories` from a severity name or `never`.
    ///
    /// # Errors
    ///
    /// The end of a sentence naming the bad value.
    pub fn set(&mut self, categories: &[Category], severity: &str) -> Result<(), String> {
        let least = match severity {
            "never" => None,
            name => match Severity::parse(name) {
                Some(Severity::None) | None => {
                    return Err(format!(
                        "is `{name}`, must be info, warning, error, critical or never"
                    ));
                }
                Some(severity) => Some(severity),
            },
        };
        for category in categories {
            self.least[index_of(*category)] = least;
        }
        Ok(())
    }

    pub fn least(&self, category: Category) -> Option<Severity> {
        self.least[index_of(category)]
    }

    /// Whether any category of the alert reaches its threshold.
    pub fn pages(&self, alert: &AlertRecord) -> bool {
        alert.categories.iter().any(|category| {
            self.least(*category)
                .is_some_and(|least| alert.severity >= least)
        })
    }
}

/// A route: alerts with any of `categories` (all, when empty) for any of `brands`
/// (all, when empty) go to `team`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Index into `NotifyConfig::teams`.
    pub team: usize,
    pub categories: Vec<Category>,
    /// Lowercase.
    pub brands: Vec<String>,
}

/// Routes in order; the first that matches wins, else the default team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub routes: Vec<Route>,
    pub default_team: usize,
}

impl Routing {
    /// The team (index into `NotifyConfig::teams`) that owns `alert`.
    pub fn team_for(&self, alert: &AlertRecord) -> usize {
        let brand = alert.brand.as_deref().map(str::to_lowercase);
        self.routes
            .iter()
            .find(|route| {
                let category_matches = route.categories.is_empty()
                    || alert
                        .categories
                        .iter()
                        .any(|category| route.categories.contains(category));
                let brand_matches = route.brands.is_empty()
                    || brand
                        .as_ref()
                        .is_some_and(|brand| route.brands.contains(brand));
                category_matches && brand_matches
            })
            .map_or(self.default_team, |route| route.team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertAction, AlertRecord};
    use crate::verdict::AccountRole;

    fn alert(categories: &[Category], severity: Severity, brand: Option<&str>) -> AlertRecord {
        AlertRecord {
            schema_version: 1,
            action: AlertAction::Trigger,
            alert_id: "a".into(),
            dedup_key: "k".into(),
            post_id: "p".into(),
            post_url: None,
            platform: "x".into(),
            brand: brand.map(str::to_string),
            account_role: AccountRole::Employee,
            categories: categories.to_vec(),
            severity,
            leak_score: 90,
            reputation_score: 0,
            rules: vec![],
            evidence: vec![],
            post_created_at: chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z").unwrap(),
            detected_at: chrono::Utc::now(),
            spike: None,
        }
    }

    #[test]
    fn thresholds_decide_per_category() {
        let mut thresholds = Thresholds::never();
        thresholds
            .set(&[Category::LeakPii, Category::LeakSecret], "error")
            .unwrap();
        thresholds
            .set(&[Category::ReputationSpike], "info")
            .unwrap();
        let cases = [
            (vec![Category::LeakPii], Severity::Critical, true),
            (vec![Category::LeakPii], Severity::Error, true),
            (vec![Category::LeakPii], Severity::Warning, false),
            (
                vec![Category::ReputationComplaint],
                Severity::Critical,
                false,
            ),
            (
                vec![Category::ReputationComplaint, Category::LeakSecret],
                Severity::Error,
                true,
            ),
            (vec![Category::ReputationSpike], Severity::Info, true),
        ];
        for (categories, severity, pages) in cases {
            assert_eq!(
                thresholds.pages(&alert(&categories, severity, None)),
                pages,
                "{categories:?} at {severity}"
            );
        }
        assert!(thresholds.set(&[Category::LeakPii], "none").is_err());
    }

    #[test]
    fn first_matching_route_wins_else_the_default() {
        let routing = Routing {
            routes: vec![
                Route {
                    team: 1,
                    categories: vec![Category::LeakFinancial],
                    brands: vec![],
                },
                Route {
                    team: 2,
                    categories: vec![Category::ReputationComplaint],
                    brands: vec!["zephyr".into()],
                },
                Route {
                    team: 3,
                    categories: vec![],
                    brands: vec!["boreas".into()],
                },
            ],
            default_team: 0,
        };
        let cases = [
            (vec![Category::LeakFinancial], Some("boreas"), 1),
            (vec![Category::ReputationComplaint], Some("ZEPHYR"), 2),
            (vec![Category::ReputationComplaint], Some("other"), 0),
            (vec![Category::ReputationComplaint], None, 0),
            (vec![Category::LeakPii], Some("Boreas"), 3),
            (vec![Category::LeakPii], None, 0),
        ];
        for (categories, brand, team) in cases {
            assert_eq!(
                routing.team_for(&alert(&categories, Severity::Error, brand)),
                team,
                "{categories:?} {brand:?}"
            );
        }
    }
}
