//! A ticket's row and the aggregate, both ways: the one place either is made from the other.

use std::collections::BTreeMap;

use sea_orm::Set;
use serde_json::Value;

use canopy_kernel::{ApiError, ApiResult};
use canopy_sla::Priority;

use crate::domain::clocks::MetricClock;
use crate::domain::lifecycle::{Status, TicketKind};
use crate::domain::ticket::{Ticket, TicketRecord};
use crate::store::entities::ticket;

pub(super) fn json<T: serde::Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// The ticket's row: the one place a ticket becomes one.
pub(super) fn ticket_row(t: &TicketRecord) -> ApiResult<ticket::ActiveModel> {
    let mut details = serde_json::Map::new();
    if let Some(p) = &t.problem {
        details.insert("problem".into(), json(p)?);
    }
    if let Some(c) = &t.change {
        details.insert("change".into(), json(c)?);
    }
    Ok(ticket::ActiveModel {
        tenant_id: Set(t.tenant_id),
        id: Set(t.id),
        number: Set(t.number),
        reference: Set(t.reference.clone()),
        kind: Set(t.kind.to_string()),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        category: Set(t.category.clone()),
        impact: Set(t.impact.clone()),
        urgency: Set(t.urgency.clone()),
        priority: Set(t.priority.to_string()),
        status: Set(t.status.to_string()),
        channel: Set(t.channel.to_string()),
        requester_id: Set(t.requester_id),
        site_id: Set(t.site_id),
        onsite_required: Set(t.onsite_required),
        assignee_id: Set(t.assignee_id),
        support_level: Set(t.support_level),
        custom_fields: Set(json(&t.custom_fields)?),
        details: Set(Value::Object(details)),
        policy: Set(json(&t.policy)?),
        external_id: Set(t.external_id.clone()),
        created_by: Set(t.created_by),
        created_at: Set(t.created_at),
        updated_at: Set(t.updated_at),
        first_response_at: Set(t.first_response_at),
        resolved_at: Set(t.resolved_at),
        closed_at: Set(t.closed_at),
        resolution_code: Set(t.resolution_code.clone()),
        resolution_notes: Set(t.resolution_notes.clone()),
        next_deadline: Set(t.next_deadline),
        version: Set(t.version),
    })
}

/// The ticket a row and its clocks hold.
pub(super) fn ticket_of(row: ticket::Model, clocks: Vec<MetricClock>) -> ApiResult<Ticket> {
    let id = row.id;
    let bad = |what: &str| ApiError::internal(anyhow::anyhow!("stored ticket {id} has a bad {what}"));
    let problem = row.details.get("problem").map(|v| serde_json::from_value(v.clone()));
    let problem = problem.transpose().map_err(|_| bad("problem"))?;
    let change = row.details.get("change").map(|v| serde_json::from_value(v.clone()));
    let change = change.transpose().map_err(|_| bad("change"))?;
    Ok(Ticket::restore(TicketRecord {
        kind: row.kind.parse::<TicketKind>().map_err(|_| bad("type"))?,
        priority: row.priority.parse::<Priority>().map_err(|_| bad("priority"))?,
        status: row.status.parse::<Status>().map_err(|_| bad("status"))?,
        channel: row.channel.parse().map_err(|_| bad("channel"))?,
        custom_fields: serde_json::from_value::<BTreeMap<String, Value>>(row.custom_fields)
            .map_err(|_| bad("custom_fields"))?,
        problem,
        change,
        policy: serde_json::from_value(row.policy).map_err(|_| bad("policy"))?,
        tenant_id: row.tenant_id,
        id: row.id,
        number: row.number,
        reference: row.reference,
        title: row.title,
        description: row.description,
        category: row.category,
        impact: row.impact,
        urgency: row.urgency,
        requester_id: row.requester_id,
        site_id: row.site_id,
        onsite_required: row.onsite_required,
        assignee_id: row.assignee_id,
        support_level: row.support_level,
        external_id: row.external_id,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        first_response_at: row.first_response_at,
        resolved_at: row.resolved_at,
        closed_at: row.closed_at,
        resolution_code: row.resolution_code,
        resolution_notes: row.resolution_notes,
        next_deadline: row.next_deadline,
        version: row.version,
        clocks,
    }))
}
