//! `/kb`: the knowledge base. Provider staff write articles (Markdown, versioned on every
//! edit) for themselves, for every tenant, or for one tenant, and turn a resolved ticket into
//! an article in one step; tenants read what is published for them. Search works for Chinese
//! and English (see `domain::search`); `/tickets/{id}/suggestions` proposes articles for a
//! ticket. Publishing to tenants tells them (`kb.article_published`, to their webhooks).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use canopy_kernel::auth::Role;
use canopy_kernel::validate::clean_text;
use canopy_kernel::{ApiError, ApiResult, Principal, Problem, TenantScope, Violations};

use super::parse;
use super::tickets::{expected_version, ticket_scope, visible};
use crate::domain::lifecycle::{Status, TicketKind};
use crate::domain::search::query_terms;
use crate::state::TicketingState;
use crate::store::knowledge::{ArticleRow, Reader};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/kb/articles").route(web::post().to(create)).route(web::get().to(list)),
    )
    .service(
        web::resource("/api/v1/kb/articles/{id}").route(web::get().to(get)).route(web::patch().to(update)),
    )
    .route("/api/v1/kb/articles/{id}/versions", web::get().to(versions))
    .route("/api/v1/kb/search", web::get().to(search))
    .route("/api/v1/tickets/{id}/suggestions", web::get().to(suggestions))
    .route("/api/v1/tickets/{id}/article", web::post().to(from_ticket));
}

/// Provider staff who write articles.
const WRITERS: [Role; 3] = [Role::Agent, Role::Engineer, Role::ProviderAdmin];
const LANGUAGES: [&str; 2] = ["en", "zh-CN"];
const VISIBILITIES: [&str; 3] = ["internal", "all_tenants", "tenant"];

fn reader(principal: &Principal) -> ApiResult<Reader> {
    principal.require_any(&Role::ALL)?;
    Ok(match principal.tenant_id {
        Some(own) => Reader::Tenant(TenantScope::trusted(own)),
        None => Reader::Provider,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `en` or `zh-CN`.
    pub language: String,
    /// `internal` (provider staff), `all_tenants`, or `tenant` (with `tenant_id`).
    pub visibility: String,
    pub tenant_id: Option<Uuid>,
    /// `draft` (default) or `published`.
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
    pub visibility: Option<String>,
    pub tenant_id: Option<Uuid>,
    /// `draft`, `published` or `retired`.
    pub status: Option<String>,
    /// The version read (or `If-Match`).
    pub version: Option<i32>,
}

pub use canopy_api::knowledge::{ArticleView, Hit};

impl From<ArticleRow> for ArticleView {
    fn from(a: ArticleRow) -> Self {
        Self {
            id: a.id,
            title: a.title,
            body: a.body,
            category: a.category,
            tags: serde_json::from_value(a.tags).unwrap_or_default(),
            language: a.language,
            visibility: a.visibility,
            tenant_id: a.tenant_id,
            status: a.status,
            version: a.version,
            source_ticket_id: a.source_ticket_id,
            created_at: a.created_at,
            updated_at: a.updated_at,
            published_at: a.published_at,
        }
    }
}

/// Checks an article's fields as they would be saved.
fn check(a: &mut ArticleRow, v: &mut Violations) {
    match clean_text(&a.title, 300) {
        Ok(t) => a.title = t,
        Err(m) => v.add("title", m),
    }
    let body = a.body.trim();
    v.check(!body.is_empty() && body.chars().count() <= 100_000, "body", "must have 1–100000 characters");
    a.body = body.to_owned();
    let cat = a.category.trim();
    v.check(!cat.is_empty() && cat.chars().count() <= 60, "category", "must have 1–60 characters");
    a.category = cat.to_owned();
    let tags: Vec<String> = serde_json::from_value(a.tags.clone()).unwrap_or_default();
    v.check(
        tags.len() <= 20 && tags.iter().all(|t| !t.trim().is_empty() && t.chars().count() <= 40),
        "tags",
        "at most 20 tags of 1–40 characters",
    );
    v.check(LANGUAGES.contains(&a.language.as_str()), "language", "must be en or zh-CN");
    v.check(
        VISIBILITIES.contains(&a.visibility.as_str()),
        "visibility",
        "must be internal, all_tenants or tenant",
    );
    match (a.visibility.as_str(), a.tenant_id) {
        ("tenant", None) => v.add("tenant_id", "an article for one tenant names it"),
        ("internal" | "all_tenants", Some(_)) => {
            v.add("tenant_id", "only an article for one tenant names a tenant")
        }
        _ => {}
    }
    v.check(
        ["draft", "published", "retired"].contains(&a.status.as_str()),
        "status",
        "must be draft, published or retired",
    );
}

#[utoipa::path(post, path = "/api/v1/kb/articles", tag = "knowledge", security(("bearer" = [])), request_body = NewArticle,
    responses((status = 201, body = ArticleView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<TicketingState>,
    principal: Principal,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&WRITERS)?;
    if !principal.is_provider() {
        return Err(ApiError::forbidden("Provider staff write the knowledge base"));
    }
    let new: NewArticle = parse(body.into_inner())?;
    let now = state.now();
    let mut a = ArticleRow {
        id: Uuid::now_v7(),
        visibility: new.visibility,
        tenant_id: new.tenant_id,
        title: new.title,
        body: new.body,
        category: new.category,
        tags: json!(new.tags.iter().map(|t| t.trim()).collect::<Vec<_>>()),
        language: new.language,
        status: new.status.unwrap_or_else(|| "draft".into()),
        version: 1,
        source_ticket_id: None,
        length: 0,
        created_by: principal.subject,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    let mut v = Violations::new();
    check(&mut a, &mut v);
    v.into_result()?;
    if a.status == "published" {
        a.published_at = Some(now);
    }
    let a = state.knowledge.create(a).await?;
    Ok(created(a))
}

fn created(a: ArticleRow) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/kb/articles/{}", a.id)))
        .insert_header((header::ETAG, format!("\"{}\"", a.version)))
        .json(ArticleView::from(a))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    pub limit: Option<u64>,
}

fn limit(l: Option<u64>, max: u64) -> ApiResult<u64> {
    match l.unwrap_or(20) {
        l if (1..=max).contains(&l) => Ok(l),
        _ => Err(ApiError::invalid("limit", format!("must be 1–{max}"))),
    }
}

#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "knowledge", security(("bearer" = [])), params(ListQuery),
    description = "Provider staff see every article; a tenant's people the published ones for every tenant or theirs.",
    responses((status = 200, body = Vec<ArticleView>), (status = 422, body = Problem)))]
pub async fn list(
    state: web::Data<TicketingState>,
    principal: Principal,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let reader = reader(&principal)?;
    let rows = state
        .knowledge
        .list(reader, q.status.as_deref(), q.category.as_deref(), q.language.as_deref(), limit(q.limit, 200)?)
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(ArticleView::from).collect::<Vec<_>>()))
}

#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ArticleView), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let a = state.knowledge.get(reader(&principal)?, *id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", a.version)))
        .json(ArticleView::from(a)))
}

#[utoipa::path(patch, path = "/api/v1/kb/articles/{id}", tag = "knowledge", security(("bearer" = [])),
    request_body = ArticlePatch, params(("id" = Uuid, Path)),
    description = "A new version of the article (the text before is kept); publishing it to tenants tells them.",
    responses((status = 200, body = ArticleView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<TicketingState>,
    principal: Principal,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    if !principal.is_provider() {
        return Err(ApiError::forbidden("Provider staff write the knowledge base"));
    }
    principal.require_any(&WRITERS)?;
    let patch: ArticlePatch = parse(body.into_inner())?;
    let mut a = state.knowledge.get(Reader::Provider, *id).await?;
    let expected = expected_version(&req, patch.version.map(i64::from), i64::from(a.version))?;
    let expected = i32::try_from(expected).map_err(|_| ApiError::invalid("If-Match", "not a version"))?;
    let mut changed = false;
    macro_rules! take {
        ($field:ident) => {
            if let Some(x) = patch.$field {
                a.$field = x;
                changed = true;
            }
        };
    }
    take!(title);
    take!(body);
    take!(category);
    take!(language);
    take!(status);
    if let Some(vis) = patch.visibility {
        a.visibility = vis;
        if a.visibility != "tenant" {
            a.tenant_id = None;
        }
        changed = true;
    }
    if let Some(t) = patch.tenant_id {
        a.tenant_id = Some(t);
        changed = true;
    }
    if let Some(tags) = patch.tags {
        a.tags = json!(tags.iter().map(|t| t.trim()).collect::<Vec<_>>());
        changed = true;
    }
    if !changed {
        return Err(ApiError::invalid("body", "nothing to change"));
    }
    let mut v = Violations::new();
    check(&mut a, &mut v);
    v.into_result()?;
    let saved = state.knowledge.save(a, expected, principal.subject, state.now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", saved.version)))
        .json(ArticleView::from(saved)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub title: String,
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub edited_by: Uuid,
    pub edited_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "knowledge", security(("bearer" = [])),
    params(("id" = Uuid, Path)), description = "Every version of the article, newest first (provider staff).",
    responses((status = 200, body = Vec<VersionView>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn versions(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    if !principal.is_provider() {
        return Err(ApiError::forbidden("Versions are the provider's working record"));
    }
    let a = state.knowledge.get(Reader::Provider, *id).await?;
    let rows = state.knowledge.versions(a.id).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| VersionView {
                version: r.version,
                title: r.title,
                body: r.body,
                category: r.category,
                tags: serde_json::from_value(r.tags).unwrap_or_default(),
                edited_by: r.edited_by,
                edited_at: r.edited_at,
            })
            .collect::<Vec<_>>(),
    ))
}

fn hits(found: Vec<(ArticleRow, f64)>) -> Vec<Hit> {
    found
        .into_iter()
        .map(|(a, score)| Hit {
            id: a.id,
            snippet: a.body.chars().take(200).collect(),
            title: a.title,
            category: a.category,
            language: a.language,
            visibility: a.visibility,
            score: (score * 1000.0).round() / 1000.0,
        })
        .collect()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words, in Chinese or English.
    pub q: String,
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/kb/search", tag = "knowledge", security(("bearer" = [])), params(SearchQuery),
    description = "Articles the caller may read, ranked (BM25 over title and body). Chinese text is matched by its \
        character pairs, so no word list is needed.",
    responses((status = 200, body = Vec<Hit>), (status = 422, body = Problem)))]
pub async fn search(
    state: web::Data<TicketingState>,
    principal: Principal,
    q: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let reader = reader(&principal)?;
    let text = q.q.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(ApiError::invalid("q", "must have 1–500 characters"));
    }
    let terms = query_terms(text);
    let found = state.knowledge.search(reader, &terms, limit(q.limit, 50)? as usize).await?;
    Ok(HttpResponse::Ok().json(hits(found)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/suggestions", tag = "knowledge", security(("bearer" = [])),
    params(("id" = Uuid, Path), SuggestionQuery),
    description = "Articles that may solve the ticket, from its title and description: for the tenant, the ones \
        published for it; for provider staff, internal ones too — never another tenant's own.",
    responses((status = 200, body = Vec<Hit>), (status = 404, body = Problem)))]
pub async fn suggestions(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    q: web::Query<SuggestionQuery>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&Role::ALL)?;
    let scope = ticket_scope(&state, &principal, *id).await?;
    let t = state.tickets.load(&scope, *id).await?;
    visible(&principal, &t)?;
    let reader = if principal.is_provider() { Reader::Desk(scope) } else { Reader::Tenant(scope) };
    let text: String = format!("{} {}", t.title, t.description).chars().take(2000).collect();
    let found =
        state.knowledge.search(reader, &query_terms(&text), limit(q.limit.or(Some(5)), 20)? as usize).await?;
    Ok(HttpResponse::Ok().json(hits(found)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FromTicket {
    /// Default `tenant` (the ticket's tenant only).
    pub visibility: Option<String>,
    /// Default: `zh-CN` when the ticket is written in Chinese, else `en`.
    pub language: Option<String>,
    /// Publish at once (default: a draft to review).
    #[serde(default)]
    pub publish: bool,
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/article", tag = "knowledge", security(("bearer" = [])),
    request_body = FromTicket, params(("id" = Uuid, Path)),
    description = "Turns a resolved ticket — or a problem recorded as a known error — into an article in one step: \
        symptom, cause, workaround and resolution in Markdown, linked to the ticket.",
    responses((status = 201, body = ArticleView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn from_ticket(
    state: web::Data<TicketingState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: Option<web::Json<Value>>,
) -> ApiResult<HttpResponse> {
    principal.require_any(&WRITERS)?;
    if !principal.is_provider() {
        return Err(ApiError::forbidden("Provider staff write the knowledge base"));
    }
    let ask: FromTicket = match body {
        Some(b) => parse(b.into_inner())?,
        None => FromTicket::default(),
    };
    let scope = ticket_scope(&state, &principal, *id).await?;
    let t = state.tickets.load(&scope, *id).await?;
    let problem = &t.problem;
    let known_error = t.kind == TicketKind::Problem && problem.as_ref().is_some_and(|p| p.known_error);
    if !matches!(t.status, Status::Resolved | Status::Closed) && !known_error {
        return Err(ApiError::new(
            canopy_kernel::ErrorCode::InvalidTransition,
            "Only a resolved ticket, or a problem recorded as a known error, becomes an article",
        ));
    }
    let mut body =
        format!("## Symptom\n\n{}\n", if t.description.is_empty() { &t.title } else { &t.description });
    if let Some(p) = &problem {
        if let Some(cause) = &p.root_cause {
            body.push_str(&format!("\n## Cause\n\n{cause}\n"));
        }
        if let Some(w) = &p.workaround {
            body.push_str(&format!("\n## Workaround\n\n{w}\n"));
        }
    }
    if let Some(notes) = t.resolution_notes.as_ref().filter(|n| !n.is_empty()) {
        body.push_str(&format!("\n## Resolution\n\n{notes}\n"));
    }
    body.push_str(&format!("\n_From ticket {}._\n", t.reference));
    let now = state.now();
    let visibility = ask.visibility.unwrap_or_else(|| "tenant".into());
    let mut a = ArticleRow {
        id: Uuid::now_v7(),
        tenant_id: (visibility == "tenant").then_some(t.tenant_id),
        visibility,
        title: t.title.clone(),
        language: ask.language.unwrap_or_else(|| {
            if has_cjk(&t.title) || has_cjk(&t.description) { "zh-CN" } else { "en" }.into()
        }),
        body,
        category: t.category.clone(),
        tags: json!([t.reference]),
        status: if ask.publish { "published" } else { "draft" }.into(),
        version: 1,
        source_ticket_id: Some(t.id),
        length: 0,
        created_by: principal.subject,
        created_at: now,
        updated_at: now,
        published_at: ask.publish.then_some(now),
    };
    let mut v = Violations::new();
    check(&mut a, &mut v);
    v.into_result()?;
    let a = state.knowledge.create(a).await?;
    Ok(created(a))
}
