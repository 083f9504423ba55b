//! `/kb`: the knowledge base for the tenant's people — search in Chinese or English (the
//! API's), an article's page, and `/kb/suggest`, the few articles that match a title being
//! typed on the new-ticket form (an htmx fragment; without script, the search page).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use canopy_api::knowledge::Hit;

use crate::format::{local_day, url_encode};
use crate::pages::{Chrome, PageError, Signed, render, see_other};
use crate::state::WebState;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// A search hit as a list shows it.
pub struct Found {
    pub id: String,
    pub title: String,
    pub snippet: String,
    pub category: String,
    pub language: String,
}

impl Found {
    fn of(h: Hit) -> Self {
        Self {
            id: h.id.to_string(),
            snippet: plain(&h.snippet),
            title: h.title,
            category: h.category,
            language: h.language,
        }
    }
}

/// Markdown as plain running text, for a snippet.
fn plain(markdown: &str) -> String {
    let text: Vec<&str> = markdown
        .lines()
        .map(|l| l.trim().trim_start_matches(['#', '-', '*', '>', ' ']).trim())
        .filter(|l| !l.is_empty() && !l.starts_with("```"))
        .collect();
    let text = text.join(" ").replace("**", "");
    match text.char_indices().nth(180) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[derive(Template)]
#[template(path = "portal/kb.html")]
struct SearchPage {
    ctx: Chrome,
    q: String,
    searched: bool,
    found: Vec<Found>,
}

pub async fn search(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    signed.tenant()?;
    let q: String = query.q.as_deref().unwrap_or_default().trim().chars().take(200).collect();
    let found = if q.is_empty() {
        Vec::new()
    } else {
        state.api.ticketing.search_kb(signed.token(), &q, 20).await.map_err(|e| signed.fail(e))?
    };
    let found = found.into_iter().map(Found::of).collect();
    render(&SearchPage { ctx: signed.chrome(), searched: !q.is_empty(), q, found })
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    title: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/kb_suggest.html")]
struct Suggestions {
    ctx: Chrome,
    /// The title, for the search page's address.
    q_url: String,
    found: Vec<Found>,
}

pub async fn suggest(
    state: web::Data<WebState>,
    signed: Signed,
    query: web::Query<SuggestQuery>,
) -> Result<HttpResponse, PageError> {
    signed.tenant()?;
    let title: String = query.title.as_deref().unwrap_or_default().trim().chars().take(200).collect();
    if !signed.visitor.htmx {
        // Without script the suggestions are the search page's results.
        return Ok(see_other(&format!("/kb?q={}", url_encode(&title))));
    }
    // A word or two before anything is suggested; a failed search suggests nothing.
    let found = if title.chars().count() < 2 {
        Vec::new()
    } else {
        state.api.ticketing.search_kb(signed.token(), &title, 5).await.unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no suggestions");
            Vec::new()
        })
    };
    render(&Suggestions {
        ctx: signed.chrome(),
        q_url: url_encode(&title),
        found: found.into_iter().map(Found::of).collect(),
    })
}

/// A block of an article: its Markdown read as headings, paragraphs, lists and code. Every
/// word is text (escaped on the page): an article's HTML is never passed through.
pub struct Block {
    /// `h2`, `h3`, `p`, `ul`, `ol` or `pre`.
    pub kind: &'static str,
    pub text: String,
    pub items: Vec<String>,
}

pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut code: Option<Vec<String>> = None;
    let block = |kind, text: String| Block { kind, text, items: Vec::new() };
    for line in markdown.lines() {
        let trimmed = line.trim();
        if let Some(lines) = code.as_mut() {
            if trimmed.starts_with("```") {
                out.push(block("pre", lines.join("\n")));
                code = None;
            } else {
                lines.push(line.to_owned());
            }
            continue;
        }
        if trimmed.starts_with("```") {
            code = Some(Vec::new());
            continue;
        }
        if trimmed.is_empty() {
            out.push(block("", String::new()));
            continue;
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            // The article's title is the page's h1: its headings start at h2.
            let kind = if hashes <= 2 { "h2" } else { "h3" };
            out.push(block(kind, inline(&trimmed[hashes..])));
            continue;
        }
        let bullet = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* "));
        let numbered = trimmed
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, rest)| rest);
        if let Some((kind, item)) = bullet.map(|b| ("ul", b)).or_else(|| numbered.map(|n| ("ol", n))) {
            match out.last_mut() {
                Some(list) if list.kind == kind => list.items.push(inline(item)),
                _ => out.push(Block { kind, text: String::new(), items: vec![inline(item)] }),
            }
            continue;
        }
        match out.last_mut() {
            Some(p) if p.kind == "p" => {
                p.text.push(' ');
                p.text.push_str(&inline(trimmed));
            }
            _ => out.push(block("p", inline(trimmed))),
        }
    }
    if let Some(lines) = code {
        out.push(block("pre", lines.join("\n")));
    }
    out.retain(|b| !b.kind.is_empty());
    out
}

/// Inline Markdown as plain text: emphasis marks and the brackets of links dropped (the
/// link's address kept in brackets after its words).
fn inline(text: &str) -> String {
    let text = text.trim().replace("**", "").replace("__", "").replace('`', "");
    // [words](address) → words (address)
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let Some((words, after)) = rest[open + 1..].split_once("](") else { break };
        let Some((address, tail)) = after.split_once(')') else { break };
        out.push_str(&rest[..open]);
        out.push_str(words);
        out.push_str(" (");
        out.push_str(address);
        out.push(')');
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[derive(Template)]
#[template(path = "portal/article.html")]
struct ArticlePage {
    ctx: Chrome,
    title: String,
    language: String,
    category: String,
    updated: String,
    blocks: Vec<Block>,
}

pub async fn article(
    state: web::Data<WebState>,
    signed: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    signed.tenant()?;
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return Err(PageError::not_found(signed.lang()));
    };
    let a = state.api.ticketing.article(signed.token(), id).await.map_err(|e| signed.fail(e))?;
    let ctx = signed.chrome();
    let updated = local_day(&a.updated_at, ctx.zone());
    render(&ArticlePage {
        blocks: blocks(&a.body),
        title: a.title,
        language: a.language,
        category: a.category,
        updated,
        ctx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_read_as_blocks_of_text_and_no_html_passes() {
        let md = "## Symptom\n\nThe printer <b>stops</b>.\nIt **blinks**.\n\n- restart\n- [clear](https://x.test/q) the queue\n\n1. one\n2. two\n\n```\n<script>x</script>\n```";
        let b = blocks(md);
        let kinds: Vec<&str> = b.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, ["h2", "p", "ul", "ol", "pre"]);
        assert_eq!(b[0].text, "Symptom");
        // Tags stay text: the template escapes them.
        assert_eq!(b[1].text, "The printer <b>stops</b>. It blinks.");
        assert_eq!(b[2].items, ["restart", "clear (https://x.test/q) the queue"]);
        assert_eq!(b[3].items, ["one", "two"]);
        assert_eq!(b[4].text, "<script>x</script>");
    }

    #[test]
    fn snippets_are_plain_running_text() {
        assert_eq!(
            plain("## Symptom\n\n重启打印服务（**Print Spooler**）"),
            "Symptom 重启打印服务（Print Spooler）"
        );
    }
}
