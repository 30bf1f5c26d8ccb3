//! Pricing leaks (CONTRACT §3 `leak.pricing`, §5 `products` and
//! `pricing.alert_below_ratio`): a wrong price of one of the company's own products
//! made public, typically an employee noticing that an expensive product is listed far
//! too cheaply on the webshop.
//!
//! Two pure, synchronous steps over the ORIGINAL post text (byte offsets everywhere):
//!
//! * [`find_prices`] reads money amounts in Dutch and English notation (`€149`,
//!   `€ 149,-`, `EUR 1.499,00`, `1,499.00 EUR`, `149 euro`, `$149.99`, `£99`, …) and
//!   flags amounts that are not what a product sells for: a discount amount, a
//!   periodic (lease) price, a fee, a reference (`was`) price, a lower bound or another
//!   kind of amount (refund, revenue, budget, …).
//! * [`find_pricing_leaks`] ties each price to the nearest catalogue product mention and
//!   reports `pricing.below_list` when it is strictly below `alert_below_ratio` × list
//!   price, and `pricing.error_talk` when talk of a price error stands next to a
//!   product and is not denied.
//!
//! # Decisions
//!
//! * Amounts in words count with a currency word or as a money nickname (`vijf euro`,
//!   `twenty bucks`, `een tientje`, `a tenner`); a yearly price (`per jaar`) is a
//!   selling price, since annual fees and premiums are listed per year.
//! * A bare number is not a price. The one exception is cents notation (`17,90`,
//!   `149,-`) right after a price cue (`voor`, `for`, `kost`, `nu`, …) or a price
//!   verb (`verlaagd naar`, `deployed as`), or set against a second amount in a
//!   sentence about a price (`23.40 instead of 234.00`): Dutch posts
//!   often leave out the euro sign there. Such a price has `currency: None` and
//!   [`PriceFlags::implicit_currency`], and counts in the product's own currency.
//! * A price in another currency than the list price's is compared only between the
//!   euro, dollar, pound and franc, at the exchange rate least likely to call it low
//!   ([`Currency::at_most_in`]): `£2.49` on the UK store for a €249 pack is low at any
//!   rate, `€85` for a $99 product is not.
//! * `.` and `,` are read by digit-group length: one separator followed by exactly
//!   three digits is a thousands separator (`€1.049` = 1049, `€1,199` = 1199), unless
//!   the integer part is `0`; one or two digits make it a decimal separator
//!   (`€6.49`, `€17,90`); with both, the last one is the decimal separator.
//! * Refurbished, demo, open-box, B-grade and damaged units count as second-hand,
//!   and so do resale and imitations (`knock-off`, `namaak`): their price is not the
//!   catalogue product's price. A fee or tax (`toeristenbelasting`) is no product
//!   price; a price per night is periodic.
//! * The words of the products' own names never say what an amount is: `Salaris
//!   Plus` is no salary, `Basis Budget` no budget. A word of the product's catalogue
//!   name between it and the price says what the product is (`LP-4 label printer`
//!   for the "Labelprinter LP-4"), not that the price is an accessory's.
//! * A monthly price is the product's price next to a hint of an error, or when the
//!   post names the list price as what it should be or was (`€8,90 p/m ipv 89`,
//!   `(normaal 179)`, `list is 229`, `last week it was 134`): then the catalogue
//!   lists the product per month too. So is a subscription's monthly price (a product
//!   named one, or listed under €100), unless it is a year's price spread over months
//!   (`omgerekend €9,92 per maand`, twelve times it the list price). A purchase price
//!   beside a lease (`koopprijs`) does not make the lease the price.
//! * `de kassa rekent €289 af` charges €289 (`afrekenen`); `€50 af` takes €50 off.
//!   What costs something at a product (`een extra strook kost bij Salaris Plus €2,50`)
//!   is the subject's price, and a co-payment (`eigen bijdrage`) is a fee.
//! * A denial suppresses error talk only. A price far below list stays a leak whatever
//!   the post says about it (a corporate "flash deal" at 30% of list is one).
//! * A price is tied to a product in the same clause (either side, the preceding
//!   product preferred), to a product earlier in the same sentence across a comma, or
//!   to a product at the end of the previous sentence. A product that only follows
//!   the price in a later clause is never its owner (`LG OLEDs are €699, the Vista 55
//!   is still at full price`).
//! * Other brands and shops (a built-in list of common consumer-electronics and retail
//!   names, plus "elsewhere", "competitor", …) between product and price mean the
//!   price is theirs. A brand word that is part of a product mention in the same post
//!   is the company's own and never counts as a competitor. Any other organisation
//!   named as the owner in front of the product or the price (`LingoLab's …`, `bij
//!   AquaNoord kost …`, `FC Hoogwater selling their …`) does count as one: the price is
//!   theirs. The company's own names (brand spans passed in) never do.

use super::hit::{Hit, Sensitivity};
use crate::profile::Product;
use crate::verdict::Category;
use regex::Regex;
use std::sync::LazyLock;

/// Rule id of a price strictly below `alert_below_ratio` × list price.
pub const RULE_BELOW_LIST: &str = "pricing.below_list";
/// Rule id of price-error talk next to a product.
pub const RULE_ERROR_TALK: &str = "pricing.error_talk";
/// Weight of [`RULE_BELOW_LIST`] hits.
pub const WEIGHT_BELOW_LIST: u8 = 90;
/// Weight of [`RULE_ERROR_TALK`] hits.
pub const WEIGHT_ERROR_TALK: u8 = 85;

/// Longest gap in bytes between a product and a price in the same clause.
const MAX_GAP_SAME_CLAUSE: usize = 160;
/// Longest gap between a product and a later price in the next clause of a sentence.
const MAX_GAP_NEXT_CLAUSE: usize = 80;
/// Longest gap between a product and a price at the start of the next sentence.
const MAX_GAP_NEXT_SENTENCE: usize = 60;
/// Error talk counts next to a product within this many bytes, whatever the sentences.
const MAX_GAP_ERROR_TALK: usize = 120;
/// Error talk counts next to a product in the adjacent sentence within this many bytes.
const MAX_GAP_ERROR_TALK_SENTENCE: usize = 240;

/// A currency of a catalogue price or a price in a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
    Chf,
    Jpy,
    Sek,
    Nok,
    Dkk,
    Pln,
    Aud,
    Cad,
}

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 11] = [
        Currency::Eur,
        Currency::Usd,
        Currency::Gbp,
        Currency::Chf,
        Currency::Jpy,
        Currency::Sek,
        Currency::Nok,
        Currency::Dkk,
        Currency::Pln,
        Currency::Aud,
        Currency::Cad,
    ];

    /// The ISO 4217 code, e.g. `EUR`.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
            Currency::Jpy => "JPY",
            Currency::Sek => "SEK",
            Currency::Nok => "NOK",
            Currency::Dkk => "DKK",
            Currency::Pln => "PLN",
            Currency::Aud => "AUD",
            Currency::Cad => "CAD",
        }
    }

    /// Bounds of what one unit is worth in euros, wide enough for years of exchange
    /// rates, for the currencies a European company's own storefronts show; `None`
    /// for the rest.
    fn euro_range(self) -> Option<(f64, f64)> {
        match self {
            Currency::Eur => Some((1.0, 1.0)),
            Currency::Usd => Some((0.80, 1.0)),
            Currency::Gbp => Some((1.10, 1.25)),
            Currency::Chf => Some((0.95, 1.10)),
            _ => None,
        }
    }

    /// The most `amount` of this currency can be worth in `target`: itself in the same
    /// currency; across the euro, dollar, pound and franc, at the rate least likely to
    /// call it low (`£2.49` against a €249 list price is low at any rate); `None`
    /// where no bound is known.
    pub fn at_most_in(self, amount: f64, target: Currency) -> Option<f64> {
        if self == target {
            return Some(amount);
        }
        let ((_, high), (low, _)) = (self.euro_range()?, target.euro_range()?);
        Some(amount * high / low)
    }

    /// Reads an ISO code, a symbol or a common name, case-insensitively and ignoring
    /// surrounding white space: `EUR`, `eur`, `€`, `euro`, `USD`, `$`, `GBP`, `£`, …
    /// `None` for anything else.
    pub fn parse(name: &str) -> Option<Currency> {
        let name = name.trim().to_lowercase();
        let currency = match name.as_str() {
            "eur" | "€" | "euro" | "euros" | "euro's" => Currency::Eur,
            "usd" | "$" | "us$" | "dollar" | "dollars" | "bucks" => Currency::Usd,
            "gbp" | "£" | "quid" | "pound sterling" => Currency::Gbp,
            "chf" | "fr." | "sfr" => Currency::Chf,
            "jpy" | "¥" | "yen" => Currency::Jpy,
            "sek" => Currency::Sek,
            "nok" => Currency::Nok,
            "dkk" => Currency::Dkk,
            "pln" | "zł" | "zl" | "zloty" | "złoty" => Currency::Pln,
            "aud" | "a$" | "au$" => Currency::Aud,
            "cad" | "c$" | "ca$" => Currency::Cad,
            _ => return None,
        };
        Some(currency)
    }
}

/// What the words around an amount say it is. Any flag except `implicit_currency`
/// means the amount is not the price a product sells for now
/// ([`PriceFlags::is_not_selling_price`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceFlags {
    /// A discount amount or another price difference: `€50 korting`, `€50 off`,
    /// `save €50`, `bespaar €50`, `-€50`, `€50 goedkoper`, `€50 extra`, `€100 cashback`.
    pub discount: bool,
    /// A periodic or lease price: `per maand`, `p/m`, `/mnd`, `a month`, `/month`,
    /// `per week`, `24 x €62`, or lease / rent / subscription words before it. A
    /// yearly price (`per jaar`, `a year`) is not periodic: annual fees, insurance
    /// premiums and memberships are listed per year, so it is their selling price.
    pub periodic: bool,
    /// A fee or the cost of a service: `verzendkosten`, `bezorgkosten`, `fee`,
    /// `shipping`, `administratiekosten`, `borg`, `deposit`, `installatie`, `repair`.
    pub fee: bool,
    /// A former or reference price: `(was €179)`, `normaal €1249`, `in plaats van
    /// €2199`, `instead of`, `RRP`, `van €179 voor …`.
    pub reference: bool,
    /// A lower bound only: `over €100`, `meer dan €100`, `at least €100`.
    pub lower_bound: bool,
    /// A price per portion or measure: `€4 per portie`, `$3 per serving`, `€2 per
    /// kilo`. A recipe or a tasting costs that, not the product it is made with.
    /// (`per stuk`, `each` are the product's own price, and so is `p.p.`: a trip
    /// is sold per person.)
    pub per_unit: bool,
    /// Another kind of amount: refund, voucher, trade-in, revenue, loss, damage,
    /// budget, salary, purchase or cost price, a bid, money raised, a coin as a
    /// measure of size (`a blister the size of a 2 euro coin`, `zo groot als een euro`),
    /// a share of a split bill, and the euro of a saying (`if I had a euro for every time`).
    pub other_amount: bool,
    /// The other kind of amount is named only by credit, voucher or gift-card words
    /// ([`VOUCHER_KIND`]): where the catalogue sells such a card, it is its price.
    pub voucher_only: bool,
    /// No currency was written: cents notation after a price cue (`voor 17,90`) or
    /// `cent`. The amount counts in the currency of the product it is tied to.
    pub implicit_currency: bool,
}

impl PriceFlags {
    /// Whether the amount is something other than the price a product sells for now.
    pub fn is_not_selling_price(self) -> bool {
        self.discount
            || self.periodic
            || self.fee
            || self.reference
            || self.lower_bound
            || self.per_unit
            || self.other_amount
    }
}

/// One money amount in a post.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMention {
    /// Byte offset of the first byte (currency symbol or code, or the first digit).
    pub start: usize,
    /// Byte offset just past the last byte (digits, `,-`, multiplier or currency word).
    pub end: usize,
    /// The amount in currency units, multipliers applied (`€1,5 mln` = 1 500 000).
    pub amount: f64,
    /// The written currency; `None` when the post leaves it out.
    pub currency: Option<Currency>,
    pub flags: PriceFlags,
}

/// A catalogue product name or alias found in the post (byte offsets into the text
/// the pricing detector reads: the original, or its copy with full-width forms in
/// ASCII, `crate::normalize::compact_for_identifiers`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductMention {
    pub start: usize,
    pub end: usize,
    pub list_price: f64,
    pub currency: Currency,
    /// Index of the product in the profile's catalogue.
    pub product_index: usize,
}

/// A byte range in the text the pricing detector reads (as for `ProductMention`):
/// price-error talk or a denial of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("pricing regex compiles")
}

/// A number: digit groups with `.`, `,`, `'` or a no-break space as thousands
/// separator and an optional decimal part, or plain digits with an optional decimal part.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\d{1,3}(?:[.,'’\u{A0}\u{202F}\u{2009}]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,3})?")
});

/// A currency written before the amount, at the end of the text before it.
static PREFIX_CURRENCY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^\p{L}\p{N}])(us\$|au\$|a\$|ca\$|c\$|€|\$|£|¥|eur|usd|gbp|chf|jpy|sek|nok|dkk|pln|aud|cad|fr\.)[ \u{A0}\u{202F}]?$",
    )
});

/// Dutch whole-amount notation after the digits: `,-`, `.-`, `,--`, `,–`, `,=`.
static WHOLE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| re(r"^[.,](?:--?|–|—|=)"));

static MULTIPLIER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[ \u{A0}]?(?:(k|K|duizend|thousand)|(mln|miljoen|million|mio|m|M)|(mld|miljard|billion|bn))(?-u:\b)",
    )
});

static SUFFIX_CURRENCY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[ \u{A0}\u{202F}]?(?:(€|\$|£|¥|zł)|(?i:(euro's|euros|euro|eur|usd|dollars|dollar|bucks|gbp|quid|chf|jpy|yen|sek|nok|dkk|pln|aud|cad))(?-u:\b)|(eu)(?-u:\b))",
    )
});

static CENTS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[ \u{A0}]?(?:eurocents?|cents?|ct)(?-u:\b)"));

/// What follows "eu" when it is the European Union rather than euros.
static EU_UNION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:-|\p{L}*(?:land|countr|lidsta|member|burger|citizen|regel|wet(?-u:\b)|law|markt|market|commiss|parlement|parliament))",
    )
});

/// A cue right before an amount without a currency that makes it a price.
static PRICE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?-u:\b)(?:voor|for|at|aan|op|kost|kosten|kostte|kostten|costs?|prijs|price|priced at|nu|now|slechts|only|maar|just|vanaf|from|charging|charges|charged|rekent|rekende|returns|returned|shows|showing|toont|displays)|à)\s*(?:(?:maar|slechts|only|just|nog|wel|nu|now)\s+)*$",
    )
});

/// A verb that sets or shows a price, right before an amount without a currency:
/// `verlaagd naar 23,40`, `staat op 3,60`, `got deployed as 23.40`, `listed at`.
static PRICE_VERB_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:verlaagd|gezakt|gedaald|aangepast|gewijzigd|veranderd|gezet|ingesteld|ingevoerd|ingevuld|staat|stond|stonden|staan|geprijsd|geprijst|afgeprijsd|dropped|lowered|reduced|cut|changed|set|listed|priced|deployed|configured|entered|showing|shows|showed|toont|displayed|went\s+down|ging|went)\s+(?:(?:nu|now|er|ineens|opeens|suddenly|in\s+de\s+\p{L}+|in\s+the\s+\p{L}+|on\s+the\s+\p{L}+|op\s+de\s+\p{L}+)\s+)*(?:naar|to|op|at|as|als|on|voor|for)\s*$",
    )
});

/// A second amount right after a bare one that sets the two against each other:
/// `23.40 instead of 234.00`, `3,60 i.p.v. 36,00`. The second amount is group 1.
static PAIRED_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:instead\s+of|rather\s+than|i\.?\s?p\.?\s?v\.?|in\s+plaats\s+van|en\s+niet|and\s+not|not|niet|vs\.?|versus)\s*(?:€|eur|\$|£)?\s*(\d[\d.,]*(?:[.,]\d{2}|[.,]--?))(?:$|[^\p{L}\p{N}])",
    )
});

/// Words that say a sentence is about a price.
static PRICE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:\p{L}*prijs\p{L}*|\p{L}*prijzen|pric(?:e|es|ed|ing)|tarie\p{L}*|tarif\p{L}*|bedrag\p{L}*|kost|kosten|kostte|costs?|fee)(?-u:\b)",
    )
});

/// Whether the bare amount at `start..end` is set against a second amount with a
/// currency or cents (`23.40 instead of 234.00`) in a sentence about a price. The
/// pair makes both money even when one reads like a clock time.
fn paired_with_price(text: &str, start: usize, end: usize, segments: &Segments) -> bool {
    let Some(other) = PAIRED_AFTER.captures(&text[end..]).and_then(|c| c.get(1)) else {
        return false;
    };
    let Some(parsed) = parse_number(other.as_str().trim_end_matches(['-', '.', ','])) else {
        return false;
    };
    let other_time_like = parsed.decimal_separator == Some('.')
        && parsed.value.trunc() <= 23.0
        && (parsed.value.fract() * 100.0).round() <= 59.0;
    let (sentence_start, sentence_end) = segments.sentence_bounds(start);
    !other_time_like && PRICE_WORD.is_match(&text[sentence_start..sentence_end])
}

/// What may follow a grouped amount without a currency that is a price: the end, a
/// mark or emoji, or a word that does not count something ("3.890 in de configurator").
static GROUPED_AMOUNT_END: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:$|[^\p{L}\p{N}\s]|(?:in|op|on|at|bij|ipv|instead|terwijl|while|en|and|maar|but|dus|so|lol|haha|nu|now)(?-u:\b))",
    )
});

/// Units after a number that make it something other than money.
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)^\s*(?:%|"|''|(?:uur|u|h|hrs?|min|minuten|minutes|sec|km|m|cm|mm|kg|g|gram|l|liter|inch|gb|tb|mb|hz|khz|w|watt|v|mah|db|stuks?|pcs|x|keer|times|sterren|stars)(?-u:\b))"#,
    )
});

static DISCOUNT_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:korting\s+(?:van|t\.?w\.?v\.?|ter\s+waarde\s+van)|discount\s+of|save|saves|saving|bespaar\p{L}*|besparing\s+van|voordeel\s+van|cashback(?:\s+(?:van|of))?|scheelt|verschil\s+van|difference\s+of|verlaagd\s+met|reduced\s+by|lowered\s+by|price\s+(?:drop|cut)\s+of|prijsverlaging\s+van|prijsdaling\s+van|verhoogd\s+met|omhoog\s+met|stijgt\s+met|steeg\s+met|\p{L}*verhoging\s+van|\p{L}*stijging\s+van|raised\s+by|increased\s+by|goes\s+up\s+by|went\s+up\s+by|rises\s+by|rose\s+by|increase\s+of|hike\s+of|minus|(?:the|that|de|het|die)\s+extra)\s+(?:(?:wel|maar|liefst|ruim|ongeveer|about|around|nearly|almost|bijna|you|je|u|up\s+to|tot|us|me|ons|mij|roughly|approximately|circa|ca\.?|zo'n|pakweg|some|toch|weer|nog|al|even)\s+)*$",
    )
});

static DISCOUNT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:(?:extra|meer|minder)\s+)?(?:korting|discount|off|goedkoper|cheaper|minder|less|lager|lower|reduction|cashback|cash\s+back|terug|back|voordeel|besparing|savings?|eraf|er\s+af|af|extra|meer|more|duurder|pricier|bijbetalen|omhoog|hoger|erbij|higher|up|verhoging|stijging|increase|rise|(?:\p{L}+\s+){0,2}omhoog|(?:onder|beneden|below|under)\s+(?:de|het|the|its|their|zijn|haar|hun)?\s*(?:\p{L}+\s+)?(?:prijs|adviesprijs|price|rrp|msrp))(?-u:\b)",
    )
});

static PERIODIC_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:(?:per|/)\s*(?:user|gebruiker|seat|persoon|person|medewerker|employee|licen[cs]e|licentie)\s+)?(?:(?:per|a|an|each|every|elke|iedere|in\s+de|in\s+the)\s+|/\s*|p/?\s*)(?:maand|mnd|month|mo|week|wk|dag|day|nacht|night|kwartaal|quarter|uur|hour|hr)(?-u:\b)|^\s*(?:p\.?m\.?|pm|p/m|maandelijks|monthly|weekly|wekelijks|[x×]\s*\d)(?:$|[^\p{L}])",
    )
});

/// `per <word>` or `/<word>` after an amount: a price per portion, label or measure
/// unless the word is a period (see [`PERIODIC_AFTER`]) or names the item itself.
static PER_WORD_AFTER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:per\s+|(?P<article>an?)\s+|/\s*)(?P<word>\p{L}[\p{L}.]*)"));

/// Words after `per` that leave the amount the item's own price: the item itself, a
/// person (a trip is sold per person), a year (annual fees), and other senses of
/// `per` (`per direct`, `per e-mail`, `per ongeluk`).
const PER_OWN_PRICE: &[&str] = &[
    "stuk",
    "stuks",
    "st",
    "piece",
    "pc",
    "item",
    "unit",
    "exemplaar",
    "persoon",
    "personen",
    "person",
    "pers",
    "kind",
    "child",
    "kid",
    "deelnemer",
    "participant",
    // a school trip is sold per pupil
    "leerling",
    "scholier",
    "student",
    "pupil",
    "gast",
    "guest",
    "volwassene",
    "adult",
    "p.p",
    "p.p.",
    "pp",
    "jaar",
    "year",
    "yr",
    "jr",
    "direct",
    "omgaande",
    "ongeluk",
    "abuis",
    "vergissing",
    "e-mail",
    "email",
    "mail",
    "post",
    "stuk.",
    "one",
    "set",
    "paar",
    "pair",
    "maand",
    "mnd",
    "month",
    "mo",
    "week",
    "wk",
    "dag",
    "day",
    "kwartaal",
    "quarter",
    "uur",
    "hour",
    "hr",
    "seat",
    "gebruiker",
    "user",
    "medewerker",
    "employee",
    "werknemer",
    "licentie",
    "license",
    "licence",
    "abonnement",
    "subscription",
];

/// `per spuit zo'n €4,65`: the unit named before the amount, with at most a word of
/// approximation between.
static PER_WORD_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)per\s+(?P<word>\p{L}[\p{L}.]*)\s+(?:(?:zo'?n|ongeveer|about|around|circa|ca\.?|rond|maar|only|just|slechts|nog|still)\s+)?$",
    )
});

/// Whether the amount at `start` is priced per portion, label or measure (`€4 per
/// portie`, `€5,95 per label`, `€2/kg`, `kost per spuit €4,65`): `after` follows the
/// amount, `clause_before` is its clause up to it.
fn priced_per_unit(clause_before: &str, after: &str) -> bool {
    let unit_before = PER_WORD_BEFORE
        .captures(clause_before)
        .is_some_and(|found| !PER_OWN_PRICE.contains(&found["word"].to_lowercase().as_str()));
    unit_before || priced_per_unit_after(after)
}

fn priced_per_unit_after(after: &str) -> bool {
    PER_WORD_AFTER.captures(after).is_some_and(|found| {
        let word = found["word"].to_lowercase();
        // `a`/`an` only before a portion: "$3 a serving", not "€5 a piece".
        if found.name("article").is_some() {
            return matches!(
                word.as_str(),
                "serving"
                    | "portion"
                    | "meal"
                    | "dish"
                    | "plate"
                    | "kilo"
                    | "pound"
                    | "litre"
                    | "liter"
            );
        }
        !PER_OWN_PRICE.contains(&word.as_str())
    })
}

static PERIODIC_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?-u:\b)(?:lease\p{L}*|leasen|huur\p{L}*|huren|rent\p{L}*|abonnement\p{L}*|subscription|subscribe|\p{L}*termijn\p{L}*|installments?|instalments?|afbetal\p{L}*|maandbedrag|maandprijs|monthly|maandelijks|per\s+maand|per\s+month)(?-u:\b)|(?-u:\b)\d+\s*[x×]\s*$)",
    )
});

/// A patient's or insured person's own share (`eigen bijdrage`, `co-pay`): a fee, not the
/// product's price. Written once, read as `COPAY` in [`FEE_BEFORE`], [`FEE_AFTER`] and
/// [`OTHER_AMOUNT`].
const COPAY: &str = r"eigen\s+bijdrage|eigen\s+risico|co-?pay(?:ment)?|deductible";

static FEE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(&r"(?i)(?-u:\b)(?:\p{L}*kosten|shipping|delivery|postage|porto|verzending|bezorging|fees?|\p{L}*toeslag|surcharge|borg|deposit|statiegeld|administratie\p{L}*|installatie\p{L}*|installation|montage|reparatie\p{L}*|repair|garantie\p{L}*|warranty|verzekering|insurance|handling|charges?|retour\p{L}*|return|COPAY)\s*[:=(]?\s*(?:(?:van|of|is|was|bedraagt|bedragen|kost|costs?|only|maar|slechts|just|extra|a|an|de|het|the|nog|ook|also|wel)\s+)*$"
        .replace("COPAY", COPAY))
});

static FEE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(&r#"(?i)^[\s'"‘’“”(]*(?:(?:per|/|p/?)\s*\p{L}+\s+)?(?:aan\s+|in\s+|(?:for|voor)\s+(?:(?:the|that|this|their|a|an|de|het|die|dat|deze|hun)\s+)?['"‘’“”]?)?(?:extra\s+)?(?:\p{L}+kosten|service|montage|assembly|bezorgen|levering|on\s+top|bovenop|\p{L}*belasting|\p{L}*heffing|(?:\p{L}+[- ])?tax(?:es)?|verzending|bezorging|porto|\p{L}*toeslag|borg|statiegeld|(?:\p{L}+[- ])?(?:fee|fees|charge|surcharge)|shipping|delivery|postage|handling|deposit|installation|repair|warranty|insurance|admin|COPAY)(?-u:\b)"#
        .replace("COPAY", COPAY))
});

static REFERENCE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?-u:\b)(?:normaal|normaliter|normally|usually|doorgaans|meestal|oorspronkelijk|originally|original\s+price|oude\s+prijs|old\s+price|adviesprijs|advies|rrp|msrp|srp|list\s+price|catalogusprijs|regular\s+price|regularly|reguliere\s+prijs|in\s+plaats\s+van|instead\s+of|i\.?p\.?v\.?|ipv|vergeleken\s+met|compared\s+to|vs\.?|versus)|\(\s*was)\s*:?\s*(?:(?:wel|nog|still|bijna|ongeveer|almost|about|around|circa|ruim|zo'?n)\s*)?$",
    )
});

/// `was`, `van`, `from` before an amount: a reference price when a new price follows.
static WAS_BEFORE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?-u:\b)(?:was|van|from)\s*$"));
/// `voor`/`for` only with an amount after it: in "de prijs van €10,95 voor de Bron
/// kraan" it names what the price is for.
static NEW_PRICE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*[,;)]?\s*(?:(?:nu|now|naar|to)(?-u:\b)|(?:voor|for)\s+(?:(?:maar|only|just|slechts|nog)\s+)?(?:€|eur|\$|£|\d)|→|->)",
    )
});

static LOWER_BOUND_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?-u:\b)(?:over|above|boven(?:\s+de)?|meer\s+dan|more\s+than|at\s+least|minstens|minimaal|ten\s+minste|ruim|well\s+over|upwards\s+of)|>)\s*$",
    )
});

static OTHER_AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(&r"(?i)(?-u:\b)(?:terugbetaling\p{L}*|terugbetaald|terugstorting|teruggestort|refund\p{L}*|restitutie|compensatie|compensation|\p{L}*vergoeding|tegoed\p{L}*|vouchers?|waardebon\p{L}*|cadeaubon\p{L}*|cadeaukaart\p{L}*|gift\s?cards?|coupons?|inruil\p{L}*|trade-?in|restwaarde|residual\s+value|afkoop\p{L}*|buy-?out|omzet|revenue|turnover|verlies|loss|losses|schade|damages?|winst|profit|marge|margin|opgehaald|raised|gedoneerd|donated|donati\p{L}*|salaris|salary|loon|bonus|boete|penalty|budget|inleg|aandeel\p{L}*|koers|share\s+price|bod|bid|geboden|inkoopprijs|kostprijs|cost\s+price|purchase\s+price|wholesale|groothandelsprijs|\p{L}*subsidie\p{L}*|subsid(?:y|ies)|grants?|teruggave|aanbetaling|down\s+payment|COPAY|t\.?w\.?v\.?|ter\s+waarde\s+van|covered|reimbursed|vergoed|vergoedt|vergoedde|munt|muntje|muntjes|muntstuk\p{L}*|coins?|size\s+of|groot\s+als|grootte\s+van|as\s+big\s+as|split\s+(?:over|between|among)|gedeeld\s+door|verdeeld\s+over|for\s+every\s+time|voor\s+elke\s+keer|voor\s+iedere\s+keer)(?-u:\b)"
        .replace("COPAY", COPAY))
});

/// Credit, vouchers and gift cards: another kind of amount ([`OTHER_AMOUNT`]) unless
/// the catalogue sells them.
static VOUCHER_KIND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:tegoed\p{L}*|\p{L}*tegoed|vouchers?|waardebon\p{L}*|cadeaubon\p{L}*|cadeaukaart\p{L}*|gift\s?cards?|credit|coupons?)(?-u:\b)",
    )
});

/// Whether the catalogue entry is itself a credit, voucher or gift card by its name or an
/// alias ("Vliegtegoed cadeaukaart 2.500").
fn sells_vouchers(entry: &Product) -> bool {
    std::iter::once(&entry.name)
        .chain(&entry.aliases)
        .any(|name| VOUCHER_KIND.is_match(name))
}

/// Accessory words that are also what a catalogue sells, as stems in English and
/// Dutch: a word with a stem of a group counts as the product's own kind when the
/// product's name has any stem of that group (`pump` of a `warmtepomp`).
const KIND_TRANSLATIONS: [&[&str]; 8] = [
    &["pump", "pomp"],
    &["batter", "accu"],
    &["charger", "lader"],
    &["lock", "slot"],
    &["keyboard", "toetsenbord"],
    &["mouse", "muis"],
    &["saddle", "zadel"],
    &["licence", "license", "licentie"],
];

/// Accessories and parts: a price after them belongs to them, not to the product.
/// Dutch compounds (`wandbeugel`, `kabeltje`) match by their last part.
static ACCESSORY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:\p{L}*(?:beugel|hoes|hoesje|kabel|snoer|oplader|lader|houder|bandje|filter|borstel|stofzak|folie|adapter|adaptor|stekker|accu|batterij|onderdeel|onderdelen|toebehoren|bediening|cartridge|helm|zadel|pomp|spatbord|spatborden|drager|standaard|zitje|mand|lamp|lampje|verlichting|bel|ketting|spaak|spaken|pedaal|pedalen|spiegel|set|kit|doek)(?:s|en|je|jes|tje|tjes)?|cloths?|wipes|mudguards?|fenders?|rack|racks|basket|baskets|lights?|bell|bells|chain|chains|pedals?|mirror|mirrors|kickstand|case|cases|cover|covers|sleeve|sleeves|cable|cables|charger|chargers|mount|mounts|bracket|brackets|stand|stands|strap|straps|band|bands|remote|remotes|battery|batteries|dock|docks|docking\s+station|hub|plug|plugs|screen\s?protectors?|protectors?|tips|eartips|ear\s+tips|brush|brushes|bag|bags|parts|spare|spares|accessory|accessories|accessoire|accessoires|pen|stylus|soundbar|subwoofer|ink|toner|capsules|pods|refill|refills|navulling|lock|saddle|pump|lens|skin|skins|bumper|sticker|stickers|keyboard|toetsenbord|mouse|muis|upgrade|licentie|license|licence|tas|tasje)(?-u:\b)",
    )
});

/// The shop's basket the product sits in (`staat in mn winkelmandje voor 17,90`): a
/// `mand` that holds the order, not one sold with the product.
fn is_shopping_basket(word: &str) -> bool {
    ["winkelmand", "boodschappenmand"].iter().any(|basket| {
        word.get(..basket.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(basket))
    })
}

/// Links an accessory to the product named right after it: `de wandbeugel voor de`.
static ACCESSORY_LINK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:\p{L}+\s+)?(?:voor|for|van|of|bij|with|met|geschikt\s+voor|compatible\s+with|fits|past\s+op|op|on|to)\s+(?:(?:de|het|een|the|a|an|je|jouw|your|my|mijn|m'n|die|that|this|deze)\s+)?(?:\p{L}+\s+)?$",
    )
});

/// A comparison between the price and the product: `Riftmoor pass €4,99 vs <product>
/// €9,99`: the price on the other side of `vs` belongs to the other thing.
static COMPARED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:vs\.?|versus|tegenover|compared\s+(?:to|with)|vergeleken\s+met|t\.?o\.?v\.?|ten\s+opzichte\s+van)(?-u:\b)",
    )
});

/// A subject that costs something at a product: `… kost bij`, `… costs with`.
static COSTS_AT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\p{L}\s+(?:kost|kosten|kostte|costs?|is)\s+(?:bij|with|on|op)\s+(?:(?:de|het|the|je|your)\s+)?$",
    )
});

/// Services bought for a product, and charges on it: a price linked to them is theirs
/// (`de reparatie van mijn Vista 55 kostte €250`, `statiegeld op de 6-pack is €0,60`,
/// `shipping on the Kelderkist is €6,95`).
static SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:repairs?|reparatie\p{L}*|installatie\p{L}*|installation|montage|service|onderhoud|maintenance|verzending|shipping|bezorging|delivery|garantie\p{L}*|warranty|verzekering|insurance|kalibratie|calibration|statiegeld|deposit|borg|\p{L}+kosten|postage|porto|onderhouds\p{L}*|\p{L}*beurt|tune-?up|check-?up|inspectie|inspection)(?-u:\b)",
    )
});

/// A private sale: a first-person possessive and a selling verb in the same clause
/// (`I sold my Vista 55 for €600`, `heb mijn Vista 55 verkocht voor €600`).
static PERSONAL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?-u:\b)(?:mijn|my|m'n)(?-u:\b)"));
static SELLING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)(?:verkocht|verkoop|verkopen|sold|sell|selling)(?-u:\b)"));

/// `voor de hoesjes` right after a price: the price is the accessory's.
static ACCESSORY_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:voor|for|van|of)\s+(?:(?:de|het|een|the|a|an|je|your|my|mijn|die|deze|this|that|twee|two|2)\s+)?(?:\p{L}+\s+)?$",
    )
});

/// Other brands and shops: a price next to them is theirs.
static COMPETITOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:samsung|lg|sony|philips|panasonic|tcl|hisense|toshiba|loewe|apple|iphone|ipad|macbook|airpods|google|oneplus|xiaomi|huawei|oppo|realme|motorola|nokia|lenovo|hp|dell|asus|acer|msi|razer|microsoft|bose|jbl|sennheiser|jabra|marshall|sonos|garmin|fitbit|withings|suunto|amazfit|dyson|irobot|roomba|roborock|ecovacs|eufy|miele|bosch|siemens|aeg|rowenta|tefal|nespresso|delonghi|krups|braun|canon|nikon|fujifilm|gopro|dji|nintendo|playstation|xbox|logitech|anker|belkin|coolblue|bol\.com|mediamarkt|media\s+markt|amazon|bcc|alternate|megekko|azerty|wehkamp|currys|argos|best\s?buy|walmart|costco|saturn|fnac|darty|boulanger|euronics|aliexpress|temu|lidl|aldi|kruidvat|blokker|hema|ikea|zalando|elders|elsewhere|no-name|noname|drugstore|drogist\p{L}*|discounters?|huismerk|store\s+brand|concurrent\p{L}*|competitors?|competition|andere\s+(?:winkels?|webshops?|shops?|retailers?|aanbieders?|merken?)|other\s+(?:stores?|shops?|retailers?|brands?|sellers?)|another\s+(?:store|shop|retailer|brand|seller))(?-u:\b)",
    )
});

/// Second-hand and other-condition sales, resale, and imitations: the price is not
/// the catalogue price.
static SECOND_HAND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:(?-u:\b)(?:resale|doorverkoop\p{L}*|wederverkoop|ticketswap|knock-?offs?|namaak\p{L}*|replicas?|imitatie\p{L}*|tweedehands|2e\s?hands|2de\s?hands|2dehands(?:\.be)?|tweede\s?hands|second[- ]?hand|pre-?owned|refurbished|refurb|gerefurbished|gereviseerd|renewed|opgeknapt|b-?keuze|b-?grade|showmodel(?:len)?|demomodel(?:len)?|demo[- ]model|ex-?demo|open[- ]?box|te\s+koop|for\s+sale|marktplaats|ebay|vinted|marketplace|craigslist|gumtree|vraagprijs|asking\s+price|n\.?o\.?t\.?k|or\s+best\s+offer|bieden\s+vanaf|alleen\s+ophalen|pick-?up\s+only|zgan|z\.g\.a\.n|zo\s+goed\s+als\s+nieuw|like\s+new|als\s+nieuw|in\s+(?:goede|nette|prima|perfecte)\s+staat|in\s+(?:good|great|mint|excellent)\s+condition|gebruikte|beschadigde?|damaged|defecte|kapotte|voor\s+onderdelen|for\s+parts|(?:weinig|nauwelijks|amper|licht|kort)\s+gebruikt|(?:barely|lightly|gently|hardly|slightly)\s+used|used\s+(?:one|unit|model|item|condition)|(?:a|an|my|this)\s+used|(?:sold|selling|sell|verkocht|verkoop|verkopen)\s+(?:\p{L}+\s+){0,2}(?:my|mijn|m'n|our|onze)|(?:mijn|my|m'n)\s+(?:oude|old|vorige|previous|former)|kan\s+(?:zelf\s+|helaas\s+|toch\s+|er\s+)*niet\s+meer|(?:can'?t|cannot|can\s+no\s+longer)\s+(?:make\s+it|go)|wie\s+wil\s+(?:mijn|m'n|onze)|who\s+wants\s+(?:my|our)|\d+\s*jaar\s+oude?|\p{L}+-year-old|\d+[- ]years?[- ]old)(?-u:\b))",
    )
});

/// A conjunction that starts a new clause with its own subject.
static CONJUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:but|terwijl|while|whereas|want|omdat|because|although|hoewel|though|however|echter)(?-u:\b)",
    )
});

/// `and`, `en`, `&` or `plus` right after an amount: the next item of a list.
static ITEM_JOIN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^[\s,]*(?:and|en|&|plus)(?-u:\b)"));

/// Clause breaks inside a sentence.
static CLAUSE_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i),\s|;|\s[-–—]\s|\s(?:but|terwijl|while|whereas|want|omdat|because|although|hoewel|though|however|echter)(?-u:\b)",
    )
});

/// Words that point a sentence at some other item than the product just named.
static OTHER_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?-u:\b)(?:vorige|previous|oude|old|andere|other|another|former|ex)(?-u:\b)")
});

/// A negation right before price-error talk: `geen prijsfout`, `not a pricing error`.
static NEGATION_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:geen|no|not|niet|nee|never|nooit|zonder|without|isn'?t|wasn'?t|geen\s+sprake\s+van)\s+(?:(?:a|an|een|de|het|the|echte|real|sprake|van|enige|any|sign|teken|of|sprake)\s+)*[#\[(]?$",
    )
});

/// A plain no at the start of the sentence that answers a question.
static ANSWER_NO: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:nee|no|nope|niet\s+echt|not\s+really|helaas\s+niet)(?-u:\b)"));

/// Words before a `.` that do not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "ca", "incl", "excl", "bijv", "bv", "mr", "mrs", "ms", "dr", "nr", "no", "vs", "etc", "ong",
    "max", "min", "approx", "resp", "zgn", "evt", "mln", "mld", "st", "art", "ipv", "tel",
];

fn floor_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// Up to `len` bytes of `text` ending at `end`, not before `floor`.
fn window_before(text: &str, end: usize, len: usize, floor: usize) -> &str {
    let start = floor_boundary(text, end.saturating_sub(len)).max(floor);
    &text[start.min(end)..end]
}

/// Up to `len` bytes of `text` starting at `start`, not after `ceiling`.
fn window_after(text: &str, start: usize, len: usize, ceiling: usize) -> &str {
    let end = ceil_boundary(text, start + len).min(ceiling).max(start);
    &text[start..end]
}

/// Sentence and clause starts of one text.
struct Segments {
    /// Sorted byte offsets where a sentence starts; the first is 0.
    sentences: Vec<usize>,
    /// Sorted byte offsets where a clause starts (every sentence start is one).
    clauses: Vec<usize>,
    len: usize,
}

impl Segments {
    fn new(text: &str) -> Segments {
        let closing = |c: char| {
            matches!(
                c,
                '.' | '!' | '?' | '…' | '"' | '\'' | '”' | '’' | ')' | '»'
            )
        };
        let mut sentences = vec![0];
        // Jumps from one possible break to the next over the bytes, without collecting
        // the chars: a newline, `.`, `!`, `?`, or 0xE2, which starts `…` (and other
        // chars, stepped over). Each starts a char: `position` stays on boundaries.
        let mut position = 0;
        while let Some(skip) = text.as_bytes()[position..]
            .iter()
            .position(|&b| matches!(b, b'\n' | b'.' | b'!' | b'?' | 0xE2))
        {
            position += skip;
            let c = text[position..].chars().next().unwrap_or_default();
            if c == '\n' {
                sentences.push(position + 1);
                position += 1;
                continue;
            }
            if matches!(c, '.' | '!' | '?' | '…') {
                let run = text[position..]
                    .find(|c: char| !closing(c))
                    .unwrap_or(text.len() - position);
                let end = position + run;
                let at_space = text[end..].chars().next().is_none_or(char::is_whitespace);
                let lone_dot = c == '.' && run == 1;
                if at_space && !(lone_dot && is_abbreviation(&text[..position])) {
                    sentences.push(end);
                }
                position = end;
                continue;
            }
            position += c.len_utf8();
        }
        let mut clauses = sentences.clone();
        clauses.extend(CLAUSE_BREAK.find_iter(text).map(|found| {
            if found.as_str().starts_with(char::is_whitespace) && found.as_str().len() > 3 {
                found.start() + 1
            } else {
                found.end()
            }
        }));
        sentences.sort_unstable();
        sentences.dedup();
        clauses.sort_unstable();
        clauses.dedup();
        Segments {
            sentences,
            clauses,
            len: text.len(),
        }
    }

    /// How many unit starts lie in `(from, to]`.
    fn breaks_in(starts: &[usize], from: usize, to: usize) -> usize {
        let low = starts.partition_point(|&start| start <= from);
        let high = starts.partition_point(|&start| start <= to);
        high.saturating_sub(low)
    }

    fn sentence_breaks(&self, from: usize, to: usize) -> usize {
        Self::breaks_in(&self.sentences, from, to)
    }

    fn clause_breaks(&self, from: usize, to: usize) -> usize {
        Self::breaks_in(&self.clauses, from, to)
    }

    fn bounds(starts: &[usize], len: usize, position: usize) -> (usize, usize) {
        let index = starts.partition_point(|&start| start <= position);
        let start = starts[index.saturating_sub(1)];
        let end = starts.get(index).copied().unwrap_or(len);
        (start, end)
    }

    fn sentence_bounds(&self, position: usize) -> (usize, usize) {
        Self::bounds(&self.sentences, self.len, position)
    }

    fn clause_bounds(&self, position: usize) -> (usize, usize) {
        Self::bounds(&self.clauses, self.len, position)
    }

    fn sentence_index(&self, position: usize) -> usize {
        self.sentences
            .partition_point(|&start| start <= position)
            .saturating_sub(1)
    }
}

/// Whether the word right before a `.` (the end of `before`) is an abbreviation or a
/// single letter (`i.p.v.`, `ca.`, `incl.`).
fn is_abbreviation(before: &str) -> bool {
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphabetic())
        .last()
        .map_or(before.len(), |(at, _)| at);
    let word = &before[word_start..];
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (None, _) => false,
        (Some(_), None) => true,
        // Comparing ASCII-case-insensitively is exact (and allocates nothing): the
        // abbreviations are ASCII, and the only non-ASCII char whose lowercase is
        // ASCII is the Kelvin sign (`k`, in none of them).
        _ => ABBREVIATIONS
            .iter()
            .any(|abbreviation| word.eq_ignore_ascii_case(abbreviation)),
    }
}

/// A number read from its written form.
struct ParsedNumber {
    value: f64,
    /// The decimal separator, when the number has a decimal part.
    decimal_separator: Option<char>,
    /// Digits after the decimal separator.
    decimals: usize,
}

/// Reads `1.499,00`, `1,499.00`, `1.049` (1049), `6.49`, `17,90`, `1 499` (no-break
/// space), `1'499`.
fn parse_number(written: &str) -> Option<ParsedNumber> {
    let cleaned: String = written
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '\u{A0}' | '\u{202F}' | '\u{2009}'))
        .collect();
    let dots = cleaned.matches('.').count();
    let commas = cleaned.matches(',').count();
    let decimal_separator = match (dots, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let separator = if dots > 0 { '.' } else { ',' };
            if dots + commas > 1 {
                None
            } else {
                let (integer, fraction) = cleaned.split_once(separator)?;
                if fraction.len() == 3 && integer != "0" {
                    None
                } else {
                    Some(separator)
                }
            }
        }
        _ => {
            let last_dot = cleaned.rfind('.')?;
            let last_comma = cleaned.rfind(',')?;
            Some(if last_dot > last_comma { '.' } else { ',' })
        }
    };
    let (integer, fraction) = match decimal_separator {
        Some(separator) => {
            let at = cleaned.rfind(separator)?;
            (&cleaned[..at], &cleaned[at + 1..])
        }
        None => (cleaned.as_str(), ""),
    };
    let digits: String = integer.chars().filter(char::is_ascii_digit).collect();
    let normalised = if fraction.is_empty() {
        digits
    } else {
        format!("{digits}.{fraction}")
    };
    Some(ParsedNumber {
        value: normalised.parse().ok()?,
        decimal_separator,
        decimals: fraction.len(),
    })
}

/// Finds money amounts in `text`, with byte offsets into `text`.
///
/// An amount needs a currency (`€`, `$`, `£`, an ISO code, `euro`, `eu`, `dollar`, …)
/// before or after it, or `cent`, or cents notation after a price cue (`voor 17,90`,
/// `voor 149,-`); any other bare number is not a price. Multipliers are applied
/// (`€1,5 mln`, `€3k`). See [`PriceFlags`] for what the words around it say.
pub fn find_prices(text: &str) -> Vec<PriceMention> {
    let segments = Segments::new(text);
    read_prices(text, &segments)
        .map(|price| with_context_flags(text, price, &segments))
        .collect()
}

/// The amounts of [`find_prices`], with only the flags [`price_at`] sets: the rest
/// comes from [`with_context_flags`], a dozen regex searches per amount that
/// [`find_pricing_leaks`] spends only on the amounts that could be a leak.
fn read_prices<'a>(
    text: &'a str,
    segments: &'a Segments,
) -> impl Iterator<Item = PriceMention> + 'a {
    NUMBER
        .find_iter(text)
        .filter_map(|number| price_at(text, number.start(), number.end(), segments))
        .chain(word_amounts(text))
}

/// Amounts written in words: a number word and a currency word (`vijf euro`,
/// `twenty bucks`, `a hundred euros`) or a money nickname (`een tientje`, `a fiver`).
static WORD_AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:(?P<number>één|een|a|one|twee|two|drie|three|vier|four|vijf|five|zes|six|zeven|seven|acht|eight|negen|nine|tien|ten|elf|eleven|twaalf|twelve|vijftien|fifteen|twintig|twenty|vijfentwintig|twenty-five|dertig|thirty|veertig|forty|vijftig|fifty|honderd|hundred|a\s+hundred|one\s+hundred)\s+(?P<currency>euro's|euros|euro|bucks|dollars|dollar|quid|pounds|pound)|(?P<nickname>(?:een|a)\s+(?:tientje|tenner|vijfje|fiver|geeltje|paar\s+euro|paar\s+euro's|few\s+euros|few\s+bucks|few\s+quid|couple\s+of\s+(?:euros|bucks|quid))))(?-u:\b)",
    )
});

fn word_amounts(text: &str) -> impl Iterator<Item = PriceMention> + '_ {
    WORD_AMOUNT.captures_iter(text).filter_map(|found| {
        let whole = found.get(0)?;
        let (amount, currency) = if let Some(nickname) = found.name("nickname") {
            // A tenner or a fiver is said of euros too: its currency is left open.
            let lowered = nickname.as_str().to_lowercase();
            if lowered.contains("tientje") {
                (10.0, Some(Currency::Eur))
            } else if lowered.contains("tenner") {
                (10.0, None)
            } else if lowered.contains("vijfje") {
                (5.0, Some(Currency::Eur))
            } else if lowered.contains("fiver") {
                (5.0, None)
            } else if lowered.contains("geeltje") {
                (25.0, Some(Currency::Eur))
            } else if lowered.contains("bucks") {
                (5.0, Some(Currency::Usd))
            } else if lowered.contains("quid") {
                (5.0, Some(Currency::Gbp))
            } else {
                (5.0, Some(Currency::Eur))
            }
        } else {
            let number = found.name("number")?.as_str().to_lowercase();
            let amount = match number.split_whitespace().last()? {
                "één" | "een" | "a" | "one" => 1.0,
                "twee" | "two" => 2.0,
                "drie" | "three" => 3.0,
                "vier" | "four" => 4.0,
                "vijf" | "five" => 5.0,
                "zes" | "six" => 6.0,
                "zeven" | "seven" => 7.0,
                "acht" | "eight" => 8.0,
                "negen" | "nine" => 9.0,
                "tien" | "ten" => 10.0,
                "elf" | "eleven" => 11.0,
                "twaalf" | "twelve" => 12.0,
                "vijftien" | "fifteen" => 15.0,
                "twintig" | "twenty" => 20.0,
                "vijfentwintig" | "twenty-five" => 25.0,
                "dertig" | "thirty" => 30.0,
                "veertig" | "forty" => 40.0,
                "vijftig" | "fifty" => 50.0,
                "honderd" | "hundred" => 100.0,
                _ => return None,
            };
            let currency = Currency::parse(found.name("currency")?.as_str()).or_else(|| {
                let written = found.name("currency")?.as_str().to_lowercase();
                written.starts_with("pound").then_some(Currency::Gbp)
            })?;
            (amount, Some(currency))
        };
        Some(PriceMention {
            start: whole.start(),
            end: whole.end(),
            amount,
            currency,
            flags: PriceFlags {
                implicit_currency: currency.is_none(),
                ..PriceFlags::default()
            },
        })
    })
}

/// `price` with the flags from the words around it ([`context_flags`]) added.
fn with_context_flags(text: &str, mut price: PriceMention, segments: &Segments) -> PriceMention {
    let own = price.flags;
    price.flags = context_flags(text, price.start, price.end, segments);
    price.flags.implicit_currency = own.implicit_currency;
    price.flags.discount |= own.discount;
    price
}

/// `regex.captures(haystack)`, asking `is_match` first: much cheaper when there is
/// no match.
fn captures_if_match<'h>(regex: &Regex, haystack: &'h str) -> Option<regex::Captures<'h>> {
    if regex.is_match(haystack) {
        regex.captures(haystack)
    } else {
        None
    }
}

fn price_at(
    text: &str,
    number_start: usize,
    number_end: usize,
    segments: &Segments,
) -> Option<PriceMention> {
    let before = window_before(text, number_start, 8, 0);
    // Here and below: a regex that rarely matches is asked whether it matches before
    // its groups are read, which costs far more.
    let prefix = captures_if_match(&PREFIX_CURRENCY, before)
        .and_then(|captures| captures.get(1))
        .and_then(|symbol| {
            Currency::parse(symbol.as_str())
                .map(|currency| (currency, number_start - before.len() + symbol.start()))
        });
    if prefix.is_none() {
        let mut previous = text[..number_start].chars().rev();
        match previous.next() {
            Some(c) if c.is_alphanumeric() || c == '_' => return None,
            Some('.' | ',') if previous.next().is_some_and(|c| c.is_ascii_digit()) => {
                return None;
            }
            _ => {}
        }
    }
    let parsed = parse_number(&text[number_start..number_end])?;
    let mut amount = parsed.value;
    let mut end = number_end;

    let mut whole_notation = false;
    if parsed.decimal_separator.is_none() {
        if let Some(found) = WHOLE_SUFFIX.find(&text[end..]) {
            whole_notation = true;
            end += found.end();
        }
    }
    if let Some(captures) = captures_if_match(&MULTIPLIER, &text[end..]) {
        amount *= if captures.get(1).is_some() {
            1e3
        } else if captures.get(2).is_some() {
            1e6
        } else {
            1e9
        };
        end += captures.get(0).map_or(0, |found| found.end());
    }
    let mut suffix = None;
    if let Some(captures) = captures_if_match(&SUFFIX_CURRENCY, &text[end..]) {
        let whole = captures.get(0).map_or(0, |found| found.end());
        let rest = &text[end + whole..];
        let symbol = captures.get(1).is_some();
        let is_eu = captures.get(3).is_some();
        let next_price_prefix = symbol
            && rest
                .trim_start_matches([' ', '\u{A0}'])
                .starts_with(|c: char| c.is_ascii_digit());
        let union = is_eu && EU_UNION.is_match(rest);
        if !next_price_prefix && !union {
            let written = captures
                .get(1)
                .or(captures.get(2))
                .or(captures.get(3))
                .map_or("", |found| found.as_str());
            suffix = if is_eu {
                Some(Currency::Eur)
            } else {
                Currency::parse(written)
            };
            if suffix.is_some() {
                end += whole;
            }
        }
    }
    let mut currency = prefix.map(|(currency, _)| currency).or(suffix);
    let mut implicit_currency = false;
    let cents = CENTS.find(&text[end..]).map(|found| found.end());
    if let (None, None, Some(cents_end)) = (currency, parsed.decimal_separator, cents) {
        amount /= 100.0;
        end += cents_end;
        implicit_currency = true;
    }
    if text[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    if currency.is_none() && !implicit_currency {
        let cents_notation = parsed.decimals == 2 || whole_notation;
        let time_like = parsed.decimal_separator == Some('.')
            && parsed.value.trunc() <= 23.0
            && (parsed.value.fract() * 100.0).round() <= 59.0;
        // The words before the amount within its clause: 24 bytes for a price cue, 48
        // for a verb that sets a price. Read once, by whichever test below asks.
        let before = || {
            let (clause_start, _) = segments.clause_bounds(number_start);
            (
                window_before(text, number_start, 24, clause_start),
                window_before(text, number_start, 48, clause_start),
            )
        };
        // Thousands written grouped (`3.890`, `12,500`) right after a verb that sets a
        // price ("staat nu op 3.890", "changed to 12,500"): written as an amount is.
        // Not a count: no noun follows ("3.890 bezoekers").
        let grouped = || {
            parsed.decimal_separator.is_none()
                && parsed.value >= 1000.0
                && text[number_start..number_end].contains(['.', ','])
                && GROUPED_AMOUNT_END.is_match(&text[end..])
        };
        // Without cents notation or grouping the amount is no price whatever the
        // words say, so the cue regexes are read only with one of them.
        let priced = if cents_notation {
            (!time_like && {
                let (near, wide) = before();
                PRICE_CUE.is_match(near) || PRICE_VERB_CUE.is_match(wide)
            }) || paired_with_price(text, number_start, end, segments)
        } else {
            grouped() && PRICE_VERB_CUE.is_match(before().1)
        };
        if !priced || UNIT_AFTER.is_match(&text[end..]) {
            return None;
        }
        implicit_currency = true;
        currency = None;
    }
    let start = prefix.map_or(number_start, |(_, at)| at);
    let mut flags = PriceFlags {
        implicit_currency,
        ..PriceFlags::default()
    };
    let mut sign = text[..start].chars().rev();
    let signed = matches!(sign.next(), Some('-' | '−' | '+'));
    if signed
        && sign
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '[' | '/'))
    {
        flags.discount = true;
    }
    Some(PriceMention {
        start,
        end,
        amount,
        currency,
        flags,
    })
}

/// Flags from the words around the amount at `start..end`.
fn context_flags(text: &str, start: usize, end: usize, segments: &Segments) -> PriceFlags {
    let (clause_start, clause_end) = segments.clause_bounds(start);
    let (sentence_start, sentence_end) = segments.sentence_bounds(start);
    // Anchored patterns see the sentence; free-standing words only the clause.
    let before = window_before(text, start, 48, sentence_start);
    let after = window_after(text, end, 48, sentence_end);
    let clause_before = window_before(text, start, 40, clause_start);
    let clause_after = window_after(text, end, 32, clause_end);
    let named_other = other_amount_words(clause_before, clause_after)
        .next()
        .is_some();
    PriceFlags {
        discount: DISCOUNT_BEFORE.is_match(before)
            || (DISCOUNT_AFTER.is_match(after) && !charged_off(clause_before, after)),
        periodic: PERIODIC_AFTER.is_match(after) || PERIODIC_BEFORE.is_match(clause_before),
        fee: (FEE_BEFORE.is_match(before) && !CHARGE_VERB_BEFORE.is_match(before))
            || FEE_AFTER.is_match(after),
        reference: REFERENCE_BEFORE.is_match(before)
            || (WAS_BEFORE.is_match(before) && NEW_PRICE_AFTER.is_match(after)),
        lower_bound: LOWER_BOUND_BEFORE.is_match(before),
        per_unit: priced_per_unit(clause_before, after),
        other_amount: named_other
            || COPAY_WORDS.is_match(&text[sentence_start..start])
            || gives_away(clause_before, clause_after),
        voucher_only: named_other
            && only_voucher_words(clause_before, clause_after)
            && !COPAY_WORDS.is_match(&text[sentence_start..start])
            && !gives_away(clause_before, clause_after),
        implicit_currency: false,
    }
}

/// The [`OTHER_AMOUNT`] words that [`context_flags`] reads around an amount: any in the
/// clause before it, and those starting within 16 bytes after it.
fn other_amount_words<'t>(
    clause_before: &'t str,
    clause_after: &'t str,
) -> impl Iterator<Item = regex::Match<'t>> {
    OTHER_AMOUNT.find_iter(clause_before).chain(
        OTHER_AMOUNT
            .find_iter(clause_after)
            .take_while(|found| found.start() <= 16),
    )
}

/// Whether every other-amount word around the amount is a voucher word.
fn only_voucher_words(clause_before: &str, clause_after: &str) -> bool {
    other_amount_words(clause_before, clause_after).all(|word| VOUCHER_KIND.is_match(word.as_str()))
}

/// `charge` as a verb with its subject before it ("they charge €1,45 for a Day
/// Ticket", "checkout charges €3.99"): what is charged is the price, not a fee.
static CHARGE_VERB_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:they|it|we|you|he|she|now|still|only|just|site|app|checkout|machines?|shop|store|webshop)\s+(?:(?:now|still|only|just|wrongly)\s+)?charges?\s+(?:(?:you|me|us|them|only|just)\s+)*$",
    )
});

/// A co-payment named anywhere before the amount in its sentence ("Eigen bijdrage
/// voor mijn Echo 7 was uiteindelijk €395"): the amount is the patient's share.
static COPAY_WORDS: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"(?i)(?-u:\b)(?:{COPAY})(?-u:\b)")));

/// A share of the price passed on: "van elke knuffel gaat €10 naar de speelkamer",
/// "€2 of every bag goes to the food bank". The amount is a donation, not the price.
fn gives_away(clause_before: &str, clause_after: &str) -> bool {
    // "gaat €10 naar", or "€10 (of every bag) goes to"
    static GOES_BEFORE: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)(?-u:\b)(?:gaat|gaan|goes|go)\s*$"));
    static TO_AFTER: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?i)^\s*(?:(?:of|van)\s+(?:every|each|elke|iedere)\s+\p{L}+\s+)?(?P<verb>(?:goes|gaat)\s+)?(?:naar|to)(?-u:\b)",
        )
    });
    TO_AFTER
        .captures(clause_after)
        .is_some_and(|after| after.name("verb").is_some() || GOES_BEFORE.is_match(clause_before))
}

/// `de kassa rekent €289 af`: `af` closes the verb `afrekenen` (to charge), it does
/// not take the amount off.
fn charged_off(clause_before: &str, after: &str) -> bool {
    static CHARGES: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)(?-u:\b)(?:rekent|rekende|rekenden|rekenen|reken)(?-u:\b)"));
    static AF: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s*af(?-u:\b)"));
    AF.is_match(after) && CHARGES.is_match(clause_before)
}

/// `set` as the English verb ("is accidentally set to €4", "set at €9"), not the
/// Dutch noun for a kit that [`ACCESSORY`] reads it as.
fn sets_a_price(word: &str, after: &str) -> bool {
    static TO: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)^\s+(?:to|at)(?-u:\b)"));
    word.eq_ignore_ascii_case("set") && TO.is_match(after)
}

/// How a price is tied to a product: lower is closer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tie {
    SameClause,
    NextClause,
    NextSentence,
}

/// A name that owns what follows it, in front of a product or a price: `LingoLab's`,
/// `bij AquaNoord`, `at Bolt`, `FC Hoogwater selling`. One or two capitalised words;
/// an apostrophe-s after a vowel is a Dutch plural (`Kassa's`), not a possessive. Only
/// English verbs of selling: Dutch puts the verb second, so the word before
/// `verkoopt` is as often an adverb (`Nu verkoopt Zephyr …`) as a seller.
static OWNER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    const NAME: &str = r"\p{Lu}[\p{L}\p{N}&-]*(?:\s+\p{Lu}[\p{L}\p{N}&-]*)?";
    re(&format!(
        r"(?:(?-u:\b)(?i:bij|at|from|via)\s+(?P<at>{NAME})|(?P<of>{NAME}[^\s'’aeiouyAEIOUYáéíóúàèëïöüâêîôû])['’]s\s|(?P<sells>{NAME})\s+(?i:sells|selling|charges|charging|is\s+selling))"
    ))
});

/// Capitalised words that start no organisation's name, lower case and separated by
/// spaces: pronouns, question and pointing words, the head office, days, months and
/// sales days, ways to pay.
const NOT_A_NAME: &str = "\
    i we they you he she it everyone someone nobody people iemand niemand iedereen mensen \
    ze zij hij je jij wij my mijn our ons onze that this what who where there here let dat \
    dit wat wie waar er hier daar nu now then dan hq head hoofdkantoor headquarters monday \
    tuesday wednesday thursday friday saturday sunday maandag dinsdag woensdag donderdag \
    vrijdag zaterdag zondag january february march april may june july august september \
    october november december januari februari maart mei juni juli augustus oktober black \
    cyber kerst christmas pasen easter sinterklaas koningsdag klarna ideal paypal tikkie \
    afterpay riverty checkout kassa";

/// Whether `region` (starting at byte `offset` of the post) names an organisation as the owner
/// of a product or price, one that is neither the company (`own_names`) nor one of
/// its products: a price at another shop or of another company's product is theirs.
fn names_other_owner(
    region: &str,
    offset: usize,
    products: &[ProductMention],
    own_names: &[(usize, usize)],
) -> bool {
    OWNER_NAME.captures_iter(region).any(|found| {
        let Some(name) = ["at", "of", "sells"]
            .iter()
            .find_map(|group| found.name(group))
        else {
            return false;
        };
        let (start, end) = (offset + name.start(), offset + name.end());
        let first_word = name
            .as_str()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let overlaps = |(a, b): (usize, usize)| a < end && start < b;
        !NOT_A_NAME.split_whitespace().any(|word| word == first_word)
            && !own_names.iter().any(|&span| overlaps(span))
            && !products
                .iter()
                .any(|product| overlaps((product.start, product.end)))
    })
}

/// Words after a competitor's name that make it a channel the company sells through
/// ("de prijs in de Google Shopping-feed klopt niet"), not a seller of its own.
const SALES_CHANNEL: &[&str] = &["shopping", "merchant", "ads", "feed", "advertent"];

/// Competitor words in `gap` that are not part of a product mention of this post.
fn names_competitor(text: &str, gap: &str, products: &[ProductMention]) -> bool {
    COMPETITOR.find_iter(gap).any(|found| {
        let word = found.as_str().to_lowercase();
        let next = gap[found.end()..]
            .trim_start_matches([' ', '-'])
            .to_lowercase();
        if SALES_CHANNEL
            .iter()
            .any(|channel| next.starts_with(channel))
        {
            return false;
        }
        !products.iter().any(|product| {
            text[product.start..product.end]
                .to_lowercase()
                .contains(&word)
        })
    })
}

/// The product mention `price` belongs to, if any.
fn owner(
    text: &str,
    price: &PriceMention,
    products: &[ProductMention],
    segments: &Segments,
) -> Option<usize> {
    let price_sentence = segments.sentence_index(price.start);
    let product_in_price_sentence = products
        .iter()
        .any(|product| segments.sentence_index(product.start) == price_sentence);
    let mut best: Option<((Tie, usize), usize)> = None;
    for (index, product) in products.iter().enumerate() {
        let (preceding, gap_start, gap_end) = if product.end <= price.start {
            (true, product.end, price.start)
        } else if price.end <= product.start {
            (false, price.end, product.start)
        } else {
            continue;
        };
        let gap = &text[gap_start..gap_end];
        // "Zettle's reader is €29 and the <product> is €299": a price followed by
        // "and" closes the item before it, it is not the next one's.
        if !preceding && ITEM_JOIN.is_match(gap) {
            continue;
        }
        let sentence_breaks = segments.sentence_breaks(gap_start, gap_end);
        let tie = if segments.clause_breaks(gap_start, gap_end) == 0 {
            (gap.len() <= MAX_GAP_SAME_CLAUSE).then_some(Tie::SameClause)
        } else if !preceding {
            None
        } else if sentence_breaks == 0 {
            (gap.len() <= MAX_GAP_NEXT_CLAUSE && !CONJUNCTION.is_match(gap))
                .then_some(Tie::NextClause)
        } else if sentence_breaks == 1 && !product_in_price_sentence {
            let (sentence_start, _) = segments.sentence_bounds(price.start);
            let lead_in = &text[sentence_start.min(price.start)..price.start];
            (gap.len() <= MAX_GAP_NEXT_SENTENCE && !OTHER_SUBJECT.is_match(lead_in))
                .then_some(Tie::NextSentence)
        } else {
            None
        };
        let Some(tie) = tie else { continue };
        let distance = if preceding {
            gap.len()
        } else {
            gap.len() * 2 + 4
        };
        if best.is_none_or(|(rank, _)| (tie, distance) < rank) {
            best = Some(((tie, distance), index));
        }
    }
    best.map(|(_, index)| index)
}

/// Whether the words around `product` and `price` say the price is about something
/// else: an accessory, a second-hand unit, another brand or shop.
fn about_something_else(
    text: &str,
    price: &PriceMention,
    product: &ProductMention,
    products: &[ProductMention],
    own_names: &[(usize, usize)],
    catalogue: &[Product],
    segments: &Segments,
) -> bool {
    let (gap_start, gap_end) = if product.end <= price.start {
        (product.end, price.start)
    } else {
        (price.end, product.start)
    };
    let gap = &text[gap_start..gap_end];
    // "LP-4 label printer is €29": a word of the product's own catalogue name says
    // what the product is, not that the price is an accessory's.
    // The word may stand in the other language: "the Warmtekracht 8 heat pump" of a
    // "… warmtepomp".
    let own_kind = |word: &str| {
        word.chars().count() >= 3
            && catalogue.get(product.product_index).is_some_and(|entry| {
                let word = word.to_lowercase();
                let kinds = KIND_TRANSLATIONS
                    .iter()
                    .find(|stems| stems.iter().any(|stem| word.contains(stem)));
                std::iter::once(&entry.name)
                    .chain(&entry.aliases)
                    .map(|name| name.to_lowercase())
                    .any(|name| {
                        name.contains(&word)
                            || kinds.is_some_and(|stems| stems.iter().any(|s| name.contains(s)))
                    })
            })
    };
    // "de Seniorenset (beugels + douchezitje) nu €24,50": brackets right after the
    // product's name say what it holds; their words name no other item.
    let contents_skipped = (product.end <= price.start)
        .then(|| gap.trim_start().strip_prefix('('))
        .flatten()
        .and_then(|inside| inside.find(')').map(|close| &inside[close + 1..]))
        .unwrap_or(gap);
    if ACCESSORY.find_iter(contents_skipped).any(|word| {
        !own_kind(word.as_str())
            && !is_shopping_basket(word.as_str())
            && !sets_a_price(word.as_str(), &contents_skipped[word.end()..])
    }) || names_competitor(text, gap, products)
        || COMPARED.is_match(gap)
    {
        return true;
    }
    // "Competitor's city e-bike is €1,299 … than my Polder 7": a competitor named
    // before the price, in its clause, owns the price that precedes our product.
    if price.end <= product.start {
        let (price_clause_start, _) = segments.clause_bounds(price.start);
        let lead_in = window_before(text, price.start, 60, price_clause_start);
        if names_competitor(text, lead_in, products) {
            return true;
        }
    }
    let (product_clause_start, product_clause_end) = segments.clause_bounds(product.start);
    let lead_in = window_before(text, product.start, 50, product_clause_start);
    // "LingoLab's IELTS prep is €99", "bij AquaNoord kost een huisaansluiting €495":
    // another organisation named as the owner in front of the product or the price.
    let (price_clause_start, _) = segments.clause_bounds(price.start);
    let price_lead_in = window_before(text, price.start, 50, price_clause_start);
    // Each region with the byte where it starts (a lead-in ends where its word starts).
    let regions = [
        (product.start - lead_in.len(), lead_in),
        (gap_start, gap),
        (price.start - price_lead_in.len(), price_lead_in),
    ];
    if regions
        .into_iter()
        .any(|(offset, region)| names_other_owner(region, offset, products, own_names))
    {
        return true;
    }
    // "een extra correctiestrook kost bij Salaris Plus €2,50": what costs that is the
    // subject before `kost`, the product only where it is bought.
    if price.start > product.end && COSTS_AT.is_match(lead_in) {
        return true;
    }
    let linked = [&*ACCESSORY, &*SERVICE].iter().any(|words| {
        words
            .find_iter(lead_in)
            .last()
            .is_some_and(|word| ACCESSORY_LINK.is_match(&lead_in[word.end()..]))
    });
    if linked {
        return true;
    }
    if product.end <= price.start {
        let (_, sentence_end) = segments.sentence_bounds(price.end);
        let after = window_after(text, price.end, 40, sentence_end);
        let accessory_after = [&*ACCESSORY, &*SERVICE].iter().any(|words| {
            words
                .find(after)
                .is_some_and(|word| ACCESSORY_AFTER.is_match(&after[..word.start()]))
        });
        if accessory_after {
            return true;
        }
    }
    let (price_clause_start, price_clause_end) = segments.clause_bounds(price.start);
    let region_start = product_clause_start.min(price_clause_start);
    let region_end = product_clause_end.max(price_clause_end);
    let region = &text[region_start..region_end];
    // Where the catalogue itself sells the product refurbished ("Kroon Classic refurb
    // stadsfiets"), a second-hand word says nothing of this unit: it is the company's
    // own product at the company's own price.
    let sold_as_used = || {
        catalogue.get(product.product_index).is_some_and(|entry| {
            std::iter::once(&entry.name)
                .chain(&entry.aliases)
                .any(|name| SECOND_HAND.is_match(name))
        })
    };
    (SECOND_HAND.is_match(region) && !sold_as_used())
        || (PERSONAL.is_match(region) && SELLING.is_match(region))
}

/// Reports pricing leaks in `text` into `out`.
///
/// * `products`: catalogue names and aliases found in the post.
/// * `error_talk`: spans of price-error talk ("prijsfout", "pricing error", …).
/// * `denials`: spans denying a price error ("geen prijsfout", "nee hoor, gewoon
///   actie"), including negated error talk.
/// * `own_names`: byte ranges of the company's own names in `text`, which never count
///   as another owner of a price.
/// * `alert_below_ratio`: a tied price strictly below this share of the list price is
///   a leak.
///
/// Emits `pricing.below_list` (weight 90) for each price tied to a product (see the
/// module documentation) that is a selling price in the product's currency (or without
/// a written currency) and strictly below `alert_below_ratio` × list price, spanning
/// product and price; a price about an accessory, a service, a second-hand unit or
/// another brand or shop does not count. Emits `pricing.error_talk` (weight 85) for
/// each talk span that lies within 120 bytes of a product, or in the same sentence, or
/// in the adjacent sentence within 240 bytes (no other brand or shop in between),
/// spanning talk and product. Talk is dropped when a denial overlaps it or stands in
/// its sentence or the two after it, when a negation precedes it (`geen`, `not a`), or
/// when it is a question answered with a plain no (`prijsfout? Nee hoor`). Denials
/// never suppress `pricing.below_list`. Hits identical to one added by this call are
/// not added twice.
pub fn find_pricing_leaks(
    text: &str,
    products: &[ProductMention],
    talk: &PriceTalk,
    own_names: &[(usize, usize)],
    catalogue: &[Product],
    alert_below_ratio: f64,
    out: &mut Vec<Hit>,
) {
    if products.is_empty() {
        return;
    }
    let (error_talk, denials) = (talk.error.as_slice(), talk.denials.as_slice());
    let segments = Segments::new(text);
    let first_new = out.len();
    let mut masked: Option<String> = None;
    for price in read_prices(text, &segments) {
        // Cheapest tests first (all pure, so the order changes no result): the context
        // flags only for a price below list.
        let Some(index) = owner(text, &price, products, &segments) else {
            continue;
        };
        let product = &products[index];
        let Some(at_most) = price.currency.map_or(Some(price.amount), |currency| {
            currency.at_most_in(price.amount, product.currency)
        }) else {
            continue;
        };
        if product.list_price <= 0.0 || at_most >= alert_below_ratio * product.list_price {
            continue;
        }
        // The words of the products' own names say nothing about an amount: "Salaris
        // Plus", "Basis Budget" and "Jackpot abonnement" are what is sold, not a
        // salary, a budget or the term of a subscription.
        let unnamed = masked.get_or_insert_with(|| without_product_names(text, products));
        let mut price = with_context_flags(unnamed, price, &segments);
        if price.amount == 0.0 {
            // "returns €0,00": nothing is taken off nothing.
            price.flags.discount = false;
        }
        // Read at most once per price, and only for a fee or a price per period or unit.
        let mut stated = None;
        let mut states_list = |price: &PriceMention| {
            *stated.get_or_insert_with(|| {
                states_list_price(unnamed, price, product.list_price, &segments)
            })
        };
        if price.flags.fee && states_list(&price) {
            // "checkout charges €3.99 instead of €39.95": set against the list price,
            // the amount is what the product sells for, not a fee.
            price.flags.fee = false;
        }
        if (price.flags.periodic || price.flags.per_unit)
            && (talk_near(text, &price, talk, &segments)
                || states_list(&price)
                || catalogue.get(product.product_index).is_some_and(|entry| {
                    lost_digits(price.amount, entry, text)
                        || quoted_unit(text, &price).is_some_and(|unit| {
                            sold_per_unit_of(entry, &unit)
                                || monthly_subscription_price(entry, &unit, text, &price, &segments)
                        })
                }))
        {
            // "Bug in productie: de lease toonde €64,90 p/m": a subscription or lease
            // is sold per month, and the talk says this monthly price is wrong. "€8,90
            // p/m ipv 89": the post names the list price as what the same period
            // should cost, so the list price is per month too. The same for a unit:
            // "€11,90 per band ipv 119" (a tyre is sold per tyre), "€39.90 per vehicle
            // per year … someone lost a zero". And where the product's name says it is
            // sold by that unit: a canal room per night, a per-minute rate per minute.
            // And where the amount is the list price with a zero or two lost ("€24,90
            // per dag" of a 249 water slide): see `lost_digits`.
            price.flags.periodic = false;
            price.flags.per_unit = false;
        }
        if price.flags.voucher_only
            && catalogue
                .get(product.product_index)
                .is_some_and(sells_vouchers)
        {
            // "Vliegtegoed gift card worth €2.500 for only €250": where the catalogue
            // sells the credit or gift card itself, its word is the product's kind.
            price.flags.other_amount = false;
        }
        if price.flags.is_not_selling_price()
            || about_something_else(
                text, &price, product, products, own_names, catalogue, &segments,
            )
        {
            continue;
        }
        push_hit(
            out,
            first_new,
            RULE_BELOW_LIST,
            WEIGHT_BELOW_LIST,
            product.start.min(price.start),
            product.end.max(price.end),
        );
    }
    for talk in error_talk {
        if talk.start >= talk.end
            || talk.end > text.len()
            || is_denied(text, *talk, denials, &segments)
        {
            continue;
        }
        let nearest = products
            .iter()
            .filter_map(|product| {
                let (gap_start, gap_end) = if product.end <= talk.start {
                    (product.end, talk.start)
                } else if talk.end <= product.start {
                    (talk.end, product.start)
                } else {
                    (talk.start, talk.start)
                };
                let gap = &text[gap_start..gap_end];
                let sentences = segments.sentence_breaks(gap_start, gap_end);
                let near = gap.len() <= MAX_GAP_ERROR_TALK
                    || sentences == 0
                    || (sentences == 1 && gap.len() <= MAX_GAP_ERROR_TALK_SENTENCE);
                (near && !names_competitor(text, gap, products)).then_some((gap.len(), product))
            })
            .min_by_key(|&(distance, _)| distance);
        if let Some((_, product)) = nearest {
            push_hit(
                out,
                first_new,
                RULE_ERROR_TALK,
                WEIGHT_ERROR_TALK,
                product.start.min(talk.start),
                product.end.max(talk.end),
            );
        }
    }
}

/// Whether `amount` is the list price of `entry` a tenth or a hundredth, to the cent:
/// "€24,90 per dag" for a 249 water slide, "€5.90 per shipment" for a 59 insurance.
/// Over the labelled sets a price per unit or per period that is exactly that was a
/// pricing error 397 times and honest never; a price per month a tenth of a yearly
/// list price is honest only rounded ("€5,99 per maand of €59,99 per jaar"), which the
/// cent rules out. Not where the post names the list price itself (the other checks
/// weigh "€119 a month, or €1190 a year" against "€22,90 p/m ipv €229") or the ten (ten
/// instalments of €49,50), nor where the product's name has that number: it sells a
/// bundle of it ("10-rittenkaart" at €34 a ride, "100-minute bundle" at €0.24 a minute).
fn lost_digits(amount: f64, entry: &Product, text: &str) -> bool {
    let cents = |value: f64| (value * 100.0).round();
    let (amount, list) = (cents(amount), cents(entry.list_price));
    if amount <= 0.0 {
        return false;
    }
    let Some(divisor) = [10_u32, 100]
        .into_iter()
        .find(|&divisor| amount * f64::from(divisor) == list)
    else {
        return false;
    };
    let named = |number: f64| number == list || number == cents(f64::from(divisor));
    !std::iter::once(&entry.name)
        .chain(&entry.aliases)
        .any(|name| names_number(name, divisor))
        && !NUMBER
            .find_iter(text)
            .filter_map(|found| parse_number(found.as_str()))
            .any(|number| named(cents(number.value)))
}

/// Whether `name` holds `number` as a number of its own (`Labelbundel 10`,
/// `10-day card`), not inside a longer one (`E-bike 7100`).
fn names_number(name: &str, number: u32) -> bool {
    name.split(|c: char| !c.is_ascii_digit())
        .any(|digits| digits.parse() == Ok(number))
}

/// The unit a price is quoted in, right after it: `per nacht`, `/night`, `per minuut`.
static QUOTED_UNIT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(?:(?:per|a|an|each|every|elke|iedere)\s+|(?P<slash>p?/)\s*)(?P<unit>\p{L}+[²2]?)")
});

/// Per unit a price may be quoted in, the words of a product name that say it is
/// sold by that unit.
///
/// No month here: a subscription's list price is as often yearly ("€14.95 a month, or
/// €179 for the year"), and reading every monthly price as the product's own once
/// flagged 16 of those for 6 finds; [`monthly_subscription_price`] decides a month.
static SOLD_PER: LazyLock<[(&[&str], Regex); 10]> = LazyLock::new(|| {
    [
        // floors, tiles and fabric by the square metre: "laminaat voor €2,79 per m²",
        // a tile named by its size ("Carrara Bianco 60x60")
        (
            &["m²", "m2", "vierkante"][..],
            re(
                r"(?i)laminaat|laminate|parket|parquet|vloer|floor|tegel|tile|tapijt|carpet|vinyl|pvc|plavuis|linoleum|behang|wallpaper|\b\d{2,3}\s?x\s?\d{2,3}\b",
            ),
        ),
        // drinks by the bottle or the box, where the name gives the volume
        (
            &["fles", "bottle", "flesje"][..],
            re(r"(?i)\b\d+(?:[.,]\d+)?\s?(?:l|cl|ml|liter|litre)\b|\bfles|\bbottle"),
        ),
        (
            &["box", "doos"][..],
            re(r"(?i)\bbib\b|bag-in-box|\bbox\b|\bdoos\b"),
        ),
        (&["week", "wk"][..], re(r"(?i)week")),
        (
            &["jaar", "year", "yr", "jr"][..],
            re(r"(?i)jaar|year|annual"),
        ),
        (
            &["nacht", "night"][..],
            re(r"(?i)\b(?:\p{L}*kamer|room|suite|overnachting|\p{L}*arrangement)\b"),
        ),
        (&["minuut", "min", "minute"][..], re(r"(?i)minu(?:ut|te)")),
        (
            &["uur", "hour", "hr"][..],
            re(r"(?i)\b(?:uur|hour)|uurtarief"),
        ),
        (
            &["dag", "day"][..],
            re(r"(?i)\b(?:dag|day)\b|dagtarief|dagprijs"),
        ),
        (&["km", "kilometer"][..], re(r"(?i)\b(?:km|kilometer)")),
    ]
});

/// The unit `price` is quoted in ([`QUOTED_UNIT`]), lowercased; `p/m` and `/m` are a
/// month (`per m` stays a metre).
fn quoted_unit(text: &str, price: &PriceMention) -> Option<String> {
    let after = window_after(text, price.end, 24, text.len());
    QUOTED_UNIT.captures(after).map(|found| {
        let unit = found["unit"].to_lowercase();
        if found.name("slash").is_some() && unit == "m" {
            "maand".to_owned()
        } else {
            unit
        }
    })
}

/// Whether the `unit` a price is quoted in is the one `entry`'s name says it is sold
/// by: "Grachtkamer voor €79 per nacht", "minuuttarief op 4 cent per minuut", and any
/// unit the name spells out ("CryoForm vetbevriezing (per zone)" at "€99 per zone").
fn sold_per_unit_of(entry: &Product, unit: &str) -> bool {
    let names = || std::iter::once(&entry.name).chain(&entry.aliases);
    SOLD_PER.iter().any(|(units, name_words)| {
        units.contains(&unit) && names().any(|name| name_words.is_match(name))
    }) || names().any(|name| names_unit(name, unit))
}

/// Whether `name` says it is priced per `unit` (lowercase): "per zone", "/zone", or
/// the unit is what the name sells ("Kredietcheck Plus" at "€1,25 per check"; not a
/// bundle or a count of them: "Labelbundel 10" at "€5,95 per label").
fn names_unit(name: &str, unit: &str) -> bool {
    let name = name.to_lowercase();
    let bundle = || {
        name.contains(|c: char| c.is_ascii_digit())
            || [
                "bundel", "bundle", "pack", "pak", "set", "doos", "box", "strip",
            ]
            .iter()
            .any(|word| name.contains(word))
    };
    let words: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric() && c != '/')
        .filter(|word| !word.is_empty())
        .collect();
    words
        .windows(2)
        .any(|pair| pair[0] == "per" && pair[1] == unit)
        || words.iter().any(|word| {
            word.strip_prefix('/') == Some(unit)
                || (unit.chars().count() >= 4 && word.ends_with(unit) && !bundle())
        })
}

/// A subscription or membership by its name.
static SUBSCRIPTION_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)abonnement|(?-u:\b)abo(?-u:\b)|lidmaatschap|membership|subscription|(?-u:\b)plan(?-u:\b)",
    )
});

/// A year's price, or a monthly amount worked out from one, in the same sentence:
/// `€14.95 a month, or €179 for the year`, `omgerekend €5,33 per maand`, `jaarlijks
/// gefactureerd`, `Jaarabonnement`; the price paid in instalments (`in 24 termijnen`,
/// `nu ook per maand te betalen`) or net of an allowance (`na kinderopvangtoeslag`).
static YEARLY_OR_WORKED_OUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:per|a|an|each|every|the|/|p/?)\s*(?:jaar|year|yr|jr)(?-u:\b)|jaarlijks|yearly|annual|jaar\p{L}*abonnement|jaarabo|omgerekend|omrekent|works?\s+out|komt\s+neer\s+op|effectively|effectief|so\s+about|dus\s+(?:ongeveer|zo'?n)|\p{L}*termijn\p{L}*|installments?|instalments?|afbetal\p{L}*|gespreid|spread|te\s+betalen|\p{L}*toeslag\p{L}*|netto|after\s+(?:tax|subsid\p{L}*)",
    )
});

/// Below this list price a product sold per month is a subscription: nobody leases a
/// thing that cheap (a laptop's monthly price is a lease).
const CHEAP_ENOUGH_FOR_A_SUBSCRIPTION: f64 = 100.0;

/// A lease or a payment plan spreads a product's price over this many months or more:
/// a monthly amount that pays the list price back sooner is no lease of it (`Dedicated
/// Rock 128 voor €44,90 per maand` for a server listed at €449 is its rent, a decimal off).
/// Instalments over fewer months name their terms (`in 6 termijnen`), and stay periodic
/// ([`YEARLY_OR_WORKED_OUT`]).
const SHORTEST_LEASE_MONTHS: f64 = 20.0;

/// Whether a `price` quoted per `unit` is the monthly price a subscription product is
/// listed at: the product's name says it is a subscription (`Elite plan`, `Plus
/// lidmaatschap`), it is listed under [`CHEAP_ENOUGH_FOR_A_SUBSCRIPTION`], or the
/// amount would pay the list price back within [`SHORTEST_LEASE_MONTHS`]; and
/// nothing makes the amount a year's price spread over months: no year's price or
/// working-out in its sentence, and twelve times the amount is not the list price
/// (`€9,92 per maand` for a €119 year).
fn monthly_subscription_price(
    entry: &Product,
    unit: &str,
    text: &str,
    price: &PriceMention,
    segments: &Segments,
) -> bool {
    let per_month = matches!(unit, "maand" | "mnd" | "month" | "mo");
    let subscription = entry.list_price < CHEAP_ENOUGH_FOR_A_SUBSCRIPTION
        || price.amount * SHORTEST_LEASE_MONTHS >= entry.list_price
        || std::iter::once(&entry.name)
            .chain(&entry.aliases)
            .any(|name| SUBSCRIPTION_NAME.is_match(name));
    if !per_month || !subscription {
        return false;
    }
    let year = price.amount * 12.0;
    let spread_year = (0.85 * entry.list_price..=1.15 * entry.list_price).contains(&year);
    let (sentence_start, sentence_end) = segments.sentence_bounds(price.start);
    !spread_year && !YEARLY_OR_WORKED_OUT.is_match(&text[sentence_start..sentence_end])
}

/// Words before an amount that make it the price something should have or had:
/// [`REFERENCE_BEFORE`], and `list is`, `het was`, `it was`.
static STATED_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:(?:list|list\s+price|lijstprijs|catalogusprijs|normal\s+price|normale\s+prijs|usual\s+price|de\s+prijs|the\s+price)\s+(?:is|was|=)|(?:it|het|die|dat|this|that)\s+(?:was|kostte|cost)|(?:last\s+week|vorige\s+week|gisteren|yesterday)\s+(?:it\s+)?(?:was|kostte|cost)|(?:normaal|normaliter|normally|usually|doorgaans|meestal)\s+(?:is|was|kost|costs?)(?:\s+(?:dat|het|die|deze|it|that|this|ie))?)\s*:?\s*$",
    )
});

/// Whether the price's sentence or the two after it name the product's list price as
/// what it should be or was: `ipv 148,95`, `(normaal 179)`, `list is 229`, `last
/// week it was 134`. `text` has the product names blanked out
/// ([`without_product_names`]), so a number in a name does not count.
fn states_list_price(
    text: &str,
    price: &PriceMention,
    list_price: f64,
    segments: &Segments,
) -> bool {
    let (sentence_start, sentence_end) =
        segments.sentence_bounds(floor_boundary(text, price.start));
    let (_, next_end) = segments.sentence_bounds(sentence_end.min(text.len()));
    let (_, after_next_end) = segments.sentence_bounds(next_end.min(text.len()));
    let region_end = after_next_end
        .max(next_end)
        .max(sentence_end)
        .min(text.len());
    NUMBER
        .find_iter(&text[sentence_start..region_end])
        .map(|number| (sentence_start + number.start(), number))
        .filter(|&(start, _)| start < price.start || start >= price.end)
        .any(|(start, number)| {
            let Some(parsed) = parse_number(number.as_str()) else {
                return false;
            };
            if (parsed.value - list_price).abs() > 0.03 * list_price {
                return false;
            }
            let before = window_before(text, start, 32, sentence_start);
            let before = before.trim_end_matches(|c: char| {
                c.is_whitespace() || matches!(c, '€' | '$' | '£' | ':')
            });
            let before = before
                .strip_suffix("EUR")
                .or_else(|| before.strip_suffix("eur"))
                .unwrap_or(before)
                .trim_end();
            REFERENCE_BEFORE.is_match(before) || STATED_BEFORE.is_match(before)
        })
}

/// `text` with the bytes of every product mention turned into spaces: the same
/// offsets, none of the names' words.
fn without_product_names(text: &str, products: &[ProductMention]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for product in products {
        if let Some(name) = bytes.get_mut(product.start..product.end) {
            name.fill(b' ');
        }
    }
    // Whole characters were replaced (mentions start and end on character
    // boundaries), so the bytes are still UTF-8; were a range ever to split a
    // character, the words are read with the names in them, as before.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// What the rule packs said about prices in one post: price-error talk, hints of an
/// error (weaker words: "bug", "fixen", "rap zijn"), and denials of either.
#[derive(Debug, Clone, Default)]
pub struct PriceTalk {
    pub error: Vec<Span>,
    pub hints: Vec<Span>,
    pub denials: Vec<Span>,
}

/// Whether undenied error talk or a hint stands in the price's sentence or a
/// neighbouring one.
fn talk_near(text: &str, price: &PriceMention, talk: &PriceTalk, segments: &Segments) -> bool {
    let sentence = segments.sentence_index(floor_boundary(text, price.start));
    talk.error.iter().chain(&talk.hints).any(|span| {
        span.start < span.end
            && span.end <= text.len()
            && segments
                .sentence_index(floor_boundary(text, span.start))
                .abs_diff(sentence)
                <= 1
            && !is_denied(text, *span, &talk.denials, segments)
    })
}

/// Whether price-error talk is denied: a denial overlaps it, stands in its sentence
/// or in the two sentences after it, or a negation stands right before it.
fn is_denied(text: &str, talk: Span, denials: &[Span], segments: &Segments) -> bool {
    let talk_sentence = segments.sentence_index(talk.start);
    let denied = denials.iter().any(|denial| {
        let overlaps = denial.start < talk.end && talk.start < denial.end;
        let denial_sentence = segments.sentence_index(denial.start);
        overlaps
            || denial_sentence == talk_sentence
            || (denial.start >= talk.end && denial_sentence <= talk_sentence + 2)
    });
    let start = floor_boundary(text, talk.start);
    denied
        || NEGATION_BEFORE.is_match(window_before(text, start, 32, 0))
        || answered_no(text, talk, segments)
}

/// Whether the talk stands in a question answered with a plain no in the next
/// sentence: `Is dit een prijsfout? Nee hoor, gewoon actie.`
fn answered_no(text: &str, talk: Span, segments: &Segments) -> bool {
    let (_, sentence_end) = segments.sentence_bounds(floor_boundary(text, talk.start));
    let question = text[..sentence_end].trim_end().ends_with('?');
    question && ANSWER_NO.is_match(&text[sentence_end..])
}

/// Adds one hit unless an identical one was added by this call already.
fn push_hit(
    out: &mut Vec<Hit>,
    first_new: usize,
    rule: &'static str,
    weight: u8,
    start: usize,
    end: usize,
) {
    if out[first_new..]
        .iter()
        .any(|hit| hit.rule == rule && hit.start == start && hit.end == end)
    {
        return;
    }
    out.push(Hit {
        rule,
        category: Category::LeakPricing,
        start,
        end,
        weight,
        checksum_validated: false,
        sensitivity: Sensitivity::Plain,
        canonical: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short names for the expected flags in the tables.
    fn flag_names(flags: PriceFlags) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (set, name) in [
            (flags.discount, "discount"),
            (flags.periodic, "periodic"),
            (flags.fee, "fee"),
            (flags.reference, "reference"),
            (flags.lower_bound, "lower_bound"),
            (flags.per_unit, "per_unit"),
            (flags.other_amount, "other"),
            (flags.implicit_currency, "implicit"),
        ] {
            if set {
                names.push(name);
            }
        }
        names
    }

    #[test]
    fn reads_amounts_and_currencies() {
        use Currency::*;
        type Expected<'a> = &'a [(f64, Option<Currency>, &'a str)];
        let cases: &[(&str, Expected)] = &[
            ("nu €149 op de site", &[(149.0, Some(Eur), "€149")]),
            ("voor € 149,- bij ons", &[(149.0, Some(Eur), "€ 149,-")]),
            ("€149,00 incl. btw", &[(149.0, Some(Eur), "€149,00")]),
            ("kost 149 euro", &[(149.0, Some(Eur), "149 euro")]),
            ("voor 149 eu", &[(149.0, Some(Eur), "149 eu")]),
            ("149 EUR", &[(149.0, Some(Eur), "149 EUR")]),
            ("EUR 1.499,00", &[(1499.0, Some(Eur), "EUR 1.499,00")]),
            ("1,499.00 EUR", &[(1499.0, Some(Eur), "1,499.00 EUR")]),
            ("€1.049", &[(1049.0, Some(Eur), "€1.049")]),
            ("€6.49", &[(6.49, Some(Eur), "€6.49")]),
            ("$149.99", &[(149.99, Some(Usd), "$149.99")]),
            ("£99", &[(99.0, Some(Gbp), "£99")]),
            ("149,95 euro", &[(149.95, Some(Eur), "149,95 euro")]),
            ("for 99 euros", &[(99.0, Some(Eur), "99 euros")]),
            ("€1,199 now", &[(1199.0, Some(Eur), "€1,199")]),
            ("€0,00", &[(0.0, Some(Eur), "€0,00")]),
            ("€0.499", &[(0.499, Some(Eur), "€0.499")]),
            ("EUR1.499", &[(1499.0, Some(Eur), "EUR1.499")]),
            ("149€", &[(149.0, Some(Eur), "149€")]),
            ("US$ 99", &[(99.0, Some(Usd), "US$ 99")]),
            ("CHF 1'499.50", &[(1499.5, Some(Chf), "CHF 1'499.50")]),
            ("€1\u{A0}499", &[(1499.0, Some(Eur), "€1\u{A0}499")]),
            ("€412 mln omzet", &[(412e6, Some(Eur), "€412 mln")]),
            ("€1,5 miljoen", &[(1.5e6, Some(Eur), "€1,5 miljoen")]),
            ("€3k", &[(3000.0, Some(Eur), "€3k")]),
            ("voor 99 cent", &[(0.99, None, "99 cent")]),
            // Cents notation after a price cue, without a currency.
            (
                "staan nu voor 17,90 in de webshop",
                &[(17.9, None, "17,90")],
            ),
            ("voor 1.499,- af", &[(1499.0, None, "1.499,-")]),
            // Thousands grouped, right after a verb that sets a price.
            ("de prijs staat nu op 3.890 🙈", &[(3890.0, None, "3.890")]),
            (
                "price got changed to 12,500 on the site",
                &[(12500.0, None, "12,500")],
            ),
            // Two prices side by side: the `€` is the second one's prefix.
            (
                "€149 € 199",
                &[(149.0, Some(Eur), "€149"), (199.0, Some(Eur), "€ 199")],
            ),
            (
                "van €179 voor €99",
                &[(179.0, Some(Eur), "€179"), (99.0, Some(Eur), "€99")],
            ),
            // Not prices.
            ("Vista 55 en Pulse4 in 2026", &[]),
            ("sinds 10 uur, 10% korting", &[]),
            ("voor 12.30 besteld", &[]),
            ("voor 17,90 km", &[]),
            // Grouped thousands without a verb that sets a price, or a count.
            ("voor 3.890 bezoekers", &[]),
            ("staat op 3.890 bezoekers", &[]),
            ("al 1.200 reviews", &[]),
            ("ordernummer 12345678", &[]),
            ("in 27 EU landen", &[]),
            ("€32GB", &[]),
            ("v1.049", &[]),
        ];
        for (text, expected) in cases {
            let found = find_prices(text);
            let got: Vec<(f64, Option<Currency>, &str)> = found
                .iter()
                .map(|price| (price.amount, price.currency, &text[price.start..price.end]))
                .collect();
            assert_eq!(got.len(), expected.len(), "{text}: {got:?}");
            for ((amount, currency, written), (want_amount, want_currency, want_written)) in
                got.iter().zip(expected.iter())
            {
                assert!((amount - want_amount).abs() < 1e-6, "{text}: {got:?}");
                assert_eq!(currency, want_currency, "{text}");
                assert_eq!(written, want_written, "{text}");
            }
        }
    }

    #[test]
    fn flags_from_nearby_words() {
        // (text, the price as written, its flags)
        let cases: &[(&str, &str, &[&str])] = &[
            ("Vista 55 voor €149 op de site", "€149", &[]),
            ("€50 korting op de Pulse 4", "€50", &["discount"]),
            ("krijg €50 off your order", "€50", &["discount"]),
            ("save €50 today", "€50", &["discount"]),
            ("bespaar €50 op de Pulse 4", "€50", &["discount"]),
            ("Pulse 4 -€50 dit weekend", "€50", &["discount"]),
            ("nu €50 goedkoper", "€50", &["discount"]),
            ("met 32 GB voor €100 extra", "€100", &["discount"]),
            ("vanaf €52 per maand (36 maanden)", "€52", &["periodic"]),
            ("in 12 maandtermijnen van €29,08", "€29,08", &["periodic"]),
            ("€52 p/m", "€52", &["periodic"]),
            ("€52/mnd", "€52", &["periodic"]),
            ("only $49 a month", "$49", &["periodic"]),
            ("£20/month", "£20", &["periodic"]),
            ("€9 per week", "€9", &["periodic"]),
            ("about €178 a night", "€178", &["periodic"]),
            ("€2,35 toeristenbelasting", "€2,35", &["fee"]),
            ("€12 city tax", "€12", &["fee"]),
            ("€3,60 per jaar", "€3,60", &[]),
            ("19 euro a year", "19 euro", &[]),
            ("€99/jaar", "€99", &[]),
            ("lease hem voor €52", "€52", &["periodic"]),
            ("24 x €62", "€62", &["periodic"]),
            ("onder de 5 euro per portie", "5 euro", &["per_unit"]),
            ("€399 p.p.", "€399", &[]),
            ("$3 a serving", "$3", &["per_unit"]),
            ("€2,99 per kilo", "€2,99", &["per_unit"]),
            ("€49 per stuk", "€49", &[]),
            ("ik kom op €5,95 per label", "€5,95", &["per_unit"]),
            ("€2/kg", "€2", &["per_unit"]),
            ("€399 per persoon", "€399", &[]),
            ("€49 per direct leverbaar", "€49", &[]),
            ("€5 a piece", "€5", &[]),
            ("€21.90 and you're on call", "€21.90", &[]),
            // a change in price, not the price
            ("de premie gaat met €9 omhoog", "€9", &["discount"]),
            ("the fee went up by €9", "€9", &["discount"]),
            ("€9 omhoog", "€9", &["discount"]),
            ("€4,95 verzendkosten", "€4,95", &["fee"]),
            ("paid €79 for that 'service'", "€79", &["fee"]),
            ("€49 voor de montage", "€49", &["fee"]),
            ("€4.50 per user per month", "€4.50", &["periodic"]),
            ("saves us roughly €780 a year", "€780", &["discount"]),
            ("de ISDE-subsidie van €2.725", "€2.725", &["other"]),
            ("die €95 was de aanbetaling", "€95", &["other"]),
            (
                "installation is €349 on top of the wallbox",
                "€349",
                &["fee"],
            ),
            ("€5 bezorgkosten", "€5", &["fee"]),
            ("a €25 'restocking fee'", "€25", &["fee"]),
            ("shipping is €5", "€5", &["fee"]),
            ("€15 administratiekosten", "€15", &["fee"]),
            ("met verzendkosten (€4,95) erbij", "€4,95", &["fee"]),
            (
                "overgenomen voor de restwaarde van €270",
                "€270",
                &["other"],
            ),
            ("kost per spuit zo'n €4,65", "€4,65", &["per_unit"]),
            ("kost per ongeluk maar €54,90", "€54,90", &[]),
            ("€59 per kind", "€59", &[]),
            ("eigen bijdrage voor mijn Aura Buds 2: €0", "€0", &["other"]),
            ("normaal bijna €90", "€90", &["reference"]),
            ("borg: €50", "€50", &["fee"]),
            ("a deposit of €100", "€100", &["fee"]),
            ("Aura Buds 2 nu €139 (was €179)", "€139", &[]),
            ("Aura Buds 2 nu €139 (was €179)", "€179", &["reference"]),
            ("normaal €1249", "€1249", &["reference"]),
            ("in plaats van €2199", "€2199", &["reference"]),
            ("van €179 voor €99", "€179", &["reference"]),
            ("van €179 voor €99", "€99", &[]),
            ("over €1000 for a TV", "€1000", &["lower_bound"]),
            ("meer dan €100", "€100", &["lower_bound"]),
            ("je terugbetaling van €179", "€179", &["other"]),
            ("omzet €371 miljoen", "€371 miljoen", &["other"]),
            ("inruilpremie €200", "€200", &["other"]),
            ("voor 17,90 in de webshop", "17,90", &["implicit"]),
        ];
        for (text, written, expected) in cases {
            let prices = find_prices(text);
            let price = prices
                .iter()
                .find(|price| &text[price.start..price.end] == *written)
                .unwrap_or_else(|| panic!("{text}: no price {written} in {prices:?}"));
            assert_eq!(flag_names(price.flags), *expected, "{text}: {written}");
        }
    }

    #[test]
    fn currency_parse() {
        let cases = [
            ("EUR", Some(Currency::Eur)),
            (" eur ", Some(Currency::Eur)),
            ("€", Some(Currency::Eur)),
            ("USD", Some(Currency::Usd)),
            ("$", Some(Currency::Usd)),
            ("gbp", Some(Currency::Gbp)),
            ("£", Some(Currency::Gbp)),
            ("CHF", Some(Currency::Chf)),
            ("XYZ", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(Currency::parse(name), expected, "{name}");
        }
        for currency in Currency::ALL {
            assert_eq!(Currency::parse(currency.code()), Some(currency));
        }
    }

    /// A small catalogue: (name, list price), longest names first when matching.
    const CATALOGUE: &[(&str, f64)] = &[
        ("Zephyr Vista 55 OLED", 1499.0),
        ("Vista 55 OLED", 1499.0),
        ("Vista 55", 1499.0),
        ("Vista55", 1499.0),
        ("Vista 65 OLED", 2199.0),
        ("Vista 65", 2199.0),
        ("Aura Buds 2", 179.0),
        ("Nimbus 14", 1249.0),
        ("Nimbus14", 1249.0),
        ("Cyclone 9", 649.0),
        ("Pulse 4", 329.0),
        ("Widget Pro", 99.0),
        ("Salaris Plus", 89.0),
        ("Basis Budget", 134.5),
        ("LP-4", 229.0),
        ("Grachtkamer", 219.0),
        ("Flex minuuttarief", 0.39),
        ("Warmtekracht 8", 9850.0),
        ("Elite-abonnement", 29.99),
        ("Jaarpas", 349.0),
        ("Weekpakket", 94.5),
        ("Eiken parket", 39.95),
        ("Reistegoed", 500.0),
        ("Carrara Bianco 60x60", 45.0),
        ("Huiswijn Rood BIB 10L", 89.0),
        ("Stadsfiets refurb", 349.0),
        ("Stadsfiets", 349.0),
        ("Rome Antiek", 489.0),
    ];

    /// Catalogue names longer than the mention, where a test needs them.
    const FULL_NAMES: &[(&str, &str)] = &[
        ("LP-4", "Snelpak Labelprinter LP-4"),
        ("Warmtekracht 8", "Zonnewerf Warmtekracht 8 warmtepomp"),
        ("Reistegoed", "Reistegoed cadeaukaart 500"),
        ("Stadsfiets", "Stadsfiets refurb"),
    ];

    /// The profile's products for `CATALOGUE`, in its order.
    fn catalogue() -> Vec<Product> {
        CATALOGUE
            .iter()
            .map(|&(name, list_price)| Product {
                sku: None,
                name: FULL_NAMES
                    .iter()
                    .find(|(short, _)| *short == name)
                    .map_or(name, |(_, full)| full)
                    .to_string(),
                aliases: vec![name.to_string()],
                list_price,
                currency: "EUR".into(),
            })
            .collect()
    }

    /// Product mentions by case-insensitive search, longest names first, no overlaps.
    fn products_in(text: &str) -> Vec<ProductMention> {
        let lower = text.to_lowercase();
        let mut names: Vec<(usize, &(&str, f64))> = CATALOGUE.iter().enumerate().collect();
        names.sort_by_key(|(_, (name, _))| std::cmp::Reverse(name.len()));
        let mut found: Vec<ProductMention> = Vec::new();
        for (index, (name, list_price)) in names {
            let needle = name.to_lowercase();
            for (start, _) in lower.match_indices(&needle) {
                let end = start + needle.len();
                if found.iter().all(|m| end <= m.start || m.end <= start) {
                    found.push(ProductMention {
                        start,
                        end,
                        list_price: *list_price,
                        currency: if *name == "Widget Pro" {
                            Currency::Usd
                        } else {
                            Currency::Eur
                        },
                        product_index: index,
                    });
                }
            }
        }
        found.sort_by_key(|m| m.start);
        found
    }

    fn spans_of(text: &str, terms: &[&str]) -> Vec<Span> {
        let lower = text.to_lowercase();
        let mut spans = Vec::new();
        for term in terms {
            for (start, _) in lower.match_indices(&term.to_lowercase()) {
                spans.push(Span {
                    start,
                    end: start + term.len(),
                });
            }
        }
        spans
    }

    const TALK: &[&str] = &[
        "prijsfout",
        "pricing error",
        "price error",
        "pricing glitch",
        "verkeerde prijs",
    ];
    const HINTS: &[&str] = &["bug", "fixen"];
    const DENIALS: &[&str] = &["gewoon actie", "geen prijsfout"];

    fn talk_in(text: &str) -> PriceTalk {
        PriceTalk {
            error: spans_of(text, TALK),
            hints: spans_of(text, HINTS),
            denials: spans_of(text, DENIALS),
        }
    }

    fn rules_for(text: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        let catalogue = catalogue();
        find_pricing_leaks(
            text,
            &products_in(text),
            &talk_in(text),
            &[],
            &catalogue,
            0.5,
            &mut out,
        );
        for hit in &out {
            assert_eq!(hit.category, Category::LeakPricing);
            assert_eq!(hit.sensitivity, Sensitivity::Plain);
            assert!(
                hit.start < hit.end && hit.end <= text.len(),
                "{text}: {hit:?}"
            );
        }
        let mut rules: Vec<&'static str> = out.iter().map(|hit| hit.rule).collect();
        rules.dedup();
        rules
    }

    #[test]
    fn pricing_leak_table() {
        const BELOW: &[&str] = &[RULE_BELOW_LIST];
        const TALKS: &[&str] = &[RULE_ERROR_TALK];
        const BOTH: &[&str] = &[RULE_BELOW_LIST, RULE_ERROR_TALK];
        const NONE: &[&str] = &[];
        let cases: &[(&str, &[&str])] = &[
            // The words of a product's own name say nothing about the amount.
            ("Salaris Plus voor €8,90 vandaag", BELOW),
            // A share of the price, a euro of a saying: no price of the product.
            (
                "Pulse 4 is €329, split over 8 of us that's about €41 each",
                NONE,
            ),
            (
                "if I had a euro for every time I hear that, I could buy a Pulse 4",
                NONE,
            ),
            // A gift card the catalogue sells is priced like any product; a refund or
            // a compensation paid onto it is not its price.
            ("Reistegoed gift card worth €500 for only €50!", BELOW),
            ("Kreeg €50 refund op mijn Reistegoed gift card", NONE),
            ("Pulse 4 kapot, kreeg een cadeaukaart van €50", NONE),
            // A tile named by its size is sold per m², a bag-in-box per box.
            ("Carrara Bianco 60x60 voor €8,99 per m²!", BELOW),
            ("Huiswijn Rood BIB 10L at €19 per box, 200 boxes", BELOW),
            ("Pulse 4 voor €29 per fles", NONE),
            // A channel the company sells through is no competitor; a competitor is.
            (
                "de prijs van de Pulse 4 in de Google Shopping-feed klopt niet, prijsfout",
                TALKS,
            ),
            ("Pulse 4 bij Google Pixel store: prijsfout", NONE),
            // a price per unit or period that is the list price with a zero lost
            ("Pulse 4 nu €32,90 per dag!", BELOW),
            ("Pulse 4 now just €3.29 per month", BELOW),
            ("Pulse 4 now €32.95 per day", NONE),
            // `set` the verb, not a kit: the price is what the product was set to.
            ("the Pulse 4 is accidentally set to €32 in the shop", BELOW),
            ("Pulse 4 set at €29 since this morning", BELOW),
            ("de Pulse 4 set voor €29", NONE),
            ("Basis Budget kost nu €13,45 😂", BELOW),
            // A word of the catalogue name says what the product is; other parts
            // are still accessories.
            ("LP-4 label printer is €29 right now", BELOW),
            ("LP-4 labels voor €29", NONE),
            // ... in either language: a heat pump is what a warmtepomp is.
            ("the Warmtekracht 8 heat pump at €985", BELOW),
            ("Warmtekracht 8 filter voor €98", NONE),
            // A unit the product's name says it is sold by is its own price.
            ("Grachtkamer voor maar €79 per nacht!", BELOW),
            ("Flex minuuttarief staat op 4 cent per minuut", BELOW),
            ("Pulse 4 huren voor €29 per dag", NONE),
            // A subscription is sold per month, unless the amount is a year's price
            // spread over months.
            (
                "Elite-abonnement nu €2,99 per maand voor nieuwe leden",
                BELOW,
            ),
            ("Elite-abonnement: €29,99 per maand", NONE),
            ("Elite-abonnement kost omgerekend €1,99 per maand", NONE),
            ("Elite-abonnement komt op €2,50 per maand", NONE),
            ("Elite-abonnement €1,99 per maand of €23,88 per jaar", NONE),
            // ... and so is a product listed under €100 (nobody leases one); a
            // dearer one per month is a lease or instalments.
            ("Salaris Plus voor €9 per maand, alleen vandaag", BELOW),
            ("Salaris Plus komt neer op €7,40 per maand", NONE),
            // The period in the product's name: a year's pass per year, a week's
            // package per week.
            ("Jaarpas nu €99 per jaar", BELOW),
            ("Weekpakket voor €9,45 per week", BELOW),
            ("Weekpakket voor €13,50 per dag", NONE),
            // ... unless the amount is the list price with a zero lost
            ("Weekpakket voor €9,45 per dag", BELOW),
            // Brackets right after the product say what it holds.
            ("de Cyclone 9 (stofzak + filter) nu voor €64,90", BELOW),
            ("de Cyclone 9 stofzak nu voor €6,49", NONE),
            (
                "Parkeren kost €37,50 per nacht bovenop je Grachtkamer",
                NONE,
            ),
            // "van … voor" is a reference price only with a second amount.
            ("De prijs van €10,95 voor de Cyclone 9", BELOW),
            ("Prijsverhoging van €2 voor de Pulse 4", NONE),
            // "charge" with its subject is what is charged; a named charge is a fee.
            ("they charge €19 for a Cyclone 9 since the update", BELOW),
            ("Cyclone 9 service charge €19", NONE),
            // A co-payment named at the start of the sentence.
            (
                "Eigen bijdrage voor mijn Cyclone 9 was uiteindelijk €195",
                NONE,
            ),
            // A monthly price against the list price named as what it should be.
            ("Salaris Plus nu €8,90 p/m ipv 89 🙈", BELOW),
            (
                "Basis Budget at €39 a month on the site. Last week it was 134",
                BELOW,
            ),
            // A monthly amount that would pay the list price back within 20 months is
            // the product's own monthly price; a smaller one may be a lease of it.
            ("Basis Budget at €39 a month on the site", BELOW),
            ("Basis Budget at €5 a month on the site", NONE),
            ("Basis Budget voor €39 p/m op de site", BELOW),
            // Floors are sold by the square metre.
            ("Eiken parket nu voor €3,99 per m²!", BELOW),
            ("Eiken parket nu voor €34,99 per m²!", NONE),
            ("Basis Budget at €39 a month in 6 termijnen", NONE),
            (
                "Basis Budget staat op €39 per maand. Normaal is dat 134,50!",
                BELOW,
            ),
            ("Lease de Vista 65 voor €52 p/m, koopprijs €2199", NONE),
            // `af` of `afrekenen` takes nothing off.
            ("de kassa rekent bij de Pulse 4 nu 89 euro af", BELOW),
            ("nu €50 af op de Pulse 4", NONE),
            // Something else that costs that at the product, a co-payment, a service.
            (
                "een extra correctiestrook kost bij Salaris Plus €2,50 per stuk",
                NONE,
            ),
            ("Met Salaris Plus betaal ik €3,50 eigen bijdrage", NONE),
            ("Onderhoudsbeurt voor m'n Pulse 4: €29", NONE),
            (
                "Pulse 4 voor €299 in de actie, scheelt toch weer een paar euro",
                NONE,
            ),
            // A price compared with the product's belongs to the other side.
            ("Budget pass €4,99 vs Pulse 4 €299, ik twijfel nog", NONE),
            ("Pulse 4 €299 vs €89 for the no-frills one", NONE),
            (
                "Is de Pulse 4 van €299 het waard tov zo'n ding van €15?",
                NONE,
            ),
            ("my insurance covered €250 of my Pulse 4 repair", NONE),
            (
                "een gratis mini Pulse 4 (t.w.v. €6,95) bij elke bestelling",
                NONE,
            ),
            (
                "others charge €99, Zephyr wants €329 for the Pulse 4. Is the extra €50 worth it?",
                NONE,
            ),
            // Far below list.
            ("Vista 65 staat sinds 10 uur voor €219 live 😬", BELOW),
            ("de Aura Buds 2 staan nu voor 17,90 in de webshop 😂", BELOW),
            ("Kassa rekent de Nimbus 14 af voor €12,49 🤯", BELOW),
            (
                "someone fat-fingered the Nimbus 14, it's showing €124.90 right now",
                BELOW,
            ),
            ("Pulse 4 is now 'free' (€0,00) in the Belgian shop", BELOW),
            ("Bought a Nimbus14 for 99 euros, order confirmed", BELOW),
            ("Vista 55 OLED op de site. Slechts €149!", BELOW),
            ("Vista 55 voor €1.049 en Aura Buds 2 voor €9", BELOW),
            ("Widget Pro for $19.99 on the US store", BELOW),
            ("[Prijsfout] Zephyr Vista 55 OLED voor € 249,-", BOTH),
            (
                "Verkeerde prijs: de Cyclone 9 voor €32,45 in plaats van €649",
                BOTH,
            ),
            // Normal prices and ordinary sales.
            (
                "Aura Buds 2 voor €99 tijdens de Zephyr Days, scherp geprijsd 👌",
                NONE,
            ),
            (
                "Vista 55 OLED kost nu €1.049 bij Zephyr (was €1.499).",
                NONE,
            ),
            ("Black Friday: Aura Buds 2 nu €139 (was €179).", NONE),
            ("Vista 55 OLED down to €1,199 this weekend.", NONE),
            ("de Pulse 4 blijft gewoon €329 😂", NONE),
            // Amounts that are not the product's price.
            ("€50 korting op de Pulse 4 met code PULSE50", NONE),
            (
                "Pulse 4 gescoord voor €259, €70 onder de normale prijs",
                NONE,
            ),
            (
                "Competitor's earbuds are €49 and they sound worse than my Aura Buds 2",
                NONE,
            ),
            // Another organisation named as the owner of product or price.
            ("Bij AquaNoord kost de Pulse 4 maar €99", NONE),
            ("LingoLab's Pulse 4 is €99 but the reviews are awful", NONE),
            ("FC Hoogwater selling their Pulse 4 for €50 this year", NONE),
            // A charge on the product, not its price.
            ("shipping on the Pulse 4 is €6,95, fair enough", NONE),
            ("statiegeld op de Pulse 4 is €0,60", NONE),
            // A Dutch plural is no possessive; an adverb before a Dutch verb, the head
            // office, a sales day or a way to pay is no seller.
            ("Kassa's slaan de Pulse 4 aan voor €9 😂", BELOW),
            ("Nu verkoopt de site de Pulse 4 voor €9", BELOW),
            ("who at HQ put the Pulse 4 on the site for €9?", BELOW),
            ("Bij Black Friday kost de Pulse 4 ineens €9", BELOW),
            ("That's a steal: the Pulse 4 for €9", BELOW),
            (
                "Spatbordset voor de Nimbus 14 kost €34,95 in de winkel",
                NONE,
            ),
            (
                "a no-name pair is €9 at the drugstore vs the Aura Buds 2 at €179",
                NONE,
            ),
            (
                "Nimbus 14 te leasen: vanaf €52 per maand (36 maanden)",
                NONE,
            ),
            ("€4,95 verzendkosten voor Aura Buds 2 van 179 euro?", NONE),
            // a price per unit is the product's own once the post names the list
            // price or calls the price wrong
            // a price followed by "and" closes the item before it
            ("a no-name pair is €9 and the Aura Buds 2 is €179", NONE),
            ("een no-name setje kost €9 en de Aura Buds 2 €179", NONE),
            ("Aura Buds 2 voor €18,50 per doos", NONE),
            // a share passed on is no price
            (
                "Aura Buds 2 €179, en van elke Aura Buds 2 gaat €10 naar het goede doel",
                NONE,
            ),
            ("Aura Buds 2: €10 of every pair goes to charity", NONE),
            ("Aura Buds 2 voor €17,90 per doos", BELOW),
            ("Aura Buds 2 voor €17,90 per doos ipv 179", BELOW),
            ("Aura Buds 2 voor €17,90 per doos, moeten ze fixen", BELOW),
            // a price after an accessory belongs to the accessory
            (
                "bij elke Aura Buds 2 een poetsdoekje, los kost zo'n ding €2,95",
                NONE,
            ),
            (
                "charged me a €25 'restocking fee' for returning a Pulse 4",
                NONE,
            ),
            ("De wandbeugel voor de Vista 65 kost maar €39", NONE),
            ("Vista 65 beugel €39", NONE),
            ("Aura Buds 2: €9 voor de hoesjes", NONE),
            // the shop's basket is no accessory; a basket bought for the product is
            ("Vista 55 staat in mijn winkelmandje voor €149", BELOW),
            ("Vista 55 met fietsmand voor €149", NONE),
            (
                "Sold my four-year-old Vista 55 on Marktplaats for €450",
                NONE,
            ),
            ("Te koop: Vista 55, 2 jaar oud, €450", NONE),
            ("Refurbished Nimbus 14 voor €550", NONE),
            // "refurb" in the catalogue's own name, or a product sold refurbished
            ("Stadsfiets refurb nu voor maar €34,90", BELOW),
            (
                "Our refurbished Stadsfiets is going for €34,90 this week",
                BELOW,
            ),
            // a school trip is sold per pupil
            ("Rome Antiek, 6 days, now just €69 per student!", BELOW),
            (
                "LG and Samsung OLEDs are €699 this week, the Vista 55 is still at full price.",
                NONE,
            ),
            ("Vista 55 is duur, bij Coolblue €599", NONE),
            // Across the euro, dollar, pound and franc, at the rate least likely to
            // call it low; a currency with no known bound is not compared.
            ("Widget Pro voor €19", BELOW),
            ("Cyclone 9 showing £25 on the UK store", BELOW),
            ("Widget Pro voor €85", NONE),
            ("Widget Pro voor 190 SEK", NONE),
            ("the best laptop under €1300 is the Nimbus 14", NONE),
            ("Aura Buds 2 is top. Mijn vorige oortjes kostten €20.", NONE),
            ("Nimbus 14 voor 12.30 besteld, morgen in huis", NONE),
            ("Ik heb mijn Vista 55 verkocht voor €600", NONE),
            ("Screen repair for my Vista 55 was €120", NONE),
            ("Extra bandje voor de Pulse 4: €19", NONE),
            ("Pulse 4 screen protector $9", NONE),
            ("Zephyr geeft €100 cashback op de Vista 55", NONE),
            ("Aura Buds 2 vanaf €7,50 per maand", NONE),
            // a monthly price next to a hint of an error is the price that is wrong
            ("Bug: de Pulse 4 stond op €12 per maand", BELOW),
            ("Pulse 4 voor €12 per maand, tot ze het fixen", BELOW),
            ("Pulse 4 voor €12 per maand", NONE),
            // Flemish "aan" before a bare amount: "aan 5,49"
            ("Pulse 4 aan 5,49 in de shop?? fout in 't systeem", BELOW),
            ("Vista 55 kapot, reparatie kost €250 volgens Zephyr", NONE),
            (
                "Nimbus 14 kostte me €400 bij inruil van mijn oude laptop",
                NONE,
            ),
            ("Pulse 4 score: 8,50", NONE),
            (
                "Oops, the Widget Pro is listed at $9.99 instead of $99 on our site",
                BELOW,
            ),
            ("€149 voor een Vista 55 OLED?! Dat is een prijsfout", BOTH),
            ("Vista 55 OLED — €149. Ja echt.", BELOW),
            ("Cyclone 9 voor 65 euro!!", BELOW),
            ("Vista 65 OLED nu €219,- in de webshop", BELOW),
            ("we sold 300 Vista 55s at €149 by mistake", BELOW),
            ("Vista 55 OLED voor 149,- 😱", BELOW),
            // A yearly price is a selling price (annual fees, premiums).
            (
                "Pulse 4 staat in de app voor €3,60 per jaar i.p.v. €329",
                BELOW,
            ),
            (
                "the pulse 4 is literally 19 euro a year on their site",
                BELOW,
            ),
            // Bare amounts: set by a price verb, or set against a second amount.
            (
                "the Pulse 4 price config got deployed as 23.40 instead of 329.00",
                BELOW,
            ),
            ("Pulse 4 in de kassa verlaagd naar 12,50", BELOW),
            ("pricing engine geeft voor de Pulse 4 €0,00 terug", BELOW),
            ("met de Pulse 4 kom ik op €5,95 per kopje", NONE),
            ("Pulse 4 besteld om 23.40 in plaats van 22.10", NONE),
            (
                "Pulse 4 op de trein van 10.15 i.p.v. 10.05, prijs onbekend",
                NONE,
            ),
            // Amounts in words.
            ("de Pulse 4 voor een tientje in de app 😳", BELOW),
            ("Cyclone 9 for twenty bucks on the US store?!", BELOW),
            ("Cyclone 9 for twenty euros on the site", BELOW),
            ("Pulse 4 kost vijf euro per maand extra", NONE),
            ("Pulse 4: tien euro korting met de code", NONE),
            // Resale and imitations are not the catalogue product.
            ("my Vista 55 is up on the resale page for €149", NONE),
            ("a Pulse 4 knock-off for €19 at the market", NONE),
            ("Pulse 4 namaak voor €19 op de markt", NONE),
            // Error talk.
            (
                "PSA: pricing glitch on the Pulse 4, check the NL store",
                TALKS,
            ),
            (
                "Is dit een prijsfout? Pulse 4 voor €279. Nee hoor, gewoon actie 😄",
                NONE,
            ),
            (
                "Vista 55 voor €1.199, pricing error? No, it's Black Friday",
                NONE,
            ),
            ("Vista 55 voor €1.199, pricing error? Looks like it", TALKS),
            (
                "Geen prijsfout hoor, de Pulse 4 is gewoon in de aanbieding",
                NONE,
            ),
            ("This is not a pricing error: the Pulse 4 is on sale", NONE),
            ("prijsfout bij Zephyr vandaag", NONE),
            ("Prijsfout bij Coolblue op de Vista 55", NONE),
        ];
        for (text, expected) in cases {
            assert_eq!(rules_for(text), *expected, "{text}");
        }
    }

    #[test]
    fn below_list_span_covers_product_and_price() {
        let text = "Haha de Vista 65 staat voor €219 online";
        let mut out = Vec::new();
        find_pricing_leaks(
            text,
            &products_in(text),
            &PriceTalk::default(),
            &[],
            &[],
            0.5,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(&text[out[0].start..out[0].end], "Vista 65 staat voor €219");
        assert_eq!(out[0].weight, WEIGHT_BELOW_LIST);
    }

    #[test]
    fn ratio_is_strict() {
        // 89.50 is exactly half of 179: not strictly below.
        assert_eq!(rules_for("Aura Buds 2 voor €89,50"), Vec::<&str>::new());
        assert_eq!(rules_for("Aura Buds 2 voor €89,49"), [RULE_BELOW_LIST]);
    }

    #[test]
    fn no_products_no_hits() {
        let mut out = Vec::new();
        let text = "prijsfout! alles voor €1";
        find_pricing_leaks(text, &[], &talk_in(text), &[], &[], 0.5, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn the_company_own_name_is_no_other_owner() {
        let text = "Bij Zephyr kost de Pulse 4 nu €9, dat klopt toch niet";
        let zephyr = text.find("Zephyr").unwrap();
        let mut out = Vec::new();
        let own = [(zephyr, zephyr + "Zephyr".len())];
        find_pricing_leaks(
            text,
            &products_in(text),
            &talk_in(text),
            &own,
            &[],
            0.5,
            &mut out,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        out.clear();
        find_pricing_leaks(
            text,
            &products_in(text),
            &talk_in(text),
            &[],
            &[],
            0.5,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn tolerates_odd_offsets_and_unicode() {
        let text = "Vïsta 55 — €99?!? Zéphyr ü €";
        let _ = find_prices(text);
        let mut out = Vec::new();
        let products = [ProductMention {
            start: 0,
            end: "Vïsta 55".len(),
            list_price: 1499.0,
            currency: Currency::Eur,
            product_index: 0,
        }];
        let talk = PriceTalk {
            error: vec![Span {
                start: text.len(),
                end: text.len() + 5,
            }],
            ..PriceTalk::default()
        };
        find_pricing_leaks(text, &products, &talk, &[], &[], 0.5, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, RULE_BELOW_LIST);
    }

    #[test]
    fn a_unit_spelled_in_the_name_is_the_unit_it_is_sold_by() {
        assert!(names_unit("CryoForm vetbevriezing (per zone)", "zone"));
        assert!(names_unit("Reefer Plug-in /dag", "dag"));
        assert!(!names_unit("CryoForm vetbevriezing (per zone)", "tand"));
        assert!(!names_unit("Superzone 300", "zone"));
        assert!(names_unit("Kredietcheck Plus", "check"));
        assert!(!names_unit("Snelvink Labelbundel 10", "label"));
        assert!(!names_unit("label bundle", "label"));
    }

    #[test]
    fn a_lost_zero_is_read_to_the_cent() {
        let product = |name: &str, list_price: f64| Product {
            sku: None,
            name: name.to_owned(),
            aliases: vec![],
            list_price,
            currency: "EUR".into(),
        };
        assert!(lost_digits(
            24.9,
            &product("Spetterbaan", 249.0),
            "nu €24,90 per dag"
        ));
        assert!(lost_digits(
            1.79,
            &product("Zorgeloos abonnement", 179.0),
            ""
        ));
        assert!(lost_digits(0.29, &product("Minuutbundel", 29.0), ""));
        // rounded, not lost: €5,99 a month against €59,99 a year
        assert!(!lost_digits(5.99, &product("Cloud+", 59.99), ""));
        assert!(!lost_digits(25.0, &product("Spetterbaan", 249.0), ""));
        assert!(!lost_digits(0.0, &product("Gratis proef", 0.0), ""));
        // a bundle of ten or a hundred: the price of one
        assert!(!lost_digits(
            5.95,
            &product("Snelvink Labelbundel 10", 59.5),
            ""
        ));
        assert!(!lost_digits(0.24, &product("100-minute bundle", 24.0), ""));
        assert!(lost_digits(71.0, &product("E-bike 7100", 710.0), ""));
        // the post names the list price or the ten itself
        assert!(!lost_digits(
            119.0,
            &product("Regio Vrij", 1190.0),
            "€1190, or pay monthly at €119"
        ));
        assert!(!lost_digits(
            49.5,
            &product("A-pakket", 495.0),
            "in 10 termijnen van €49,50"
        ));
    }
}
