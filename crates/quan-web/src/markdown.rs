//! Markdown for people's posts, rendered safely: CommonMark (with tables and
//! strikethrough) to HTML, then every tag and attribute not on ammonia's allow-list
//! removed — scripts, event handlers, `javascript:` links, styles, iframes. The stored
//! text stays as written; only the rendering is cleaned.

use pulldown_cmark::{Options, Parser, html};

pub fn to_safe_html(src: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(src, opts));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

/// The words of a markdown text without its markup (link targets, emphasis marks,
/// quote markers), cut to `max` characters: what a feed card shows.
pub fn excerpt(src: &str, max: usize) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::new();
    for ev in Parser::new(src) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                out.push(' ')
            }
            _ => {}
        }
        if out.chars().count() > max {
            break;
        }
    }
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classic payloads; none may survive as active content.
    const XSS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<body onload=alert(1)>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "![x](x\" onerror=\"alert(1))",
        "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
        "<form action=\"https://evil.example\"><input name=x></form>",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<details open ontoggle=alert(1)>",
        "<<script>script>alert(1)<</script>/script>",
    ];

    /// The markup of an HTML string: every `<...>` tag, lower-cased. Text between tags
    /// is escaped by construction, so only tags can carry active content.
    fn tags(html: &str) -> Vec<String> {
        html.split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or_default().to_lowercase())
            .collect()
    }

    #[test]
    fn xss_payloads_are_neutralised() {
        let allowed = [
            "p", "a", "img", "b", "strong", "em", "code", "pre", "table", "details", "summary",
            "div", "ul", "li", "math",
        ];
        for p in XSS {
            let out = to_safe_html(p);
            assert!(!out.to_lowercase().contains("<script"), "{p:?} -> {out:?}");
            for tag in tags(&out) {
                let mut parts = tag.trim_start_matches('/').split_whitespace();
                let name = parts.next().unwrap_or_default();
                assert!(allowed.contains(&name), "{p:?} -> {out:?}: tag <{name}>");
                for attr in parts {
                    let bad = attr.starts_with("on")
                        || attr.starts_with("style")
                        || attr.starts_with("srcdoc")
                        || attr.contains("javascript:")
                        || attr.contains("data:");
                    assert!(!bad, "{p:?} -> {out:?}: attribute {attr} in <{tag}>");
                }
            }
        }
    }

    #[test]
    fn excerpts_drop_markup() {
        assert_eq!(
            excerpt("> 你好 **hello**\n\n— [#room](/x/y?z=1#m-2)", 100),
            "你好 hello — #room"
        );
        assert!(
            !excerpt("<script>alert(1)</script>abc", 100).contains("script"),
            "raw HTML never reaches an excerpt"
        );
        assert_eq!(
            excerpt("南京路店。<b>欢迎</b>来尝！", 100),
            "南京路店。欢迎来尝！"
        );
        assert_eq!(
            excerpt(&"字".repeat(300), 10),
            format!("{}…", "字".repeat(10))
        );
    }

    #[test]
    fn markdown_still_renders() {
        let out = to_safe_html("**好茶** and [a link](https://example.com)\n\n- one\n- two");
        assert!(out.contains("<strong>好茶</strong>"));
        assert!(
            out.contains("href=\"https://example.com\"")
                && out.contains("rel=\"noopener noreferrer nofollow\"")
        );
        assert!(out.contains("<li>one</li>"));
    }
}
