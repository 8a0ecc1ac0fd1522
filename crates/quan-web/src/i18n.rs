//! Strings for people, in one catalogue per language (`locales/*.toml`, embedded in
//! the binary). The language comes from the `lang` cookie (set by the switch), else
//! from Accept-Language, else English.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
    pub fn from_code(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
    /// Picks the first supported language of an Accept-Language header, honouring
    /// q-values.
    pub fn from_accept_language(h: &str) -> Option<Lang> {
        let mut langs: Vec<(f32, Lang)> = h
            .split(',')
            .take(20)
            .filter_map(|part| {
                let mut it = part.split(';');
                let lang = Lang::from_code(it.next()?)?;
                let q = it
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        langs.sort_by(|a, b| b.0.total_cmp(&a.0));
        langs.first().map(|(_, l)| *l)
    }
}

/// The catalogues for code without a request at hand (error pages).
pub fn catalogs() -> &'static Catalogs {
    static CATALOGS: std::sync::LazyLock<Catalogs> = std::sync::LazyLock::new(Catalogs::load);
    &CATALOGS
}

/// Both catalogues, parsed once at start-up.
#[derive(Debug)]
pub struct Catalogs {
    en: HashMap<String, String>,
    zh: HashMap<String, String>,
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn parse(src: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    // The catalogues are compiled in and checked by a test; a broken one would show
    // keys instead of text, never stop the server.
    if let Ok(v) = src.parse::<toml::Value>() {
        flatten("", &v, &mut out);
    }
    out
}

impl Catalogs {
    pub fn load() -> Self {
        Self {
            en: parse(include_str!("../locales/en.toml")),
            zh: parse(include_str!("../locales/zh-CN.toml")),
        }
    }
    /// The string for `key`, falling back to English, then to the key itself.
    pub fn get<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let primary = match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh,
        };
        primary
            .get(key)
            .or_else(|| self.en.get(key))
            .map_or(key, String::as_str)
    }
    /// The stored key equal to `key`, borrowed from the catalogue.
    pub fn key(&self, key: &str) -> Option<&str> {
        self.en.get_key_value(key).map(|(k, _)| k.as_str())
    }
    /// Every `section.<code>` entry as code → words.
    pub fn section(&self, lang: Lang, section: &str) -> std::collections::BTreeMap<&str, &str> {
        let prefix = format!("{section}.");
        self.en
            .keys()
            .filter_map(|k| {
                k.strip_prefix(&prefix)
                    .map(|code| (code, self.get(lang, k)))
            })
            .collect()
    }
    /// An error for people, in their language: the message for its stable `code`
    /// (`errors.<code>`), led by the field's name when the catalogue has one; a number
    /// in the English detail (a limit) fills `{n}`, and text the detail quotes in
    /// «…» (the sensitive word found) fills `{word}`. Unknown codes show the detail.
    pub fn error_text(&self, lang: Lang, code: &str, field: Option<&str>, detail: &str) -> String {
        let key = format!("errors.{code}");
        let msg = self.get(lang, &key);
        if msg == key {
            return detail.to_owned();
        }
        let n: String = detail
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .collect();
        let word = detail
            .split_once('«')
            .and_then(|(_, rest)| rest.split_once('»'))
            .map_or("", |(w, _)| w);
        let msg = msg.replace("{n}", &n).replace("{word}", word);
        match field.map(|f| (f, format!("fields.{f}"))) {
            Some((_, fk)) if self.get(lang, &fk) != fk => {
                let sep = if lang == Lang::ZhCn { "：" } else { ": " };
                format!("{}{sep}{msg}", self.get(lang, &fk))
            }
            _ => msg,
        }
    }

    #[cfg(test)]
    fn keys(&self, lang: Lang) -> std::collections::BTreeSet<&str> {
        let m = match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh,
        };
        m.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_and_have_the_same_keys() {
        let c = Catalogs::load();
        let en = c.keys(Lang::En);
        let zh = c.keys(Lang::ZhCn);
        assert!(en.len() > 50, "en catalogue parsed: {}", en.len());
        assert_eq!(en, zh, "every key in both languages");
        assert_eq!(c.get(Lang::ZhCn, "nav.circles"), "圈子");
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let c = Catalogs::load();
        let en = c.keys(Lang::En);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let plural_keys = text.split(".plural(").skip(1).flat_map(|part| {
                // The two literal keys after the count: `(n, "a.one", "a.many")`.
                let args = part.split(')').next().unwrap_or_default();
                args.split('"')
                    .skip(1)
                    .step_by(2)
                    .take(2)
                    .collect::<Vec<_>>()
            });
            let keys = text
                .split(".t(\"")
                .skip(1)
                .map(|part| part.split('"').next().unwrap_or_default())
                .chain(plural_keys);
            for key in keys {
                used += 1;
                assert!(
                    en.contains(key),
                    "{} uses missing key {key}",
                    entry.path().display()
                );
            }
        }
        assert!(used > 50, "found the template keys: {used}");
        // Keys chosen in Rust and handed to templates.
        let rust_keys = crate::pages::rust_side_keys();
        for key in rust_keys {
            assert!(en.contains(key), "missing key {key}");
        }
    }

    /// Every stable `code` the server can answer with, read from the sources that
    /// make them: `ApiError`s (a status followed by a code literal, or a bad request
    /// with one), field errors (a `ParseError` with a field and a code literal) and
    /// the domain's `str_enum` parsers.
    fn codes_in_sources() -> std::collections::BTreeSet<String> {
        fn literal_after(s: &str) -> Option<String> {
            let s = s.trim_start();
            let rest = s.strip_prefix('"')?;
            let end = rest.find('"')?;
            let code = &rest[..end];
            (!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then(|| code.to_owned())
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        let mut stack: Vec<_> = ["quan-domain/src", "quan-core/src", "quan-web/src"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut codes = std::collections::BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for part in text.split("StatusCode::").skip(1) {
                if let Some(rest) = part.split_once(',').map(|(_, r)| r) {
                    codes.extend(literal_after(rest));
                }
            }
            for part in text.split("bad_request(").skip(1) {
                codes.extend(literal_after(part));
            }
            for part in text.split("ParseError::new(").skip(1) {
                if let Some((_, rest)) = part.split_once(',') {
                    codes.extend(literal_after(rest));
                }
            }
            // The domain's parsers: a str_enum invocation names its type, its field
            // and its code before its first brace.
            for part in text.split("str_enum! {").skip(1) {
                let head = part.split('{').next().unwrap_or_default();
                if let Some(code) = head.rsplit('"').nth(1)
                    && !code.is_empty()
                    && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                {
                    codes.insert(code.to_owned());
                }
            }
        }
        codes
    }

    #[test]
    fn every_error_code_has_words_in_both_languages() {
        let c = Catalogs::load();
        let codes = codes_in_sources();
        assert!(codes.len() > 80, "found the codes: {}", codes.len());
        for code in [
            "not_found",
            "invalid_image",
            "too_long",
            "invalid_role",
            "csrf",
        ] {
            assert!(codes.contains(code), "the scan finds {code}");
        }
        let missing: Vec<_> = codes
            .iter()
            .filter(|code| {
                let key = format!("errors.{code}");
                !c.en.contains_key(&key) || !c.zh.contains_key(&key)
            })
            .collect();
        assert!(missing.is_empty(), "codes without words: {missing:?}");
        // Limits keep their number; fields are named in the page's language.
        assert_eq!(
            c.error_text(
                Lang::ZhCn,
                "too_long",
                Some("title"),
                "at most 120 characters"
            ),
            "标题：内容过长：最多 120 个字符。"
        );
        // The word found is named, in either language.
        let detail = "this text contains a word this organisation does not allow: «返现»";
        assert_eq!(
            c.error_text(Lang::En, "sensitive_word", None, detail),
            "This text contains “返现”, a word this organisation does not allow."
        );
        assert_eq!(
            c.error_text(Lang::ZhCn, "sensitive_word", None, detail),
            "内容中含有该组织不允许的词语“返现”。"
        );
    }

    /// Every event kind the use cases record has words (the console's timeline shows
    /// them, live too). Kinds are the `"area.what"` literals of quan-core; the
    /// durable jobs' kinds look the same and are not events.
    #[test]
    fn every_event_kind_has_words() {
        const JOBS: [&str; 10] = [
            "circles.paid_join",
            "circles.paid_leave",
            "circles.quality",
            "circles.rank",
            "maintenance.purge",
            "reach.welcome",
            "reach.transfers",
            "reach.journeys",
            "reach.campaigns",
            "reach.deliver",
        ];
        let c = Catalogs::load();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../quan-core/src");
        let mut stack = vec![root];
        let mut kinds = std::collections::BTreeSet::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for lit in text.split('"').skip(1).step_by(2) {
                    let mut parts = lit.split('.');
                    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let word = |s: &str| {
                        !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    };
                    if word(a) && word(b) && !JOBS.contains(&lit) {
                        kinds.insert(lit.to_owned());
                    }
                }
            }
        }
        assert!(
            kinds.contains("post.created") && kinds.len() > 15,
            "{kinds:?}"
        );
        let missing: Vec<_> = kinds
            .iter()
            .filter(|k| !c.en.contains_key(&format!("events.{k}")))
            .collect();
        assert!(missing.is_empty(), "event kinds without words: {missing:?}");
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("en-US,zh;q=0.5"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr;q=1, zh;q=0.2"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
    }
}
