//! Every word a page shows comes from the message catalogues in `locales/` (Fluent), in
//! English or Simplified Chinese; the language is the user's choice, else the tenant's, else
//! what the browser asks for.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use serde::{Deserialize, Serialize};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they show as boxes in some fonts.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| "en".parse().unwrap_or_default());
static ZH_CN: LazyLock<LanguageIdentifier> = LazyLock::new(|| "zh-CN".parse().unwrap_or_default());

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag (`lang` attribute, cookie, `Content-Language`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the language switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        }
    }

    /// A tag as a language we have: `zh`, `zh-CN`, `zh-Hans…` are Chinese; `en…` English.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "en" => Some(Lang::En),
            // Readers of Traditional Chinese, too, usually read Simplified better than English.
            "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header we have, by its q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut asked: Vec<(f32, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (q > 0.0 && !tag.is_empty()).then_some((q, i, tag))
            })
            .collect();
        asked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        asked.into_iter().find_map(|(_, _, tag)| Lang::from_tag(tag))
    }

    /// The message `key`. A key missing from the catalogues shows as itself (and a test
    /// checks that both catalogues have the same keys).
    pub fn t(self, key: &str) -> String {
        LOCALES.try_lookup(self.id(), key).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.tag(), "message missing from the catalogue");
            key.to_owned()
        })
    }

    /// The message `key` with its arguments.
    pub fn t_with(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Text(s) => FluentValue::from(s.clone()),
                    Arg::Number(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*name), value)
            })
            .collect();
        LOCALES.try_lookup_with_args(self.id(), key, &args).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.tag(), "message missing from the catalogue");
            key.to_owned()
        })
    }
}

/// An argument of a message.
#[derive(Clone, Debug)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message keys of every catalogue file of `lang` (each part of the application
    /// keeps its messages in a file of its own).
    fn keys(lang: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang);
        let mut keys = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase())) {
                if let Some((key, _)) = line.split_once('=') {
                    assert!(keys.insert(key.trim().to_owned()), "{key} is twice in {lang}");
                }
            }
        }
        keys
    }

    #[test]
    fn both_catalogues_have_the_same_messages() {
        let en = keys("en");
        let zh = keys("zh-CN");
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_zh.is_empty(),
            "only in en: {only_en:?}; only in zh-CN: {only_zh:?}"
        );
        assert!(en.len() > 20);
    }

    #[test]
    fn messages_come_in_each_language_with_their_arguments() {
        assert_eq!(Lang::En.t("sign-in"), "Sign in");
        assert_eq!(Lang::ZhCn.t("sign-in"), "登录");
        assert_eq!(Lang::En.t_with("signed-in-as", &[("name", "Li Wei".into())]), "Signed in as Li Wei");
        assert_eq!(Lang::ZhCn.t_with("signed-in-as", &[("name", "Li Wei".into())]), "已登录：Li Wei");
    }

    #[test]
    fn the_browser_language_is_read_by_its_weights() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("fr;q=1, en-GB;q=0.5, zh;q=0.7"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("de, en-US;q=0.3"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("zh;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("zh-Hans-CN"), Some(Lang::ZhCn));
    }
}
