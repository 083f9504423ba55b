//! The knowledge base's storage. Who may read what is decided here, in every query: provider
//! staff read everything, drafts included; a tenant's people read published articles meant
//! for every tenant or for their own tenant, never provider-internal ones nor another
//! tenant's. An article is written with its version row and its search terms in one
//! transaction, and its publication to tenants with the event that tells them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use canopy_api::events::{ArticlePublished, TicketingEvent};
use canopy_kernel::{ApiError, ApiResult, ErrorCode, TenantScope};

use super::entities::{kb_article, kb_term, kb_version, outbox};

pub use super::entities::kb_article::Model as ArticleRow;
use crate::domain::search::{Candidate, rank, term_counts};

/// Who is reading.
#[derive(Clone, Copy, Debug)]
pub enum Reader {
    Provider,
    Tenant(TenantScope),
    /// Provider staff working one tenant's ticket: published articles, internal ones
    /// included, but no other tenant's own.
    Desk(TenantScope),
}

impl Reader {
    fn condition(self) -> Condition {
        match self {
            Reader::Provider => Condition::all(),
            Reader::Tenant(scope) => Condition::all().add(kb_article::Column::Status.eq("published")).add(
                Condition::any().add(kb_article::Column::Visibility.eq("all_tenants")).add(
                    Condition::all()
                        .add(kb_article::Column::Visibility.eq("tenant"))
                        .add(kb_article::Column::TenantId.eq(scope.tenant_id().0)),
                ),
            ),
            Reader::Desk(scope) => Condition::all().add(kb_article::Column::Status.eq("published")).add(
                Condition::any()
                    .add(kb_article::Column::Visibility.is_in(["internal", "all_tenants"]))
                    .add(kb_article::Column::TenantId.eq(scope.tenant_id().0)),
            ),
        }
    }
}

#[derive(Clone)]
pub struct Knowledge {
    db: DatabaseConnection,
}

/// The terms rows of an article and its length in terms (title counted twice).
fn index(a: &kb_article::Model) -> (Vec<kb_term::ActiveModel>, i32) {
    let tags: Vec<String> = serde_json::from_value(a.tags.clone()).unwrap_or_default();
    let title = term_counts(&a.title);
    let body = term_counts(&format!("{}\n{}\n{}", a.body, tags.join(" "), a.category));
    let mut both: HashMap<&String, (i32, i32)> = HashMap::new();
    for (t, n) in &title {
        both.entry(t).or_default().0 = *n as i32;
    }
    for (t, n) in &body {
        both.entry(t).or_default().1 = *n as i32;
    }
    let length = 2 * title.values().sum::<u32>() + body.values().sum::<u32>();
    let rows = both
        .into_iter()
        .filter(|(t, _)| t.len() <= 80)
        .map(|(t, (in_title, in_body))| {
            kb_term::ActiveModel::from(kb_term::Model {
                article_id: a.id,
                term: t.clone(),
                in_title,
                in_body,
            })
        })
        .collect();
    (rows, i32::try_from(length).unwrap_or(i32::MAX))
}

async fn write_terms(db: &impl ConnectionTrait, a: &kb_article::Model) -> ApiResult<()> {
    kb_term::Entity::delete_many().filter(kb_term::Column::ArticleId.eq(a.id)).exec(db).await?;
    let (rows, _) = index(a);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        kb_term::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Tells the tenants who may now read it (webhooks `kb.article_published`).
async fn announce(db: &impl ConnectionTrait, a: &kb_article::Model, at: DateTime<Utc>) -> ApiResult<()> {
    if a.status != "published" || a.visibility == "internal" {
        return Ok(());
    }
    let id = Uuid::now_v7();
    let tenant = a.tenant_id.unwrap_or(Uuid::nil());
    let event = TicketingEvent::ArticlePublished(ArticlePublished {
        event_id: id,
        at,
        tenant_id: a.tenant_id,
        audience: a.visibility.clone(),
        article_id: a.id,
        title: a.title.clone(),
        language: a.language.clone(),
        category: a.category.clone(),
        version: a.version,
    });
    let payload = serde_json::to_value(&event).map_err(ApiError::internal)?;
    outbox::Entity::insert(super::outbox::event(id, tenant, payload, at)).exec_without_returning(db).await?;
    Ok(())
}

fn version_row(a: &kb_article::Model, by: Uuid, at: DateTime<Utc>) -> kb_version::ActiveModel {
    kb_version::ActiveModel::from(kb_version::Model {
        article_id: a.id,
        version: a.version,
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone(),
        tags: a.tags.clone(),
        edited_by: by,
        edited_at: at,
    })
}

impl Knowledge {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A new article (version 1), indexed, announced if it is published for tenants.
    pub async fn create(&self, mut a: kb_article::Model) -> ApiResult<kb_article::Model> {
        a.length = index(&a).1;
        let tx = self.db.begin().await?;
        kb_article::Entity::insert(kb_article::ActiveModel::from(a.clone()))
            .exec_without_returning(&tx)
            .await?;
        kb_version::Entity::insert(version_row(&a, a.created_by, a.created_at))
            .exec_without_returning(&tx)
            .await?;
        write_terms(&tx, &a).await?;
        announce(&tx, &a, a.created_at).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Saves `a` as the next version of what was read at `expected` (412 if it moved on):
    /// the text before is kept as its version, the index rebuilt; announced when this save
    /// publishes it to tenants.
    pub async fn save(
        &self,
        mut a: kb_article::Model,
        expected: i32,
        by: Uuid,
        at: DateTime<Utc>,
    ) -> ApiResult<kb_article::Model> {
        let tx = self.db.begin().await?;
        let before = kb_article::Entity::find_by_id(a.id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| ApiError::not_found("article"))?;
        if before.version != expected {
            return Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!("The article is at version {}, not {expected}; reload and try again", before.version),
            ));
        }
        a.version = before.version + 1;
        a.updated_at = at;
        a.length = index(&a).1;
        let newly_public = a.status == "published"
            && (before.status != "published"
                || before.visibility != a.visibility
                || before.tenant_id != a.tenant_id);
        if newly_public && a.published_at.is_none() {
            a.published_at = Some(at);
        }
        kb_article::Entity::update(kb_article::ActiveModel::from(a.clone()).reset_all()).exec(&tx).await?;
        kb_version::Entity::insert(version_row(&a, by, at)).exec_without_returning(&tx).await?;
        write_terms(&tx, &a).await?;
        if newly_public {
            announce(&tx, &a, at).await?;
        }
        tx.commit().await?;
        Ok(a)
    }

    pub async fn get(&self, reader: Reader, id: Uuid) -> ApiResult<kb_article::Model> {
        kb_article::Entity::find()
            .filter(kb_article::Column::Id.eq(id))
            .filter(reader.condition())
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("article"))
    }

    pub async fn list(
        &self,
        reader: Reader,
        status: Option<&str>,
        category: Option<&str>,
        language: Option<&str>,
        limit: u64,
    ) -> ApiResult<Vec<kb_article::Model>> {
        let mut q = kb_article::Entity::find().filter(reader.condition());
        if let Some(s) = status {
            q = q.filter(kb_article::Column::Status.eq(s));
        }
        if let Some(c) = category {
            q = q.filter(kb_article::Column::Category.eq(c));
        }
        if let Some(l) = language {
            q = q.filter(kb_article::Column::Language.eq(l));
        }
        Ok(q.order_by_desc(kb_article::Column::UpdatedAt)
            .order_by_asc(kb_article::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    pub async fn versions(&self, id: Uuid) -> ApiResult<Vec<kb_version::Model>> {
        Ok(kb_version::Entity::find()
            .filter(kb_version::Column::ArticleId.eq(id))
            .order_by_desc(kb_version::Column::Version)
            .all(&self.db)
            .await?)
    }

    /// Articles the reader may see matching `terms`, best first (BM25 over the readable
    /// collection).
    pub async fn search(
        &self,
        reader: Reader,
        terms: &[String],
        limit: usize,
    ) -> ApiResult<Vec<(kb_article::Model, f64)>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let postings = kb_term::Entity::find()
            .filter(kb_term::Column::Term.is_in(terms.iter().cloned()))
            .all(&self.db)
            .await?;
        let mut by_article: HashMap<Uuid, HashMap<String, (u32, u32)>> = HashMap::new();
        for p in postings {
            by_article
                .entry(p.article_id)
                .or_default()
                .insert(p.term, (p.in_title.max(0) as u32, p.in_body.max(0) as u32));
        }
        let mut articles: HashMap<Uuid, kb_article::Model> = HashMap::new();
        let ids: Vec<Uuid> = by_article.keys().copied().collect();
        for chunk in ids.chunks(500) {
            let rows = kb_article::Entity::find()
                .filter(kb_article::Column::Id.is_in(chunk.iter().copied()))
                .filter(reader.condition())
                .all(&self.db)
                .await?;
            articles.extend(rows.into_iter().map(|a| (a.id, a)));
        }
        let (documents, total): (i64, Option<i64>) = kb_article::Entity::find()
            .select_only()
            .column_as(kb_article::Column::Id.count(), "n")
            .column_as(kb_article::Column::Length.sum(), "total")
            .filter(reader.condition())
            .into_tuple()
            .one(&self.db)
            .await?
            .unwrap_or((0, None));
        let candidates: Vec<(Uuid, Candidate)> = by_article
            .into_iter()
            .filter_map(|(id, terms)| {
                let a = articles.get(&id)?;
                Some((id, Candidate { terms, length: a.length.max(1) as u32 }))
            })
            .collect();
        let average = total.unwrap_or(0) as f64 / documents.max(1) as f64;
        let ranked = rank(terms, &candidates, documents.max(0) as u64, average);
        Ok(ranked
            .into_iter()
            .take(limit)
            .filter_map(|(id, score)| Some((articles.remove(&id)?, score)))
            .collect())
    }
}
