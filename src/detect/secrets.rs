//! Credentials in a post: API keys and tokens, private keys, JWTs, connection strings
//! with a password, and passwords written out in code or in prose.
//!
//! Every credential type is one [`SecretRule`] in a static table ([`rules`]). A rule
//! has short literal `keywords` that the caller feeds into one case-insensitive
//! aho-corasick pass over the post; [`find_secrets`] then runs only the regexes of the
//! rules whose keywords occurred. A regex finds a candidate, the rule's confirm step
//! rejects placeholders (`AKIAXXXXXXXXXXXXXXXX`, `<token>`, `ghp_…`), checks
//! checksums and structure (GitHub CRC32, JWT header) and measures randomness
//! (Shannon entropy) where a shape alone is ambiguous.
//!
//! A hit's span is the secret value itself, the part to mask, never the keyword
//! around it (`password: <span>`).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::detect::hit::{Hit, Sensitivity};
use crate::verdict::Category;

/// A token with a vendor prefix or a verified structure.
const WEIGHT_PREFIXED: u8 = 95;
/// A key recognised by its shape plus a vendor name nearby, or a structured token.
const WEIGHT_CONTEXTUAL: u8 = 90;
/// A generic password or key assignment.
const WEIGHT_GENERIC: u8 = 80;

/// How far (in bytes) a rule's context word may be from the secret.
const CONTEXT_RADIUS: usize = 160;

/// Checks a candidate span of the post text and returns the span to report (the
/// secret value), or `None` to drop the candidate.
pub type Confirm = fn(text: &str, candidate: Range<usize>) -> Option<Range<usize>>;

/// One credential type.
pub struct SecretRule {
    /// Stable rule id, e.g. `secret.github_pat`.
    pub id: &'static str,
    /// Lowercase ASCII literals, at least one of which occurs (case-insensitively)
    /// in every text the pattern can match: the aho-corasick prefilter.
    pub keywords: &'static [&'static str],
    /// The regex; the capture group `secret` (else the whole match) is the candidate.
    pub pattern: &'static str,
    /// Words of which one must occur (case-insensitively) within 160 bytes of the
    /// secret; empty when the pattern is specific enough on its own.
    pub context: &'static [&'static str],
    /// 0–100: how sure and how serious.
    pub weight: u8,
    /// Rejects placeholders and look-alikes; may move the span (private keys).
    pub confirm: Confirm,
}

/// A rule for a token whose prefix says what it is (`ghp_`, `xoxb-`, `sk_live_`).
const fn prefixed(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> SecretRule {
    SecretRule {
        id,
        keywords,
        pattern,
        context: &[],
        weight: WEIGHT_PREFIXED,
        confirm: random_token,
    }
}

/// A rule for a key without a prefix, which needs a vendor word nearby.
const fn near_vendor(
    id: &'static str,
    words: &'static [&'static str],
    pattern: &'static str,
    confirm: Confirm,
) -> SecretRule {
    SecretRule {
        id,
        keywords: words,
        pattern,
        context: words,
        weight: WEIGHT_CONTEXTUAL,
        confirm,
    }
}

/// A rule for a connection URL whose password sits between `user:` and `@`.
const fn connection_url(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> SecretRule {
    SecretRule {
        id,
        keywords,
        pattern,
        context: &[],
        weight: WEIGHT_CONTEXTUAL,
        confirm: url_password,
    }
}

/// A rule with a custom confirm step and weight.
const fn custom(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    weight: u8,
    confirm: Confirm,
) -> SecretRule {
    SecretRule {
        id,
        keywords,
        pattern,
        context: &[],
        weight,
        confirm,
    }
}

const GITHUB_CLASSIC: &[&str] = &["ghp_"];

/// What a `name / password` pair opens: a credential pair needs one of these nearby.
const CREDENTIAL_WORDS: &[&str] = &[
    "wifi",
    "wi-fi",
    "login",
    "inlog",
    "account",
    "portaal",
    "portal",
    "gebruiker",
    "admin",
    "lims",
    "wachtwoord",
    "password",
];

static RULES: &[SecretRule] = &[
    // --- cloud providers ---------------------------------------------------
    custom(
        "secret.aws_access_key_id",
        &["akia", "asia"],
        r"\b(?P<secret>(?:AKIA|ASIA)[A-Z2-7]{16})\b",
        WEIGHT_PREFIXED,
        aws_key_id,
    ),
    custom(
        "secret.aws_secret_access_key",
        &["aws", "secret", "akia", "asia"],
        r#"(?:(?i:aws[_\-. ]?secret(?:[_\-. ]?access)?(?:[_\-. ]?key)?|secret[_\-. ]?access[_\-. ]?key|\bsecret(?:[_\-. ]?key)?)["'`]?\s*(?::=|=>|[:=])?\s*["'`]?|(?:AKIA|ASIA)[A-Z2-7]{16}["'`]?[\s,;:|/=]{1,6}["'`]?)(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        WEIGHT_CONTEXTUAL,
        aws_secret,
    ),
    prefixed(
        "secret.gcp_api_key",
        &["aiza"],
        r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
    ),
    prefixed(
        "secret.google_oauth_client_secret",
        &["gocspx-"],
        r"\b(?P<secret>GOCSPX-[0-9A-Za-z_\-]{28,})",
    ),
    prefixed(
        "secret.google_oauth_access_token",
        &["ya29."],
        r"\b(?P<secret>ya29\.[0-9A-Za-z_\-]{30,})",
    ),
    custom(
        "secret.gcp_service_account_key",
        &["private_key"],
        r#""private_key"\s*:\s*"(?P<secret>-----BEGIN[A-Z ]*PRIVATE KEY-----[^"]*)"#,
        WEIGHT_PREFIXED,
        key_material,
    ),
    prefixed(
        "secret.azure_storage_account_key",
        &["accountkey="],
        r"(?i)\bAccountKey=(?P<secret>[A-Za-z0-9+/]{40,100}={0,2})",
    ),
    SecretRule {
        id: "secret.azure_sas_token",
        keywords: &["sig="],
        pattern: r"[?&]sig=(?P<secret>[A-Za-z0-9%+/]{30,120}(?:%3[Dd]|=){0,2})",
        context: &["sv=", "se=", "sp=", "windows.net", "sas"],
        weight: WEIGHT_CONTEXTUAL,
        confirm: random_token,
    },
    prefixed(
        "secret.azure_ad_client_secret",
        &["q~"],
        r"(?:^|[^A-Za-z0-9_~.\-])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
    ),
    prefixed(
        "secret.digitalocean_token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(?P<secret>do[opr]_v1_[a-f0-9]{64})\b",
    ),
    near_vendor(
        "secret.steam_web_api_key",
        &["steam"],
        r"\b(?P<secret>[0-9A-F]{32})\b",
        random_token,
    ),
    near_vendor(
        "secret.heroku_api_key",
        &["heroku", "hrku-"],
        r"\b(?P<secret>HRKU-[A-Za-z0-9_\-]{40,}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b",
        random_token,
    ),
    prefixed(
        "secret.databricks_token",
        &["dapi"],
        r"\b(?P<secret>dapi[a-f0-9]{32}(?:-\d)?)\b",
    ),
    prefixed(
        "secret.vault_token",
        &["hvs.", "hvb."],
        r"\b(?P<secret>hv[sb]\.[A-Za-z0-9_\-]{24,})",
    ),
    prefixed(
        "secret.doppler_token",
        &["dp.pt."],
        r"\b(?P<secret>dp\.pt\.[A-Za-z0-9]{40,44})\b",
    ),
    prefixed(
        "secret.pulumi_token",
        &["pul-"],
        r"\b(?P<secret>pul-[a-f0-9]{40})\b",
    ),
    prefixed(
        "secret.supabase_token",
        &["sbp_"],
        r"\b(?P<secret>sbp_[a-f0-9]{40})\b",
    ),
    // --- source hosting and package registries ------------------------------
    custom(
        "secret.github_pat",
        GITHUB_CLASSIC,
        r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
        WEIGHT_PREFIXED,
        github_checksum,
    ),
    custom(
        "secret.github_oauth_token",
        &["gho_"],
        r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
        WEIGHT_PREFIXED,
        github_checksum,
    ),
    custom(
        "secret.github_user_to_server_token",
        &["ghu_"],
        r"\b(?P<secret>ghu_[A-Za-z0-9]{36})\b",
        WEIGHT_PREFIXED,
        github_checksum,
    ),
    custom(
        "secret.github_server_to_server_token",
        &["ghs_"],
        r"\b(?P<secret>ghs_[A-Za-z0-9]{36})\b",
        WEIGHT_PREFIXED,
        github_checksum,
    ),
    prefixed(
        "secret.github_refresh_token",
        &["ghr_"],
        r"\b(?P<secret>ghr_[A-Za-z0-9]{36,80})\b",
    ),
    prefixed(
        "secret.github_fine_grained_pat",
        &["github_pat_"],
        r"\b(?P<secret>github_pat_[A-Za-z0-9_]{60,100})\b",
    ),
    prefixed(
        "secret.gitlab_pat",
        &["glpat-"],
        r"\b(?P<secret>glpat-[A-Za-z0-9_\-]{20,}(?:\.[A-Za-z0-9_\-]+)*)",
    ),
    prefixed(
        "secret.gitlab_runner_token",
        &["glrt-"],
        r"\b(?P<secret>glrt-[A-Za-z0-9_\-]{20,}(?:\.[A-Za-z0-9_\-]+)*)",
    ),
    prefixed(
        "secret.gitlab_deploy_token",
        &["gldt-"],
        r"\b(?P<secret>gldt-[A-Za-z0-9_\-]{20,})",
    ),
    prefixed(
        "secret.bitbucket_app_password",
        &["atbb"],
        r"\b(?P<secret>ATBB[A-Za-z0-9_=.\-]{28,})",
    ),
    prefixed(
        "secret.atlassian_api_token",
        &["atatt3"],
        r"\b(?P<secret>ATATT3[A-Za-z0-9_\-=]{100,})",
    ),
    near_vendor(
        "secret.atlassian_api_token_legacy",
        &["atlassian", "jira", "confluence"],
        r"(?i:token|api[_\-\s]?key|key)\W{1,5}(?P<secret>[A-Za-z0-9]{24})\b",
        mixed_random,
    ),
    prefixed(
        "secret.npm_token",
        &["npm_"],
        r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
    ),
    prefixed(
        "secret.pypi_token",
        &["pypi-ageichlwas5vcmc"],
        r"\b(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    ),
    prefixed(
        "secret.dockerhub_pat",
        &["dckr_pat_"],
        r"\b(?P<secret>dckr_pat_[A-Za-z0-9_\-]{27,})",
    ),
    prefixed(
        "secret.postman_api_key",
        &["pmak-"],
        r"\b(?P<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
    ),
    // --- chat and messaging -------------------------------------------------
    prefixed(
        "secret.slack_bot_token",
        &["xoxb-"],
        r"\b(?P<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b",
    ),
    prefixed(
        "secret.slack_user_token",
        &["xoxp-", "xoxe-"],
        r"\b(?P<secret>xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{28,34})\b",
    ),
    prefixed(
        "secret.slack_app_token",
        &["xapp-"],
        r"\b(?P<secret>xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[A-Za-z0-9]{32,80})\b",
    ),
    prefixed(
        "secret.slack_legacy_token",
        &["xoxa-", "xoxr-", "xoxs-"],
        r"\b(?P<secret>xox[ars]-(?:\d-)?[A-Za-z0-9\-]{20,})",
    ),
    prefixed(
        "secret.slack_webhook",
        &["hooks.slack.com"],
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{8,12}/[A-Z0-9]{8,12}/[A-Za-z0-9]{23,25})\b",
    ),
    prefixed(
        "secret.discord_webhook",
        &["discord"],
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<secret>\d{17,20}/[A-Za-z0-9_\-]{60,68})",
    ),
    prefixed(
        "secret.telegram_bot_token",
        &[":aa"],
        r"\b(?P<secret>\d{8,10}:AA[A-Za-z0-9_\-]{33})(?:[^A-Za-z0-9_\-]|$)",
    ),
    near_vendor(
        "secret.twilio_api_key",
        &["twilio"],
        r"\b(?P<secret>SK[0-9a-fA-F]{32})\b",
        random_token,
    ),
    near_vendor(
        "secret.twilio_account_sid",
        &["twilio"],
        r"\b(?P<secret>AC[0-9a-fA-F]{32})\b",
        random_token,
    ),
    prefixed(
        "secret.sendgrid_api_key",
        &["sg."],
        r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
    ),
    prefixed(
        "secret.mailgun_api_key",
        &["key-"],
        r"\b(?P<secret>key-[0-9a-f]{32})\b",
    ),
    prefixed(
        "secret.mailchimp_api_key",
        &["-us"],
        r"\b(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})\b",
    ),
    // --- payments -------------------------------------------------------------
    prefixed(
        "secret.stripe_secret_key",
        &["sk_live_"],
        r"\b(?P<secret>sk_live_[A-Za-z0-9]{20,247})\b",
    ),
    prefixed(
        "secret.stripe_restricted_key",
        &["rk_live_"],
        r"\b(?P<secret>rk_live_[A-Za-z0-9]{20,247})\b",
    ),
    prefixed(
        "secret.stripe_webhook_secret",
        &["whsec_"],
        r"\b(?P<secret>whsec_[A-Za-z0-9+/=]{32,})",
    ),
    prefixed(
        "secret.square_access_token",
        &["sq0atp-", "eaaa"],
        r"\b(?P<secret>sq0atp-[0-9A-Za-z_\-]{22,}|EAAA[A-Za-z0-9_\-+=]{60,})",
    ),
    prefixed(
        "secret.square_oauth_secret",
        &["sq0csp-"],
        r"\b(?P<secret>sq0csp-[0-9A-Za-z_\-]{43,})",
    ),
    prefixed(
        "secret.braintree_access_token",
        &["access_token$production$"],
        r"\b(?P<secret>access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b",
    ),
    prefixed(
        "secret.shopify_access_token",
        &["shpat_", "shpca_", "shppa_"],
        r"\b(?P<secret>shp(?:at|ca|pa)_[a-fA-F0-9]{32})\b",
    ),
    prefixed(
        "secret.shopify_shared_secret",
        &["shpss_"],
        r"\b(?P<secret>shpss_[a-fA-F0-9]{32})\b",
    ),
    custom(
        "secret.mollie_api_key",
        &["live_"],
        r"\b(?P<secret>live_[A-Za-z0-9]{30})\b",
        WEIGHT_PREFIXED,
        mixed_random,
    ),
    prefixed(
        "secret.adyen_api_key",
        &["aqe"],
        r"\b(?P<secret>AQE[A-Za-z0-9+/=_\-.]{90,})",
    ),
    // --- AI platforms ----------------------------------------------------------
    prefixed(
        "secret.openai_api_key",
        &["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
        r"\b(?P<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
    ),
    prefixed(
        "secret.anthropic_api_key",
        &["sk-ant-"],
        r"\b(?P<secret>sk-ant-[a-z0-9]{2,12}-[A-Za-z0-9_\-]{32,})",
    ),
    prefixed(
        "secret.huggingface_token",
        &["hf_"],
        r"\b(?P<secret>hf_[A-Za-z0-9]{30,40})\b",
    ),
    prefixed(
        "secret.replicate_token",
        &["r8_"],
        r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b",
    ),
    prefixed(
        "secret.groq_api_key",
        &["gsk_"],
        r"\b(?P<secret>gsk_[A-Za-z0-9]{48,56})\b",
    ),
    near_vendor(
        "secret.cohere_api_key",
        &["cohere"],
        r"(?i:token|api[_\-\s]?key|key)\W{1,5}(?P<secret>[A-Za-z0-9]{40})\b",
        mixed_random,
    ),
    // --- monitoring and developer tools --------------------------------------
    near_vendor(
        "secret.datadog_api_key",
        &["datadog", "dd_api", "dd-api", "dd_app", "dd-app"],
        r"\b(?P<secret>[a-f0-9]{40}|[a-f0-9]{32})\b",
        random_token,
    ),
    prefixed(
        "secret.newrelic_key",
        &["nrak-", "nrii-", "nrjs-"],
        r"\b(?P<secret>NR(?:AK|II|JS)-[A-Za-z0-9]{20,42})\b",
    ),
    prefixed(
        "secret.sentry_dsn",
        &["sentry", "ingest."],
        r"\bhttps?://(?P<secret>[0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.\-]+(?::\d+)?/\d+",
    ),
    prefixed(
        "secret.sentry_auth_token",
        &["sntrys_", "sntryu_"],
        r"\b(?P<secret>sntry[su]_[A-Za-z0-9_=+/.\-]{40,})",
    ),
    prefixed(
        "secret.grafana_token",
        &["glsa_", "glc_"],
        r"\b(?P<secret>glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
    ),
    prefixed(
        "secret.linear_api_key",
        &["lin_api_"],
        r"\b(?P<secret>lin_api_[A-Za-z0-9]{40})\b",
    ),
    prefixed(
        "secret.figma_token",
        &["figd_"],
        r"\b(?P<secret>figd_[A-Za-z0-9_\-]{40,})",
    ),
    prefixed(
        "secret.age_secret_key",
        &["age-secret-key-1"],
        r"\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
    ),
    prefixed(
        "secret.gitlab_token",
        &[
            "glcbt-",
            "glptt-",
            "glft-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glsoat-",
            "glffct-",
            "gr1348941",
        ],
        r"\b(?P<secret>(?:glcbt|glptt|glft|glimt|glagent|gloas|glsoat|glffct)-[A-Za-z0-9_\-]{20,}|GR1348941[A-Za-z0-9_\-]{20,})",
    ),
    prefixed(
        "secret.nuget_api_key",
        &["oy2"],
        r"\b(?P<secret>oy2[a-z0-9]{43})\b",
    ),
    prefixed(
        "secret.terraform_cloud_token",
        &[".atlasv1."],
        r"\b(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70})",
    ),
    prefixed(
        "secret.azure_devops_pat",
        &["azdo"],
        r"\b(?P<secret>[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})\b",
    ),
    prefixed(
        "secret.azure_shared_access_key",
        &["sharedaccesskey="],
        r"(?i)\bSharedAccessKey=(?P<secret>[A-Za-z0-9+/]{30,100}={0,2})",
    ),
    prefixed(
        "secret.onepassword_service_token",
        &["ops_eyj"],
        r"\b(?P<secret>ops_eyJ[A-Za-z0-9+/=_\-]{100,})",
    ),
    prefixed(
        "secret.tailscale_key",
        &["tskey-"],
        r"\b(?P<secret>tskey-(?:auth|api|client|webhook|scim)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{16,})",
    ),
    prefixed(
        "secret.mapbox_secret_token",
        &["sk.eyj"],
        r"\b(?P<secret>sk\.eyJ[A-Za-z0-9_\-]{40,}\.[A-Za-z0-9_\-]{20,})",
    ),
    prefixed(
        "secret.airtable_pat",
        &["pat"],
        r"\b(?P<secret>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b",
    ),
    prefixed(
        "secret.notion_token",
        &["ntn_", "secret_"],
        r"\b(?P<secret>ntn_[A-Za-z0-9]{40,50}|secret_[A-Za-z0-9]{43})\b",
    ),
    prefixed(
        "secret.netlify_token",
        &["nfp_"],
        r"\b(?P<secret>nfp_[A-Za-z0-9]{36,40})\b",
    ),
    custom(
        "secret.meta_access_token",
        &["eaa"],
        r"\b(?P<secret>EAA[A-Za-z0-9]{90,})\b",
        WEIGHT_PREFIXED,
        mixed_random,
    ),
    custom(
        "secret.sk_api_key",
        &["sk-"],
        r"\b(?P<secret>sk-[A-Za-z0-9]{32,64})\b",
        WEIGHT_CONTEXTUAL,
        mixed_or_hex_random,
    ),
    prefixed(
        "secret.teams_webhook",
        &["webhook.office.com"],
        r"https://[A-Za-z0-9\-]+\.webhook\.office\.com/webhookb2/(?P<secret>[A-Za-z0-9\-@]{40,}/IncomingWebhook/[A-Za-z0-9]{32}/[A-Za-z0-9\-]{36}(?:/[A-Za-z0-9_\-]+)?)",
    ),
    custom(
        "secret.totp_seed",
        &["otpauth://"],
        r"(?i)\botpauth://[ht]otp/[^\s?]*\?(?:[^\s]*&)?secret=(?P<secret>[A-Z2-7]{16,128})",
        WEIGHT_PREFIXED,
        random_token,
    ),
    custom(
        "secret.basic_auth",
        &["basic"],
        r"(?i)\b(?:authorization|auth)\s*[:=]?\s*basic\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})",
        WEIGHT_CONTEXTUAL,
        basic_credentials,
    ),
    // --- key material and structured tokens -----------------------------------
    // A kubeconfig's client key: a PEM private key, base64-encoded ("LS0tLS1CRUdJTi"
    // is "-----BEGIN").
    custom(
        "secret.kubeconfig_client_key",
        &["client-key-data"],
        r"client-key-data:\s*(?P<secret>LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2})",
        WEIGHT_PREFIXED,
        random_token,
    ),
    custom(
        "secret.private_key",
        &["-----begin"],
        r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        WEIGHT_PREFIXED,
        private_key_body,
    ),
    custom(
        "secret.jwt",
        &["eyj"],
        r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*)",
        WEIGHT_CONTEXTUAL,
        jwt,
    ),
    // Discord bot token: the bot's numeric id in base64, a timestamp, an HMAC. The id
    // is the proof, so no vendor word is needed ("modbot nog levend? <token>").
    custom(
        "secret.discord_bot_token",
        &["discord", "bot", "token"],
        r"\b(?P<secret>[MNO][A-Za-z0-9_\-]{22,27}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40})(?:[^A-Za-z0-9_\-.]|$)",
        WEIGHT_PREFIXED,
        discord_token,
    ),
    // Twitch stream key: whoever has it streams as the channel.
    prefixed(
        "secret.twitch_stream_key",
        &["live_"],
        r"\b(?P<secret>live_[0-9]{6,12}_[A-Za-z0-9]{30})\b",
    ),
    // --- connection strings ------------------------------------------------------
    connection_url(
        "secret.postgres_url",
        &["postgres"],
        r"(?i)\bpostgres(?:ql)?(?:\+[a-z0-9]+)?://[^\s:/@]+:(?P<secret>[^\s/]+)@",
    ),
    connection_url(
        "secret.mysql_url",
        &["mysql", "mariadb"],
        r"(?i)\b(?:mysql|mariadb)(?:\+[a-z0-9]+)?://[^\s:/@]+:(?P<secret>[^\s/]+)@",
    ),
    connection_url(
        "secret.mongodb_url",
        &["mongodb"],
        r"(?i)\bmongodb(?:\+srv)?://[^\s:/@]+:(?P<secret>[^\s/]+)@",
    ),
    connection_url(
        "secret.redis_url",
        &["redis"],
        r"(?i)\brediss?://[^\s:/@]*:(?P<secret>[^\s/]+)@",
    ),
    connection_url(
        "secret.amqp_url",
        &["amqp"],
        r"(?i)\bamqps?://[^\s:/@]+:(?P<secret>[^\s/]+)@",
    ),
    connection_url(
        "secret.mssql_url",
        &["mssql", "sqlserver"],
        r"(?i)\b(?:mssql|sqlserver)://[^\s:/@]+:(?P<secret>[^\s/;]+)@",
    ),
    connection_url(
        "secret.jdbc_password",
        &["jdbc:"],
        r#"(?i)\bjdbc:[a-z0-9]+:[^\s]*?[;?&]password=(?P<secret>[^\s;&"']+)"#,
    ),
    custom(
        "secret.url_credentials",
        &["://"],
        r"(?i)\b(?:https?|ftps?|sftp|smtps?|ldaps?|ssh|mqtts?|wss?|imaps?|pop3s?|nats|kafka|git|svn|telnet|rtsps?|sips?|xmpp|ircs?|webdavs?|rsync|vnc|rdp|socks[45]?)://[^\s:/@]{1,64}:(?P<secret>[^\s:/]{3,128})@[A-Za-z0-9.\-]+",
        WEIGHT_GENERIC,
        url_password,
    ),
    // --- generic assignments and prose ---------------------------------------------
    custom(
        "secret.password_assignment",
        &[
            "password",
            "passwd",
            "passwort",
            "wachtwoord",
            "pwd",
            "pass",
            "pw",
        ],
        r#"(?i)(?:(?:\b|_)(?:password|passwd|passwort|wachtwoord|pwd|pass|pw)|(?-i:[a-z0-9]P(?:ass(?:word)?|wd)))["'`]?\s*(?::=|=>|=|:)\s*["'`]?(?P<secret>[^\s"'`,;<>]{6,128})"#,
        WEIGHT_GENERIC,
        password_value,
    ),
    custom(
        "secret.password_prose",
        &[
            "wachtwoord",
            "w a c h t w o o r d",
            "w8woord",
            "paswoord",
            "password",
            "p a s s w o r d",
            "passwort",
            "kennwort",
            "passwd",
            "passcode",
            "passphrase",
            "pass phrase",
            "wachtzin",
            "mot de passe",
            "mdp",
            "netwerksleutel",
            "wifi-sleutel",
            "wifisleutel",
            "wifi key",
            "wpa key",
            "wpa2 key",
            "pre-shared key",
            "psk",
            "pwd",
            "pw",
            "ww",
            "pass",
            "code",
        ],
        r"(?i)\b(?:\p{L}*w[a@4]chtw[o0]{2}rd|w8w[o0]{2}rd|w[ ._-][a@4][ ._-]c[ ._-]h[ ._-]t[ ._-]w[ ._-][o0][ ._-][o0][ ._-]r[ ._-]d|\p{L}*p[a@4]sw[o0]{2}rd|p[a@4][s$5]{2}w[o0]{1,2}rd|p[ ._-][a@4][ ._-][s$5][ ._-][s$5][ ._-]w[ ._-][o0][ ._-]r[ ._-]d|\p{L}*passwort|kennwort|passwd|passcode|passphrase|pass phrase|wachtzin|mot de passe|mdp|netwerksleutel|wifi-?sleutel|wi-?fi key|wpa2? key|pre-shared key|psk|pwd|pw|ww|pass|pincode|toegangscode|code)\b",
        WEIGHT_GENERIC,
        prose_password,
    ),
    custom(
        "secret.login_credentials",
        &[
            "login",
            "log-in",
            "inlog",
            "credentials",
            "creds",
            "account",
            "gebruikersnaam",
            "username",
            "user",
            "digid",
            "eherkenning",
            "loggen",
            "logt",
            "log in",
            "sign in",
            "aanmelden",
            "admin",
            "root",
            "administrator",
            "beheerder",
            "superuser",
        ],
        // `login: user / pass`, a login in prose that ends in `met user / pass` or
        // `…: user / pass` ("scanners loggen vanaf vannacht in op wms.local met
        // nachtploeg / …", "login van het gedeelde account hangt op een post-it: …"), or an
        // administrator account with its password (`admin / …`).
        r"(?i)\b(?:(?:(?:login|log-in|inlog\w*|credentials|creds|account|gebruikersnaam|username|user|digid|eherkenning)\b[^\S\n]*(?:[:=]|\s+is\b|\s+was\b)?|(?:login|log-in|inlog\w*|loggen|logt|log\s+in|logging\s+in|sign\s+in|aanmelden)\b[^\n]{0,80}?(?:\s(?:met|with|als|as|using|is|was|=)|\s?:))[^\S\n]*[^\s/]{2,64}[^\S\n]*|(?:admin|root|administrator|beheerder|superuser)[^\S\n]*)/[^\S\n]*(?P<secret>\S{6,64})",
        WEIGHT_GENERIC,
        login_password,
    ),
    // `wifi voor de crew: ZD-Staff / Kassa61%Brrp`, `LIMS lab_admin / Duin70!2ZeV`: an
    // account name and a strong password split by a slash, with a word for what it
    // opens nearby. Only a password strong by its shape alone counts.
    SecretRule {
        id: "secret.credential_pair",
        // The words for what it opens are the prefilter too: a slash alone is in every URL.
        keywords: CREDENTIAL_WORDS,
        pattern: r"(?:^|[\s(:>👉])[A-Za-z][A-Za-z0-9._\-]{1,40}[^\S\n]*/[^\S\n]*(?P<secret>[^\s/]{8,64})",
        context: CREDENTIAL_WORDS,
        weight: WEIGHT_GENERIC,
        confirm: strong_value,
    },
    custom(
        "secret.generic_api_key",
        &[
            "api",
            "secret",
            "token",
            "signing",
            "encryption",
            "key",
            "sleutel",
        ],
        r#"(?i)\b(?:[a-z0-9]+[_\-.])*(?:api[_\-. ]?key|apikey|api[_\-. ]?sleutel|apisleutel|access[_\-. ]?key|master[_\-. ]?key|license[_\-. ]?key|licentie[_\-. ]?sleutel|licentiesleutel|toegangssleutel|geheime[_\-. ]sleutel|[a-z0-9]+[_\-.]key|api[_\-. ]?secret|api[_\-. ]?token|secret[_\-. ]?key|client[_\-. ]?secret|access[_\-. ]?token|auth[_\-. ]?token|private[_\-. ]?token|app[_\-. ]?secret|signing[_\-. ]?key|encryption[_\-. ]?key|token|secret)\b["'`]?(?:\s*(?::=|=>|=|:)|\s+is:?)\s*["'`]?(?P<secret>[A-Za-z0-9_\-+/=.~]{16,256})"#,
        WEIGHT_GENERIC,
        generic_secret,
    ),
    custom(
        "secret.bearer_token",
        &["bearer"],
        r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9_\-.~+/]{20,}=*)",
        WEIGHT_GENERIC,
        generic_secret,
    ),
];

/// The rule table. The index of a rule in this slice is its index in the
/// `triggered` argument of [`find_secrets`].
pub fn rules() -> &'static [SecretRule] {
    RULES
}

/// The compiled pattern of every rule, in table order. Compiled on first use.
static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|rule| {
            Regex::new(rule.pattern).unwrap_or_else(|error| {
                panic!("secret rule {} has a bad pattern: {error}", rule.id)
            })
        })
        .collect()
});

/// Runs the rules marked in `triggered` over `text` and appends one [`Hit`] per
/// secret to `out`, sorted by start.
///
/// `triggered[i]` says whether a keyword of `rules()[i]` occurred in the post (the
/// caller's aho-corasick pass); rules not marked are skipped. A missing entry counts
/// as not triggered. Overlapping candidates of different rules are reduced to the
/// heaviest, then longest one; hits already in `out` are left alone.
///
/// # Panics
///
/// In debug builds, if `triggered.len() != rules().len()`: that is a wiring bug of
/// the caller. The first call compiles every pattern; a pattern that does not compile
/// panics, which the unit tests rule out.
pub fn find_secrets(text: &str, triggered: &[bool], out: &mut Vec<Hit>) {
    debug_assert_eq!(
        triggered.len(),
        RULES.len(),
        "one triggered flag per secret rule"
    );
    let mut candidates: Vec<(usize, Range<usize>)> = Vec::new();
    for (index, (rule, regex)) in RULES.iter().zip(COMPILED.iter()).enumerate() {
        if !triggered.get(index).copied().unwrap_or(false) {
            continue;
        }
        for found in regex.captures_iter(text) {
            let Some(candidate) = found.name("secret").or_else(|| found.get(0)) else {
                continue;
            };
            let Some(span) = (rule.confirm)(text, candidate.range()) else {
                continue;
            };
            if span.is_empty() || !context_nearby(text, &span, rule.context) {
                continue;
            }
            candidates.push((index, span));
        }
    }
    candidates.sort_by(|(a_rule, a), (b_rule, b)| {
        RULES[*b_rule]
            .weight
            .cmp(&RULES[*a_rule].weight)
            .then(b.len().cmp(&a.len()))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<(usize, Range<usize>)> = Vec::new();
    for (index, span) in candidates {
        if !kept
            .iter()
            .any(|(_, k)| span.start < k.end && k.start < span.end)
        {
            kept.push((index, span));
        }
    }
    kept.sort_by_key(|(_, span)| span.start);
    out.extend(kept.into_iter().map(|(index, span)| Hit {
        rule: RULES[index].id,
        category: Category::LeakSecret,
        start: span.start,
        end: span.end,
        weight: RULES[index].weight,
        checksum_validated: false,
        sensitivity: Sensitivity::Secret,
        canonical: None,
    }));
}

/// [`find_secrets`] with the prefilter done here: a rule runs when one of its
/// keywords occurs in `text`, compared case-insensitively. For tests and benchmarks;
/// the service uses its single aho-corasick pass instead.
pub fn find_secrets_all(text: &str, out: &mut Vec<Hit>) {
    let lowered = text.to_ascii_lowercase();
    let triggered: Vec<bool> = RULES
        .iter()
        .map(|rule| {
            rule.keywords
                .iter()
                .any(|keyword| lowered.contains(keyword))
        })
        .collect();
    find_secrets(text, &triggered, out);
}

// ---------------------------------------------------------------------------
// measurements
// ---------------------------------------------------------------------------

/// Shannon entropy of `value` in bits per byte.
fn shannon_entropy(value: &str) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[usize::from(byte)] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let share = f64::from(count) / length;
            -share * share.log2()
        })
        .sum()
}

/// The longest run of one repeated character.
fn longest_run(value: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    let mut previous = None;
    for c in value.chars() {
        current = if previous == Some(c) { current + 1 } else { 1 };
        longest = longest.max(current);
        previous = Some(c);
    }
    longest
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `value` in base 62 (`0-9A-Za-z`), left-padded with `0` to `width` digits.
fn base62(mut value: u32, width: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(DIGITS[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

/// Decodes base64url (or standard base64) without padding; `None` on a bad char.
fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(input.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in input.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(bytes)
}

/// The longest run of consecutive ascending chars (`abcdef`, `0123`).
fn longest_sequence(value: &str) -> usize {
    let mut longest = 0;
    let mut current = 0;
    let mut previous: Option<u32> = None;
    for c in value.chars() {
        let code = u32::from(c);
        current = if previous.is_some_and(|p| p + 1 == code) {
            current + 1
        } else {
            1
        };
        longest = longest.max(current);
        previous = Some(code);
    }
    longest
}

/// Whether a token is obviously not a real one: masked (`xxxx`, `****`, `…`),
/// templated (`<token>`, `{key}`), a documentation example, one repeated char, or a
/// typed-out sequence (`abcdefgh…0123456789`).
fn is_placeholder(value: &str) -> bool {
    const MARKERS: &[&str] = &[
        "xxxx",
        "****",
        "...",
        "…",
        "<",
        ">",
        "{",
        "}",
        "${",
        "example",
        "placeholder",
        "redacted",
        "your_",
        "your-",
        "yourkey",
        "changeme",
        "dummy",
        "000000",
    ];
    let lowered = value.to_lowercase();
    MARKERS.iter().any(|marker| lowered.contains(marker))
        || longest_run(value) >= 6
        || longest_sequence(value) >= 6
}

/// Passwords too common or too generic to be a leak: documentation and jokes.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "wachtwoord",
    "wachtwoord1",
    "wachtwoord123",
    "secret",
    "secret123",
    "changeme",
    "change_me",
    "letmein",
    "welcome",
    "welcome1",
    "welcome123",
    "welkom",
    "welkom01",
    "welkom1",
    "welkom123",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "qwerty",
    "qwerty123",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "abc123",
    "test",
    "test123",
    "test1234",
    "testing",
    "guest",
    "default",
    "hunter2",
    "iloveyou",
    "monkey",
    "dragon",
    "postgres",
    "mysql",
    "username",
    "gebruikersnaam",
    "mypassword",
    "yourpassword",
    "jouwwachtwoord",
    "geheim",
    "pincode",
    "example",
];

/// `4ff728d4-6d03-74e3-ac5b-40ff0313c261`: an identifier (an order, a label, a
/// request), not a password someone chose.
fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether a value written after a password keyword looks like a real password: 6–64
/// chars, with letters and a digit (or a symbol and both cases), not a placeholder,
/// not a common password, not a URL, e-mail address, hashtag, mention or UUID.
/// A length told in words, not a value: "a 20-character passphrase", "12-cijferige code".
fn is_length_description(lowered: &str) -> bool {
    const UNITS: [&str; 12] = [
        "character",
        "characters",
        "char",
        "chars",
        "digit",
        "digits",
        "letter",
        "letters",
        "tekens",
        "karakters",
        "cijferig",
        "cijferige",
    ];
    lowered.split_once('-').is_some_and(|(count, unit)| {
        !count.is_empty()
            && count.bytes().all(|b| b.is_ascii_digit())
            && UNITS.contains(&unit.trim_end_matches(['.', ',', '!', '?']))
    })
}

fn looks_like_password(value: &str) -> bool {
    !COMMON_PASSWORDS.contains(&value.to_lowercase().as_str()) && has_password_shape(value)
}

/// A value shaped like a password, common ones included: a common password given
/// as the actual credential of an account (`gebruiker magazijn2, pass welkom01`) is
/// a leak, however weak.
fn has_password_shape(value: &str) -> bool {
    let length = value.chars().count();
    if !(6..=64).contains(&length) {
        return false;
    }
    let lowered = value.to_lowercase();
    let not_a_password = is_placeholder(value)
        || lowered.contains("://")
        || lowered.starts_with("www.")
        || (value.contains('@') && value.contains('.'))
        || value.starts_with(['$', '%', '('])
        || is_tag_or_mention(value)
        || value.contains(['(', '['])
        || is_uuid(value)
        || is_file_name(&lowered)
        || is_length_description(&lowered);
    if not_a_password {
        return false;
    }
    let has_letter = value.chars().any(char::is_alphabetic);
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let has_upper = value.chars().any(char::is_uppercase);
    let has_lower = value.chars().any(char::is_lowercase);
    let has_symbol = value.chars().any(|c| !c.is_alphanumeric());
    has_letter && (has_digit || (has_symbol && has_upper && has_lower))
}

/// `@jan_dev` or `#wachtwoord123`: a mention or a hashtag, not a password; nor is the
/// host after a URL's password (`password@localhost:5432/db`). A value that only starts
/// with the sign (`@Sx2ObSdL1z$Y`) is one.
fn is_tag_or_mention(value: &str) -> bool {
    value.strip_prefix(['#', '@']).is_some_and(|rest| {
        rest.contains([':', '/'])
            || rest
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    })
}

/// Whether a (lower-cased) value is a file name: `jaarplan-2026.pdf` is no password.
fn is_file_name(lowered: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "txt", "png", "jpg", "jpeg",
        "gif", "zip", "json", "yaml", "yml", "html", "mp4", "mov",
    ];
    lowered
        .trim_end_matches(['.', ',', ';', '!', '?'])
        .rsplit_once('.')
        .is_some_and(|(stem, extension)| !stem.is_empty() && EXTENSIONS.contains(&extension))
}

/// Whether one of `words` occurs within [`CONTEXT_RADIUS`] bytes of `span`.
fn context_nearby(text: &str, span: &Range<usize>, words: &[&str]) -> bool {
    if words.is_empty() {
        return true;
    }
    let mut from = span.start.saturating_sub(CONTEXT_RADIUS);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (span.end + CONTEXT_RADIUS).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    let window = text[from..to].to_ascii_lowercase();
    words.iter().any(|word| window.contains(word))
}

/// `span` without trailing sentence punctuation and leading quotes.
fn trim_value(text: &str, span: Range<usize>) -> Range<usize> {
    let value = &text[span.clone()];
    let trimmed_end =
        value.trim_end_matches(['.', ',', ';', ':', ')', '"', '\'', '?', '`', '”', '’', '»']);
    let trimmed = trimmed_end.trim_start_matches(['"', '\'', '`', '“', '‘', '«', '(', '[']);
    let start = span.start + (trimmed_end.len() - trimmed.len());
    start..start + trimmed.len()
}

// ---------------------------------------------------------------------------
// confirm steps
// ---------------------------------------------------------------------------

/// A prefixed token: not a placeholder and random enough (≥ 3 bits per char).
fn random_token(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let token = &text[span.clone()];
    (!is_placeholder(token) && shannon_entropy(token) >= 3.0).then_some(span)
}

/// A key without a prefix: upper and lower case and digits, ≥ 3.5 bits per char.
fn mixed_random(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let token = &text[span.clone()];
    let upper = token.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = token.bytes().filter(u8::is_ascii_lowercase).count();
    // Random base-62 may have no digit at all (one in two hundred 30-character keys);
    // then the case must be mixed as chance mixes it, about half and half, where
    // camel-cased words have a capital now and then (`live_StreamingConfigName`).
    let balanced = || {
        let share = upper as f64 / (upper + lower) as f64;
        (0.3..=0.7).contains(&share)
    };
    let mixed = upper > 0 && lower > 0 && (token.bytes().any(|b| b.is_ascii_digit()) || balanced());
    (mixed && !is_placeholder(token) && shannon_entropy(token) >= 3.5).then_some(span)
}

/// A key without a vendor prefix after `sk-`: mixed case and digits at ≥ 3.5 bits per
/// char, or lower-case hex at ≥ 3 bits per char.
fn mixed_or_hex_random(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let body = &text[span.start + 3..span.end];
    let hex = body
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex {
        let real = !is_placeholder(body)
            && body.bytes().any(|b| b.is_ascii_digit())
            && shannon_entropy(body) >= 3.0;
        return real.then_some(span);
    }
    mixed_random(text, span.start + 3..span.end).map(|_| span)
}

/// HTTP basic credentials: the base64 value decodes to printable `user:password`
/// with a password that is not a placeholder or a textbook example.
fn basic_credentials(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let decoded = base64url_decode(&text[span.clone()])?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    let printable = decoded.chars().all(|c| !c.is_control());
    let lowered = password.to_lowercase();
    let real = printable
        && !user.is_empty()
        && password.chars().count() >= 4
        && !is_placeholder(password)
        && !COMMON_PASSWORDS.contains(&lowered.as_str())
        && !["pass", "pwd", "user", "secret"].contains(&lowered.as_str());
    real.then_some(span)
}

/// AWS key id: the 16 chars after `AKIA` must be random, not `XXXX…` or `…EXAMPLE`.
fn aws_key_id(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let body = &text[span.start + 4..span.end];
    (!is_placeholder(body) && shannon_entropy(body) >= 3.0).then_some(span)
}

/// AWS secret access key: 40 chars of base64 with both cases and digits, ≥ 4 bits per
/// char (a 40-char git SHA has at most 4).
fn aws_secret(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let key = &text[span.clone()];
    let mixed = key.bytes().any(|b| b.is_ascii_uppercase())
        && key.bytes().any(|b| b.is_ascii_lowercase())
        && key.bytes().any(|b| b.is_ascii_digit());
    (mixed && !is_placeholder(key) && shannon_entropy(key) > 4.0).then_some(span)
}

/// GitHub classic tokens: `prefix_` + 30 random chars + the CRC32 of those 30 chars
/// in base 62 (6 chars). A random 36-char string passes with odds of 1 in 56 billion.
fn github_checksum(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let token = &text[span.clone()];
    let random_part = token.get(4..34)?;
    let checksum = token.get(34..40)?;
    (base62(crc32(random_part.as_bytes()), 6) == checksum).then_some(span)
}

/// Discord bot token: its first part decodes to the bot's id, 17–20 digits, and the
/// rest is random.
fn discord_token(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let id = base64url_decode(text[span.clone()].split('.').next()?)?;
    let id_ok = (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit);
    if id_ok {
        random_token(text, span)
    } else {
        None
    }
}

/// JWT: the header decodes to a JSON object with `"alg"`, the payload to an object.
fn jwt(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let token = &text[span.clone()];
    let mut parts = token.split('.');
    let header = base64url_decode(parts.next()?)?;
    let payload = base64url_decode(parts.next()?)?;
    let header = String::from_utf8_lossy(&header);
    let header_ok = header.trim_start().starts_with('{') && header.contains("\"alg\"");
    let payload_ok = payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    (header_ok && payload_ok && !is_sample_claims(&payload)).then_some(span)
}

/// Claims of a documentation sample token, not of a real session: a subject counted
/// out (`"sub": "1234567890"`, jwt.io's example) or the textbook person `John Doe`.
fn is_sample_claims(payload: &[u8]) -> bool {
    let lowered = String::from_utf8_lossy(payload).to_lowercase();
    // Only the subject is counted out: a timestamp (`"iat": 1781234567`) runs digits
    // in order by chance.
    let counted_subject = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|claims| {
            claims
                .get("sub")
                .and_then(serde_json::Value::as_str)
                .map(|subject| longest_sequence(subject) >= 6)
        })
        .unwrap_or(false);
    counted_subject
        || ["john doe", "jane doe"]
            .iter()
            .any(|name| lowered.contains(name))
}

/// PEM armour headers (`Proc-Type: 4,ENCRYPTED`, `Version: …`) inside a key body.
static ARMOUR_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z][A-Za-z\-]{1,30}:[^\n]*").expect("valid armour header pattern")
});

/// The base64 body after a `-----BEGIN … PRIVATE KEY-----` header at `from`, up to
/// the END line or the first char that cannot be part of it (a truncated paste).
/// Escaped newlines (`\n` in JSON) are accepted. Returns the body span when it holds
/// at least 20 base64 chars that are not all alike.
fn key_body_after(text: &str, from: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = from;
    let mut line_start = true;
    let mut first: Option<usize> = None;
    let mut last = from;
    let mut body = String::new();
    while at < bytes.len() {
        let byte = bytes[at];
        if line_start && byte.is_ascii_alphabetic() {
            if let Some(header) = ARMOUR_HEADER.find(&text[at..]) {
                at += header.end();
                continue;
            }
        }
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => {
                first.get_or_insert(at);
                last = at + 1;
                body.push(char::from(byte));
                line_start = false;
                at += 1;
            }
            b'\\' if matches!(bytes.get(at + 1), Some(b'n' | b'r')) => {
                line_start = true;
                at += 2;
            }
            b'\n' | b'\r' => {
                line_start = true;
                at += 1;
            }
            b' ' | b'\t' => at += 1,
            _ => break,
        }
    }
    let first = first?;
    let substantial = body.len() >= 20 && shannon_entropy(&body) >= 3.0;
    substantial.then_some(first..last)
}

/// A private key: the span moves from the header to the key body after it.
fn private_key_body(text: &str, header: Range<usize>) -> Option<Range<usize>> {
    key_body_after(text, header.end)
}

/// A service-account JSON `private_key` value: the PEM in it must have a body.
fn key_material(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let value = &text[span.clone()];
    let header_end = value.find("KEY-----")? + "KEY-----".len();
    key_body_after(text, span.start + header_end).map(|_| span)
}

/// A password in a connection URL: not a placeholder or a textbook example.
fn url_password(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let password = &text[span.clone()];
    let lowered = password.to_lowercase();
    let real = password.chars().count() >= 4
        && !is_placeholder(password)
        && !COMMON_PASSWORDS.contains(&lowered.as_str())
        && !["pass", "pwd", "user", "secret", "xxx"].contains(&lowered.as_str())
        && !password.starts_with(['$', '%', '[', '(']);
    real.then_some(span)
}

/// A value that is a password by its shape alone (see [`looks_like_strong_password`]).
fn strong_value(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let span = trim_value(text, span);
    looks_like_strong_password(&text[span.clone()]).then_some(span)
}

/// The value of a `password=` / `pwd:` assignment.
fn password_value(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let span = trim_value(text, span);
    looks_like_password(&text[span.clone()]).then_some(span)
}

/// The password of a `login: user / password` pair.
fn login_password(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let span = trim_value(text, span);
    let value = &text[span.clone()];
    (!value.contains('/') && looks_like_password(value)).then_some(span)
}

/// Words that link a password keyword to its value: `wachtwoord is …`, `pw: …`.
fn is_linker(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        ":" | "="
            | "-"
            | "–"
            | "—"
            | "=>"
            | "->"
            | "→"
            | "is"
            | "is:"
            | "was"
            | "was:"
            | "wordt"
            | "luidt"
            | "blijft"
            | "remains"
            | "becomes"
            | "staat"
    )
}

/// A password written in prose after its keyword (`span`), on the same line:
/// right after it (`wachtwoord Bakfiets1987`, `pw: …`), or after a linking word a
/// few words on (`het wachtwoord van de laptops is …`, `wachtwoord kassa: …`). The
/// value must look like a password, so `wachtwoord vergeten` and `password reset`
/// stay quiet.
fn prose_password(text: &str, keyword: Range<usize>) -> Option<Range<usize>> {
    const MAX_WORDS_BEFORE_LINKER: usize = 7;
    let mut line_end = text[keyword.end..]
        .find('\n')
        .map_or(text.len(), |offset| keyword.end + offset);
    // A line that asks for it (`wie weet het wachtwoord van de tablet?`) may be
    // answered on the next one: the search for a strong value goes on there.
    if text[keyword.end..line_end].trim_end().ends_with('?') && line_end < text.len() {
        line_end = text[line_end + 1..]
            .find('\n')
            .map_or(text.len(), |offset| line_end + 1 + offset);
    }
    let mut window_end = line_end.min(keyword.end + 160);
    while !text.is_char_boundary(window_end) {
        window_end -= 1;
    }
    let words: Vec<Range<usize>> = text[keyword.end..window_end]
        .split_whitespace()
        .map(|word| {
            let start = word.as_ptr() as usize - text.as_ptr() as usize;
            start..start + word.len()
        })
        .collect();
    let word = |range: &Range<usize>| &text[range.clone()];
    let paired = follows_a_user_name(text, keyword.start);
    let candidate = |range: &Range<usize>| {
        let span = trim_value(text, range.clone());
        let value = &text[span.clone()];
        let shaped = if paired {
            has_password_shape(value)
        } else {
            looks_like_password(value)
        };
        shaped.then_some(span)
    };

    // `WW-RES-745031`, `pw-fabriek`: the keyword is the start of a longer token.
    let mut rest = text[keyword.end..].chars();
    if matches!(rest.next(), Some('-' | '_' | '.'))
        && rest.next().is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    let first = words.first()?;
    let keyword_word = text[keyword.clone()].to_ascii_lowercase();
    if keyword_word == "code" && names_a_public_code(text, keyword.start) {
        return None;
    }
    // Spelled out a few words on, in the keyword's sentence: `wachtwoord van de jumphost
    // is nog steeds W i n t e r 2 0 2 6 !`.
    for (index, range) in words.iter().enumerate().take(MAX_WORDS_TO_STRONG_VALUE) {
        if let Some(spelled) = spelled_out_password(text, &words[index..]) {
            return Some(spelled);
        }
        if word(range).ends_with(['.', ',', '?', '!', ';']) {
            break;
        }
    }
    if (WEAK_PASSWORD_KEYWORDS.contains(&keyword_word.as_str()) || in_a_game(text, keyword.start))
        && !paired
    {
        // `pass`, `code`, `login` are everyday words: only a strong value counts. So
        // in a puzzle or game: "het eindwachtwoord van de escape room was 'krijtje'".
        return strong_in_sentence(text, &words);
    }
    let direct = if is_linker(word(first)) {
        words.get(1).and_then(candidate)
    } else {
        let glued = word(first).trim_start_matches([':', '=']);
        candidate(&(first.end - glued.len()..first.end))
    };
    if direct.is_some() {
        return direct;
    }
    for (index, range) in words.iter().enumerate().take(MAX_WORDS_BEFORE_LINKER) {
        let current = word(range);
        let links = is_linker(current) || (current.len() > 1 && current.ends_with(':'));
        if links {
            if let Some(found) = words.get(index + 1).and_then(candidate) {
                return Some(found);
            }
        }
        if current.ends_with(['.', ',', '?', '!', ';']) {
            break;
        }
    }
    strong_in_sentence(text, &words)
}

/// The fewest single characters in a row that spell out a value (`w e l k o m 0 1`).
const MIN_SPELLED_OUT: usize = 6;

/// A password spelled out one character at a time right after its keyword, to slip
/// past filters: `pass is w e l k o m 0 1 (zonder spaties)`. The effort to hide it
/// marks it as real, so a common password counts too. The finding covers the whole
/// spelled-out run, so redaction hides every character of it.
fn spelled_out_password(text: &str, words: &[Range<usize>]) -> Option<Range<usize>> {
    let run: Vec<&Range<usize>> = words
        .iter()
        .take_while(|range| {
            let mut chars = text[(*range).clone()].chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphanumeric() || "!@#$%&*_-".contains(c))
                && chars.next().is_none()
        })
        .collect();
    if run.len() < MIN_SPELLED_OUT {
        return None;
    }
    let joined: String = run.iter().map(|range| &text[(*range).clone()]).collect();
    let span = run[0].start..run[run.len() - 1].end;
    has_password_shape(&joined).then_some(span)
}

/// Whether a user name was just given on the same line before a password keyword
/// at `at` (`gebruiker magazijn2, pass is …`, `user: ops / pw …`): then even an
/// everyday keyword like `pass` introduces a password.
fn follows_a_user_name(text: &str, at: usize) -> bool {
    const USER_WORDS: &[&str] = &[
        "user",
        "username",
        "gebruiker",
        "gebruikersnaam",
        "login",
        "inlog",
        "inlognaam",
        "account",
        "usr",
    ];
    const MAX_WORDS_BACK: usize = 5;
    let line_start = text[..at].rfind('\n').map_or(0, |offset| offset + 1);
    let before: Vec<String> = text[line_start..at]
        .split_whitespace()
        .rev()
        .take(MAX_WORDS_BACK)
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    // The user word and, after it, a name: "gebruiker magazijn2," read backwards.
    before
        .iter()
        .enumerate()
        .skip(1)
        .any(|(index, word)| USER_WORDS.contains(&word.as_str()) && !before[index - 1].is_empty())
}

/// Password keywords that are also everyday words (`boarding pass`, `code red`,
/// `login page`): after them only a strong, password-shaped value counts.
const WEAK_PASSWORD_KEYWORDS: &[&str] =
    &["pass", "code", "pincode", "toegangscode", "login", "inlog"];

/// Whether the text before `at` (up to 120 bytes) is about a puzzle or a game, where
/// a password is the answer to a riddle, not a credential.
fn in_a_game(text: &str, at: usize) -> bool {
    const GAMES: &[&str] = &[
        "escape room",
        "escaperoom",
        "puzzel",
        "puzzle",
        "raadsel",
        "riddle",
        "speurtocht",
        "scavenger hunt",
        "treasure hunt",
        "schattenjacht",
        "quiz",
    ];
    let mut from = at.saturating_sub(120);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = text[from..at].to_lowercase();
    GAMES.iter().any(|game| before.contains(game))
}

/// Whether the word before `code` (at `at`) makes it a code meant to be shared:
/// `promo code`, `discount code`, `tracking code`, `error code`.
fn names_a_public_code(text: &str, at: usize) -> bool {
    const PUBLIC: &[&str] = &[
        "promo",
        "promotion",
        "promotional",
        "discount",
        "coupon",
        "voucher",
        "gift",
        "referral",
        "invite",
        "tracking",
        "track",
        "order",
        "error",
        "fout",
        "postal",
        "post",
        "source",
        "qr",
        "actie",
        "kortings",
        "cadeau",
        "bestel",
    ];
    text[..at]
        .split_whitespace()
        .next_back()
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .is_some_and(|word| PUBLIC.contains(&word.as_str()))
}

/// How many words after a password keyword a strong value may sit, in its sentence
/// or the next: `wie had het nieuwe wachtwoord?? gevonden in de groepsapp: …`.
const MAX_WORDS_TO_STRONG_VALUE: usize = 20;

/// The first strong, password-shaped word (see [`looks_like_strong_password`]) among
/// the first words after a keyword, in its sentence or the next: `het wachtwoord van
/// het gedeelde account is sinds vandaag <value>`, `nieuwe = <value>`, `wachtwoord
/// veranderd?? het was altijd <value>`. In the next sentence the value needs a
/// symbol other than a hyphen or a dot, as chosen passwords have and model names
/// (`X-Pro-2024`) do not.
fn strong_in_sentence(text: &str, words: &[Range<usize>]) -> Option<Range<usize>> {
    let mut sentence_ends = 0;
    for range in words.iter().take(MAX_WORDS_TO_STRONG_VALUE) {
        let span = trim_value(text, range.clone());
        let value = &text[span.clone()];
        let special = || {
            value
                .chars()
                .any(|c| !c.is_alphanumeric() && !matches!(c, '-' | '.' | '_'))
        };
        if looks_like_strong_password(value) && (sentence_ends == 0 || special()) {
            return Some(span);
        }
        if text[range.clone()].ends_with(['.', '?', '!', ';']) {
            sentence_ends += 1;
            if sentence_ends == 2 {
                break;
            }
        }
    }
    None
}

/// A value that is a password by its shape alone: 8–64 chars, at least three of
/// lower case, upper case, digit and symbol, with a letter and a digit or symbol;
/// not a placeholder, common password, URL, e-mail address, path, host name,
/// hashtag or mention.
fn looks_like_strong_password(value: &str) -> bool {
    let length = value.chars().count();
    if !(8..=64).contains(&length) || !looks_like_password(value) {
        return false;
    }
    let has_upper = value.chars().any(char::is_uppercase);
    let has_lower = value.chars().any(char::is_lowercase);
    let has_digit = value.chars().any(|c| c.is_ascii_digit());
    let has_symbol = value.chars().any(|c| !c.is_alphanumeric());
    let classes = [has_upper, has_lower, has_digit, has_symbol]
        .iter()
        .filter(|present| **present)
        .count();
    let host_or_path = value.contains('/')
        || value.contains('\\')
        || (!has_upper && value.trim_end_matches('.').contains('.'));
    let money_or_time = value.starts_with(['€', '$', '£']) || value.contains('€');
    // `Zephyr-cadeaukaart`, `Noord-Holland`, `McDonald's`: words, not a password.
    let hyphenated_words = !has_digit
        && value
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'));
    // `Kloofhout!` ending a sentence: a word and a stop, no digit to make it a password.
    let word_and_stop = !has_digit
        && value
            .strip_suffix(['!', '?', '.'])
            .is_some_and(|word| word.chars().all(char::is_alphabetic));
    // `11-proof`, `24-hour`, `5-star`: a number and a word joined, not a password.
    let number_word = value.split_once('-').is_some_and(|(left, right)| {
        let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
        let word = |part: &str| !part.is_empty() && part.chars().all(char::is_lowercase);
        (digits(left) && word(right)) || (word(left) && digits(right))
    });
    // Without a lower-case letter it reads as a code or reference (`ZOMER-2026`,
    // `ZE-2026-104233`), not a password written in prose.
    classes >= 3
        && has_lower
        && !host_or_path
        && !money_or_time
        && !hyphenated_words
        && !word_and_stop
        && !number_word
}

/// A generic key or token value: at least 16 chars with a digit, random enough
/// (≥ 3 bits per char for hex, ≥ 3.5 otherwise), not a placeholder.
fn generic_secret(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let span = trim_value(text, span);
    let value = &text[span.clone()];
    // A public or publishable key (`public_key=`, `public key is …`, `pk_live_…`) is
    // meant to be seen. Only the key's own name counts: "left this in a public gist:
    // api_key=…" is no public key.
    let mut name_start = span.start.saturating_sub(32);
    while !text.is_char_boundary(name_start) {
        name_start -= 1;
    }
    let line_start = text[..span.start].rfind('\n').map_or(0, |at| at + 1);
    let lead = text[name_start.max(line_start)..span.start].to_ascii_lowercase();
    let lead = lead.trim_end_matches(|c: char| c.is_whitespace() || "=:'\"`".contains(c));
    let lead = lead.strip_suffix(" is").unwrap_or(lead);
    let name: Vec<&str> = lead.split_whitespace().rev().take(2).collect();
    let public = name
        .iter()
        .any(|word| word.contains("public") || word.contains("publishable"));
    if public || value.starts_with("pk_") {
        return None;
    }
    // A documentation sample JSON Web Token (jwt.io's) after `token:` or `Bearer` is no
    // more a secret than it is alone; a token cut short stays a secret.
    let sample_jwt = value.starts_with("eyJ")
        && value
            .split('.')
            .nth(1)
            .and_then(base64url_decode)
            .is_some_and(|payload| is_sample_claims(&payload));
    // A value that runs into a template's slot is part of the template:
    // `Bearer eyJhbGciOiJIUzI1NiJ9.<payload>.<signature>`.
    let into_slot = text[span.end..]
        .trim_start_matches(['.', '-', '_'])
        .starts_with(['<', '{']);
    if sample_jwt || into_slot {
        return None;
    }
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    let threshold = if hex { 3.0 } else { 3.5 };
    let real = value.len() >= 16
        && value.bytes().any(|b| b.is_ascii_digit())
        && !is_placeholder(value)
        && shannon_entropy(value) >= threshold;
    real.then_some(span)
}

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random chars, so fixtures are not real-looking literals
    /// in the source (secret scanners on push would flag those).
    fn random_chars(alphabet: &str, count: usize, seed: u64) -> String {
        let alphabet: Vec<char> = alphabet.chars().collect();
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (0..count)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                alphabet[((state >> 33) % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &str = "0123456789abcdef";
    const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn alnum(count: usize, seed: u64) -> String {
        random_chars(ALNUM, count, seed)
    }

    fn hex(count: usize, seed: u64) -> String {
        random_chars(HEX, count, seed)
    }

    fn github_token(prefix: &str, seed: u64) -> String {
        let body = alnum(30, seed);
        let check = base62(crc32(body.as_bytes()), 6);
        format!("{prefix}{body}{check}")
    }

    fn base64url(bytes: &[u8]) -> String {
        let alphabet: Vec<char> = URLSAFE.chars().collect();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let buffer = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(alphabet[((buffer >> (18 - 6 * i)) & 63) as usize]);
            }
        }
        out
    }

    fn secrets(text: &str) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        find_secrets_all(text, &mut out);
        out.into_iter()
            .map(|hit| (hit.rule, text[hit.start..hit.end].to_owned()))
            .collect()
    }

    /// (text, rule, the secret value the hit must cover).
    fn positives() -> Vec<(String, &'static str, String)> {
        let mut cases = Vec::new();
        let mut add = |text: String, rule: &'static str, value: String| {
            cases.push((text, rule, value));
        };
        let aws_id = format!("{}{}", "AK", "IA") + &random_chars(BASE32, 16, 1);
        let aws_secret = random_chars(BASE64, 40, 2);
        add(
            format!("AWS_ACCESS_KEY_ID={aws_id}"),
            "secret.aws_access_key_id",
            aws_id.clone(),
        );
        add(
            format!("AWS_SECRET_ACCESS_KEY={aws_secret}\n"),
            "secret.aws_secret_access_key",
            aws_secret.clone(),
        );
        add(
            format!("key pair: {aws_id} / {aws_secret}."),
            "secret.aws_secret_access_key",
            aws_secret,
        );
        let google = format!("AI{}Sy", "za") + &random_chars(URLSAFE, 33, 3);
        add(
            format!("maps key {google} in the JS"),
            "secret.gcp_api_key",
            google.clone(),
        );
        let oauth = format!("GOCSPX-{}", random_chars(URLSAFE, 28, 4));
        add(
            format!("client secret {oauth}"),
            "secret.google_oauth_client_secret",
            oauth.clone(),
        );
        let account_key = random_chars(BASE64, 86, 5) + "==";
        add(
            format!(
                "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={account_key};EndpointSuffix=core.windows.net"
            ),
            "secret.azure_storage_account_key",
            account_key,
        );
        let sig = random_chars(ALNUM, 43, 6) + "%3D";
        add(
            format!("https://shop.blob.core.windows.net/x?sv=2022-11-02&sp=r&sig={sig}"),
            "secret.azure_sas_token",
            sig,
        );
        for (prefix, rule) in [
            ("ghp_", "secret.github_pat"),
            ("gho_", "secret.github_oauth_token"),
            ("ghu_", "secret.github_user_to_server_token"),
            ("ghs_", "secret.github_server_to_server_token"),
        ] {
            let token = github_token(prefix, 7);
            add(format!("Authorization: token {token} works"), rule, token);
        }
        let prefixed_cases: Vec<(String, &'static str)> = vec![
            (
                format!("github_pat_{}_{}", alnum(22, 8), alnum(59, 9)),
                "secret.github_fine_grained_pat",
            ),
            (
                format!("glpat-{}", random_chars(URLSAFE, 20, 10)),
                "secret.gitlab_pat",
            ),
            (format!("npm_{}", alnum(36, 11)), "secret.npm_token"),
            (
                format!("pypi-AgEIcHlwaS5vcmc{}", random_chars(URLSAFE, 60, 12)),
                "secret.pypi_token",
            ),
            (
                format!("dckr_pat_{}", random_chars(URLSAFE, 27, 13)),
                "secret.dockerhub_pat",
            ),
            (
                format!(
                    "xox{}-{}-{}-{}",
                    "b",
                    679_170_928_876_u64,
                    2_587_632_217_173_u64,
                    alnum(24, 14)
                ),
                "secret.slack_bot_token",
            ),
            (
                format!(
                    "xox{}-{}-{}-{}-{}",
                    "p",
                    1_834_067_290,
                    2_945_618_701_u64,
                    3_156_729_482_u64,
                    hex(32, 15)
                ),
                "secret.slack_user_token",
            ),
            (
                format!(
                    "xapp-1-A0{}-{}-{}",
                    "7KQ3ZRWX",
                    4_967_810_423_u64,
                    hex(64, 16)
                ),
                "secret.slack_app_token",
            ),
            (
                format!(
                    "SG.{}.{}",
                    random_chars(URLSAFE, 22, 17),
                    random_chars(URLSAFE, 43, 18)
                ),
                "secret.sendgrid_api_key",
            ),
            (format!("key-{}", hex(32, 19)), "secret.mailgun_api_key"),
            (format!("{}-us14", hex(32, 20)), "secret.mailchimp_api_key"),
            (
                format!("{}_live_{}", "sk", alnum(24, 21)),
                "secret.stripe_secret_key",
            ),
            (
                format!("{}_live_{}", "rk", alnum(24, 22)),
                "secret.stripe_restricted_key",
            ),
            (
                format!("whsec_{}", alnum(32, 23)),
                "secret.stripe_webhook_secret",
            ),
            (
                format!("sq0atp-{}", random_chars(URLSAFE, 22, 24)),
                "secret.square_access_token",
            ),
            (
                format!("sq0csp-{}", random_chars(URLSAFE, 43, 25)),
                "secret.square_oauth_secret",
            ),
            (
                format!(
                    "access_token$production${}${}",
                    random_chars("abcdefghijklmnopqrstuvwxyz0123456789", 16, 26),
                    hex(32, 27)
                ),
                "secret.braintree_access_token",
            ),
            (
                format!("shpat_{}", hex(32, 28)),
                "secret.shopify_access_token",
            ),
            (
                format!("shpss_{}", hex(32, 29)),
                "secret.shopify_shared_secret",
            ),
            (
                format!("sk-proj-{}", random_chars(URLSAFE, 48, 30)),
                "secret.openai_api_key",
            ),
            (
                format!("sk-{}T3Blbk{}{}", alnum(20, 31), "FJ", alnum(20, 32)),
                "secret.openai_api_key",
            ),
            (
                format!("sk-ant-api03-{}", random_chars(URLSAFE, 90, 33)),
                "secret.anthropic_api_key",
            ),
            (
                format!(
                    "hf_{}",
                    random_chars(
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                        34,
                        34
                    )
                ),
                "secret.huggingface_token",
            ),
            (format!("r8_{}", alnum(37, 35)), "secret.replicate_token"),
            (format!("gsk_{}", alnum(52, 36)), "secret.groq_api_key"),
            (
                format!(
                    "NRAK-{}",
                    random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 27, 37)
                ),
                "secret.newrelic_key",
            ),
            (
                format!("dop_v1_{}", hex(64, 38)),
                "secret.digitalocean_token",
            ),
            (format!("dapi{}", hex(32, 39)), "secret.databricks_token"),
            (
                format!("hvs.{}", random_chars(URLSAFE, 90, 40)),
                "secret.vault_token",
            ),
            (format!("pul-{}", hex(40, 41)), "secret.pulumi_token"),
            (format!("dp.pt.{}", alnum(43, 57)), "secret.doppler_token"),
            (
                format!("xox{}-2-{}", "a", alnum(40, 58)),
                "secret.slack_legacy_token",
            ),
            (
                format!("PMAK-{}-{}", hex(24, 42), hex(34, 43)),
                "secret.postman_api_key",
            ),
            (
                format!("glsa_{}_{}", alnum(32, 44), hex(8, 45)),
                "secret.grafana_token",
            ),
            (
                format!("lin_api_{}", alnum(40, 46)),
                "secret.linear_api_key",
            ),
            (
                format!("figd_{}", random_chars(URLSAFE, 40, 47)),
                "secret.figma_token",
            ),
            (format!("sbp_{}", hex(40, 48)), "secret.supabase_token"),
            (
                format!("ATBB{}", alnum(32, 49)),
                "secret.bitbucket_app_password",
            ),
            (
                format!("ATATT3{}", random_chars(URLSAFE, 180, 50)),
                "secret.atlassian_api_token",
            ),
            (
                format!("sntrys_{}", alnum(60, 51)),
                "secret.sentry_auth_token",
            ),
            (format!("live_{}", alnum(30, 52)), "secret.mollie_api_key"),
            // no digit, as one random key in two hundred
            (
                "live_fuFAsIldaXYSKsJyOMEvbLpLQIffFS".to_owned(),
                "secret.mollie_api_key",
            ),
            (
                format!("AQE{}", random_chars(BASE64, 100, 53)),
                "secret.adyen_api_key",
            ),
            (
                format!(
                    "{}Q~{}",
                    "a1b2",
                    random_chars(URLSAFE, 34, 54).replace('-', "~")
                ),
                "secret.azure_ad_client_secret",
            ),
            (
                format!("ya29.{}", random_chars(URLSAFE, 60, 55)),
                "secret.google_oauth_access_token",
            ),
            (
                format!(
                    "{}:AA{}",
                    1_834_067_290,
                    random_chars(URLSAFE, 33, 56).replace(['-', '_'], "x")
                ),
                "secret.telegram_bot_token",
            ),
        ];
        for (token, rule) in prefixed_cases {
            add(format!("here it is: {token} (pls rotate)"), rule, token);
        }
        let hook = format!(
            "T{}/B{}/{}",
            random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8, 60),
            random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10, 61),
            alnum(24, 62)
        );
        add(
            format!("webhook https://hooks.slack.com/services/{hook} thanks"),
            "secret.slack_webhook",
            hook,
        );
        let discord = format!(
            "{}/{}",
            193_456_729_012_845_678_u64,
            random_chars(URLSAFE, 68, 63)
        );
        add(
            format!("https://discord.com/api/webhooks/{discord}"),
            "secret.discord_webhook",
            discord,
        );
        // The first part is a bot id in base64: "1301913875352463604".
        let bot = format!(
            "MTMwMTkxMzg3NTM1MjQ2MzYwNA.{}.{}",
            random_chars(URLSAFE, 6, 65),
            random_chars(URLSAFE, 38, 66)
        )
        .replace(['-', '_'], "q");
        add(
            format!("discord bot token {bot} lol"),
            "secret.discord_bot_token",
            bot,
        );
        let twilio_key = format!("SK{}", hex(32, 67));
        add(
            format!("twilio key {twilio_key}"),
            "secret.twilio_api_key",
            twilio_key,
        );
        let twilio_sid = format!("AC{}", hex(32, 68));
        add(
            format!("Twilio account {twilio_sid}"),
            "secret.twilio_account_sid",
            twilio_sid,
        );
        let datadog = hex(32, 69);
        add(
            format!("DD_API_KEY={datadog}"),
            "secret.datadog_api_key",
            datadog,
        );
        let heroku = format!(
            "{}-{}-4{}-a{}-{}",
            hex(8, 70),
            hex(4, 71),
            hex(3, 72),
            hex(3, 73),
            hex(12, 74)
        );
        add(
            format!("heroku api key: {heroku}"),
            "secret.heroku_api_key",
            heroku,
        );
        let steam = hex(32, 181).to_uppercase();
        add(
            format!("stats bot uses steam web api key {steam} , rotate later"),
            "secret.steam_web_api_key",
            steam,
        );
        let kube = format!("LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t{}", alnum(60, 182));
        add(
            format!("users:\n- name: jb\n  user:\n    client-key-data: {kube}\n"),
            "secret.kubeconfig_client_key",
            kube,
        );
        let atlassian = alnum(24, 75);
        add(
            format!("jira api token: {atlassian}"),
            "secret.atlassian_api_token_legacy",
            atlassian,
        );
        let cohere = alnum(40, 76);
        add(
            format!("cohere api key = {cohere}"),
            "secret.cohere_api_key",
            cohere,
        );
        let dsn_key = hex(32, 77);
        add(
            format!("SENTRY_DSN=https://{dsn_key}@o123456.ingest.sentry.io/4504"),
            "secret.sentry_dsn",
            dsn_key,
        );
        let age = format!(
            "AGE-SECRET-KEY-1{}",
            random_chars("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 78)
        );
        add(format!("age key {age}"), "secret.age_secret_key", age);
        let body = format!("MIIEpAIBAAKCAQEA{}", random_chars(BASE64, 120, 79));
        add(
            format!(
                "oude sleutel:\n-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
                &body[..64],
                &body[64..]
            ),
            "secret.private_key",
            format!("{}\n{}", &body[..64], &body[64..]),
        );
        add(
            format!(
                "truncated: -----BEGIN OPENSSH PRIVATE KEY-----\n{}",
                &body[..40]
            ),
            "secret.private_key",
            body[..40].to_owned(),
        );
        let json_key = format!(
            "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
            &body[..64]
        );
        add(
            format!(
                r#"{{"type": "service_account", "private_key": "{json_key}", "client_email": "x"}}"#
            ),
            "secret.gcp_service_account_key",
            json_key,
        );
        let jwt = format!(
            "{}.{}.{}",
            base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            base64url(br#"{"sub":"cust_259426","role":"customer"}"#),
            random_chars(URLSAFE, 43, 80)
        );
        add(format!("debug pls: {jwt} expired?"), "secret.jwt", jwt);
        // an issue time that runs digits in order (`1781234567`) is no sample token
        let jwt = format!(
            "{}.{}.{}",
            base64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            base64url(br#"{"sub":"usr_4883430","iat":1781234567}"#),
            random_chars(URLSAFE, 43, 81)
        );
        add(format!("401 op deze: {jwt}"), "secret.jwt", jwt);
        for (url, rule, password) in [
            (
                "postgres://shop_admin:Vtgf90!wiqtb@db01.local:5432/orders",
                "secret.postgres_url",
                "Vtgf90!wiqtb",
            ),
            (
                "mysql://app:Kq8#vLm2xQ@10.0.0.5/shop",
                "secret.mysql_url",
                "Kq8#vLm2xQ",
            ),
            (
                "mongodb+srv://loyalty:Yyeh71~AkvbU@cluster0.mongodb.net/x",
                "secret.mongodb_url",
                "Yyeh71~AkvbU",
            ),
            (
                "rediss://:s3cr3tR3dis99@cache:6380/0",
                "secret.redis_url",
                "s3cr3tR3dis99",
            ),
            (
                "amqps://svc:Rabbit-7781x@mq.local/vhost",
                "secret.amqp_url",
                "Rabbit-7781x",
            ),
            (
                "sqlserver://sa:Str0ng!Pass@db:1433",
                "secret.mssql_url",
                "Str0ng!Pass",
            ),
            (
                "jdbc:oracle:thin:@db:1521/x;user=app;password=Tiger2026x",
                "secret.jdbc_password",
                "Tiger2026x",
            ),
            (
                "https://deploy:Gh7-ksP2qz@repo.example.nl/pkg",
                "secret.url_credentials",
                "Gh7-ksP2qz",
            ),
        ] {
            add(
                format!("DSN: {url} for local testing"),
                rule,
                password.to_owned(),
            );
        }
        for (text, rule, password) in [
            // A strong value in the sentence after the keyword's, in brackets, after
            // a leet keyword; credentials in any URL scheme; a login ending in `…:`.
            (
                "wie had het nieuwe p4ssw00rd van de tablets?? gevonden in de groepsapp: Pwhwb62*MBKM",
                "secret.password_prose",
                "Pwhwb62*MBKM",
            ),
            (
                "het vpn-wachtwoord gewoon op een post-it (Etygn&902Syl4) #dag1",
                "secret.password_prose",
                "Etygn&902Syl4",
            ),
            (
                "de test-broker is mqtts://fleet_dev:Fiets96%xtVlME@mqtt.example.nl:8883",
                "secret.url_credentials",
                "Fiets96%xtVlME",
            ),
            (
                "login van het gedeelde account hangt op een post-it: socialdesk / Rzmpq464#roiD",
                "secret.login_credentials",
                "Rzmpq464#roiD",
            ),
            (
                "wifi voor de crewruimte is veranderd: ZD-Staff / Kassa61%Brrp (NIET delen!!)",
                "secret.credential_pair",
                "Kassa61%Brrp",
            ),
            (
                "ww van de kantine-wifi én van het systeem op depot Noord is gewoon hetzelfde: Spoor88#unqc",
                "secret.password_prose",
                "Spoor88#unqc",
            ),
            (
                "wie weet het wachtwoord van de tablet in de bus?\no wacht het is Zeepsop25!0DtF",
                "secret.password_prose",
                "Zeepsop25!0DtF",
            ),
            (
                "wachtwoord van de jumphost is nog steeds W i n t e r 2 0 2 6 ! wie bedacht dat",
                "secret.password_prose",
                "W i n t e r 2 0 2 6 !",
            ),
            (
                "someone left this in a public gist lmao\napi_key=d9f4d1bfd2af5062f229b3996d3e8944",
                "secret.generic_api_key",
                "d9f4d1bfd2af5062f229b3996d3e8944",
            ),
            (
                "$smtpPass = 'ul4!UVTlLnZVgw'",
                "secret.password_assignment",
                "ul4!UVTlLnZVgw",
            ),
            (
                "stream key 10 sec in beeld live_856935780_HwGVqETCR7Vf44dWSCS7c8ctTxXkea oeps",
                "secret.twitch_stream_key",
                "live_856935780_HwGVqETCR7Vf44dWSCS7c8ctTxXkea",
            ),
            (
                "modbot test\nMTMwMTkxMzg3NTM1MjQ2MzYwNA.GT-COp.TjgHvMoqouCqOmxy1692mrbeWlb5Gyomf2_r9L",
                "secret.discord_bot_token",
                "MTMwMTkxMzg3NTM1MjQ2MzYwNA.GT-COp.TjgHvMoqouCqOmxy1692mrbeWlb5Gyomf2_r9L",
            ),
            (
                "DB_PASSWORD=Kassa2026!x",
                "secret.password_assignment",
                "Kassa2026!x",
            ),
            (
                "smtp_pass: 'Mail4Shop#1'",
                "secret.password_assignment",
                "Mail4Shop#1",
            ),
            (
                "email is a@b.nl en wachtwoord Bakfiets1987, wat doe ik fout?",
                "secret.password_prose",
                "Bakfiets1987",
            ),
            (
                "wachtwoord van de demo-laptops is Zomer2026! (met hoofdletter Z)",
                "secret.password_prose",
                "Zomer2026!",
            ),
            (
                "de eerste keer is het wachtwoord Welkom2026! en daarna zelf wijzigen",
                "secret.password_prose",
                "Welkom2026!",
            ),
            (
                "w a c h t w o o r d kassa-pc winkel Zwolle: Herfst2026#! (ssst)",
                "secret.password_prose",
                "Herfst2026#!",
            ),
            (
                "the wifi password for guests is Guest-Net-77.",
                "secret.password_prose",
                "Guest-Net-77",
            ),
            (
                "ww: Lente2025 niet doorvertellen",
                "secret.password_prose",
                "Lente2025",
            ),
            (
                "portal login is finance-team / pw: Ddip04~ZZljH Please",
                "secret.password_assignment",
                "Ddip04~ZZljH",
            ),
            (
                "login: jvdberg / Zephyr!2026 werkt niet meer",
                "secret.login_credentials",
                "Zephyr!2026",
            ),
            (
                "api_key=b7f93a9d579dce7d79959978a7d3f5e4 for the loyalty API",
                "secret.generic_api_key",
                "b7f93a9d579dce7d79959978a7d3f5e4",
            ),
            (
                "client_secret: \"kP9x2LmQ7vR4tY8wZ3nB\"",
                "secret.generic_api_key",
                "kP9x2LmQ7vR4tY8wZ3nB",
            ),
            (
                "curl -H 'Authorization: Bearer 9fJk2LmP4qRs7TuVw0XyZ3aB' x",
                "secret.bearer_token",
                "9fJk2LmP4qRs7TuVw0XyZ3aB",
            ),
            (
                "token: 8f3a9b2c1d4e5f60718293a4b5c6d7e8",
                "secret.generic_api_key",
                "8f3a9b2c1d4e5f60718293a4b5c6d7e8",
            ),
            (
                "API key is 3fK9xLm2QpR7vT1wZ8yB4nC6.",
                "secret.generic_api_key",
                "3fK9xLm2QpR7vT1wZ8yB4nC6",
            ),
            (
                "inloggen op de wifi in de winkel, netwerksleutel: Kroon-Gast2026",
                "secret.password_prose",
                "Kroon-Gast2026",
            ),
            (
                "het beheerderswachtwoord is Bxl!Kassa2026 voor alle kassa's",
                "secret.password_prose",
                "Bxl!Kassa2026",
            ),
            (
                "mot de passe du compte partagé : Bruxelles2026!",
                "secret.password_prose",
                "Bruxelles2026!",
            ),
            (
                "mijn DigiD is jvdberg / Tulpen2026! help",
                "secret.login_credentials",
                "Tulpen2026!",
            ),
            (
                "SENDGRID_KEY=Xk29fLq0ZpW7cVb3Nm8RtY5u in de .env",
                "secret.generic_api_key",
                "Xk29fLq0ZpW7cVb3Nm8RtY5u",
            ),
            (
                "API-sleutel: 7Gh2kLp9QxW3zRt8VbN4 van de koppeling",
                "secret.generic_api_key",
                "7Gh2kLp9QxW3zRt8VbN4",
            ),
        ] {
            add(text.to_owned(), rule, password.to_owned());
        }
        let basic = base64url(b"svc-export:Kr00n!Sync2026").replace(['-', '_'], "+");
        add(
            format!("curl -H 'Authorization: Basic {basic}' https://api"),
            "secret.basic_auth",
            basic,
        );
        for (prefix, alphabet, count, rule, seed) in [
            ("glptt-", ALNUM, 40, "secret.gitlab_token", 101),
            (
                "oy2",
                "abcdefghijklmnopqrstuvwxyz0123456789",
                43,
                "secret.nuget_api_key",
                102,
            ),
            ("tskey-auth-", ALNUM, 30, "secret.tailscale_key", 103),
            ("ntn_", ALNUM, 46, "secret.notion_token", 104),
            ("nfp_", ALNUM, 36, "secret.netlify_token", 105),
            ("EAA", ALNUM, 120, "secret.meta_access_token", 106),
            ("sk-", ALNUM, 48, "secret.sk_api_key", 107),
            (
                "ops_eyJ",
                BASE64,
                140,
                "secret.onepassword_service_token",
                108,
            ),
        ] {
            let mut token = format!("{prefix}{}", random_chars(alphabet, count, seed));
            if rule == "secret.tailscale_key" {
                token.insert(token.len() - 20, '-');
            }
            add(format!("found {token} in the log"), rule, token);
        }
        let terraform = format!(
            "{}.atlasv1.{}",
            alnum(14, 109),
            random_chars(URLSAFE, 67, 110)
        );
        add(
            format!("TF_TOKEN={terraform}"),
            "secret.terraform_cloud_token",
            terraform,
        );
        let devops = format!("{}AZDO{}", alnum(76, 111), alnum(4, 112));
        add(
            format!("PAT voor de pipeline: {devops}"),
            "secret.azure_devops_pat",
            devops,
        );
        let shared = random_chars(BASE64, 43, 113) + "=";
        add(
            format!(
                "Endpoint=sb://kb.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={shared}"
            ),
            "secret.azure_shared_access_key",
            shared,
        );
        let mapbox = format!(
            "sk.eyJ{}.{}",
            random_chars(URLSAFE, 60, 114),
            random_chars(URLSAFE, 22, 115)
        );
        add(
            format!("mapbox {mapbox}"),
            "secret.mapbox_secret_token",
            mapbox,
        );
        let airtable = format!("pat{}.{}", alnum(14, 116), hex(64, 117));
        add(
            format!("airtable {airtable}"),
            "secret.airtable_pat",
            airtable,
        );
        let teams = format!(
            "{}@{}/IncomingWebhook/{}/{}",
            "0f8e2b4a-1c3d-4e5f-8a9b-7c6d5e4f3a2b",
            "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
            alnum(32, 118),
            "3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9"
        );
        add(
            format!("https://kroonbank.webhook.office.com/webhookb2/{teams} for alerts"),
            "secret.teams_webhook",
            teams,
        );
        let seed = random_chars(BASE32, 32, 119);
        add(
            format!("otpauth://totp/Kroonbank:ops?secret={seed}&issuer=Kroonbank"),
            "secret.totp_seed",
            seed,
        );
        cases
    }

    #[test]
    fn finds_every_credential_type_with_the_value_as_span() {
        for (text, rule, value) in positives() {
            let found = secrets(&text);
            assert!(
                found.iter().any(|(r, v)| *r == rule && *v == value),
                "{text:?}: expected {rule} on {value:?}, got {found:?}"
            );
        }
    }

    #[test]
    fn every_rule_has_a_positive_test() {
        let tested: Vec<&str> = positives().into_iter().map(|(_, rule, _)| rule).collect();
        for rule in rules() {
            let exempt = rule.id == "secret.github_refresh_token"
                || rule.id.starts_with("secret.gitlab_runner")
                || rule.id.starts_with("secret.gitlab_deploy");
            assert!(
                exempt || tested.contains(&rule.id),
                "no positive test for {}",
                rule.id
            );
        }
    }

    #[test]
    fn ignores_placeholders_and_look_alikes() {
        let cases: Vec<String> = vec![
            format!("put AWS_ACCESS_KEY_ID={}XXXXXXXXXXXXXXXX in .env", "AKIA"),
            format!("docs use {}IOSFODNN7EXAMPLE as the key id", "AKIA"),
            "never paste tokens (ghp_…, sk_live_…, xoxb-…) into Jira".to_owned(),
            "ghp_ tokens are classic PATs, use github_pat_ instead".to_owned(),
            format!("ghp_{} has a wrong checksum", alnum(36, 90)),
            "Fixed it in commit d5801c4c2a27e548c25823f6f6d9cc51f9b4aebb, timezone bug".to_owned(),
            "Order ref e19c6aab-23aa-4021-b08f-e86b4ad8b4ca arrived early".to_owned(),
            "Op mijn retourlabel staat code 4ff728d4-6d03-74e3-ac5b-40ff0313c261, invullen?"
                .to_owned(),
            "api_key=your-api-key-here and token=<token>".to_owned(),
            "password=changeme and PASSWORD=******** and pwd=...".to_owned(),
            "Wachtwoord vergeten? Klik op de link om je password reset te starten.".to_owned(),
            "Wij vragen nooit om je wachtwoord of pincode, ook niet via DM.".to_owned(),
            "bij het resetten van je wachtwoord: er zit een kwetsbaarheid in de app".to_owned(),
            "a long passphrase of four random words beats P@ssw0rd every time".to_owned(),
            "changed my password to a 20-character passphrase after the training".to_owned(),
            "sterke, unieke wachtwoorden en tweestapsverificatie 🔐".to_owned(),
            "postgres://user:password@localhost:5432/db is the default".to_owned(),
            "escape room in de klas: het eindwachtwoord was 'krijtje'".to_owned(),
            "the flag live_StreamingConfigurationNameList is on".to_owned(),
            "a BSN has to pass the 11-proof, a made-up one fails".to_owned(),
            "Cadeaubon gewonnen, code 7002 5686, morgen inwisselen bij Kloofhout!".to_owned(),
            "redis://:${REDIS_PASSWORD}@cache:6379".to_owned(),
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".to_owned(),
            "-----BEGIN PRIVATE KEY----- <paste your key here>".to_owned(),
            "eyJhbGciOiJub25lIn0 is just a header".to_owned(),
            "my password is too long to remember".to_owned(),
            "the login is user / pass".to_owned(),
            "WW-uitkering aangevraagd, pw-fabriek dicht".to_owned(),
            format!("sk_live_{}", "x".repeat(24)),
            "access_token: null, api_key: ''".to_owned(),
            "export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789".to_owned(),
            "the token is valid for 24 hours, the secret is out".to_owned(),
            "VAPID public_key=BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA".to_owned(),
            "publishable_key: pk_live_51HqLyjWDarjtT1zdp7dc".to_owned(),
            "Authorization: Basic dXNlcjpwYXNzd29yZA== (user:password)".to_owned(),
            "the netwerksleutel staat op de sticker onder de router".to_owned(),
            "sk-learn and sk-image are python packages".to_owned(),
            "Wachtwoord vergeten?? Gelukkig werkt de Galaxy-S24-Ultra nog gewoon".to_owned(),
            "maak over o.v.v. je reserveringsnummer (bijv. WW-RES-745031) 🙂".to_owned(),
            "wachtwoord kwijt. Morgen komt de Zephyr-X200.Pro binnen".to_owned(),
            "Primary-key and foreign-key constraints, index_key=created_at".to_owned(),
            "login via het portaal: Q3-rapport / Jaarplan-2026.pdf".to_owned(),
            "wifi op terras en binnen / buiten 24/7 beschikbaar".to_owned(),
            // jwt.io's sample token: subject 1234567890, John Doe
            "the docs just use eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".to_owned(),
            // ... and after a `token:` name, where the generic key rule reads it too
            "the classic example token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".to_owned(),
        ];
        for text in cases {
            let found = secrets(&text);
            assert!(
                found.is_empty(),
                "{text:?}: expected no secret, got {found:?}"
            );
        }
    }

    #[test]
    fn passwords_a_few_words_after_their_keyword() {
        // (text, the value that must be found, or "" for nothing)
        let cases: &[(&str, &str)] = &[
            (
                "het wachtwoord voor de teamlaptop is vanaf morgen Kr0kus#Veld9 hoor",
                "Kr0kus#Veld9",
            ),
            (
                "ww van het voorraadsysteem is alweer gewijzigd, voortaan = Tulp!8842bx",
                "Tulp!8842bx",
            ),
            ("account ops-temp / pass Vx7!mQ2rTk", "Vx7!mQ2rTk"),
            // a password may start with '@'; a mention may not be one
            ("login: beheer / wachtwoord: @Sx2ObSdL1z$Y", "@Sx2ObSdL1z$Y"),
            ("wachtwoord vergeten? vraag het @helpdesk_2026", ""),
            (
                "inloggen lukt wel: naam bkramer, wachtwoord Sneeuw_2031x",
                "Sneeuw_2031x",
            ),
            (
                "the shared mailbox password changed again, now it's Harbor^44Lamp ok",
                "Harbor^44Lamp",
            ),
            (
                "pincode van de kluis in het magazijn staat op Zx81-kr!Q3",
                "Zx81-kr!Q3",
            ),
            (
                "wachtwoord van de testomgeving is sinds vandaag Mo\u{200B}lenw3g!7",
                "Mo\u{200B}lenw3g!7",
            ),
            ("Ik ben mijn wachtwoord vergeten, help!", ""),
            // a question answered on the next line: only a strong value with a symbol
            (
                "wachtwoord vergeten?\nReset via de Mijn-Portaal app, werkt altijd",
                "",
            ),
            (
                "Reset your password at https://Shop.example-store.com/Reset2026 today",
                "",
            ),
            ("boarding pass for flight KL1234 was fine, gate D-7", ""),
            ("the login page shows Error-500 again", ""),
            ("gebruik je kortingscode bij het afrekenen", ""),
            ("waar vul ik de code van mijn Winkel-cadeaubon in?", ""),
            ("het wachtwoord staat op het briefje bij Jean-Pierre", ""),
            ("gebruik code ZOMER-2026! voor 10% korting", ""),
            ("wachtwoord reset aangevraagd voor order ZE-2026-104233", ""),
            ("promo code Spring_Sale2026 gives free shipping", ""),
            ("de code van de serverruimte is nu Qp7-deur!2", "Qp7-deur!2"),
            (
                "wachtwoord wijzigen kan via db01.intra.zephyr.local/reset",
                "",
            ),
            (
                "Het wachtwoord? Dat staat gewoon in de kluis. Vista-55-OLED is binnen",
                "",
            ),
            (
                "je wachtwoord moet minimaal 12 tekens hebben, bv. <JouwWachtwoord1!>",
                "",
            ),
            // spelled out to slip past filters: the whole run is the value
            (
                "gebruiker magazijn2, pass is w e l k o m 0 1 (zonder spaties)",
                "w e l k o m 0 1",
            ),
            ("wachtwoord: h u i s 1 2 3 4", "h u i s 1 2 3 4"),
            ("my boarding pass is 1 2 3 4 5 6 7", ""),
            ("pass is a b c d e f g h", ""),
            // a common password given as an account's credential is still a leak
            ("login: jan, pass is welkom01", "welkom01"),
            ("gebruik nooit wachtwoord welkom01", ""),
            ("never use welkom01 as your password", ""),
            // a keyword in leetspeak (spelled-out ones: the engine tests)
            ("w8woord van de staging db = Aljzo743%c4Of", "Aljzo743%c4Of"),
            // a login in prose ending in `met user / pass`
            (
                "scanners loggen vanaf vannacht in op wms.local met nachtploeg / Njjye36!gwSd",
                "Njjye36!gwSd",
            ),
            ("je kunt inloggen met je klantnummer / postcode", ""),
            (
                "al gevonden in m'n notities: admin / Vcxoh09-ZdfZG 😅",
                "Vcxoh09-ZdfZG",
            ),
            ("de rollen zijn admin / editor / viewer", ""),
            (
                "inlog van de gedeelde monitor is klantcontact / Tulpen#2026 ... niet delen",
                "Tulpen#2026",
            ),
            ("inloggen is vandaag stuk / werkt niet", ""),
        ];
        for (text, expected) in cases {
            let found: Vec<String> = secrets(text).into_iter().map(|(_, v)| v).collect();
            if expected.is_empty() {
                assert!(
                    found.is_empty(),
                    "{text:?}: expected nothing, got {found:?}"
                );
            } else {
                assert_eq!(found, vec![(*expected).to_owned()], "{text:?}");
            }
        }
    }

    #[test]
    fn a_rotated_secret_is_still_a_leak() {
        let token = github_token("ghp_", 91);
        let found = secrets(&format!("oude token {token}, inmiddels geroteerd hoor"));
        assert_eq!(found, vec![("secret.github_pat", token)]);
    }

    #[test]
    fn hits_are_secrets_without_canonical_form() {
        let mut out = Vec::new();
        find_secrets_all(&format!("{}_live_{}", "sk", alnum(24, 92)), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].category, Category::LeakSecret);
        assert_eq!(out[0].sensitivity, Sensitivity::Secret);
        assert_eq!(out[0].weight, 95);
        assert_eq!(out[0].canonical, None);
    }

    #[test]
    fn only_triggered_rules_run() {
        let text = format!("{}_live_{}", "sk", alnum(24, 93));
        let mut out = Vec::new();
        find_secrets(&text, &vec![false; rules().len()], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn table_is_well_formed() {
        assert!(rules().len() >= 40, "{} rules", rules().len());
        let mut ids: Vec<&str> = rules().iter().map(|rule| rule.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules().len(), "duplicate rule id");
        for (rule, regex) in rules().iter().zip(COMPILED.iter()) {
            assert!(rule.id.starts_with("secret."), "{}", rule.id);
            assert!(!rule.keywords.is_empty(), "{} has no keyword", rule.id);
            for keyword in rule.keywords {
                assert!(
                    keyword.is_ascii() && *keyword == keyword.to_ascii_lowercase(),
                    "{}: keyword {keyword:?} must be lowercase ASCII",
                    rule.id
                );
            }
            assert!(!regex.as_str().is_empty());
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62(61, 3), "00z");
        assert_eq!(
            base64url_decode("eyJhIjoxfQ").as_deref(),
            Some(&br#"{"a":1}"#[..])
        );
        assert!(shannon_entropy("aaaa") < 0.01);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert_eq!(longest_run("abbbc"), 3);
        assert_eq!(longest_sequence("xabcdy"), 4);
    }
}
