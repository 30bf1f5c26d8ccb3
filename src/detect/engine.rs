//! The rule set and the detection pass: one aho-corasick automaton over every literal
//! (lexicon terms, context words, profile names, secret keywords), then the validated
//! detectors, producing hits on the original text.
//!
//! # The pass over one post
//!
//! 1. Fold the text (`crate::normalize`) and index its tokens and sentences.
//! 2. Run the automaton once over the folded text (overlapping matches), keep the
//!    matches whose token boundaries hold, and join the parts of gapped phrases
//!    (`neemt .. over`) into single literal hits.
//! 3. Note where the company is mentioned: brand names (also inside `@handles` and
//!    `#hashtags`), catalogue products, and handles of the company's own accounts.
//! 4. Profile literals become hits directly (codenames, internal hosts and markers,
//!    embargoed terms; a one-word capitalised codename such as "Windhoos" counts only
//!    when the post capitalises it too, so the weather word is not a leak); lexicon
//!    terms are checked against their rule (role, company mention, negation,
//!    exceptions, requirement, context; see `super::rules`).
//! 5. The validated detectors run: secrets (only the rules whose keywords occurred),
//!    personal data, and pricing (only when a product occurred).
//!
//! # Cost
//!
//! Everything after the automaton is proportional to the number of literal hits of
//! the post, never to the number of rules or products: the rule-specific words of a
//! hit (context, exceptions, negations, requirements) are grouped by rule once per
//! post and found by binary search for each term hit.

use super::learned::{self, Placeholder, TextModel};
use super::pricing::{self, Currency, ProductMention, Span};
use super::rules::{
    CUE_THRESHOLD, CompanyScope, FIRE_THRESHOLD, LexiconRule, MAX_PHRASE_GAP, PHRASE_GAP,
    PROFILE_SETS,
};
use super::{Hit, Sensitivity, pii, secrets};
use crate::normalize::{Normalized, compact_for_identifiers, is_disguised, normalize};
use crate::post::{Post, PostKind};
use crate::profile::Profile;
use crate::verdict::{AccountRole, Category};
use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, dfa, nfa};
use regex::Regex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::LazyLock;

/// What "jullie" (plural "you") is followed by when a post addresses the company
/// rather than its readers: "jullie klantenservice", "jullie app".
const ADDRESSED_SERVICES: [&str; 22] = [
    "klantenservice",
    "klantendienst",
    "service",
    "helpdesk",
    "support",
    "app",
    "website",
    "site",
    "webshop",
    "winkel",
    "winkels",
    "chat",
    "chatbot",
    "medewerkers",
    "monteur",
    "monteurs",
    "bezorger",
    "bezorgers",
    "bank",
    "systeem",
    "systemen",
    "facturen",
];

/// How much more cues must add up to on a post that a finding of another category
/// already explains.
const CUE_EXPLAINED_EXTRA: u16 = 10;

/// Up to this many literal patterns the automaton is a DFA (a few tens of MB at most).
const DFA_MAX_PATTERNS: usize = 20_000;

/// The negation group of rules whose pack has no negation words.
const NO_NEGATIONS: u32 = u32::MAX;

/// Rule id of an embargoed term before its moment.
pub const RULE_EMBARGO: &str = "confidential.embargo";
/// Rule id of an embargoed term that is results-like (see `super::rules`).
pub const RULE_EMBARGOED_RESULTS: &str = "financial.embargoed_results";
/// Rule id of an embargoed term about money (results, premiums, rates, prices) told
/// with a figure beside it: `premie 2027 wordt 156,40`, `jaarcijfers: 30% meer`.
pub const RULE_EMBARGOED_FIGURES: &str = "financial.embargoed_figures";

/// Words that make an embargoed term one about money, besides the financial pack's.
static MONEY_TERM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:premie|premium|tarie[fv]|tariff|prijs|prijzen|price|pricing|rates?\b|kosten|costs?\b|dividend|salaris|salar(?:y|ies)|loon|lonen|wage|cao|bonus|budget|omzet|revenue|winst|profit|cijfers|figures|results|resultaten)",
    )
    .expect("valid money-term pattern")
});

/// A figure: an amount with a currency, a percentage, a sum with cents or a change
/// (`€8,20`, `+8,20`, `156,40`, `30%`, `2,4 mln`).
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:[€$£]\s?\d|\d\s?(?:%|procent|percent\b|euro\b|eur\b|mln\b|miljoen|million|mld\b|miljard|billion|k\b)|[+−-]\s?[€$£]?\s?\d|\b\d{1,4}[.,]\d{2}\b)",
    )
    .expect("valid figure pattern")
});

/// How far from an embargoed term a figure may stand, in bytes of its sentence.
const FIGURE_REACH: usize = 80;

/// Whether a figure stands in the sentence of the folded range `start..end`, outside
/// it and within [`FIGURE_REACH`] bytes.
fn figure_beside(text: &str, tokens: &TokenIndex, start: usize, end: usize) -> bool {
    let sentence = tokens.sentence_bounds(text, tokens.token_at(start));
    let mut from = start.saturating_sub(FIGURE_REACH).max(sentence.start);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (end + FIGURE_REACH).min(sentence.end).max(end);
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    FIGURE.is_match(&text[from..start]) || FIGURE.is_match(&text[end..to])
}

/// The words before a codename's own name ("Project Stormvogel", "Operatie Turfsteker").
const CODENAME_PREFIXES: [&str; 9] = [
    "project",
    "projekt",
    "operatie",
    "operation",
    "programma",
    "programme",
    "program",
    "codenaam",
    "codename",
];

/// What a literal pattern means; one pattern can mean several things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Term {
        rule: u32,
    },
    Context {
        rule: u32,
    },
    Exception {
        rule: u32,
    },
    /// A negation word of the packs with negation list `group`.
    Negation {
        group: u32,
    },
    Require {
        rule: u32,
    },
    Unless {
        rule: u32,
    },
    Brand,
    /// A brand name inside a longer token: a mention only in `@handles` and `#hashtags`.
    BrandInTag,
    /// The first word of a longer brand or company name ("Spark" of "Spark Mobiel"):
    /// a mention only when the post capitalises it, as people shorten names.
    BrandShort,
    Product {
        product: u32,
    },
    /// A profile codename, or the name in one after its "Project"; `when` says
    /// how it must be written to count.
    Codename {
        when: CodenameCounts,
    },
    InternalDomain,
    InternalMarker,
    EmbargoTerm {
        embargo: u32,
        term: u32,
    },
    SecretKeyword {
        rule: u32,
    },
    /// Part `part` of gapped phrase `phrase`.
    PhrasePart {
        phrase: u32,
        part: u8,
    },
}

/// How a codename must be written in a post to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodenameCounts {
    /// However it is written ("project orka").
    Always,
    /// One capitalised word must be capitalised in the post too ("Windhoos", not "een
    /// windhoos"), unless it is disguised.
    Capitalised,
    /// The name after "Project" or "Operatie" ("Stormvogel" of "Project Stormvogel"):
    /// alone it is as often an ordinary word (a bird, a ship), so it counts only
    /// disguised: spelled out, look-alike letters, invisible characters between.
    Disguised,
}

impl Target {
    /// Whether the pattern is a word of a rule pack (not a profile literal or a secret
    /// keyword).
    fn is_lexicon_word(self) -> bool {
        matches!(
            self,
            Target::Term { .. }
                | Target::Context { .. }
                | Target::Exception { .. }
                | Target::Negation { .. }
                | Target::Require { .. }
                | Target::Unless { .. }
        )
    }
}

/// The shortest one-word brand whose starred-out forms (`KL*SPLEIN`) count as
/// mentions; shorter ones would match too many censored words.
const MIN_STARRED_NAME: usize = 6;

/// Whether a pattern must start and end on a token boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Boundaries {
    left: bool,
    right: bool,
}

/// A gapped phrase (`neemt .. over`): its parts are patterns of their own.
#[derive(Debug, Clone)]
struct Phrase {
    parts: u8,
    targets: Vec<Target>,
}

/// Kinds of company mention, as bits, for `$brand`, `$product` and `$company`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct MentionKinds(u8);

impl MentionKinds {
    const BRAND: MentionKinds = MentionKinds(1);
    const PRODUCT: MentionKinds = MentionKinds(2);
    const ACCOUNT: MentionKinds = MentionKinds(4);
    /// An internal host or marker: the company's inside, not a mention of the
    /// company for `about_company`.
    const INTERNAL: MentionKinds = MentionKinds(8);
    const COMPANY: MentionKinds =
        MentionKinds(MentionKinds::BRAND.0 | MentionKinds::PRODUCT.0 | MentionKinds::ACCOUNT.0);

    fn of_set(name: &str) -> MentionKinds {
        match name {
            "$brand" => MentionKinds::BRAND,
            "$product" => MentionKinds::PRODUCT,
            "$internal" => MentionKinds::INTERNAL,
            _ => MentionKinds::COMPANY,
        }
    }

    fn add(&mut self, other: MentionKinds) {
        self.0 |= other.0;
    }

    fn any(self) -> bool {
        self.0 != 0
    }

    fn includes(self, kind: MentionKinds) -> bool {
        self.0 & kind.0 != 0
    }
}

/// The profile sets a rule uses in its context and requirement.
#[derive(Debug, Clone, Copy, Default)]
struct RuleMentions {
    context: MentionKinds,
    requires: MentionKinds,
}

/// A compiled rule set: built once per set of packs and profile, shared read-only by
/// every worker.
///
/// # Resource usage
///
/// One aho-corasick automaton over every distinct folded literal ([`LiteralAutomaton`]);
/// memory grows linearly with the total length of the literals (about 100 bytes per
/// pattern).
pub struct RuleSet {
    automaton: LiteralAutomaton,
    pattern_boundaries: Vec<Boundaries>,
    pattern_targets: Vec<Vec<Target>>,
    /// Per pattern, whether it names a product: the only target that reads the
    /// plural (a glued match of any other pattern is no match).
    pattern_names_product: Vec<bool>,
    phrases: Vec<Phrase>,
    lexicon: Vec<LexiconRule>,
    /// The lexicon rule ids, interned once at build time.
    lexicon_ids: Vec<&'static str>,
    /// For each rule id with `yields_to`, the ids it yields to.
    yields: HashMap<&'static str, Vec<&'static str>>,
    /// The rules the learned model may not overrule (`judged = false`).
    unjudged: Vec<&'static str>,
    rule_mentions: Vec<RuleMentions>,
    /// Per rule, its negation group (`NO_NEGATIONS` when its pack has none).
    negation_groups: Vec<u32>,
    /// Per embargo, per term: whether the term is results-like.
    embargo_results_like: Vec<Vec<bool>>,
    /// Per embargo and term: whether the term is about money ([`MONEY_TERM`] or
    /// results-like), so a figure beside it is a financial leak.
    embargo_money_like: Vec<Vec<bool>>,
    profile: Profile,
    secret_rule_count: usize,
    /// The learned second opinion (`super::learned`), when one is attached
    /// (`with_model`): the rules themselves never need it.
    model: Option<Arc<TextModel>>,
}

/// The automaton over every distinct folded literal: a DFA, the fastest, or for a
/// catalogue of tens of thousands of products a contiguous NFA, which needs far less
/// memory.
enum LiteralAutomaton {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

impl LiteralAutomaton {
    /// Calls `each` with the pattern, start and end of every match in `haystack`,
    /// overlapping ones included: in the order they end, and at one end in the
    /// automaton's order, as `AhoCorasick::find_overlapping_iter` gives them. The
    /// automaton is walked here directly, without that iterator's return to the
    /// caller (and a dynamic call) for every match.
    fn each_match(&self, haystack: &[u8], each: impl FnMut(usize, usize, usize)) {
        match self {
            LiteralAutomaton::Dfa(dfa) => each_match(dfa, haystack, each),
            LiteralAutomaton::Nfa(nfa) => each_match(nfa, haystack, each),
        }
    }
}

/// [`LiteralAutomaton::each_match`] for one kind of automaton: an unanchored
/// overlapping search, which reports every match of each state it enters.
fn each_match<A: Automaton>(
    automaton: &A,
    haystack: &[u8],
    mut each: impl FnMut(usize, usize, usize),
) {
    let mut state = automaton
        .start_state(Anchored::No)
        .expect("the automaton is built for unanchored searches");
    // Only an empty pattern would match before the first byte, and none is added.
    debug_assert!(!automaton.is_match(state));
    for (at, &byte) in haystack.iter().enumerate() {
        state = automaton.next_state(Anchored::No, state, byte);
        if !automaton.is_special(state) {
            continue;
        }
        if automaton.is_dead(state) {
            return;
        }
        if automaton.is_match(state) {
            let end = at + 1;
            for index in 0..automaton.match_len(state) {
                let pattern = automaton.match_pattern(state, index);
                each(
                    pattern.as_usize(),
                    end - automaton.pattern_len(pattern),
                    end,
                );
            }
        }
    }
}

/// Names in folded text whose words are no words of the post, found in one pass over
/// its `@`s:
/// - e-mail addresses: `jeroen@ziggo.nl` names a mail provider, not a company the post
///   is about, and `klachten@…` is no complaint;
/// - @handles (`@kk_helpt`): the `kk` of `@kk_helpt` is no curse and the `klacht` of
///   `@klachtenlijn` no complaint.
struct Names {
    addresses: Vec<std::ops::Range<usize>>,
    handles: Vec<std::ops::Range<usize>>,
}

impl Names {
    fn find(folded: &str) -> Names {
        let bytes = folded.as_bytes();
        let local =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
        let domain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
        let handle = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.');
        let mut names = Names {
            addresses: Vec::new(),
            handles: Vec::new(),
        };
        for (at, _) in folded.match_indices('@') {
            // Where a run of `part` bytes after the `@` ends.
            let until = |part: fn(u8) -> bool| {
                bytes[at + 1..]
                    .iter()
                    .position(|&b| !part(b))
                    .map_or(bytes.len(), |index| at + 1 + index)
            };
            let start = bytes[..at]
                .iter()
                .rposition(|&b| !local(b))
                .map_or(0, |index| index + 1);
            let host = folded[at + 1..until(domain)].trim_end_matches(['.', '-']);
            if start < at && host.contains('.') && !host.starts_with('.') {
                names.addresses.push(start..at + 1 + host.len());
            }
            let glued = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.');
            let end = until(handle);
            if !glued && end > at + 1 {
                names.handles.push(at..end);
            }
        }
        names
    }

    /// Whether `start..end` stands outside every name. A word that is a whole handle
    /// still counts (`@NOS`, a call on the broadcaster); a word inside a longer one
    /// does not.
    fn outside(&self, start: usize, end: usize) -> bool {
        !self
            .addresses
            .iter()
            .any(|address| address.start <= start && end <= address.end)
            && !self.handles.iter().any(|handle| {
                handle.start <= start
                    && end <= handle.end
                    && !(start <= handle.start + 1 && end == handle.end)
            })
    }

    fn is_empty(&self) -> bool {
        self.addresses.is_empty() && self.handles.is_empty()
    }
}

/// A literal pattern hit in the folded text that passed its boundary check.
#[derive(Debug, Clone, Copy)]
struct Literal {
    target: Target,
    start: usize,
    end: usize,
}

/// Everything one detection pass produced.
#[derive(Debug, Clone)]
pub struct Detection {
    pub account_role: AccountRole,
    pub hits: Vec<Hit>,
    /// Rule findings the learned model overruled (`TextModel::vetoes`): rule id and
    /// category, for the metric and the debug log that make the veto visible.
    pub vetoed: Vec<(&'static str, Category)>,
}

/// Why a rule set did not build.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the pattern automaton: {0}")]
pub struct BuildError(#[from] aho_corasick::BuildError);

#[derive(Default)]
struct PatternTable {
    index: HashMap<(String, Boundaries), usize>,
    literals: Vec<String>,
    boundaries: Vec<Boundaries>,
    targets: Vec<Vec<Target>>,
    phrase_index: HashMap<String, u32>,
    phrases: Vec<Phrase>,
}

impl PatternTable {
    /// Adds a literal as written in a pack or profile: folded like post text, with a
    /// leading or trailing `*` opening that side's boundary, and ` .. ` separating
    /// the parts of a gapped phrase.
    fn add(&mut self, written: &str, target: Target) {
        if written.contains(PHRASE_GAP) {
            self.add_phrase(written, target);
            return;
        }
        let (folded, boundaries) = fold_written(written);
        self.add_folded(folded, boundaries, target);
    }

    fn add_phrase(&mut self, written: &str, target: Target) {
        let parts: Vec<(String, Boundaries)> = written
            .split(PHRASE_GAP)
            .map(|part| fold_written(part.trim()))
            .collect();
        if parts.iter().any(|(folded, _)| folded.is_empty()) || parts.len() > usize::from(u8::MAX) {
            return;
        }
        let key = parts
            .iter()
            .map(|(folded, boundaries)| format!("{folded}/{}{}", boundaries.left, boundaries.right))
            .collect::<Vec<_>>()
            .join(PHRASE_GAP);
        let phrase = match self.phrase_index.get(&key) {
            Some(&phrase) => phrase,
            None => {
                let phrase = self.phrases.len() as u32;
                self.phrases.push(Phrase {
                    parts: parts.len() as u8,
                    targets: Vec::new(),
                });
                self.phrase_index.insert(key, phrase);
                for (part, (folded, boundaries)) in parts.into_iter().enumerate() {
                    self.add_folded(
                        folded,
                        boundaries,
                        Target::PhrasePart {
                            phrase,
                            part: part as u8,
                        },
                    );
                }
                phrase
            }
        };
        let targets = &mut self.phrases[phrase as usize].targets;
        if !targets.contains(&target) {
            targets.push(target);
        }
    }

    fn add_folded(&mut self, folded: String, boundaries: Boundaries, target: Target) {
        if folded.is_empty() {
            return;
        }
        let key = (folded, boundaries);
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.literals.len();
                self.literals.push(key.0.clone());
                self.boundaries.push(boundaries);
                self.targets.push(Vec::new());
                self.index.insert(key, id);
                id
            }
        };
        if !self.targets[id].contains(&target) {
            self.targets[id].push(target);
        }
    }
}

/// The abuse terms that are words of the company's own names (its brands, products
/// and their aliases, codenames and internal markers): there they are a name (`KK` of
/// `KK Kamers`), not a curse. Names are only split and lower-cased, not folded, so a
/// catalogue of 100,000 products costs a hash look-up per word.
fn own_name_terms(profile: &Profile, lexicon: &[LexiconRule]) -> std::collections::HashSet<String> {
    let abuse: std::collections::HashSet<String> = lexicon
        .iter()
        .filter(|rule| rule.category == Category::ReputationAbuse)
        .flat_map(|rule| &rule.terms)
        .map(|term| fold_written(term).0)
        .filter(|term| !term.contains(' '))
        .collect();
    let mut found = std::collections::HashSet::new();
    if abuse.is_empty() {
        return found;
    }
    let products = profile
        .products
        .iter()
        .flat_map(|product| std::iter::once(&product.name).chain(&product.aliases));
    let names = std::iter::once(&profile.company)
        .chain(&profile.brands)
        .chain(products)
        .chain(&profile.codenames)
        .chain(&profile.internal_markers);
    let mut word = String::new();
    for name in names {
        for piece in name.split(|c: char| !c.is_alphanumeric()) {
            word.clear();
            word.extend(piece.chars().flat_map(char::to_lowercase));
            if abuse.contains(&word) {
                found.insert(word.clone());
            }
        }
    }
    found
}

/// Folds one written literal and reads its `*` ends.
fn fold_written(written: &str) -> (String, Boundaries) {
    let left_open = written.starts_with('*');
    let right_open = written.ends_with('*') && written.len() > 1;
    let core = written.trim_start_matches('*').trim_end_matches('*');
    (
        normalize(core).text,
        Boundaries {
            left: !left_open,
            right: !right_open,
        },
    )
}

impl RuleSet {
    /// Compiles lexicon rules, the profile and the secret keywords into one automaton.
    ///
    /// # Errors
    ///
    /// Fails only if the automaton exceeds aho-corasick's size limits.
    pub fn build(lexicon: Vec<LexiconRule>, profile: Profile) -> Result<RuleSet, BuildError> {
        let mut table = PatternTable::default();
        let mut brand_words: Vec<String> = profile.brands.clone();
        brand_words.push(profile.company.clone());
        let core = company_core(&profile.company);
        if !core.is_empty() && core != profile.company {
            brand_words.push(core);
        }
        let mut short_forms: Vec<String> = Vec::new();
        for name in &brand_words {
            let mut words = name.split_whitespace();
            if let (Some(first), Some(_)) = (words.next(), words.next())
                && first.chars().count() >= 4
                && first.chars().all(char::is_alphabetic)
                && !brand_words
                    .iter()
                    .any(|brand| brand.eq_ignore_ascii_case(first))
                && !short_forms
                    .iter()
                    .any(|short| short.eq_ignore_ascii_case(first))
            {
                short_forms.push(first.to_string());
            }
        }
        let open = Boundaries {
            left: false,
            right: false,
        };
        for word in &short_forms {
            table.add(word, Target::BrandShort);
            // `#boycotspark`: any case inside a tag.
            table.add_folded(fold_written(word).0, open, Target::BrandInTag);
        }
        let closed = Boundaries {
            left: true,
            right: true,
        };
        for word in &brand_words {
            table.add(word, Target::Brand);
            let (folded, _) = fold_written(word);
            // A name with one letter starred out is still the name: `KL*SPLEIN`.
            if folded.chars().count() >= MIN_STARRED_NAME
                && folded.chars().all(|c| c.is_ascii_alphabetic())
            {
                for index in 1..folded.len() - 1 {
                    let mut starred = folded.clone();
                    starred.replace_range(index..=index, "*");
                    table.add_folded(starred, closed, Target::Brand);
                }
            }
            if !folded.contains(' ') {
                // `#boycotzephyr`, `@zephyrelectronicsnl`: checked at match time.
                table.add_folded(folded, open, Target::BrandInTag);
            }
        }
        let mut rule_mentions = vec![RuleMentions::default(); lexicon.len()];
        let mut negation_lists: Vec<&[String]> = Vec::new();
        let mut negation_groups = Vec::with_capacity(lexicon.len());
        for rule in &lexicon {
            if rule.negations.is_empty() {
                negation_groups.push(NO_NEGATIONS);
                continue;
            }
            let group = match negation_lists
                .iter()
                .position(|list| *list == rule.negations.as_slice())
            {
                Some(group) => group,
                None => {
                    negation_lists.push(&rule.negations);
                    for word in &rule.negations {
                        let group = (negation_lists.len() - 1) as u32;
                        table.add(word, Target::Negation { group });
                    }
                    negation_lists.len() - 1
                }
            };
            negation_groups.push(group as u32);
        }
        let own_name_terms = own_name_terms(&profile, &lexicon);
        for (index, rule) in lexicon.iter().enumerate() {
            let rule_index = index as u32;
            for term in &rule.terms {
                // A company called `KK Kamers` is not cursed at by its own initials.
                if rule.category == Category::ReputationAbuse
                    && !own_name_terms.is_empty()
                    && own_name_terms.contains(&fold_written(term).0)
                {
                    continue;
                }
                table.add(term, Target::Term { rule: rule_index });
            }
            for word in &rule.context {
                if PROFILE_SETS.contains(&word.as_str()) {
                    rule_mentions[index].context.add(MentionKinds::of_set(word));
                } else {
                    table.add(word, Target::Context { rule: rule_index });
                }
            }
            for word in &rule.requires {
                if PROFILE_SETS.contains(&word.as_str()) {
                    rule_mentions[index]
                        .requires
                        .add(MentionKinds::of_set(word));
                } else {
                    table.add(word, Target::Require { rule: rule_index });
                }
            }
            for word in &rule.exceptions {
                table.add(word, Target::Exception { rule: rule_index });
            }
            for word in &rule.unless {
                table.add(word, Target::Unless { rule: rule_index });
            }
        }
        for (index, product) in profile.products.iter().enumerate() {
            let target = Target::Product {
                product: index as u32,
            };
            table.add(&product.name, target);
            for alias in &product.aliases {
                table.add(alias, target);
            }
        }
        for codename in &profile.codenames {
            let trimmed = codename.trim();
            let when = if !trimmed.contains(char::is_whitespace)
                && trimmed.chars().next().is_some_and(char::is_uppercase)
            {
                CodenameCounts::Capitalised
            } else {
                CodenameCounts::Always
            };
            table.add(codename, Target::Codename { when });
            if let Some((prefix, name)) = trimmed.split_once(char::is_whitespace) {
                let name = name.trim();
                if CODENAME_PREFIXES.contains(&prefix.to_lowercase().as_str())
                    && name.chars().count() >= 4
                {
                    let when = CodenameCounts::Disguised;
                    table.add(name, Target::Codename { when });
                }
            }
            // "Kitsune-2" written with the hyphen standing apart ("Kitsune - 2") or
            // left out ("Kitsune 2").
            if trimmed.contains('-') {
                for joint in [" - ", " "] {
                    table.add(&trimmed.replace('-', joint), Target::Codename { when });
                }
            }
        }
        for domain in &profile.internal_domains {
            // Sub-hosts (`db01.intra.example`) count: the left side may follow a dot,
            // which is a boundary anyway.
            table.add(domain, Target::InternalDomain);
        }
        for marker in &profile.internal_markers {
            table.add(marker, Target::InternalMarker);
        }
        for (index, embargo) in profile.embargoes.iter().enumerate() {
            for (term_index, term) in embargo.terms.iter().enumerate() {
                table.add(
                    term,
                    Target::EmbargoTerm {
                        embargo: index as u32,
                        term: term_index as u32,
                    },
                );
            }
        }
        let secret_rules = secrets::rules();
        for (index, rule) in secret_rules.iter().enumerate() {
            for keyword in rule.keywords {
                table.add_folded(
                    normalize(keyword).text,
                    Boundaries {
                        left: false,
                        right: false,
                    },
                    Target::SecretKeyword { rule: index as u32 },
                );
            }
        }
        // A DFA is the fastest matcher; its memory grows with the patterns, so a
        // catalogue of tens of thousands of products gets the contiguous NFA instead.
        // No prefilter: `each_match` walks every byte anyway.
        let automaton = if table.literals.len() <= DFA_MAX_PATTERNS {
            LiteralAutomaton::Dfa(
                dfa::DFA::builder()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(&table.literals)?,
            )
        } else {
            LiteralAutomaton::Nfa(
                nfa::contiguous::NFA::builder()
                    .match_kind(MatchKind::Standard)
                    .prefilter(false)
                    .build(&table.literals)?,
            )
        };
        let mut rule_set = RuleSet {
            automaton,
            pattern_boundaries: table.boundaries,
            pattern_names_product: table
                .targets
                .iter()
                .map(|targets| {
                    targets
                        .iter()
                        .any(|target| matches!(target, Target::Product { .. }))
                })
                .collect(),
            pattern_targets: table.targets,
            phrases: table.phrases,
            lexicon_ids: lexicon.iter().map(|rule| intern(&rule.id)).collect(),
            unjudged: lexicon
                .iter()
                .filter(|rule| !rule.judged)
                .map(|rule| intern(&rule.id))
                .collect(),
            yields: lexicon
                .iter()
                .filter(|rule| !rule.yields_to.is_empty())
                .map(|rule| {
                    let to = rule.yields_to.iter().map(|id| intern(id)).collect();
                    (intern(&rule.id), to)
                })
                .collect(),
            lexicon,
            rule_mentions,
            negation_groups,
            embargo_results_like: Vec::new(),
            embargo_money_like: Vec::new(),
            profile,
            secret_rule_count: secret_rules.len(),
            model: None,
        };
        // The model's finding of a category yields where every pack rule of that
        // category does (a complaint to a boycott call or a breach accusation), so
        // the labelling conventions the packs encode hold for it as well.
        for (rule, category) in learned::RULE_IDS.iter().zip(learned::CATEGORIES) {
            let mut of_category = rule_set
                .lexicon
                .iter()
                .filter(|lexicon_rule| lexicon_rule.category == category);
            let Some(first) = of_category.next() else {
                continue;
            };
            let mut common: Vec<&'static str> =
                first.yields_to.iter().map(|id| intern(id)).collect();
            for other in of_category {
                common.retain(|id| other.yields_to.iter().any(|to| to == id));
            }
            if !common.is_empty() {
                rule_set.yields.insert(rule, common);
            }
        }
        rule_set.embargo_results_like = rule_set
            .profile
            .embargoes
            .iter()
            .map(|embargo| {
                embargo
                    .terms
                    .iter()
                    .map(|term| rule_set.holds_financial_term(term))
                    .collect()
            })
            .collect();
        rule_set.embargo_money_like = rule_set
            .profile
            .embargoes
            .iter()
            .zip(&rule_set.embargo_results_like)
            .map(|(embargo, results_like)| {
                embargo
                    .terms
                    .iter()
                    .zip(results_like)
                    .map(|(term, &results_like)| results_like || MONEY_TERM.is_match(term))
                    .collect()
            })
            .collect();
        Ok(rule_set)
    }

    /// Whether `text` contains a term of a `leak.financial` rule: what makes an
    /// embargoed term results-like.
    fn holds_financial_term(&self, text: &str) -> bool {
        let folded = normalize(text);
        let tokens = TokenIndex::new(&folded);
        self.find_literals(&folded, &tokens)
            .iter()
            .any(|literal| match literal.target {
                Target::Term { rule } => {
                    self.lexicon[rule as usize].category == Category::LeakFinancial
                }
                _ => false,
            })
    }

    /// The same rules with a learned model (`TextModel::builtin()` is the shipped
    /// one), or none.
    #[must_use]
    pub fn with_model(mut self, model: Option<Arc<TextModel>>) -> RuleSet {
        self.model = model;
        self
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn pattern_count(&self) -> usize {
        self.pattern_targets.len()
    }

    pub fn lexicon(&self) -> &[LexiconRule] {
        &self.lexicon
    }

    /// The detection pass over one post: pure, synchronous, no I/O.
    pub fn detect(&self, post: &Post) -> Detection {
        self.detect_with(post, None)
    }

    /// The learned model's features of a post, with the text of every key: what
    /// `postwatch train` learns from.
    pub fn text_features(
        &self,
        post: &Post,
        names: &mut HashMap<u64, String>,
    ) -> Vec<learned::Feature> {
        let mut features = Vec::new();
        self.detect_with(post, Some((&mut features, names)));
        features
    }

    fn detect_with(
        &self,
        post: &Post,
        capture: Option<(&mut Vec<learned::Feature>, &mut HashMap<u64, String>)>,
    ) -> Detection {
        let account_role = self
            .profile
            .account_role(post.platform.as_str(), &post.handle);
        let folded = normalize(&post.text);
        let tokens = TokenIndex::new(&folded);
        let literals = self.find_literals(&folded, &tokens);
        let mut hits = Vec::new();

        let mut secret_triggered = vec![false; self.secret_rule_count];
        let mut products = Vec::new();
        for literal in &literals {
            match literal.target {
                Target::SecretKeyword { rule } => secret_triggered[rule as usize] = true,
                Target::Product { product } => {
                    let (start, end) = folded.original_span(literal.start, literal.end);
                    let entry = &self.profile.products[product as usize];
                    products.push(ProductMention {
                        start,
                        end,
                        list_price: entry.list_price,
                        currency: Currency::parse(&entry.currency).unwrap_or(Currency::Eur),
                        product_index: product as usize,
                    });
                }
                Target::Codename { when } => {
                    let (start, end) = folded.original_span(literal.start, literal.end);
                    let capitalised = || {
                        post.text[start..]
                            .chars()
                            .next()
                            .is_some_and(|first| !first.is_lowercase())
                    };
                    // Nobody writes the weather word in full-width or look-alike
                    // letters, or spaced out: a disguised codename counts in any case.
                    let disguised = || {
                        is_disguised(&post.text[start..end])
                            || folded.glued(literal.start..literal.end)
                    };
                    let counts = match when {
                        CodenameCounts::Always => true,
                        CodenameCounts::Capitalised => capitalised() || disguised(),
                        CodenameCounts::Disguised => disguised(),
                    };
                    if counts {
                        hits.push(self.plain_hit(
                            "confidential.codename",
                            Category::LeakConfidential,
                            85,
                            &folded,
                            literal,
                        ));
                    }
                }
                Target::InternalDomain => hits.push(self.plain_hit(
                    "confidential.internal_host",
                    Category::LeakConfidential,
                    80,
                    &folded,
                    literal,
                )),
                Target::InternalMarker => hits.push(self.plain_hit(
                    "confidential.internal_marker",
                    Category::LeakConfidential,
                    80,
                    &folded,
                    literal,
                )),
                Target::EmbargoTerm { embargo, term } => {
                    let until = self.profile.embargoes[embargo as usize].until;
                    if post.created_at < until {
                        hits.push(self.plain_hit(
                            RULE_EMBARGO,
                            Category::LeakConfidential,
                            85,
                            &folded,
                            literal,
                        ));
                        if self.embargo_results_like[embargo as usize][term as usize] {
                            hits.push(self.plain_hit(
                                RULE_EMBARGOED_RESULTS,
                                Category::LeakFinancial,
                                85,
                                &folded,
                                literal,
                            ));
                        }
                        if self.embargo_money_like[embargo as usize][term as usize]
                            && figure_beside(&folded.text, &tokens, literal.start, literal.end)
                        {
                            hits.push(self.plain_hit(
                                RULE_EMBARGOED_FIGURES,
                                Category::LeakFinancial,
                                85,
                                &folded,
                                literal,
                            ));
                        }
                    }
                }
                Target::Term { .. }
                | Target::Context { .. }
                | Target::Exception { .. }
                | Target::Negation { .. }
                | Target::Require { .. }
                | Target::Unless { .. }
                | Target::Brand
                | Target::BrandInTag
                | Target::BrandShort
                | Target::PhrasePart { .. } => {}
            }
        }

        // Secrets and personal data are read from the original characters; a copy
        // without invisible characters (and with spaced e-mail addresses closed up) is
        // used when the post has any, and the spans are mapped back.
        let compacted = compact_for_identifiers(&post.text);
        let id_text = compacted
            .as_ref()
            .map_or(post.text.as_str(), |c| c.text.as_str());
        let mut identifiers = Vec::new();
        secrets::find_secrets(id_text, &secret_triggered, &mut identifiers);
        pii::find_pii(id_text, &mut identifiers);
        if let Some(compacted) = &compacted {
            for hit in &mut identifiers {
                (hit.start, hit.end) = compacted.original_span(hit.start, hit.end);
            }
        }
        // The company's own contact data is never a finding, but it names the company.
        let (public, private): (Vec<Hit>, Vec<Hit>) = identifiers.into_iter().partition(|hit| {
            hit.canonical
                .as_deref()
                .is_some_and(|canonical| self.profile.is_public_identifier(canonical))
        });
        // Dutch service numbers (0800, 0900, 0906, 0909) are lines of organisations,
        // never a person's number: a helpline in a post is no personal data.
        // A catalogue name that reads like a street and a number ("25% off the Vrijbaan
        // 4 mobility scooter") is the product, not an address.
        let service_number = |hit: &Hit| {
            hit.rule == "pii.phone" && hit.canonical.as_deref().is_some_and(pii::is_service_number)
        };
        let product_name = |hit: &Hit| {
            hit.rule == "pii.address"
                && products
                    .iter()
                    .any(|product| product.start < hit.end && hit.start < product.end)
        };
        hits.extend(
            private
                .into_iter()
                .filter(|hit| !service_number(hit) && !product_name(hit)),
        );
        let mentions = self.company_mentions(&literals, &folded, &tokens, post, &public);

        let mut talk = pricing::PriceTalk::default();
        let context = PostContext {
            literals: &literals,
            original: &post.text,
            folded: &folded,
            tokens: &tokens,
            mentions: &mentions,
            role: account_role,
        };
        let mut cues = self.apply_lexicon(&context, &mut hits, &mut talk);

        if !products.is_empty() {
            // The company's own names, so that only another organisation's name can
            // claim a price ("LingoLab's IELTS prep is €99").
            let mut own_names: Vec<(usize, usize)> = literals
                .iter()
                .filter(|literal| {
                    matches!(
                        literal.target,
                        Target::Brand | Target::BrandInTag | Target::BrandShort
                    )
                })
                .map(|literal| folded.original_span(literal.start, literal.end))
                .collect();
            // Prices are read like identifiers, from the copy with full-width digits
            // and signs in their ASCII forms when the post has one ("€６９,-" is €69):
            // every range goes into the copy, and the findings come back.
            let text = match &compacted {
                None => post.text.as_str(),
                Some(copy) => {
                    let into = |start: &mut usize, end: &mut usize| {
                        *start = copy.compacted_offset(*start);
                        *end = copy.compacted_offset(*end);
                    };
                    for product in &mut products {
                        into(&mut product.start, &mut product.end);
                    }
                    for span in talk
                        .error
                        .iter_mut()
                        .chain(&mut talk.hints)
                        .chain(&mut talk.denials)
                    {
                        into(&mut span.start, &mut span.end);
                    }
                    for (start, end) in &mut own_names {
                        into(start, end);
                    }
                    copy.text.as_str()
                }
            };
            let first = hits.len();
            pricing::find_pricing_leaks(
                text,
                &products,
                &talk,
                &own_names,
                &self.profile.products,
                self.profile.alert_below_ratio,
                &mut hits,
            );
            if let Some(copy) = &compacted {
                for hit in &mut hits[first..] {
                    (hit.start, hit.end) = copy.original_span(hit.start, hit.end);
                }
            }
        }
        // From an insider, an embargoed results term is a leak of the results only
        // when the post says something about them (a financial rule fired): a
        // presentation about the annual figures is confidential, not a leak of them.
        // From the public it is a rumour of the results whatever it says.
        if account_role.is_insider()
            && !hits.iter().any(|hit| {
                hit.category == Category::LeakFinancial && hit.rule != RULE_EMBARGOED_RESULTS
            })
        {
            hits.retain(|hit| hit.rule != RULE_EMBARGOED_RESULTS);
        }
        self.add_up_cues(&mut cues, &mut hits);
        let mut vetoed = Vec::new();
        if self.model.is_some() || capture.is_some() {
            self.second_opinion(
                &literals,
                &post.text,
                &folded,
                &mentions,
                account_role,
                capture,
                &mut hits,
                &mut vetoed,
            );
        }
        self.drop_yielding(&mut hits);
        drop_overlapping_duplicates(&mut hits);
        Detection {
            account_role,
            hits,
            vetoed,
        }
    }

    /// The learned model's findings (`super::learned`): categories the rules did not
    /// find, a reputation category only in a post that mentions the company. Where the
    /// model is sure a post lacks a category it may veto (`TextModel::vetoes`), the
    /// rules' findings of it are dropped and their rule ids put in `vetoed`.
    #[allow(clippy::too_many_arguments)]
    fn second_opinion(
        &self,
        literals: &[Literal],
        original: &str,
        folded: &Normalized,
        mentions: &[Mention],
        role: AccountRole,
        capture: Option<(&mut Vec<learned::Feature>, &mut HashMap<u64, String>)>,
        hits: &mut Vec<Hit>,
        vetoed: &mut Vec<(&'static str, Category)>,
    ) {
        let mut placeholders: Vec<(usize, usize, Placeholder)> = literals
            .iter()
            .filter_map(|literal| match literal.target {
                Target::Brand | Target::BrandInTag | Target::BrandShort => {
                    Some((literal.start, literal.end, Placeholder::Brand))
                }
                Target::Product { .. } => Some((literal.start, literal.end, Placeholder::Product)),
                _ => None,
            })
            .collect();
        // Longest first at each start; then drop what overlaps an earlier range.
        placeholders.sort_unstable_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut reach = 0;
        placeholders.retain(|&(start, end, _)| {
            let keep = start >= reach;
            if keep {
                reach = end;
            }
            keep
        });
        let mentioned = mentions
            .iter()
            .any(|mention| mention.kind.includes(MentionKinds::COMPANY));
        let emoji = learned::emoji_of(original, folded);
        let reading = learned::Reading {
            folded: &folded.text,
            placeholders: &placeholders,
            emoji: &emoji,
            role,
            mentioned,
        };
        if let Some((features, names)) = capture {
            let mut capture = learned::Capture { features, names };
            learned::features(&reading, hits, &mut capture);
            return;
        }
        let Some(model) = &self.model else {
            return;
        };
        // Sum first; keep the features (for where the evidence is) only when a
        // category reaches the threshold, which few posts do.
        let mut logits = learned::Logits::new(model);
        learned::features(&reading, hits, &mut logits);
        let probabilities = logits.probabilities();
        // Where the model is sure a post is not a complaint, or the judge gives a
        // category less than its bar, the rules' findings of it are dropped
        // (`TextModel::vetoes`), except those of a rule marked `judged = false`.
        if !hits.is_empty() {
            hits.retain(|hit| {
                let veto = model.vetoes(hit.category, &probabilities)
                    && !self.unjudged.contains(&hit.rule);
                if veto {
                    vetoed.push((hit.rule, hit.category));
                }
                !veto
            });
        }
        if !model.reaches_threshold(&probabilities) {
            return;
        }
        // The finder's opinions read the words alone (it has no weight for what the
        // rules found), so the second pass leaves the `f:` features out.
        let mut features = Vec::new();
        learned::features(&reading, &[], &mut features);
        // A word that cancels the complaint rules outright (their `unless`: praise, a
        // content customer, someone speaking for the company) speaks against the
        // model's complaint too ("sound is amazing. Great service too!"). On twelve
        // fresh sets this costs 2 finds for 1 false alarm; for the other categories
        // it cost more finds than it saved, so it is the complaint's alone.
        let ruled_out = |category: Category| {
            category == Category::ReputationComplaint
                && literals.iter().any(|literal| match literal.target {
                    Target::Unless { rule } => self.lexicon[rule as usize].category == category,
                    _ => false,
                })
        };
        // A disclosure by the public is about the company only where it names it: news
        // of another firm's layoffs or merger is no leak of ours.
        let about_us = |category: Category| {
            mentioned
                || (category.is_leak()
                    && (role != AccountRole::Public || category != Category::LeakFinancial))
        };
        let opinions = model.opinions(&features, |category| {
            about_us(category)
                && !hits.iter().any(|hit| hit.category == category)
                && !ruled_out(category)
        });
        for opinion in opinions {
            let (start, end) = folded.original_span(opinion.start, opinion.end);
            hits.push(Hit {
                rule: opinion.rule,
                category: opinion.category,
                start,
                end,
                weight: (opinion.probability * 100.0).round() as u8,
                checksum_validated: false,
                sensitivity: Sensitivity::Plain,
                canonical: None,
            });
        }
    }

    fn plain_hit(
        &self,
        rule: &'static str,
        category: Category,
        weight: u8,
        folded: &Normalized,
        literal: &Literal,
    ) -> Hit {
        let (start, end) = folded.original_span(literal.start, literal.end);
        Hit {
            rule,
            category,
            start,
            end,
            weight,
            checksum_validated: false,
            sensitivity: Sensitivity::Plain,
            canonical: None,
        }
    }

    /// Every literal hit of the folded text, gapped phrases joined.
    fn find_literals(&self, normalized: &Normalized, tokens: &TokenIndex) -> Vec<Literal> {
        let folded = normalized.text.as_str();
        let bytes = folded.as_bytes();
        let is_word = |index: usize| -> bool {
            // Folded text is lowercase; a byte ≥ 0x80 belongs to a non-ASCII letter.
            bytes[index].is_ascii_alphanumeric() || bytes[index] >= 0x80
        };
        // A typical post has a few dozen matches: no regrowing for those.
        let mut literals = Vec::with_capacity(64);
        let mut phrase_parts = Vec::with_capacity(64);
        // Per gapped phrase, how many of its parts have been seen in order so far.
        // Matches come in the order they end, and a part must start after the part
        // before it ends, so a part whose predecessor has not been seen yet can never
        // join a phrase: it is not kept (common words are parts of many phrases).
        let mut phrase_progress: Vec<u8> = Vec::new();
        self.automaton.each_match(bytes, |pattern, start, end| {
            let boundaries = self.pattern_boundaries[pattern];
            if boundaries.left && start > 0 && is_word(start - 1) && is_word(start) {
                return;
            }
            let glued_right =
                boundaries.right && end < bytes.len() && is_word(end) && is_word(end - 1);
            let targets = &self.pattern_targets[pattern];
            // A product's name in the plural is the product: "the prenups show €119",
            // "die kraanwaterflessen voor 1,25". Only a product reads the plural, so
            // for other patterns a glued match is no match at all.
            let plural = glued_right && self.pattern_names_product[pattern] && {
                let rest_end = (end..bytes.len())
                    .find(|&at| !is_word(at))
                    .unwrap_or(bytes.len());
                match &bytes[end..rest_end] {
                    b"s" | b"es" | b"en" => true,
                    [doubled, b'e', b'n'] => *doubled == bytes[end - 1],
                    _ => false,
                }
            };
            if glued_right && !plural {
                return;
            }
            for &target in targets {
                match target {
                    _ if plural && !matches!(target, Target::Product { .. }) => {}
                    Target::PhrasePart { phrase, part } => {
                        if phrase_progress.is_empty() {
                            phrase_progress.resize(self.phrases.len(), 0);
                        }
                        let progress = &mut phrase_progress[phrase as usize];
                        if part <= *progress {
                            *progress = (*progress).max(part + 1);
                            phrase_parts.push(PhrasePartHit {
                                phrase,
                                part,
                                start,
                                end,
                            });
                        }
                    }
                    // Inside a longer word, a brand counts in a tag, or in words glued
                    // from spaced-out letters ("b o y c o t t u l p a i r").
                    Target::BrandInTag
                        if !tokens.in_tag(folded, start)
                            && !normalized.glued(tokens.token_span(folded, start)) => {}
                    _ => literals.push(Literal { target, start, end }),
                }
            }
        });
        // Words inside a name are no words of the post: those of a catalogue product's
        // name are the product's ("your DDoS Schild did nothing" is no attack), and so
        // are those of e-mail addresses and @handles (`Names`).
        let products: Vec<(usize, usize)> = literals
            .iter()
            .filter(|literal| matches!(literal.target, Target::Product { .. }))
            .map(|literal| (literal.start, literal.end))
            .collect();
        let names = Names::find(folded);
        if !products.is_empty() || !names.is_empty() {
            let outside = |start: usize, end: usize| {
                names.outside(start, end)
                    && !products
                        .iter()
                        .any(|&(from, to)| from <= start && end <= to)
            };
            literals.retain(|literal| {
                !literal.target.is_lexicon_word() || outside(literal.start, literal.end)
            });
            phrase_parts.retain(|part| outside(part.start, part.end));
        }
        // A phrase whose parts were not all seen in order cannot be complete: its
        // hits are dropped before they are sorted and joined.
        phrase_parts.retain(|hit| {
            phrase_progress[hit.phrase as usize] == self.phrases[hit.phrase as usize].parts
        });
        if !phrase_parts.is_empty() {
            self.join_phrases(&mut phrase_parts, tokens, &mut literals);
        }
        literals
    }

    /// Joins the parts of gapped phrases: each next part starts after the previous
    /// one ends, with at most `MAX_PHRASE_GAP` tokens between them, in one sentence.
    fn join_phrases(
        &self,
        parts: &mut [PhrasePartHit],
        tokens: &TokenIndex,
        literals: &mut Vec<Literal>,
    ) {
        parts.sort_unstable_by_key(|hit| (hit.phrase, hit.part, hit.start));
        // One phrase at a time: its hits, sorted by part and start.
        for hits in parts.chunk_by(|a, b| a.phrase == b.phrase) {
            let phrase = &self.phrases[hits[0].phrase as usize];
            for first in hits.iter().filter(|hit| hit.part == 0) {
                let mut end = first.end;
                let mut complete = true;
                for part in 1..phrase.parts {
                    // The first hit of this part that starts after `end`, if any: it
                    // is the one at the partition point when that one is of this part.
                    let from = hits.partition_point(|hit| (hit.part, hit.start) < (part, end));
                    let Some(next) = hits.get(from).filter(|hit| hit.part == part) else {
                        complete = false;
                        break;
                    };
                    let (last_token, next_token) =
                        (tokens.token_at(end - 1), tokens.token_at(next.start));
                    if next_token > last_token + 1 + MAX_PHRASE_GAP
                        || tokens.sentence_of(next_token) != tokens.sentence_of(last_token)
                    {
                        complete = false;
                        break;
                    }
                    end = next.end;
                }
                if complete {
                    for &target in &phrase.targets {
                        literals.push(Literal {
                            target,
                            start: first.start,
                            end,
                        });
                    }
                }
            }
        }
    }

    /// Where the post mentions the company: brand names, products, and handles of
    /// the company's own accounts.
    fn company_mentions(
        &self,
        literals: &[Literal],
        normalized: &Normalized,
        tokens: &TokenIndex,
        post: &Post,
        own_identifiers: &[Hit],
    ) -> Vec<Mention> {
        let folded = normalized.text.as_str();
        let mut mentions = Vec::new();
        for identifier in own_identifiers {
            let token = tokens.token_at(normalized.folded_at(identifier.start));
            mentions.push(Mention {
                token,
                sentence: tokens.sentence_of(token),
                kind: MentionKinds::ACCOUNT,
            });
        }
        for literal in literals {
            let kind = match literal.target {
                Target::Brand | Target::BrandInTag => MentionKinds::BRAND,
                Target::BrandShort => {
                    let (start, _) = normalized.original_span(literal.start, literal.end);
                    let capitalised = post.text[start..]
                        .chars()
                        .next()
                        .is_some_and(char::is_uppercase);
                    if !capitalised && !tokens.in_tag(folded, literal.start) {
                        continue;
                    }
                    MentionKinds::BRAND
                }
                Target::Product { .. } => MentionKinds::PRODUCT,
                Target::InternalDomain | Target::InternalMarker => MentionKinds::INTERNAL,
                _ => continue,
            };
            if kind != MentionKinds::INTERNAL && denied_before(folded, literal.start) {
                continue;
            }
            let token = tokens.token_at(literal.start);
            mentions.push(Mention {
                token,
                sentence: tokens.sentence_of(token),
                kind,
            });
        }
        // A reply or comment that addresses an organisation ("jullie klantenservice",
        // under the company's own post) speaks to the company: the plural "you" counts
        // as a mention of it, as its handle would.
        let addressed = matches!(
            post.kind,
            PostKind::Reply | PostKind::Comment | PostKind::Message
        );
        for (token, start) in tokens.starts.iter().enumerate() {
            if folded[*start..].starts_with("jullie") {
                let end = start + "jullie".len();
                // Outside a reply, only "jullie" before a service ("jullie
                // klantenservice", "jullie app") addresses the company.
                let next = folded.get(end + 1..).unwrap_or("");
                let service = ADDRESSED_SERVICES.iter().any(|word| {
                    next.starts_with(word)
                        && next
                            .as_bytes()
                            .get(word.len())
                            .is_none_or(|b| !b.is_ascii_alphanumeric())
                });
                if (addressed || service) && folded.as_bytes().get(end).is_none_or(|b| *b == b' ') {
                    mentions.push(Mention {
                        token: token as u32,
                        sentence: tokens.sentence_of(token as u32),
                        kind: MentionKinds::ACCOUNT,
                    });
                    continue;
                }
            }
            if folded.as_bytes().get(*start) != Some(&b'@') {
                continue;
            }
            let end = folded[*start..]
                .find(' ')
                .map_or(folded.len(), |gap| start + gap);
            let handle = folded[*start..end]
                .trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            if handle.len() < 2 {
                continue;
            }
            let platform = post.platform.as_str();
            let own = [handle, &handle[1..]]
                .into_iter()
                .any(|handle| self.profile.account_role(platform, handle).is_insider());
            if own {
                mentions.push(Mention {
                    token: token as u32,
                    sentence: tokens.sentence_of(token as u32),
                    kind: MentionKinds::ACCOUNT,
                });
            }
        }
        mentions
    }

    fn apply_lexicon(
        &self,
        post: &PostContext<'_>,
        hits: &mut Vec<Hit>,
        talk: &mut pricing::PriceTalk,
    ) -> Vec<Cue> {
        let tokens = post.tokens;
        // The rules with a term in this post: only their words are ever read.
        let mut term_rules: Vec<u32> = post
            .literals
            .iter()
            .filter_map(|literal| match literal.target {
                Target::Term { rule } => Some(rule),
                _ => None,
            })
            .collect();
        term_rules.sort_unstable();
        term_rules.dedup();
        // The rule-specific words of this post, grouped by rule and kind.
        let mut words: Vec<RuleWord> = post
            .literals
            .iter()
            .filter_map(|literal| {
                let (rule, kind) = match literal.target {
                    Target::Context { rule } => (rule, WordKind::Context),
                    Target::Exception { rule } => (rule, WordKind::Exception),
                    Target::Require { rule } => (rule, WordKind::Require),
                    Target::Unless { rule } => (rule, WordKind::Unless),
                    _ => return None,
                };
                if term_rules.binary_search(&rule).is_err() {
                    return None;
                }
                Some(RuleWord {
                    rule,
                    kind,
                    token: tokens.token_at(literal.start),
                    start: literal.start,
                })
            })
            .collect();
        words.sort_unstable_by_key(|word| (word.rule, word.kind, word.token));
        // The negation words of this post, by negation group.
        let mut negations: Vec<(u32, u32, usize)> = post
            .literals
            .iter()
            .filter_map(|literal| match literal.target {
                Target::Negation { group } => {
                    Some((group, tokens.token_at(literal.start), literal.end))
                }
                _ => None,
            })
            .collect();
        negations.sort_unstable();
        let negations_of = |group: u32| -> &[(u32, u32, usize)] {
            let from = negations.partition_point(|negation| negation.0 < group);
            let to = negations.partition_point(|negation| negation.0 <= group);
            &negations[from..to]
        };
        // Whether a negation of `group` ends before `start`, at most `reach` tokens
        // before `token`, in the same clause: a comma, semicolon or colon between them
        // ends its reach ("de prijs klopt niet, prijsfout sinds de import").
        let negated_at = |group: u32, token: u32, start: usize, reach: u32| {
            negations_of(group).iter().any(|&(_, negation_token, end)| {
                end <= start
                    && negation_token + reach >= token
                    && tokens.sentence_of(negation_token) == tokens.sentence_of(token)
                    && !post
                        .folded
                        .text
                        .get(end..start)
                        .is_some_and(|between| between.contains([',', ';', ':']))
            })
        };
        let of = |rule: u32, kind: WordKind| -> &[RuleWord] {
            let from = words.partition_point(|word| (word.rule, word.kind) < (rule, kind));
            let to = words.partition_point(|word| (word.rule, word.kind) <= (rule, kind));
            &words[from..to]
        };

        let mut cues: Vec<Cue> = Vec::new();
        for term in post.literals {
            let Target::Term { rule: rule_index } = term.target else {
                continue;
            };
            let rule = &self.lexicon[rule_index as usize];
            if !rule.applies_to(post.role) {
                continue;
            }
            let term_token = tokens.token_at(term.start);
            let term_end_token = tokens.token_at(term.end.saturating_sub(1));
            let within = |token: u32, window: u32| {
                token + window >= term_token && token <= term_end_token + window
            };
            let window = u32::from(rule.window);
            let mentions = self.rule_mentions[rule_index as usize];
            if let Some(scope) = rule.about_company {
                let sentence = tokens.sentence_of(term_token);
                let about = post.mentions.iter().any(|mention| {
                    mention.kind.includes(MentionKinds::COMPANY)
                        && match scope {
                            CompanyScope::Post => true,
                            CompanyScope::Sentence => mention.sentence == sentence,
                            CompanyScope::Nearby => mention.sentence.abs_diff(sentence) <= 1,
                        }
                });
                if !about || attributed_elsewhere(post, term_token, term_end_token) {
                    continue;
                }
            }
            let group = self.negation_groups[rule_index as usize];
            // A term that starts with a negation ("no reply") is not negated again by an
            // earlier one ("no email, no reply").
            let starts_negated = negations_of(group)
                .iter()
                .any(|&(_, negation_token, _)| negation_token == term_token);
            let negated =
                rule.negatable && !starts_negated && negated_at(group, term_token, term.start, 3);
            // A negated exception is no exception: "not published yet".
            let counts = |word: &&RuleWord| !negated_at(group, word.token, word.start, 2);
            let excepted = of(rule_index, WordKind::Exception)
                .iter()
                .filter(counts)
                .any(|word| within(word.token, window))
                || of(rule_index, WordKind::Unless)
                    .iter()
                    .any(|word| counts(&word));
            let (start, end) = post.folded.original_span(term.start, term.end);
            if rule.category == Category::LeakPricing {
                // Price-error talk becomes a finding only next to a product; a hint
                // (below the threshold) only makes a periodic price next to it count.
                let span = Span { start, end };
                if negated || excepted {
                    talk.denials.push(span);
                } else if u16::from(rule.weight) < FIRE_THRESHOLD {
                    talk.hints.push(span);
                } else {
                    talk.error.push(span);
                }
                continue;
            }
            if negated || excepted {
                continue;
            }
            if !rule.requires.is_empty() {
                let requires_window = rule.requires_window.map_or(u32::MAX / 2, u32::from);
                let required = of(rule_index, WordKind::Require)
                    .iter()
                    .any(|word| within(word.token, requires_window))
                    || (mentions.requires.any()
                        && post.mentions.iter().any(|mention| {
                            mentions.requires.includes(mention.kind)
                                && within(mention.token, requires_window)
                        }));
                if !required {
                    continue;
                }
            }
            // Context counts within the window and in the term's sentence.
            let term_sentence = tokens.sentence_of(term_token);
            let in_context = |token: u32| {
                within(token, window)
                    && (tokens.sentence_of(token) == term_sentence
                        || tokens.sentence_of(token) == tokens.sentence_of(term_end_token))
            };
            let has_context = of(rule_index, WordKind::Context)
                .iter()
                .any(|word| in_context(word.token))
                || (mentions.context.any()
                    && post.mentions.iter().any(|mention| {
                        mentions.context.includes(mention.kind) && in_context(mention.token)
                    }));
            let context_boost = if has_context { rule.context_weight } else { 0 };
            let strength = u16::from(rule.weight) + u16::from(context_boost);
            if strength < FIRE_THRESHOLD {
                if rule.context.is_empty() {
                    cues.push(Cue {
                        rule: rule_index,
                        category: rule.category,
                        strength,
                        start,
                        end,
                    });
                }
                continue;
            }
            hits.push(Hit {
                rule: self.lexicon_ids[rule_index as usize],
                category: rule.category,
                start,
                end,
                weight: strength.min(100) as u8,
                checksum_validated: false,
                sensitivity: Sensitivity::Plain,
                canonical: None,
            });
        }
        cues
    }

    /// Drops the hits of rules that yield to a rule that fired on the post.
    fn drop_yielding(&self, hits: &mut Vec<Hit>) {
        if !hits.iter().any(|hit| self.yields.contains_key(hit.rule)) {
            return;
        }
        // Rule ids and category names: `yields_to` may name either.
        let fired: Vec<&'static str> = hits
            .iter()
            .flat_map(|hit| [hit.rule, hit.category.as_str()])
            .collect();
        hits.retain(|hit| {
            self.yields
                .get(hit.rule)
                .is_none_or(|to| !to.iter().any(|id| fired.contains(id)))
        });
    }

    /// Cues of one category add up: the strongest occurrence of each distinct cue
    /// rule counts once, and when at least two rules reach [`CUE_THRESHOLD`] together,
    /// each of them becomes a hit (so the verdict names every rule it rests on). Cues
    /// only fill a gap: a category that fired needs none, and a post already explained
    /// by a pricing error, insider figures or an incident gets no category from weak
    /// signs on top. Personal data and secrets do not count
    /// as an explanation, since a customer often pastes their own details into a
    /// complaint, and neither does a reputation finding: an insult or a crisis often
    /// comes with a grievance.
    fn add_up_cues(&self, cues: &mut [Cue], hits: &mut Vec<Hit>) {
        if cues.len() < 2 {
            return;
        }
        // By category, then rule, strongest first.
        cues.sort_unstable_by_key(|cue| (cue.category, cue.rule, std::cmp::Reverse(cue.strength)));
        for group in cues.chunk_by(|a, b| a.category == b.category) {
            let category = group[0].category;
            if hits.iter().any(|hit| {
                hit.category == category
                    || matches!(
                        hit.category,
                        Category::LeakPricing | Category::LeakFinancial | Category::LeakSecurity
                    )
            }) {
                continue;
            }
            // The strongest occurrence of each distinct rule.
            let strongest = || group.chunk_by(|a, b| a.rule == b.rule).map(|run| &run[0]);
            let (rules, total) = strongest().fold((0, 0u16), |(rules, total), cue| {
                (rules + 1, total + cue.strength)
            });
            // A post another finding already explains (a crisis, an insult) needs
            // stronger signs before weak ones add a category on top.
            // An insult is no explanation of a grievance: insults with a concrete
            // grievance are abuse and a complaint.
            let explained = hits.iter().any(|hit| {
                hit.category != category
                    && hit.sensitivity == Sensitivity::Plain
                    && hit.category != Category::LeakPii
                    && !(category == Category::ReputationComplaint
                        && hit.category == Category::ReputationAbuse)
            });
            let threshold = CUE_THRESHOLD + if explained { CUE_EXPLAINED_EXTRA } else { 0 };
            if rules < 2 || total < threshold {
                continue;
            }
            for cue in strongest() {
                hits.push(Hit {
                    rule: self.lexicon_ids[cue.rule as usize],
                    category,
                    start: cue.start,
                    end: cue.end,
                    weight: total.min(100) as u8,
                    checksum_validated: false,
                    sensitivity: Sensitivity::Plain,
                    canonical: None,
                });
            }
        }
    }
}

/// A lexicon term that passed every gate of its rule but stayed below the threshold.
struct Cue {
    rule: u32,
    category: Category,
    strength: u16,
    start: usize,
    end: usize,
}

/// What `apply_lexicon` needs to know about one post.
struct PostContext<'a> {
    literals: &'a [Literal],
    original: &'a str,
    folded: &'a Normalized,
    tokens: &'a TokenIndex,
    mentions: &'a [Mention],
    role: AccountRole,
}

/// A hit of one part of a gapped phrase, before joining.
#[derive(Debug, Clone, Copy)]
struct PhrasePartHit {
    phrase: u32,
    part: u8,
    start: usize,
    end: usize,
}

/// Where the company is mentioned.
#[derive(Debug, Clone, Copy)]
struct Mention {
    token: u32,
    sentence: u32,
    kind: MentionKinds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WordKind {
    Context,
    Exception,
    Require,
    Unless,
}

/// A rule-specific word found in the post.
#[derive(Debug, Clone, Copy)]
struct RuleWord {
    rule: u32,
    kind: WordKind,
    token: u32,
    start: usize,
}

/// Token and sentence numbers for byte positions of the folded text (tokens are
/// split by spaces; a sentence ends after a token ending in `.`, `!` or `?`, and at
/// a line break).
struct TokenIndex {
    starts: Vec<usize>,
    /// For every token, the number of its sentence.
    sentences: Vec<u32>,
}

impl TokenIndex {
    fn new(folded: &Normalized) -> TokenIndex {
        let text = folded.text.as_bytes();
        let line_breaks = folded.line_breaks();
        // Tokens are split by single spaces, so there are at most half as many as
        // bytes (rounded up): room for all of them, no regrowing.
        let most = text.len() / 2 + 1;
        let mut starts = Vec::with_capacity(most);
        starts.push(0);
        let mut sentences = Vec::with_capacity(most);
        sentences.push(0);
        let mut sentence = 0;
        let mut next_break = 0;
        for (index, &byte) in text.iter().enumerate() {
            if byte != b' ' {
                continue;
            }
            while next_break < line_breaks.len() && line_breaks[next_break] < index {
                next_break += 1;
            }
            let at_line_break = line_breaks.get(next_break) == Some(&index);
            let after_stop = index > 0 && matches!(text[index - 1], b'.' | b'!' | b'?');
            if at_line_break || after_stop {
                sentence += 1;
            }
            starts.push(index + 1);
            sentences.push(sentence);
        }
        TokenIndex { starts, sentences }
    }

    fn token_at(&self, byte: usize) -> u32 {
        (self.starts.partition_point(|&start| start <= byte) - 1) as u32
    }

    fn sentence_of(&self, token: u32) -> u32 {
        self.sentences[token as usize]
    }

    /// The folded byte range of token number `token`.
    fn span_of(&self, folded: &str, token: u32) -> std::ops::Range<usize> {
        let start = self.starts[token as usize];
        let end = self
            .starts
            .get(token as usize + 1)
            .map_or(folded.len(), |next| next - 1);
        start..end
    }

    /// The folded byte range of the sentence holding token number `token`.
    fn sentence_bounds(&self, folded: &str, token: u32) -> std::ops::Range<usize> {
        let sentence = self.sentence_of(token);
        let first = self.sentences.partition_point(|&s| s < sentence);
        let last = self.sentences.partition_point(|&s| s <= sentence) - 1;
        self.starts[first]..self.span_of(folded, last as u32).end
    }

    /// The folded byte range of the token holding `byte`.
    fn token_span(&self, folded: &str, byte: usize) -> std::ops::Range<usize> {
        self.span_of(folded, self.token_at(byte))
    }

    /// Whether the token holding `byte` is an `@handle` or a `#hashtag`.
    fn in_tag(&self, folded: &str, byte: usize) -> bool {
        let start = self.starts[self.token_at(byte) as usize];
        matches!(folded.as_bytes().get(start), Some(b'@' | b'#'))
    }
}

/// Whether the word before `start` denies that what follows is meant: "a retailer
/// (not Stekker)", "niet Versmarkt maar …". Such a name is no mention of the company.
fn denied_before(folded: &str, start: usize) -> bool {
    const DENIALS: [&str; 6] = ["not", "niet", "except", "behalve", "excluding", "unlike"];
    folded[..start]
        .trim_end_matches([' ', '('])
        .rsplit(' ')
        .next()
        .is_some_and(|word| DENIALS.contains(&word.trim_start_matches('(')))
}

/// Whether a term about the company is pinned on another named organisation instead:
/// "the breach at PayRollo", "datalek bij Pakjesbuur", "Pakjesbuur had a data breach".
/// The other name is a capitalised word that is not a mention of the company.
fn attributed_elsewhere(post: &PostContext, term: u32, term_end: u32) -> bool {
    const AT: [&str; 5] = ["bij", "at", "of", "from", "van"];
    // Capitalised words after "of" that name a law, not an organisation.
    const LAWS: [&str; 4] = ["gdpr", "avg", "dsgvo", "rgpd"];
    // Systems written in capitals, not organisations: "their API had an unauthenticated
    // endpoint" is the company's API.
    const SYSTEMS: [&str; 11] = [
        "api", "apis", "app", "vpn", "it", "ict", "crm", "erp", "cms", "sso", "cdn",
    ];
    const HAD: [&str; 7] = ["had", "heeft", "has", "suffered", "kreeg", "got", "hadden"];
    const PRONOUNS: [&str; 15] = [
        "they", "we", "you", "he", "she", "it", "i", "ze", "zij", "wij", "jullie", "hij", "ik",
        "jij", "u",
    ];
    let tokens = post.tokens;
    let folded = post.folded.text.as_str();
    let count = tokens.starts.len() as u32;
    let word = |token: u32| -> &str {
        folded[tokens.span_of(folded, token)].trim_matches(|c: char| !c.is_alphanumeric())
    };
    let other_name = |token: u32| -> bool {
        if token >= count || tokens.sentence_of(token) != tokens.sentence_of(term) {
            return false;
        }
        let start = tokens.starts[token as usize];
        let (original, _) = post.folded.original_span(start, start + 1);
        let capitalised = post.original[original..]
            .chars()
            .next()
            .is_some_and(char::is_uppercase);
        capitalised
            && !PRONOUNS.contains(&word(token))
            && !LAWS.contains(&word(token))
            && !SYSTEMS.contains(&word(token))
            // not a mention of the company, nor a later word of one ("Lumen Energie")
            && !post.mentions.iter().any(|mention| {
                mention.kind.includes(MentionKinds::COMPANY)
                    && mention.token <= token
                    && token <= mention.token + 2
            })
    };
    // "<term> (found) at (a) <Name>": a verb of finding and an article may stand between.
    const FOUND: [&str; 5] = ["found", "gevonden", "aangetroffen", "reported", "gemeld"];
    const ARTICLES: [&str; 6] = ["a", "an", "the", "een", "de", "het"];
    let linking = |token: u32| FOUND.contains(&word(token)) || ARTICLES.contains(&word(token));
    let mut at = term_end + 1;
    while at < count && at <= term_end + 2 && linking(at) {
        at += 1;
    }
    if at + 1 < count && AT.contains(&word(at)) {
        let mut name = at + 1;
        if name + 1 < count && ARTICLES.contains(&word(name)) {
            name += 1;
        }
        if other_name(name) {
            return true;
        }
    }
    // "the <Name> data breach": a determiner, another organisation's name, the term
    // (but not "door de <Name> aangeklaagd", where the name is who acts).
    const DETERMINERS: [&str; 8] = ["the", "that", "this", "de", "het", "die", "dat", "deze"];
    const BY: [&str; 2] = ["door", "by"];
    if term >= 2
        && tokens.sentence_of(term - 2) == tokens.sentence_of(term)
        && DETERMINERS.contains(&word(term - 2))
        && !(term >= 3 && BY.contains(&word(term - 3)))
        && other_name(term - 1)
    {
        return true;
    }
    // "<Name> had a (massive) data breach": a verb of having a few words before.
    (1..=3).any(|back| {
        let verb = term.saturating_sub(back);
        verb >= 1 && HAD.contains(&word(verb)) && other_name(verb - 1)
    })
}

/// The company name without its legal form ("Lumen Spark Groep N.V." is "Lumen
/// Spark"): how people write it.
fn company_core(company: &str) -> String {
    const LEGAL: [&str; 18] = [
        "b.v.", "bv", "n.v.", "nv", "groep", "group", "holding", "holdings", "ltd", "ltd.", "gmbh",
        "inc", "inc.", "s.a.", "sa", "plc", "ag", "v.o.f.",
    ];
    let words: Vec<&str> = company
        .split_whitespace()
        .map(|word| word.trim_end_matches(','))
        .collect();
    let keep = words
        .iter()
        .rposition(|word| !LEGAL.contains(&word.to_lowercase().as_str()))
        .map_or(0, |last| last + 1);
    words[..keep].join(" ")
}

/// Interns rule ids so hits carry `&'static str`. Called only when a rule set is
/// built; ids are deduplicated, so rebuilding a rule set does not grow the table.
fn intern(id: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> =
        LazyLock::new(|| Mutex::new(HashSet::new()));
    let mut interned = INTERNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(existing) = interned.get(id) {
        return existing;
    }
    let leaked: &'static str = Box::leak(id.to_string().into_boxed_str());
    interned.insert(leaked);
    leaked
}

/// The same rule hitting the same span twice (a term listed in two forms) is one hit.
fn drop_overlapping_duplicates(hits: &mut Vec<Hit>) {
    hits.sort_by_key(|hit| (hit.start, std::cmp::Reverse(hit.end)));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits.drain(..) {
        let duplicate = kept.iter().any(|earlier| {
            earlier.rule == hit.rule && earlier.start <= hit.start && hit.end <= earlier.end
        });
        if !duplicate {
            kept.push(hit);
        }
    }
    *hits = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::parse_pack;

    const PROFILE: &str = r#"
company: "Acme BV"
brands: ["Acme", "Zephyrus"]
accounts:
  corporate: ["x:@acme_care"]
  employee: ["x:@jan_acme"]
internal:
  codenames: ["Windhoos", "Project Orka", "Kitsune-2"]
  domains: ["ops.intra.example"]
embargo:
  - terms: ["Q4-cijfers", "Rocket 6"]
    until: "2027-01-01T00:00:00Z"
products:
  - name: "Rocket 5"
    list_price: 100
  - name: "Vrijbaan 4 scootmobiel"
    aliases: ["Vrijbaan 4"]
    list_price: 2450
"#;

    const PACK: &str = r#"
[pack]
name = "test"
negations = ["geen", "no", "niet"]

[sets]
quiet = ["nog geheim", "🤫"]

[[rule]]
id = "t.takeover"
category = "leak.financial"
weight = 60
terms = ["neemt .. over", "overname", "*cijfers"]
requires = ["$quiet"]

[[rule]]
id = "t.breach"
category = "reputation.crisis"
weight = 60
terms = ["datalek"]
about_company = "sentence"
roles = ["public"]

[[rule]]
id = "t.complaint"
category = "reputation.complaint"
weight = 60
terms = ["klacht*", "geen klachtbehandeling"]
negatable = true
exceptions = ["opgelost"]
unless = ["ik werk bij"]

[[rule]]
id = "t.boycott"
category = "reputation.crisis"
weight = 30
terms = ["boycot*"]
context = ["$company"]
context_weight = 30
window = 2

[[rule]]
id = "t.inside_outage"
category = "leak.security"
weight = 60
terms = ["ligt eruit"]
requires = ["$internal"]

[[rule]]
id = "t.near_secret"
category = "leak.security"
weight = 60
terms = ["storing"]
requires = ["niet naar buiten"]
requires_window = 4
"#;

    fn rule_set() -> RuleSet {
        let profile = Profile::parse(PROFILE).unwrap();
        RuleSet::build(parse_pack("test.toml", PACK).unwrap(), profile).unwrap()
    }

    #[test]
    fn cues_of_distinct_rules_add_up_and_only_fill_a_gap() {
        const PROFILE: &str = r#"
company: "Acme Spark Groep N.V."
brands: ["Spark Mobiel"]
accounts:
  corporate: ["x:@acme_care"]
public_identifiers:
  phones: ["020-555 0100"]
"#;
        const PACK: &str = r#"
[pack]
name = "cues"
negations = ["not"]

[[rule]]
id = "c.again"
category = "reputation.complaint"
weight = 30
terms = ["again", "third time"]
about_company = "post"
roles = ["public"]

[[rule]]
id = "c.cost"
category = "reputation.complaint"
weight = 30
terms = ["cost me"]
negatable = true
about_company = "post"
roles = ["public"]

[[rule]]
id = "c.two_part"
category = "reputation.complaint"
weight = 30
terms = ["useless"]
context = ["support"]
context_weight = 30
about_company = "post"

[[rule]]
id = "c.breach"
category = "reputation.crisis"
weight = 60
terms = ["data breach"]
about_company = "nearby"
roles = ["public"]

[[rule]]
id = "c.figures"
category = "leak.financial"
weight = 60
terms = ["q3 figures"]

[[rule]]
id = "c.leaked"
category = "reputation.complaint"
weight = 60
terms = ["leaked my"]
yields_to = ["c.breach"]

[[rule]]
id = "c.down"
category = "leak.security"
weight = 60
terms = ["systems down"]
yields_to = ["leak.financial"]

[[rule]]
id = "c.insult"
category = "reputation.abuse"
weight = 60
terms = ["clowns"]
"#;
        let profile = Profile::parse(PROFILE).unwrap();
        let rules = RuleSet::build(parse_pack("cues.toml", PACK).unwrap(), profile).unwrap();
        let cases: &[(&str, &[&str])] = &[
            // two independent signs add up; one, or one rule twice, does not
            (
                "Spark Mobiel failed again, that cost me a day",
                &["c.again", "c.cost"],
            ),
            ("Spark Mobiel failed again", &[]),
            ("Spark Mobiel failed again, third time", &[]),
            // a two-part rule's bare term is no cue
            ("Spark Mobiel failed again, useless", &[]),
            // a negated cue does not count
            ("Spark Mobiel again: it did not cost me a thing", &[]),
            // the company's name as people write it: without its legal form, and its
            // first word when capitalised
            (
                "Acme Spark failed again, that cost me a day",
                &["c.again", "c.cost"],
            ),
            (
                "Acme failed again, that cost me a day",
                &["c.again", "c.cost"],
            ),
            ("spark plugs failed again, that cost me a day", &[]),
            // a post explained by insider figures gets no cues; on a post with a
            // crisis, cues must reach ten more than the threshold
            (
                "Spark Mobiel and the Q3 figures again, that cost me a day",
                &["c.figures"],
            ),
            (
                "Spark Mobiel had a data breach again and that cost me a day",
                &["c.breach"],
            ),
            // the company in a neighbouring sentence counts for "nearby"
            (
                "Weg bij Spark Mobiel! Ze hadden een data breach.",
                &["c.breach"],
            ),
            ("Spark Mobiel. Mooi weer. Data breach bij een ander.", &[]),
            // a breach pinned on another organisation: "the <Name> breach", "found at a <Name>"
            ("After the Bosrijk data breach I moved to Spark Mobiel", &[]),
            (
                "Data breach found at a Bosrijk shop, glad I use Spark Mobiel",
                &[],
            ),
            ("Spark Mobiel had a data breach", &["c.breach"]),
            ("Bosrijk had a data breach, glad I use Spark Mobiel", &[]),
            // a system written in capitals is no other organisation
            ("Spark Mobiel: their API had a data breach", &["c.breach"]),
            // the company's own phone number names it; so does "jullie" before a service
            (
                "On hold at 020 555 0100 again, it cost me an hour",
                &["c.again", "c.cost"],
            ),
            (
                "jullie klantenservice again, it cost me an hour",
                &["c.again", "c.cost"],
            ),
            ("jullie allemaal again, it cost me an hour", &[]),
            // a rule that yields to another is dropped when that one fires
            ("Spark Mobiel leaked my mail", &["c.leaked"]),
            (
                "Spark Mobiel data breach: they leaked my mail",
                &["c.breach"],
            ),
            // ... and one that yields to a category when any finding of it is there
            ("Spark Mobiel systems down", &["c.down"]),
            ("Spark Mobiel Q3 figures: systems down", &["c.figures"]),
            // an insult is no explanation of a grievance: the cues need no more
            (
                "Spark Mobiel clowns failed again, that cost me a day",
                &["c.again", "c.cost", "c.insult"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(&rules_fired(&rules, "@someone", text), expected, "{text}");
        }
        assert!(rules_fired(&rules, "@acme_care", "Spark Mobiel again, cost me").is_empty());
    }

    #[test]
    fn the_learned_model_adds_what_the_rules_missed_about_the_company() {
        const PACK: &str = r#"
[pack]
name = "few"

[[rule]]
id = "f.outage"
category = "reputation.complaint"
weight = 80
terms = ["storing"]
about_company = "post"
"#;
        let rules = RuleSet::build(
            parse_pack("few.toml", PACK).unwrap(),
            Profile::parse(PROFILE).unwrap(),
        )
        .unwrap();
        // A small model, taught through the rule set's own features: waiting for a
        // refund is a complaint; Acme is read as `=brand`, so "Zephyrus" (the other
        // brand) counts the same.
        let mut names = HashMap::new();
        let mut examples = Vec::new();
        let taught: [(&str, &[Category]); 8] = [
            (
                "Acme, weken wachten op mijn terugbetaling",
                &[Category::ReputationComplaint],
            ),
            (
                "nog steeds wachten op terugbetaling van Acme",
                &[Category::ReputationComplaint],
            ),
            (
                "Acme: wachten, wachten, geen terugbetaling",
                &[Category::ReputationComplaint],
            ),
            ("Mooie dag bij Acme", &[]),
            ("Acme heeft een nieuwe winkel", &[]),
            ("fijne collega's bij Acme", &[]),
            ("storing bij Acme opgelost, mooie dag", &[]),
            ("Acme, fijne dag, storing opgelost", &[]),
        ];
        for _ in 0..3 {
            for (text, labels) in taught {
                let features = rules.text_features(&post("@someone", text), &mut names);
                examples.push(learned::Example::new(&features, labels));
            }
        }
        let model = learned::train(&examples, &names, learned::Training::default());
        let rules = rules.with_model(Some(Arc::new(model)));

        let hits = |text: &str| rules.detect(&post("@someone", text)).hits;
        let text = "Zephyrus: al drie weken wachten op een terugbetaling";
        let found = hits(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule, "learned.reputation.complaint");
        assert_eq!(found[0].category, Category::ReputationComplaint);
        assert!(found[0].weight >= 70);
        // The finding points at the word that weighed most, in the original text.
        assert!(
            ["wachten", "terugbetaling"].contains(&&text[found[0].start..found[0].end]),
            "{}",
            &text[found[0].start..found[0].end]
        );
        // Without a mention of the company there is no reputation finding.
        assert!(hits("al drie weken wachten op een terugbetaling").is_empty());
        // A category the rules found is not added twice.
        let both = hits("Acme storing, weken wachten op terugbetaling");
        assert_eq!(
            both.iter().map(|hit| hit.rule).collect::<Vec<_>>(),
            ["f.outage"]
        );
        // Where the model is sure a post is no complaint, the rule's finding is dropped,
        // and the detection says which.
        let overruled = rules.detect(&post("@someone", "Acme: storing opgelost, fijne dag"));
        assert!(overruled.hits.is_empty());
        assert_eq!(
            overruled.vetoed,
            [("f.outage", Category::ReputationComplaint)]
        );
        assert!(rules.detect(&post("@someone", text)).vetoed.is_empty());
        // Switched off, the rules alone speak.
        let rules = rules.with_model(None);
        assert!(rules.detect(&post("@someone", text)).hits.is_empty());
        assert_eq!(
            rules_fired(&rules, "@someone", "Acme: storing opgelost, fijne dag"),
            ["f.outage"]
        );
    }

    /// A post on x by `handle`, created on 2026-06-01.
    fn post(handle: &str, text: &str) -> Post {
        let json = serde_json::json!({
            "id": "t-1", "platform": "x", "account": {"handle": handle},
            "created_at": "2026-06-01T10:00:00Z", "text": text,
        });
        crate::post::decode(json.to_string().as_bytes()).unwrap()
    }

    /// The development profile (`../shared/eval/profile.yaml`).
    fn dev_profile() -> Profile {
        Profile::parse(include_str!("../../../shared/eval/profile.yaml")).unwrap()
    }

    /// The built-in packs with `profile`.
    fn builtin_rules(profile: Profile) -> RuleSet {
        RuleSet::build(crate::detect::rules::load_packs(&[]).unwrap(), profile).unwrap()
    }

    fn rules_fired(rules: &RuleSet, handle: &str, text: &str) -> Vec<&'static str> {
        let post = post(handle, text);
        let mut fired: Vec<&'static str> = rules
            .detect(&post)
            .hits
            .iter()
            .map(|hit| hit.rule)
            .collect();
        fired.sort_unstable();
        fired.dedup();
        fired
    }

    #[test]
    fn lexicon_rules_table() {
        let rules = rule_set();
        let cases: &[(&str, &str, &[&str])] = &[
            // gapped phrases and requirements
            ("@a", "Acme neemt Beta over, nog geheim", &["t.takeover"]),
            ("@a", "Acme neemt Beta over", &[]),
            (
                "@a",
                "Acme neemt de winkel in het centrum over, nog geheim",
                &["t.takeover"],
            ),
            ("@a", "Acme neemt het niet. Over de rest nog geheim", &[]),
            (
                "@a",
                "Acme neemt het bedrijf van mijn oude oom over 🤫",
                &[],
            ),
            ("@a", "ssst🤫 de overname gaat door", &["t.takeover"]),
            ("@a", "storing, mag niet naar buiten", &["t.near_secret"]),
            (
                "@a",
                "storing. Verder een mooie dag gehad, mag niet naar buiten",
                &[],
            ),
            // about the company, in the sentence of the term; roles
            ("@a", "Datalek bij Acme!", &["t.breach"]),
            ("@a", "Datalek bij Snuffel. Gelukkig klant bij Acme.", &[]),
            ("@a", "Datalek bij Snuffel\nAcme is top", &[]),
            ("@a", "Datalek bij @acme_care?", &["t.breach"]),
            ("@a", "Datalek bij de Rocket 5 app", &["t.breach"]),
            ("@acme_care", "Datalek bij Acme!", &[]),
            // pinned on another organisation by name
            ("@a", "Datalek bij Snuffel, blij dat ik bij Acme zit", &[]),
            ("@a", "Snuffel had een datalek, daarom over naar Acme", &[]),
            ("@a", "Acme heeft een datalek", &["t.breach"]),
            ("@a", "Groot datalek bij een winkel (not Acme)", &[]),
            ("@a", "Datalek, niet Acme maar de buren", &[]),
            // a name with one letter starred out is still the name
            ("@a", "Datalek bij ZEPH*RUS!", &["t.breach"]),
            ("@a", "Datalek bij Z*PH*RUS", &[]),
            ("@a", "Ze hadden een datalek bij Acme", &["t.breach"]),
            // negations and exceptions
            ("@a", "geen klachten over Acme", &[]),
            ("@a", "klacht over Acme", &["t.complaint"]),
            ("@a", "mijn klacht is netjes opgelost", &[]),
            (
                "@a",
                "geen mail, geen klachtbehandeling bij Acme",
                &["t.complaint"],
            ),
            ("@a", "klacht over Acme. Ik werk bij de concurrent", &[]),
            (
                "@a",
                "klacht over Acme, nog niet opgelost",
                &["t.complaint"],
            ),
            // profile sets as context, brands inside hashtags
            ("@a", "#BoycotAcme", &["t.boycott"]),
            ("@a", "boycot Acme", &["t.boycott"]),
            (
                "@a",
                "#boycotfastfashion dit jaar, maar mijn nieuwe Rocket 5 van Acme is top",
                &[],
            ),
            ("@a", "Acmeboycot is geen woord", &[]),
            ("@a", "b o y c o t a c m e 🚫", &["t.boycott"]),
            // the company's inside: an internal host, which is no mention of the company
            (
                "@a",
                "ops.intra.example ligt eruit",
                &["confidential.internal_host", "t.inside_outage"],
            ),
            ("@a", "de kassa ligt eruit", &[]),
            (
                "@a",
                "Datalek, zie ops.intra.example",
                &["confidential.internal_host"],
            ),
            // words inside an e-mail address are no words of the post
            (
                "@a",
                "Datalek bij Acme, mail piet@datalek.nl",
                &["pii.email", "t.breach"],
            ),
            ("@a", "mail klacht@acme.nl voor vragen", &["pii.email"]),
            // ... nor are words inside an @handle
            ("@a", "vragen? tag @klachtenlijn_acme", &[]),
            ("@a", "Acme, kijk hier eens naar @klacht", &["t.complaint"]),
            (
                "@a",
                "klacht over Acme @klachtenlijn_acme",
                &["t.complaint"],
            ),
            (
                "@a",
                "klacht over Acme, mail ik@opgelost.nl",
                &["pii.email", "t.complaint"],
            ),
            // embargoed terms; results-like ones are financial too
            (
                "@a",
                "Q4-cijfers zijn top",
                &["confidential.embargo", "financial.embargoed_results"],
            ),
            ("@a", "Rocket 6 komt eraan", &["confidential.embargo"]),
            // one-word codenames only as written, phrases in any case
            ("@a", "Windhoos gaat live", &["confidential.codename"]),
            (
                "@a",
                "werk aan Ｗｉｎｄｈｏｏｓ",
                &["confidential.codename"],
            ),
            ("@a", "er waait een windhoos over Zeeland", &[]),
            // ... unless disguised: full-width, look-alike or spaced-out letters
            (
                "@a",
                "ｗｉｎｄｈｏｏｓ gaat live",
                &["confidential.codename"],
            ),
            ("@a", "wіndhoos gaat live", &["confidential.codename"]),
            (
                "@a",
                "w i n d h o o s gaat live",
                &["confidential.codename"],
            ),
            ("@a", "project orka draait", &["confidential.codename"]),
            // a codename's own name without its "Project": only when disguised
            ("@a", "we werken aan O.r.k.a 🤫", &["confidential.codename"]),
            ("@a", "we werken aan O r k a", &["confidential.codename"]),
            ("@a", "Orka gespot bij Texel", &[]),
            // a hyphenated codename with the hyphen standing apart, or spaced out
            ("@a", "de Kitsune - 2 kick-off", &["confidential.codename"]),
            (
                "@a",
                "de K i t s u n e - 2 kick-off",
                &["confidential.codename"],
            ),
            // a negation in another sentence does not count
            ("@a", "Niet te geloven. Klacht over Acme", &["t.complaint"]),
            // nor one before a comma: the clause it denies has ended
            ("@a", "Werkt niet, klacht over Acme", &["t.complaint"]),
            ("@a", "Niet echt een klacht over Acme", &[]),
            // a keyword in leetspeak still triggers its secret rule (the prefilter
            // reads folded text, the rule reads the original)
            (
                "@a",
                "w@chtw00rd van de staging-db was toch Tq8&mLp40Zxv?",
                &["secret.password_prose"],
            ),
            (
                "@a",
                "w.a.c.h.t.w.o.o.r.d gedeelde inbox = Spruitje!2026",
                &["secret.password_prose"],
            ),
            // spaced out one letter at a time, the keyword is closed up for the
            // structured detectors and read as the assignment it is
            (
                "@a",
                "tablet 🙄 w a c h t w o o r d: Thyx16_52Pdv niet doorvertellen",
                &["secret.password_assignment"],
            ),
        ];
        for (handle, text, expected) in cases {
            assert_eq!(rules_fired(&rules, handle, text), *expected, "{text:?}");
        }
    }

    #[test]
    fn sentences_end_at_stops_and_line_breaks() {
        let folded = normalize("Een. Twee drie!\nVier vijf? zes");
        let tokens = TokenIndex::new(&folded);
        let sentences: Vec<u32> = (0..tokens.starts.len() as u32)
            .map(|token| tokens.sentence_of(token))
            .collect();
        assert_eq!(sentences, [0, 1, 1, 2, 2, 3]);
    }

    #[test]
    fn builtin_packs_build_with_the_development_profile() {
        let rules = builtin_rules(dev_profile());
        // Every embargo of the Q4/annual-results kind is results-like, product ones are not.
        assert_eq!(
            rules.embargo_results_like,
            vec![vec![true, true, true, true, true], vec![false, false]]
        );
    }

    #[test]
    fn the_company_own_initials_are_no_curse_and_a_plural_names_the_product() {
        let plain = dev_profile();
        let mut profile = plain.clone();
        profile.brands.push("KK Kamers".into());
        profile.products[0].aliases.push("prenup".into());
        let (plain, rules) = (builtin_rules(plain), builtin_rules(profile));
        let curse = "die kk zooi doet het weer niet";
        assert!(rules_fired(&plain, "@someone", curse).contains(&"abuse.cancer_curse"));
        assert!(!rules_fired(&rules, "@someone", curse).contains(&"abuse.cancer_curse"));
        let rules_of = |text: &str| rules_fired(&rules, "@someone", text);
        assert!(
            rules_of("the prenups show €149 instead of €1499, oops")
                .contains(&"pricing.below_list")
        );
        assert!(
            !rules_of("the prenupsy show €149 instead of €1499, oops")
                .contains(&"pricing.below_list")
        );
    }

    #[test]
    fn the_words_of_a_product_name_are_the_product_not_the_post() {
        let plain = dev_profile();
        let mut profile = plain.clone();
        profile.products[0].aliases.push("DDoS Schild".into());
        let (plain, rules) = (builtin_rules(plain), builtin_rules(profile));
        let text = "Zephyr heeft een ddos-aanval gehad";
        assert!(rules_fired(&rules, "@someone", text).contains(&"crisis.data_breach"));
        let product = "Your DDoS Schild from Zephyr did nothing for me, seriously";
        assert!(rules_fired(&plain, "@someone", product).contains(&"crisis.data_breach"));
        assert!(!rules_fired(&rules, "@someone", product).contains(&"crisis.data_breach"));
    }

    #[test]
    fn a_price_in_full_width_digits_is_read_and_its_span_is_in_the_original_text() {
        let rules = builtin_rules(dev_profile());
        for (text, price) in [
            ("de Vista 55 staat online voor €１４９,- haha", "€１４９,-"),
            (
                "de Vista 55 staat online voor €\u{200b}149,- haha",
                "€\u{200b}149,-",
            ),
        ] {
            let detection = rules.detect(&post("@someone", text));
            let hit = detection
                .hits
                .iter()
                .find(|hit| hit.rule == "pricing.below_list")
                .unwrap_or_else(|| panic!("{text}: {:?}", detection.hits));
            assert!(text[hit.start..hit.end].ends_with(price), "{text}: {hit:?}");
        }
        // The list price in full-width digits is no error.
        assert!(
            !rules_fired(
                &rules,
                "@someone",
                "de Vista 55 staat online voor €１４９９"
            )
            .contains(&"pricing.below_list")
        );
    }

    #[test]
    fn the_company_announcing_its_own_recall_or_accident_is_a_crisis() {
        let rules = builtin_rules(dev_profile());
        let corporate = |text: &str| rules_fired(&rules, "@zephyr_nl", text);
        let recall = "Veiligheidswaarschuwing: wij roepen de Aura Buds 2 lader (batch 24-11) terug \
                      vanwege kans op oververhitting. Breng hem terug, je krijgt je geld terug.";
        assert!(corporate(recall).contains(&"crisis.own_recall_named"));
        assert!(
            corporate(
                "We regret the accident this morning in which a cyclist was injured by one of \
                 our delivery vans. We are cooperating with the police investigation."
            )
            .contains(&"crisis.own_accident")
        );
        // Not ours: another brand's recall, a check-up reminder, a fire drill.
        for calm in [
            "Goed om te weten: onze laders vallen NIET onder de terugroepactie van een ander \
             merk, je kunt ze veilig blijven gebruiken.",
            "Tijd voor je recall? Plan je controle in de app, dan krijg je een herinnering.",
            "Vandaag de jaarlijkse ontruimingsoefening: bij een brand weet iedereen waar het \
             ziekenhuis en de uitgang zijn.",
        ] {
            let fired = corporate(calm);
            assert!(
                !fired.iter().any(|rule| rule.starts_with("crisis.")),
                "{calm}: {fired:?}"
            );
        }
        // The same recall from a public account is the public rule's, not this one.
        assert!(
            !rules_fired(&rules, "@someone", recall)
                .iter()
                .any(|rule| rule.starts_with("crisis.own_"))
        );
    }

    #[test]
    fn a_service_number_is_no_personal_data() {
        let rules = builtin_rules(dev_profile());
        let rules_of = |text: &str| rules_fired(&rules, "@someone", text);
        for helpline in [
            "Gepest? Praat erover met de Kindertelefoon: 0800-0432 (gratis en anoniem)",
            "Informatielijn van de club is 0900-1904, duur grapje per minuut",
        ] {
            assert!(!rules_of(helpline).contains(&"pii.phone"), "{helpline}");
        }
        assert!(rules_of("bel me even terug op 06 15 49 14 54 aub").contains(&"pii.phone"));
    }

    #[test]
    fn an_embargoed_money_term_with_a_figure_beside_it_is_a_financial_leak() {
        let mut profile = dev_profile();
        profile.embargoes.push(crate::profile::Embargo {
            terms: vec!["premie 2027".into(), "Nimbus 16".into()],
            until: "2027-01-01T00:00:00Z".parse().unwrap(),
        });
        let rules = builtin_rules(profile);
        assert_eq!(rules.embargo_money_like[2], vec![true, false]);
        let categories = |text: &str| {
            let mut found: Vec<Category> = rules
                .detect(&post("@someone", text))
                .hits
                .iter()
                .map(|hit| hit.category)
                .filter(|category| category.is_leak())
                .collect();
            found.sort();
            found.dedup();
            found
        };
        let (confidential, financial) = (Category::LeakConfidential, Category::LeakFinancial);
        assert_eq!(
            categories("Net gehoord: premie 2027 voor Basis wordt 156,40. Hou je vast"),
            [confidential, financial]
        );
        assert_eq!(
            categories("premie 2027 gaat +€8,20 p/m omhoog"),
            [confidential, financial]
        );
        // No figure, or a figure in another sentence: the term alone.
        assert_eq!(
            categories("Wanneer komt de premie 2027 eigenlijk uit?"),
            [confidential]
        );
        assert_eq!(
            categories("Ik betaal nu €140. Wanneer hoor ik de premie 2027?"),
            [confidential]
        );
        // A product under embargo with its price is no financial leak. (Only the
        // leak categories are compared.)
        assert_eq!(
            categories("De Nimbus 16 kost straks €1.299"),
            [confidential]
        );
    }

    #[test]
    fn builtin_packs_cover_sectors_beyond_retail() {
        let profile = Profile::parse(PROFILE).unwrap();
        let rules = builtin_rules(profile);
        // (handle, text, the category expected, or "" for a quiet post)
        let cases: &[(&str, &str, &str)] = &[
            (
                "@someone",
                "Acme heeft mijn gas gewoon afgesloten terwijl alles betaald is",
                "reputation.complaint",
            ),
            (
                "@someone",
                "De jaarafrekening van Acme klopt niet, weer €400 bijbetalen?!",
                "reputation.complaint",
            ),
            (
                "@someone",
                "Acme mobile has been down since Monday, no signal at all",
                "reputation.complaint",
            ),
            (
                "@someone",
                "Acme bezorgde mijn boodschappen: de helft ontbrak en de kaas was beschimmeld",
                "reputation.complaint",
            ),
            (
                "@someone",
                "Acme cancelled my flight to Lisbon and offered a voucher instead of a refund",
                "reputation.complaint",
            ),
            (
                "@someone",
                "Acme verzekering weigert al maanden mijn claim uit te betalen",
                "reputation.complaint",
            ),
            (
                "@someone",
                "Hele gezin voedselvergiftiging na de lasagne van Acme",
                "reputation.crisis",
            ),
            (
                "@someone",
                "Found glass shards in an Acme soup, contacting the food authority",
                "reputation.crisis",
            ),
            (
                "@jan_acme",
                "Nog geheim: bij ons gaan de tarieven van Acme volgend jaar 12% omhoog",
                "leak.financial",
            ),
            (
                "@jan_acme",
                "Niet naar buiten brengen: de stroomstoring bij Acme is bij ons veel groter dan gemeld",
                "leak.security",
            ),
            (
                "@someone",
                "Acme heeft de storing binnen een uur opgelost, top service",
                "",
            ),
            (
                "@someone",
                "Jaarafrekening van Acme binnen, ik krijg geld terug. Netjes!",
                "",
            ),
            (
                "@someone",
                "Acme lists all allergens clearly on the pack, very handy",
                "",
            ),
            (
                "@someone",
                "Salmonella bij een andere leverancier, niets met Acme te maken",
                "",
            ),
            (
                "@jan_acme",
                "Vandaag een noodoefening met een stroomstoring-scenario bij Acme gedraaid",
                "",
            ),
        ];
        for (handle, text, expected) in cases {
            let categories: Vec<String> = rules
                .detect(&post(handle, text))
                .hits
                .iter()
                .map(|hit| {
                    serde_json::to_value(hit.category)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            if expected.is_empty() {
                assert!(
                    categories.is_empty(),
                    "{text:?}: expected nothing, got {categories:?}"
                );
            } else {
                assert!(
                    categories.iter().any(|c| c == expected),
                    "{text:?}: got {categories:?}"
                );
            }
        }
    }

    #[test]
    fn a_product_named_like_a_street_is_no_address() {
        let rules = rule_set();
        let fired = |text: &str| rules_fired(&rules, "@someone", text);
        let offer = "Black Friday at Acme: 25% off the Vrijbaan 4 mobility scooter";
        assert!(!fired(offer).contains(&"pii.address"));
        assert!(
            fired("Stuur het naar Jan de Vries, Kerkstraat 4, Utrecht").contains(&"pii.address")
        );
    }

    #[test]
    fn identifiers_behind_invisible_characters_and_spaced_addresses() {
        let rules = rule_set();
        let fired = |text: &str| rules_fired(&rules, "@someone", text);
        // A zero-width space inside a token, a spaced e-mail address, a UK mobile
        // after a calling word; the same digits without one are no phone.
        assert!(fired("mail: m . vandijk84 @ ziggo . nl").contains(&"pii.email"));
        let secret = fired("admin token: shp\u{200B}at_b3c77ab2faa1ede24fd9eae6be089a81");
        assert!(
            secret.iter().any(|rule| rule.starts_with("secret.")),
            "{secret:?}"
        );
        assert!(fired("mail: m.van\u{200B}dijk84@ziggo.nl").contains(&"pii.email"));
        assert!(fired("please ring 07700 900431").contains(&"pii.phone"));
        assert!(!fired("order 07700 900431 shipped").contains(&"pii.phone"));
        assert!(!fired("thanks @ Acme . Great").contains(&"pii.email"));
        let post = post("@someone", "mail: jan @ hetnet . com ok");
        let detection = rules.detect(&post);
        let hit = detection
            .hits
            .iter()
            .find(|h| h.rule == "pii.email")
            .unwrap();
        assert_eq!(&post.text[hit.start..hit.end], "jan @ hetnet . com");
    }
}
