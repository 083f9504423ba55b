//! Storage, one repository per aggregate. Tenant-owned tables are reached only through a
//! `TenantScope` (see `canopy_kernel::TenantOwned`).

pub mod api_keys;
pub mod configs;
pub mod entities;
pub mod keys;
pub mod sessions;
pub mod tenants;
pub mod users;

use canopy_kernel::http::PageParams;
use canopy_kernel::{ApiError, ApiResult};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Applies `?cursor=&limit=` to a query ordered by an id column (UUIDv7, so creation order);
/// fetches one row more than the page to know whether another page follows.
pub fn paged<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    page: &PageParams,
) -> ApiResult<(Select<E>, u64)>
where
    E::Column: ColumnTrait,
{
    let limit = page.limit()?;
    let mut query = query.order_by_asc(id).limit(limit + 1);
    if let Some(after) = page.after()? {
        query = query.filter(id.gt(after));
    }
    Ok((query, limit))
}

/// A unique-constraint violation becomes a 409 naming what is taken; anything else is unexpected.
pub fn conflict_on_unique(err: sea_orm::DbErr, what: &str) -> ApiError {
    if canopy_kernel::db::is_unique_violation(&err) {
        ApiError::conflict(what.to_owned())
    } else {
        ApiError::internal(err)
    }
}
