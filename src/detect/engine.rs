//! The rule set and the detection pass: one aho-corasick automaton over every literal
//! (lexicon terms, context words, profile names, secret keywords), then the validated
//! detectors, producing hits on the original text.

use super::pricing::{self, Currency, ProductMention, Span};
use super::rules::{FIRE_THRESHOLD, LexiconRule};
use super::{Hit, Sensitivity, pii, secrets};
use crate::normalize::{Normalized, normalize};
use crate::post::Post;
use crate::profile::Profile;
use crate::verdict::{AccountRole, Category};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

/// What a literal pattern means; one pattern can mean several things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Term { rule: u32 },
    Context { rule: u32 },
    Exception { rule: u32 },
    Negation { rule: u32 },
    Brand,
    Product { product: u32 },
    Codename,
    InternalDomain,
    InternalMarker,
    EmbargoTerm { embargo: u32 },
    SecretKeyword { rule: u32 },
}

/// Whether a pattern must start and end on a token boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Boundaries {
    left: bool,
    right: bool,
}

/// A compiled rule set: built once per set of packs and profile, shared read-only by
/// every worker.
///
/// # Resource usage
///
/// One contiguous-NFA aho-corasick automaton over every distinct folded literal; memory
/// grows linearly with the total length of the literals (about 100 bytes per pattern).
pub struct RuleSet {
    automaton: AhoCorasick,
    pattern_boundaries: Vec<Boundaries>,
    pattern_targets: Vec<Vec<Target>>,
    lexicon: Vec<LexiconRule>,
    /// The lexicon rule ids, interned once at build time.
    lexicon_ids: Vec<&'static str>,
    profile: Profile,
    secret_rule_count: usize,
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
}

/// Why a rule set did not build.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the pattern automaton: {0}")]
pub struct BuildError(#[from] aho_corasick::BuildError);

struct PatternTable {
    index: HashMap<(String, Boundaries), usize>,
    literals: Vec<String>,
    boundaries: Vec<Boundaries>,
    targets: Vec<Vec<Target>>,
}

impl PatternTable {
    /// Adds a literal as written in a pack or profile: folded like post text, with a
    /// leading or trailing `*` opening that side's boundary.
    fn add(&mut self, written: &str, target: Target) {
        let left_open = written.starts_with('*');
        let right_open = written.ends_with('*') && written.len() > 1;
        let core = written.trim_start_matches('*').trim_end_matches('*');
        self.add_folded(
            normalize(core).text,
            Boundaries {
                left: !left_open,
                right: !right_open,
            },
            target,
        );
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

impl RuleSet {
    /// Compiles lexicon rules, the profile and the secret keywords into one automaton.
    ///
    /// # Errors
    ///
    /// Fails only if the automaton exceeds aho-corasick's size limits.
    pub fn build(lexicon: Vec<LexiconRule>, profile: Profile) -> Result<RuleSet, BuildError> {
        let mut table = PatternTable {
            index: HashMap::new(),
            literals: Vec::new(),
            boundaries: Vec::new(),
            targets: Vec::new(),
        };
        let mut brand_words: Vec<String> = profile.brands.clone();
        brand_words.push(profile.company.clone());
        for word in &brand_words {
            table.add(word, Target::Brand);
        }
        for (index, rule) in lexicon.iter().enumerate() {
            let rule_index = index as u32;
            for term in &rule.terms {
                table.add(term, Target::Term { rule: rule_index });
            }
            for word in &rule.context {
                if word == "$brand" {
                    for brand in &brand_words {
                        table.add(brand, Target::Context { rule: rule_index });
                    }
                } else {
                    table.add(word, Target::Context { rule: rule_index });
                }
            }
            for word in &rule.exceptions {
                table.add(word, Target::Exception { rule: rule_index });
            }
            for word in &rule.negations {
                table.add(word, Target::Negation { rule: rule_index });
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
            table.add(codename, Target::Codename);
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
            for term in &embargo.terms {
                table.add(
                    term,
                    Target::EmbargoTerm {
                        embargo: index as u32,
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
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&table.literals)?;
        Ok(RuleSet {
            automaton,
            pattern_boundaries: table.boundaries,
            pattern_targets: table.targets,
            lexicon_ids: lexicon.iter().map(|rule| intern(&rule.id)).collect(),
            lexicon,
            profile,
            secret_rule_count: secret_rules.len(),
        })
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
        let account_role = self
            .profile
            .account_role(post.platform.as_str(), &post.handle);
        let folded = normalize(&post.text);
        let literals = self.find_literals(&folded.text);
        let tokens = TokenIndex::new(&folded.text);
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
                Target::Codename => hits.push(self.plain_hit(
                    "confidential.codename",
                    Category::LeakConfidential,
                    85,
                    &folded,
                    literal,
                )),
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
                Target::EmbargoTerm { embargo } => {
                    let until = self.profile.embargoes[embargo as usize].until;
                    if post.created_at < until {
                        hits.push(self.plain_hit(
                            "confidential.embargo",
                            Category::LeakConfidential,
                            85,
                            &folded,
                            literal,
                        ));
                    }
                }
                Target::Term { .. }
                | Target::Context { .. }
                | Target::Exception { .. }
                | Target::Negation { .. }
                | Target::Brand => {}
            }
        }

        let (mut error_talk, mut denials) = (Vec::new(), Vec::new());
        self.apply_lexicon(
            &literals,
            &folded,
            &tokens,
            account_role,
            &mut hits,
            &mut error_talk,
            &mut denials,
        );

        secrets::find_secrets(&post.text, &secret_triggered, &mut hits);
        let mut identifiers = Vec::new();
        pii::find_pii(&post.text, &mut identifiers);
        hits.extend(identifiers.into_iter().filter(|hit| {
            hit.canonical
                .as_deref()
                .is_none_or(|canonical| !self.profile.is_public_identifier(canonical))
        }));
        if !products.is_empty() {
            pricing::find_pricing_leaks(
                &post.text,
                &products,
                &error_talk,
                &denials,
                self.profile.alert_below_ratio,
                &mut hits,
            );
        }
        drop_overlapping_duplicates(&mut hits);
        Detection { account_role, hits }
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

    fn find_literals(&self, folded: &str) -> Vec<Literal> {
        let bytes = folded.as_bytes();
        let is_word = |index: usize| -> bool {
            // Folded text is lowercase; a byte ≥ 0x80 belongs to a non-ASCII letter.
            bytes[index].is_ascii_alphanumeric() || bytes[index] >= 0x80
        };
        let mut literals = Vec::new();
        for found in self.automaton.find_overlapping_iter(folded) {
            let pattern = found.pattern().as_usize();
            let (start, end) = (found.start(), found.end());
            let boundaries = self.pattern_boundaries[pattern];
            if boundaries.left && start > 0 && is_word(start - 1) && is_word(start) {
                continue;
            }
            if boundaries.right && end < bytes.len() && is_word(end) && is_word(end - 1) {
                continue;
            }
            for &target in &self.pattern_targets[pattern] {
                literals.push(Literal { target, start, end });
            }
        }
        literals
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_lexicon(
        &self,
        literals: &[Literal],
        folded: &Normalized,
        tokens: &TokenIndex,
        role: AccountRole,
        hits: &mut Vec<Hit>,
        error_talk: &mut Vec<Span>,
        denials: &mut Vec<Span>,
    ) {
        for term in literals {
            let Target::Term { rule: rule_index } = term.target else {
                continue;
            };
            let rule = &self.lexicon[rule_index as usize];
            if !rule.applies_to(role) {
                continue;
            }
            let term_token = tokens.token_at(term.start);
            let term_end_token = tokens.token_at(term.end.saturating_sub(1));
            let window = u32::from(rule.window);
            let near = |literal: &Literal| {
                let token = tokens.token_at(literal.start);
                token + window >= term_token && token <= term_end_token + window
            };
            let of_rule =
                |literal: &Literal, wanted: fn(u32) -> Target| literal.target == wanted(rule_index);
            let negated = literals.iter().any(|literal| {
                of_rule(literal, |rule| Target::Negation { rule })
                    && literal.end <= term.start
                    && tokens.token_at(literal.start) + 3 >= term_token
            });
            let excepted = literals.iter().any(|literal| {
                of_rule(literal, |rule| Target::Exception { rule }) && near(literal)
            });
            let (start, end) = folded.original_span(term.start, term.end);
            if rule.category == Category::LeakPricing {
                // Price-error talk becomes a finding only next to a product.
                let span = Span { start, end };
                if negated || excepted {
                    denials.push(span);
                } else {
                    error_talk.push(span);
                }
                continue;
            }
            if negated || excepted {
                continue;
            }
            let has_context = literals
                .iter()
                .any(|literal| of_rule(literal, |rule| Target::Context { rule }) && near(literal));
            let context_boost = if has_context { rule.context_weight } else { 0 };
            let strength = u16::from(rule.weight) + u16::from(context_boost);
            if strength < FIRE_THRESHOLD {
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
    }
}

/// Token numbers for byte positions of the folded text (tokens are split by spaces).
struct TokenIndex {
    starts: Vec<usize>,
}

impl TokenIndex {
    fn new(folded: &str) -> TokenIndex {
        let mut starts = vec![0];
        starts.extend(
            folded
                .bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b' ')
                .map(|(index, _)| index + 1),
        );
        TokenIndex { starts }
    }

    fn token_at(&self, byte: usize) -> u32 {
        (self.starts.partition_point(|&start| start <= byte) - 1) as u32
    }
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
