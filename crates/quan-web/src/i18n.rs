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
            for part in text.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
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
