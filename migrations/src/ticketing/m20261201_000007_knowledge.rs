//! The knowledge base: articles (versioned: every edit keeps the text it replaced), who may
//! read them (provider staff only, every tenant, or one tenant), and the search index — the
//! terms of each article with how often they occur in its title and body.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KbArticles {
    Table,
    Id,
    Visibility,
    TenantId,
    Title,
    Body,
    Category,
    Tags,
    Language,
    Status,
    Version,
    SourceTicketId,
    Length,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum KbVersions {
    Table,
    ArticleId,
    Version,
    Title,
    Body,
    Category,
    Tags,
    EditedBy,
    EditedAt,
}

#[derive(DeriveIden)]
enum KbTerms {
    Table,
    ArticleId,
    Term,
    InTitle,
    InBody,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KbArticles::Table)
                    .col(uuid(KbArticles::Id).primary_key())
                    // internal, all_tenants, tenant
                    .col(string_len(KbArticles::Visibility, 12))
                    .col(uuid_null(KbArticles::TenantId))
                    .col(string_len(KbArticles::Title, 300))
                    .col(text(KbArticles::Body))
                    .col(string_len(KbArticles::Category, 60))
                    .col(json(KbArticles::Tags))
                    .col(string_len(KbArticles::Language, 10))
                    // draft, published, retired
                    .col(string_len(KbArticles::Status, 12))
                    .col(integer(KbArticles::Version))
                    .col(uuid_null(KbArticles::SourceTicketId))
                    .col(integer(KbArticles::Length))
                    .col(uuid(KbArticles::CreatedBy))
                    .col(timestamp_with_time_zone(KbArticles::CreatedAt))
                    .col(timestamp_with_time_zone(KbArticles::UpdatedAt))
                    .col(timestamp_with_time_zone_null(KbArticles::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KbVersions::Table)
                    .col(uuid(KbVersions::ArticleId))
                    .col(integer(KbVersions::Version))
                    .col(string_len(KbVersions::Title, 300))
                    .col(text(KbVersions::Body))
                    .col(string_len(KbVersions::Category, 60))
                    .col(json(KbVersions::Tags))
                    .col(uuid(KbVersions::EditedBy))
                    .col(timestamp_with_time_zone(KbVersions::EditedAt))
                    .primary_key(Index::create().col(KbVersions::ArticleId).col(KbVersions::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KbTerms::Table)
                    .col(uuid(KbTerms::ArticleId))
                    .col(string_len(KbTerms::Term, 80))
                    .col(integer(KbTerms::InTitle))
                    .col(integer(KbTerms::InBody))
                    .primary_key(Index::create().col(KbTerms::ArticleId).col(KbTerms::Term))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("kb_terms_term").table(KbTerms::Table).col(KbTerms::Term).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(KbTerms::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(KbVersions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(KbArticles::Table).to_owned()).await
    }
}
