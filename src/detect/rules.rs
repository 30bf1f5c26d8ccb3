//! Rule packs as data: TOML files of lexicon rules and shared word sets, loaded and
//! validated as a whole.
//!
//! A pack is one file:
//!
//! ```toml
//! [pack]
//! name = "complaint"
//! negations = ["geen", "no", "not"]     # words that cancel a negatable rule (and any exception) just before it
//!
//! [sets]                                 # word sets any pack may use as `$name`
//! secrecy = ["nog geheim", "not public yet", "hou het voor je*"]
//!
//! [[rule]]
//! id = "complaint.delivery"
//! category = "reputation.complaint"
//! weight = 60                  # 0-100; a rule fires at 50 or more, context included
//! languages = ["nl", "en"]     # informational: detection never depends on the lang hint
//! terms = ["niet geleverd", "never arrived", "klacht*", "wacht* .. op"]
//! context = ["bestelling", "$brand"]   # strengthen within `window` tokens
//! context_weight = 20
//! window = 8
//! exceptions = ["geen klacht*"]        # a match with one of these within `window` tokens is cancelled
//! unless = ["$insider_source"]         # ... and with one of these anywhere in the post
//! negatable = true
//! requires = ["$secrecy"]              # one of these must occur, else the rule never fires
//! requires_window = 12                 # ... within this many tokens (default: anywhere in the post)
//! about_company = "sentence"           # the term's sentence must mention the company ("nearby": it or
//!                                      # a neighbouring sentence; "post": anywhere in the post)
//! roles = ["public"]                   # only for these account roles (default: all)
//! yields_to = ["crisis.data_breach"]   # when one of these rules fires on the post, this one's findings go
//! judged = false                       # the learned model may not overrule its findings (default: true)
//! ```
//!
//! # Words
//!
//! Every word list (`terms`, `context`, `exceptions`, `unless`, `requires`, sets) holds literals
//! that are folded exactly like post text (`crate::normalize`), so `Prijsföut`,
//! `PRIJSFOUT` and `p r i j s f o u t` are one word. A literal matches whole tokens;
//! a `*` at an end opens that end (`klacht*` matches `klachten`, `*cijfers` matches
//! `jaarcijfers`). A literal with ` .. ` between parts is a *gapped phrase*: its parts
//! occur in order, in one sentence, with at most [`MAX_PHRASE_GAP`] tokens between
//! neighbours (`neemt .. over` matches "we nemen een kwekerij in het Westland over"), which is how separable
//! Dutch verbs and fixed frames are written. Words inside an e-mail address are no
//! words of the post (`jeroen@ziggo.nl` names no other company, `klacht@…` is no
//! complaint).
//!
//! `$name` refers to a set from the `[sets]` table of any loaded pack (sets may refer
//! to other sets); a `$` before anything but a letter is literal (`$*`: a dollar amount). Three names are built in and come from the company profile:
//! `$brand` (the company and brand names, also inside `@handles` and `#hashtags`),
//! `$product` (catalogue names and aliases) and `$company` (either of those, or a
//! handle of one of the company's own accounts). A fourth, `$internal`, is the
//! company's inside: its internal hosts and internal markers (an employee
//! naming an internal host next to "ligt eruit" speaks from inside). They are allowed
//! in `context` and `requires`, not in `terms` or `exceptions`; `$internal` is no
//! mention of the company for `about_company`.
//!
//! # How a rule fires
//!
//! For every occurrence of a term, in this order: the account role must be in
//! `roles`; with `about_company`, a `$company` mention must be in the term's sentence
//! or anywhere in the post, and the term must not be pinned on another organisation
//! by name ("the breach at PayRollo", "Pakjesbuur had a data breach"); a negation word of the pack within three tokens before
//! the term, in its sentence, cancels a `negatable` rule (unless the term itself
//! starts with a negation: "no reply"); an exception within `window` tokens, or an
//! `unless` word anywhere, cancels it (but a negated exception does not count: "not
//! published yet" is no sign of publication); with `requires`, one of its words must be within `requires_window` tokens (or
//! anywhere); then `weight`, plus `context_weight` when a context word is within
//! `window` tokens and in the term's sentence, must reach [`FIRE_THRESHOLD`]. A weight below the threshold thus
//! makes the context mandatory: that is a two-part rule with a boost, `requires` is a
//! two-part rule with a gate. Sentences end at `.`, `!` or `?` before a space, and at
//! line breaks.
//!
//! # Cues
//!
//! A rule with a weight below the threshold and no context is a *cue rule*: one weak
//! sign of a concept, which never fires alone. Occurrences of cue rules that pass
//! every gate add up per category: the strongest occurrence of each distinct rule
//! counts once, and when two or more rules reach [`CUE_THRESHOLD`] together they fire,
//! each as a finding of its own ("komt wéér niet opdagen" + "dag vrij genomen voor
//! niks"). Cues only fill a gap: they never add up across categories, a category that
//! fired on its own needs none, and a post already explained by a pricing error,
//! insider figures or an incident (leak.pricing, leak.financial, leak.security) gets
//! nothing from cues. Two-part rules
//! (with context) are not cues: their term alone is no sign.
//!
//! `yields_to` settles where categories meet: a rule's findings are dropped when a
//! rule it yields to fired on the same post (a data-breach accusation is a crisis, not
//! also a complaint, even when the poster's own data leaked). It may also name a
//! category: the findings are dropped when any finding of that category is on the
//! post (a pasted credential is `leak.secret`; the troubleshooting around it, "prod
//! says unauthorized", is not also an incident). Its list may use sets too, so rules
//! that yield alike share one (`yields_to = ["$complaint_yields_to"]`).
//!
//! Rules of category `leak.pricing` never fire alone: they are price-error talk that
//! the pricing detector ties to a catalogue product (and their negated or excepted
//! occurrences are denials).
//!
//! # Embargoed results
//!
//! An embargoed term (profile `embargo`) before its moment is `leak.confidential`. When
//! the term itself contains a term of a `leak.financial` rule (`Q4-cijfers` holds
//! `*cijfers`, `FY26 results` holds `results`), it is results-like and also gives a
//! `leak.financial` finding (`financial.embargoed_results`): unpublished figures are
//! insider information whoever posts them. From an employee or corporate account it
//! needs the post to say something about the results (another `leak.financial` rule
//! fired): a presentation about them is only confidential. The financial pack is thus the one place that says what
//! results-like means.
//!
//! Built-in packs ship in `rules/` and are compiled in; operators add directories of
//! their own. Every error is reported with file and line, and a rule set with an error
//! is never used.

use crate::verdict::{AccountRole, Category};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The threshold a lexicon rule's weight plus context must reach to fire.
pub const FIRE_THRESHOLD: u16 = 50;
/// What the cues (sub-threshold occurrences) of two or more distinct rules of one
/// category must reach together to fire.
pub const CUE_THRESHOLD: u16 = 60;
/// Default context and exception window, in tokens.
pub const DEFAULT_WINDOW: u16 = 6;
/// Most tokens allowed between neighbouring parts of a gapped phrase (`a .. b`).
pub const MAX_PHRASE_GAP: u32 = 5;
/// The separator of the parts of a gapped phrase.
pub const PHRASE_GAP: &str = " .. ";
/// Set names the engine fills from the company profile.
pub const PROFILE_SETS: [&str; 4] = ["$brand", "$product", "$company", "$internal"];
/// How deep sets may refer to other sets.
const MAX_SET_DEPTH: usize = 8;

/// The built-in packs, shipped as data files in `rules/`.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("rules/abuse.toml", include_str!("../../rules/abuse.toml")),
    ("rules/common.toml", include_str!("../../rules/common.toml")),
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
    #[serde(default)]
    sets: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<toml::Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackHeader {
    #[allow(dead_code)] // informational, like `languages`
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
    unless: Vec<String>,
    #[serde(default)]
    negatable: bool,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    requires_window: Option<u16>,
    #[serde(default)]
    about_company: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    yields_to: Vec<String>,
    #[serde(default = "judged_by_default")]
    judged: bool,
}

fn judged_by_default() -> bool {
    true
}

/// Where a company mention must be for a rule with `about_company`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyScope {
    /// Anywhere in the post.
    Post,
    /// In the sentence of the term.
    Sentence,
    /// In the sentence of the term or a neighbouring one ("Iedereen weg bij X! Ze
    /// verkopen je gegevens."): a pronoun carries the company one sentence on.
    Nearby,
}

/// A validated lexicon rule, with every `$set` of the packs expanded (the profile
/// sets `$brand`, `$product` and `$company` stay as written).
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
    /// Words that cancel the rule anywhere in the post.
    pub unless: Vec<String>,
    /// Negation words of the rule's pack: they cancel a term of a negatable rule and
    /// any exception or `unless` word, one to three tokens after them.
    pub negations: Vec<String>,
    /// Whether a negation just before a term cancels it.
    pub negatable: bool,
    /// One of these must occur for the rule to fire; empty means no requirement.
    pub requires: Vec<String>,
    /// How near (in tokens) a `requires` word must be; `None` means anywhere.
    pub requires_window: Option<u16>,
    /// Whether, and where, the post must mention the company.
    pub about_company: Option<CompanyScope>,
    /// Empty means every role.
    pub roles: Vec<AccountRole>,
    /// Ids of rules that, when they fire on the post, cancel this rule's findings.
    pub yields_to: Vec<String>,
    /// Whether the learned model may overrule this rule's findings
    /// (`TextModel::vetoes`). A rule whose posts are too rare in the labelled sets for
    /// the judge to have learned them is better left unjudged.
    pub judged: bool,
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

/// One pack file, parsed but with its `$set` references not yet expanded.
struct ParsedPack {
    rules: Vec<LexiconRule>,
    /// Set name (with `$`) to its words and `file:line` of the `[sets]` table.
    sets: Vec<(String, Vec<String>, String)>,
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
    let mut packs = Vec::new();
    for (name, text) in &sources {
        match parse_pack_file(name, text) {
            Ok(pack) => packs.push(pack),
            Err(mut pack_problems) => problems.append(&mut pack_problems),
        }
    }
    let rules = resolve(packs, &mut problems);
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(RulePackError { problems })
    }
}

/// Parses one pack on its own: its `$set` references may only use its own sets.
///
/// # Errors
///
/// Every problem in the file, as `file:line: message`.
pub fn parse_pack(name: &str, text: &str) -> Result<Vec<LexiconRule>, Vec<String>> {
    let pack = parse_pack_file(name, text)?;
    let mut problems = Vec::new();
    let rules = resolve(vec![pack], &mut problems);
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

/// Merges the sets of all packs, expands every `$set` reference and checks rule ids
/// are unique.
fn resolve(packs: Vec<ParsedPack>, problems: &mut Vec<String>) -> Vec<LexiconRule> {
    let mut sets: HashMap<String, (Vec<String>, String)> = HashMap::new();
    let mut rules = Vec::new();
    for pack in packs {
        for (name, words, origin) in pack.sets {
            if PROFILE_SETS.contains(&name.as_str()) {
                problems.push(format!(
                    "{origin}: set `{name}` is built in (filled from the profile)"
                ));
            } else if let Some((_, first)) = sets.get(&name) {
                problems.push(format!(
                    "{origin}: set `{name}` is already defined at {first}"
                ));
            } else {
                sets.insert(name, (words, origin));
            }
        }
        rules.extend(pack.rules);
    }
    for rule in &mut rules {
        let origin = rule.origin.clone();
        let id = rule.id.clone();
        let mut expand = |field: &str, words: &mut Vec<String>, profile_sets_allowed: bool| {
            let mut expanded = Vec::with_capacity(words.len());
            for word in words.iter() {
                if let Err(message) =
                    expand_word(word, &sets, profile_sets_allowed, 0, &mut expanded)
                {
                    problems.push(format!("{origin}: rule `{id}`: {field}: {message}"));
                }
            }
            expanded.dedup();
            *words = expanded;
        };
        expand("terms", &mut rule.terms, false);
        expand("context", &mut rule.context, true);
        expand("exceptions", &mut rule.exceptions, false);
        expand("unless", &mut rule.unless, false);
        expand("requires", &mut rule.requires, true);
        expand("yields_to", &mut rule.yields_to, false);
    }
    let mut seen = HashMap::new();
    for rule in &rules {
        if let Some(first) = seen.insert(rule.id.clone(), rule.origin.clone()) {
            problems.push(format!(
                "{}: rule id `{}` is already defined at {first}",
                rule.origin, rule.id
            ));
        }
    }
    for rule in &rules {
        for other in &rule.yields_to {
            if !seen.contains_key(other) && Category::parse(other).is_none() {
                problems.push(format!(
                    "{}: rule `{}`: yields_to names unknown rule or category `{other}`",
                    rule.origin, rule.id
                ));
            }
        }
    }
    rules
}

fn expand_word(
    word: &str,
    sets: &HashMap<String, (Vec<String>, String)>,
    profile_sets_allowed: bool,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), String> {
    if !is_set_reference(word) {
        out.push(word.to_string());
        return Ok(());
    }
    if PROFILE_SETS.contains(&word) {
        if !profile_sets_allowed {
            return Err(format!(
                "`{word}` is filled from the profile and only allowed in context and requires"
            ));
        }
        out.push(word.to_string());
        return Ok(());
    }
    if depth >= MAX_SET_DEPTH {
        return Err(format!(
            "set `{word}` nests deeper than {MAX_SET_DEPTH} (a cycle?)"
        ));
    }
    let (words, _) = sets
        .get(word)
        .ok_or_else(|| format!("unknown set `{word}`"))?;
    for inner in words {
        expand_word(inner, sets, profile_sets_allowed, depth + 1, out)?;
    }
    Ok(())
}

/// `$name` (a letter or `_` after the `$`) names a set; `$*` or `$5` is a literal.
fn is_set_reference(word: &str) -> bool {
    word.strip_prefix('$')
        .and_then(|name| name.chars().next())
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
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

/// The problem with one written literal, if any: a literal or each part of a gapped
/// phrase must keep some text after folding.
fn literal_problem(word: &str) -> Option<String> {
    if is_set_reference(word) {
        return None;
    }
    let parts: Vec<&str> = word.split(PHRASE_GAP).collect();
    for part in &parts {
        let part = part.trim();
        let core = part.trim_matches('*');
        let one_letter = core.chars().count() == 1 && core.chars().all(char::is_alphanumeric);
        if core.len() != part.len() && one_letter {
            return Some(format!(
                "`{word}` opens a one-letter literal with `*`: it would match almost anything"
            ));
        }
        if crate::normalize::normalize(core).text.is_empty() {
            return Some(if parts.len() > 1 {
                format!("phrase `{word}` has a part that is empty after normalisation")
            } else {
                format!("term `{word}` is empty after normalisation")
            });
        }
    }
    None
}

fn parse_pack_file(name: &str, text: &str) -> Result<ParsedPack, Vec<String>> {
    let pack: RawPack = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(0, |span| line_of(text, span.start));
        vec![format!("{name}:{line}: {}", error.message())]
    })?;
    let mut problems = Vec::new();
    let sets_line = text
        .lines()
        .position(|line| line.trim() == "[sets]")
        .map_or(0, |index| index + 1);
    let mut sets = Vec::new();
    for (set_name, words) in pack.sets {
        let origin = format!("{name}:{sets_line}");
        if words.is_empty() {
            problems.push(format!("{origin}: set `{set_name}` is empty"));
        }
        for word in &words {
            if let Some(problem) = literal_problem(word) {
                problems.push(format!("{origin}: set `{set_name}`: {problem}"));
            }
        }
        sets.push((format!("${set_name}"), words, origin));
    }
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
        for word in raw
            .terms
            .iter()
            .chain(&raw.context)
            .chain(&raw.exceptions)
            .chain(&raw.unless)
            .chain(&raw.requires)
        {
            if let Some(message) = literal_problem(word) {
                problem(message);
            }
        }
        if raw.weight == 0 && raw.context_weight == 0 {
            problem("has weight 0 and no context weight, so it can never count".to_string());
        }
        if raw.requires_window.is_some() && raw.requires.is_empty() {
            problem("has requires_window but no requires".to_string());
        }
        let about_company = match raw.about_company.as_deref() {
            None => None,
            Some("post") => Some(CompanyScope::Post),
            Some("sentence") => Some(CompanyScope::Sentence),
            Some("nearby") => Some(CompanyScope::Nearby),
            Some(other) => {
                problem(format!(
                    "about_company `{other}` must be \"post\", \"nearby\" or \"sentence\""
                ));
                None
            }
        };
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
            unless: raw.unless,
            negations: pack.pack.negations.clone(),
            negatable: raw.negatable,
            requires: raw.requires,
            requires_window: raw.requires_window,
            about_company,
            roles,
            yields_to: raw.yields_to,
            judged: raw.judged,
            origin,
        });
    }
    if problems.is_empty() {
        Ok(ParsedPack { rules, sets })
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
        for rule in &rules {
            for word in rule
                .terms
                .iter()
                .chain(&rule.exceptions)
                .chain(&rule.unless)
            {
                assert!(!is_set_reference(word), "{}: unexpanded {word}", rule.id);
            }
        }
    }

    #[test]
    fn no_builtin_word_list_repeats_a_word() {
        // A word written twice in one list is a slip: it matches once either way.
        let mut repeats = Vec::new();
        for (file, text) in BUILTIN_PACKS {
            let pack: toml::Table = toml::from_str(text).unwrap();
            let mut lists: Vec<(String, &toml::Value)> = Vec::new();
            if let Some(sets) = pack.get("sets").and_then(toml::Value::as_table) {
                lists.extend(
                    sets.iter()
                        .map(|(name, words)| (format!("set {name}"), words)),
                );
            }
            for rule in pack
                .get("rule")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = rule.get("id").and_then(toml::Value::as_str).unwrap_or("?");
                for key in ["terms", "context", "exceptions", "unless", "requires"] {
                    if let Some(words) = rule.get(key) {
                        lists.push((format!("{id} {key}"), words));
                    }
                }
            }
            for (list, words) in lists {
                let mut seen = std::collections::HashSet::new();
                for word in words
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(toml::Value::as_str)
                {
                    if !seen.insert(word) {
                        repeats.push(format!("{file}: {list}: {word:?}"));
                    }
                }
            }
        }
        assert!(repeats.is_empty(), "{repeats:#?}");
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
weight = 0
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

    #[test]
    fn sets_expand_in_every_word_list_and_nest() {
        let pack = r#"[pack]
name = "s"

[sets]
quiet = ["nog geheim", "$hush"]
hush = ["ssst"]
cuts = ["ontslag*"]
gives_way_to = ["b", "leak.pricing"]

[[rule]]
id = "a"
category = "leak.financial"
weight = 60
terms = ["$cuts", "layoffs"]
requires = ["$quiet", "$company"]
requires_window = 12
about_company = "sentence"
yields_to = ["$gives_way_to"]

[[rule]]
id = "b"
category = "leak.financial"
weight = 60
terms = ["winstwaarschuwing"]
judged = false
"#;
        let rules = parse_pack("s.toml", pack).unwrap();
        assert!(rules[0].judged, "judged unless said otherwise");
        assert!(!rules[1].judged);
        assert_eq!(rules[0].terms, ["ontslag*", "layoffs"]);
        assert_eq!(rules[0].yields_to, ["b", "leak.pricing"]);
        assert_eq!(rules[0].requires, ["nog geheim", "ssst", "$company"]);
        assert_eq!(rules[0].requires_window, Some(12));
        assert_eq!(rules[0].about_company, Some(CompanyScope::Sentence));
    }

    #[test]
    fn sets_are_shared_between_packs() {
        let first = parse_pack_file(
            "a.toml",
            "[pack]\nname = \"a\"\n[sets]\nquiet = [\"nog geheim\"]\n",
        )
        .unwrap();
        let second = parse_pack_file(
            "b.toml",
            "[pack]\nname = \"b\"\n[[rule]]\nid = \"r\"\ncategory = \"leak.financial\"\nweight = 60\nterms = [\"fusie\"]\nrequires = [\"$quiet\"]\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        let rules = resolve(vec![first, second], &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rules[0].requires, ["nog geheim"]);
    }

    #[test]
    fn bad_sets_and_options_are_reported() {
        let cases = [
            ("terms = [\"$nope\"]", "unknown set `$nope`"),
            (
                "terms = [\"$brand\"]",
                "only allowed in context and requires",
            ),
            (
                "terms = [\"x\"]\nabout_company = \"always\"",
                "about_company `always`",
            ),
            (
                "terms = [\"neemt ..  .. over\"]",
                "has a part that is empty",
            ),
            (
                "terms = [\"x\"]\nrequires_window = 3",
                "requires_window but no requires",
            ),
            ("terms = [\"$loop\"]", "nests deeper"),
            ("terms = [\"f**\"]", "one-letter literal"),
        ];
        for (rule, expected) in cases {
            let pack = format!(
                "[pack]\nname = \"x\"\n[sets]\nloop = [\"$loop\"]\n[[rule]]\nid = \"a\"\ncategory = \"reputation.abuse\"\nweight = 60\n{rule}\n"
            );
            let problems = parse_pack("x.toml", &pack).unwrap_err();
            assert!(
                problems.iter().any(|problem| problem.contains(expected)),
                "{rule}: {problems:?}"
            );
        }
    }

    #[test]
    fn profile_sets_cannot_be_redefined() {
        let problems = parse_pack(
            "x.toml",
            "[pack]\nname = \"x\"\n[sets]\nbrand = [\"acme\"]\n",
        )
        .unwrap_err();
        assert!(problems[0].contains("built in"), "{problems:?}");
    }
}
