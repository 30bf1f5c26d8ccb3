//! Rule packs as data: TOML files of lexicon rules, loaded and validated as a whole.
//!
//! A pack is one file:
//!
//! ```toml
//! [pack]
//! name = "complaint"
//! negations = ["geen", "no", "not"]     # words that cancel a negatable rule just before it
//!
//! [[rule]]
//! id = "complaint.delivery"
//! category = "reputation.complaint"
//! weight = 60                  # 0-100; a rule fires at 50 or more, context included
//! languages = ["nl", "en"]     # informational: detection never depends on the lang hint
//! terms = ["niet geleverd", "never arrived", "klacht*"]   # `*` at an end: prefix/suffix match
//! context = ["bestelling", "$brand"]   # strengthen within `window` tokens; `$brand` = company names and handles
//! context_weight = 20
//! window = 8
//! exceptions = ["geen klacht*"]        # a match with one of these within `window` tokens is cancelled
//! negatable = true
//! roles = ["public"]                   # only for these account roles (default: all)
//! ```
//!
//! Built-in packs ship in `rules/` and are compiled in; operators add directories of
//! their own. Every error is reported with file and line, and a rule set with an error
//! is never used.

use crate::verdict::{AccountRole, Category};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The threshold a lexicon rule's weight plus context must reach to fire.
pub const FIRE_THRESHOLD: u16 = 50;
/// Default context and exception window, in tokens.
pub const DEFAULT_WINDOW: u16 = 6;

/// The built-in packs, shipped as data files in `rules/`.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("rules/abuse.toml", include_str!("../../rules/abuse.toml")),
    (
        "rules/complaint.toml",
        include_str!("../../rules/complaint.toml"),
    ),
    (
        "rules/confidential.toml",
        include_str!("../../rules/confidential.toml"),
    ),
    ("rules/crisis.toml", include_str!("../../rules/crisis.toml")),
    (
        "rules/financial.toml",
        include_str!("../../rules/financial.toml"),
    ),
    (
        "rules/pricing.toml",
        include_str!("../../rules/pricing.toml"),
    ),
    (
        "rules/security.toml",
        include_str!("../../rules/security.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    pack: RawPackHeader,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackHeader {
    name: String,
    #[serde(default)]
    negations: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    category: String,
    weight: u8,
    #[serde(default)]
    languages: Vec<String>,
    terms: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    context_weight: u8,
    #[serde(default)]
    window: Option<u16>,
    #[serde(default)]
    exceptions: Vec<String>,
    #[serde(default)]
    negatable: bool,
    #[serde(default)]
    roles: Vec<String>,
}

/// A validated lexicon rule.
#[derive(Debug, Clone)]
pub struct LexiconRule {
    pub id: String,
    pub category: Category,
    pub weight: u8,
    pub languages: Vec<String>,
    pub terms: Vec<String>,
    pub context: Vec<String>,
    pub context_weight: u8,
    pub window: u16,
    pub exceptions: Vec<String>,
    /// Negation words of the rule's pack, when the rule is negatable.
    pub negations: Vec<String>,
    /// Empty means every role.
    pub roles: Vec<AccountRole>,
    /// Where it was defined, for explanations: `file:line`.
    pub origin: String,
}

impl LexiconRule {
    pub fn applies_to(&self, role: AccountRole) -> bool {
        self.roles.is_empty() || self.roles.contains(&role)
    }
}

/// Every problem found while loading rule packs.
#[derive(Debug, thiserror::Error)]
#[error("rule packs did not load ({} problems):\n  - {}", problems.len(), problems.join("\n  - "))]
pub struct RulePackError {
    pub problems: Vec<String>,
}

/// Loads the built-in packs and every `*.toml` in `extra_dirs`.
///
/// # Errors
///
/// Every problem in every file, each with its file and line; nothing is returned
/// unless all packs are valid.
pub fn load_packs(extra_dirs: &[PathBuf]) -> Result<Vec<LexiconRule>, RulePackError> {
    let mut sources: Vec<(String, String)> = BUILTIN_PACKS
        .iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let mut problems = Vec::new();
    for dir in extra_dirs {
        match read_pack_dir(dir) {
            Ok(mut files) => sources.append(&mut files),
            Err(problem) => problems.push(problem),
        }
    }
    let mut rules = Vec::new();
    for (name, text) in &sources {
        match parse_pack(name, text) {
            Ok(mut pack_rules) => rules.append(&mut pack_rules),
            Err(mut pack_problems) => problems.append(&mut pack_problems),
        }
    }
    let mut seen = std::collections::HashMap::new();
    for rule in &rules {
        if let Some(first) = seen.insert(rule.id.clone(), rule.origin.clone()) {
            problems.push(format!(
                "{}: rule id `{}` is already defined at {first}",
                rule.origin, rule.id
            ));
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(RulePackError { problems })
    }
}

fn read_pack_dir(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        format!(
            "{}: cannot read rule pack directory: {error}",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            std::fs::read_to_string(&path)
                .map(|text| (path.display().to_string(), text))
                .map_err(|error| format!("{}: cannot read: {error}", path.display()))
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses one pack file.
///
/// # Errors
///
/// Every problem in the file, as `file:line: message`.
pub fn parse_pack(name: &str, text: &str) -> Result<Vec<LexiconRule>, Vec<String>> {
    let pack: RawPack = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(0, |span| line_of(text, span.start));
        vec![format!("{name}:{line}: {}", error.message())]
    })?;
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    for spanned in pack.rules {
        let line = line_of(text, spanned.span().start);
        let origin = format!("{name}:{line}");
        let raw = spanned.into_inner();
        let mut problem =
            |message: String| problems.push(format!("{origin}: rule `{}`: {message}", raw.id));
        let category = Category::parse(&raw.category);
        match category {
            None => problem(format!("unknown category `{}`", raw.category)),
            Some(Category::ReputationSpike) => {
                problem("reputation.spike is stream level, not a post rule".to_string())
            }
            Some(_) => {}
        }
        if raw.weight > 100 || raw.context_weight > 100 {
            problem(format!(
                "weight {} and context_weight {} must be 0 to 100",
                raw.weight, raw.context_weight
            ));
        }
        if raw.terms.is_empty() {
            problem("has no terms".to_string());
        }
        for term in raw.terms.iter().chain(&raw.context).chain(&raw.exceptions) {
            let core = term.trim_matches('*');
            if crate::normalize::normalize(core).text.is_empty() {
                problem(format!("term `{term}` is empty after normalisation"));
            }
        }
        if u16::from(raw.weight) < FIRE_THRESHOLD && raw.context.is_empty() {
            problem(format!(
                "weight {} is below {FIRE_THRESHOLD} and the rule has no context, so it can never fire",
                raw.weight
            ));
        }
        let mut roles = Vec::new();
        for role in &raw.roles {
            match role.as_str() {
                "corporate" => roles.push(AccountRole::Corporate),
                "employee" => roles.push(AccountRole::Employee),
                "public" => roles.push(AccountRole::Public),
                other => problem(format!("unknown role `{other}`")),
            }
        }
        if raw.id.trim().is_empty() {
            problem("has an empty id".to_string());
        }
        let Some(category) = category else { continue };
        rules.push(LexiconRule {
            id: raw.id,
            category,
            weight: raw.weight,
            languages: raw.languages,
            terms: raw.terms,
            context: raw.context,
            context_weight: raw.context_weight,
            window: raw.window.unwrap_or(DEFAULT_WINDOW),
            exceptions: raw.exceptions,
            negations: if raw.negatable {
                pack.pack.negations.clone()
            } else {
                Vec::new()
            },
            roles,
            origin,
        });
    }
    let _ = &pack.pack.name;
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_packs_load() {
        let rules = load_packs(&[]).unwrap();
        for category in Category::ALL {
            if category == Category::ReputationSpike
                || category == Category::LeakSecret
                || category == Category::LeakPii
            {
                continue;
            }
            assert!(
                rules.iter().any(|rule| rule.category == category),
                "no built-in rule for {category}"
            );
        }
    }

    #[test]
    fn reports_every_error_with_file_and_line() {
        let pack = r#"[pack]
name = "bad"

[[rule]]
id = "a"
category = "leak.nothing"
weight = 60
terms = ["x"]

[[rule]]
id = "b"
category = "reputation.complaint"
weight = 20
terms = ["y"]
roles = ["alien"]
"#;
        let problems = parse_pack("bad.toml", pack).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].starts_with("bad.toml:4: rule `a`: unknown category"));
        assert!(problems[1].starts_with("bad.toml:10: rule `b`"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let problems = parse_pack("broken.toml", "[pack]\nname = \"x\"\n[[rule]\n").unwrap_err();
        assert!(problems[0].starts_with("broken.toml:3:"), "{problems:?}");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let pack = "[pack]\nname = \"x\"\n[[rule]]\nid = \"a\"\ncategory = \"reputation.abuse\"\nweight = 60\nterms = [\"x\"]\nwieght = 3\n";
        let problems = parse_pack("typo.toml", pack).unwrap_err();
        assert!(problems[0].contains("wieght"), "{problems:?}");
    }
}
