//! Contracts: a tenant's subscription to a plan, with its terms over time.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use canopy_kernel::db::paged;
use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult, CrossTenant, ListScope, TenantOwned, TenantScope};

use super::entities::{contract, contract_terms};
use crate::domain::{TargetTable, overlaps};

pub use super::entities::contract::Model as ContractRow;
pub use super::entities::contract_terms::Model as TermsRow;

/// Terms that take effect on a date.
pub struct Terms {
    pub effective_on: NaiveDate,
    pub plan_id: Uuid,
    pub quantity: i32,
    pub overrides: TargetTable,
}

#[derive(Clone)]
pub struct Contracts {
    db: DatabaseConnection,
}

fn terms_row(
    scope: &TenantScope,
    contract: Uuid,
    terms: &Terms,
    actor: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<contract_terms::ActiveModel> {
    Ok(contract_terms::ActiveModel {
        tenant_id: Set(scope.tenant_id().0),
        contract_id: Set(contract),
        effective_on: Set(terms.effective_on),
        plan_id: Set(terms.plan_id),
        quantity: Set(terms.quantity),
        overrides: Set(serde_json::to_value(&terms.overrides).map_err(ApiError::internal)?),
        created_by: Set(actor),
        created_at: Set(now),
    })
}

impl Contracts {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// A new contract with its first terms. Refused when it shares a day with another
    /// contract of the tenant: a tenant has one contract at a time.
    pub async fn create(
        &self,
        scope: &TenantScope,
        ends_on: Option<NaiveDate>,
        terms: Terms,
        actor: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<contract::Model> {
        let txn = self.db.begin().await?;
        let existing = contract::Entity::scoped(scope).all(&txn).await?;
        if let Some(other) =
            existing.iter().find(|c| overlaps((c.starts_on, c.ends_on), (terms.effective_on, ends_on)))
        {
            return Err(ApiError::conflict(format!(
                "The tenant already has contract {} for {} to {}; end it first",
                other.id,
                other.starts_on,
                other.ends_on.map(|d| d.to_string()).unwrap_or_else(|| "open end".into())
            )));
        }
        let id = Uuid::now_v7();
        let row = contract::ActiveModel {
            tenant_id: Set(scope.tenant_id().0),
            id: Set(id),
            starts_on: Set(terms.effective_on),
            ends_on: Set(ends_on),
            created_by: Set(actor),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        terms_row(scope, id, &terms, actor, now)?.insert(&txn).await?;
        txn.commit().await?;
        Ok(row)
    }

    pub async fn get(&self, scope: &TenantScope, id: Uuid) -> ApiResult<contract::Model> {
        contract::Entity::scoped(scope)
            .filter(contract::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or_else(|| ApiError::not_found("contract"))
    }

    /// The tenant a contract id belongs to, for callers that know only the id. The answer is
    /// checked against the caller's scope before anything is shown.
    pub async fn owner(&self, id: Uuid) -> ApiResult<Uuid> {
        contract::Entity::across_tenants(CrossTenant::Owner)
            .filter(contract::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .map(|c| c.tenant_id)
            .ok_or_else(|| ApiError::not_found("contract"))
    }

    pub async fn list(&self, scope: &ListScope, page: &PageParams) -> ApiResult<(Vec<contract::Model>, u64)> {
        let (q, limit) = paged(contract::Entity::listed(scope), contract::Column::Id, page)?;
        Ok((q.all(&self.db).await?, limit))
    }

    /// Every set of terms of a contract, oldest first.
    pub async fn terms(&self, scope: &TenantScope, contract: Uuid) -> ApiResult<Vec<contract_terms::Model>> {
        Ok(contract_terms::Entity::scoped(scope)
            .filter(contract_terms::Column::ContractId.eq(contract))
            .order_by_asc(contract_terms::Column::EffectiveOn)
            .all(&self.db)
            .await?)
    }

    /// New terms from a date on (a later change on the same date replaces it), and/or a new end.
    pub async fn change(
        &self,
        scope: &TenantScope,
        id: Uuid,
        terms: Option<Terms>,
        ends_on: Option<Option<NaiveDate>>,
        actor: Uuid,
        now: DateTime<Utc>,
    ) -> ApiResult<contract::Model> {
        let txn = self.db.begin().await?;
        let current = contract::Entity::scoped(scope)
            .filter(contract::Column::Id.eq(id))
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("contract"))?;
        let end = ends_on.unwrap_or(current.ends_on);
        let mut v = canopy_kernel::Violations::new();
        if let Some(t) = &terms {
            v.check(
                t.effective_on >= current.starts_on,
                "effective_on",
                format!("is before the contract starts ({})", current.starts_on),
            );
            v.check(end.is_none_or(|e| t.effective_on <= e), "effective_on", "is after the contract ends");
        }
        v.check(
            end.is_none_or(|e| e >= current.starts_on),
            "ends_on",
            "must not be before the contract starts",
        );
        v.into_result()?;
        if ends_on.is_some() {
            let others =
                contract::Entity::scoped(scope).filter(contract::Column::Id.ne(id)).all(&txn).await?;
            if others.iter().any(|c| overlaps((c.starts_on, c.ends_on), (current.starts_on, end))) {
                return Err(ApiError::conflict(
                    "With that end the contract would overlap the tenant's next contract",
                ));
            }
        }
        if let Some(terms) = terms {
            contract_terms::Entity::scoped_delete(scope)
                .filter(contract_terms::Column::ContractId.eq(id))
                .filter(contract_terms::Column::EffectiveOn.eq(terms.effective_on))
                .exec(&txn)
                .await?;
            terms_row(scope, id, &terms, actor, now)?.insert(&txn).await?;
        }
        let mut row: contract::ActiveModel = current.into();
        if let Some(end) = ends_on {
            row.ends_on = Set(end);
        }
        row.updated_at = Set(now);
        let row = row.update(&txn).await?;
        txn.commit().await?;
        Ok(row)
    }

    /// The contract in force on `day` and its terms that day.
    pub async fn in_force(
        &self,
        scope: &TenantScope,
        day: NaiveDate,
    ) -> ApiResult<Option<(contract::Model, contract_terms::Model)>> {
        let contracts =
            contract::Entity::scoped(scope).filter(contract::Column::StartsOn.lte(day)).all(&self.db).await?;
        let Some(contract) = contracts.into_iter().find(|c| c.ends_on.is_none_or(|end| day <= end)) else {
            return Ok(None);
        };
        let terms = contract_terms::Entity::scoped(scope)
            .filter(contract_terms::Column::ContractId.eq(contract.id))
            .filter(contract_terms::Column::EffectiveOn.lte(day))
            .order_by_desc(contract_terms::Column::EffectiveOn)
            .one(&self.db)
            .await?;
        Ok(terms.map(|t| (contract, t)))
    }
}
