use std::collections::{BTreeSet, HashSet};

pub use canopy_api::tenants::WEBHOOK_EVENTS;
use canopy_api::tenants::{Branding, Category, CustomField, FieldKind, PriorityMatrix, Site, Webhook};

use canopy_kernel::Violations;
use canopy_kernel::validate::{clean_text, is_email};

fn is_slug(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_text(value: &str, max: usize, field: String, v: &mut Violations) {
    if let Err(message) = clean_text(value, max) {
        v.add(field, message);
    }
}

pub fn check_categories(categories: &[Category], v: &mut Violations) {
    if categories.is_empty() || categories.len() > 100 {
        v.add("ticket_categories", "give between 1 and 100 categories");
    }
    let mut keys = HashSet::new();
    for (i, c) in categories.iter().enumerate() {
        if !is_slug(&c.key, 32) {
            v.add(
                format!("ticket_categories[{i}].key"),
                "must be a lower-case word of at most 32 characters (a-z, 0-9, _ and -)",
            );
        }
        if !keys.insert(c.key.as_str()) {
            v.add(format!("ticket_categories[{i}].key"), format!("`{}` is used twice", c.key));
        }
        check_text(&c.name, 64, format!("ticket_categories[{i}].name"), v);
    }
    if !categories.iter().any(|c| c.active) && !categories.is_empty() {
        v.add("ticket_categories", "at least one category must be active");
    }
}

/// Impact × urgency → priority: every pair of levels given, nothing else.
pub fn check_matrix(m: &PriorityMatrix, v: &mut Violations) {
    for (name, levels) in [("impacts", &m.impacts), ("urgencies", &m.urgencies)] {
        if !(2..=5).contains(&levels.len()) {
            v.add(format!("priority_matrix.{name}"), "give between 2 and 5 levels");
        }
        let mut seen = HashSet::new();
        for (i, level) in levels.iter().enumerate() {
            if !is_slug(level, 32) || !seen.insert(level) {
                v.add(format!("priority_matrix.{name}[{i}]"), "levels are distinct lower-case words");
            }
        }
    }
    let impacts: BTreeSet<&String> = m.impacts.iter().collect();
    for impact in m.matrix.keys().filter(|k| !impacts.contains(k)) {
        v.add(format!("priority_matrix.matrix.{impact}"), "is not one of the impacts");
    }
    for impact in &m.impacts {
        let Some(row) = m.matrix.get(impact) else {
            v.add(
                format!("priority_matrix.matrix.{impact}"),
                "is missing: give a priority for every urgency",
            );
            continue;
        };
        for urgency in &m.urgencies {
            if !row.contains_key(urgency) {
                v.add(format!("priority_matrix.matrix.{impact}.{urgency}"), "is missing");
            }
        }
        for urgency in row.keys().filter(|u| !m.urgencies.contains(u)) {
            v.add(format!("priority_matrix.matrix.{impact}.{urgency}"), "is not one of the urgencies");
        }
    }
}

pub fn check_custom_fields(fields: &[CustomField], v: &mut Violations) {
    if fields.len() > 50 {
        v.add("custom_fields", "at most 50 custom fields");
    }
    let mut keys = HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = |s: &str| format!("custom_fields[{i}].{s}");
        if !is_slug(&f.key, 40) {
            v.add(at("key"), "must be a lower-case word of at most 40 characters");
        }
        if !keys.insert(f.key.as_str()) {
            v.add(at("key"), format!("`{}` is used twice", f.key));
        }
        check_text(&f.label, 80, at("label"), v);
        let choice = matches!(f.kind, FieldKind::Select | FieldKind::Multiselect);
        if choice && f.options.is_empty() {
            v.add(at("options"), "a select field needs at least one option");
        }
        if !choice && !f.options.is_empty() {
            v.add(at("options"), "only select fields have options");
        }
        let mut seen = HashSet::new();
        for (j, option) in f.options.iter().enumerate() {
            check_text(option, 80, format!("custom_fields[{i}].options[{j}]"), v);
            if !seen.insert(option) {
                v.add(format!("custom_fields[{i}].options[{j}]"), "is listed twice");
            }
        }
    }
}

pub fn check_sites(sites: &[Site], v: &mut Violations) {
    if sites.len() > 500 {
        v.add("sites", "at most 500 sites");
    }
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for (i, s) in sites.iter().enumerate() {
        let at = |f: &str| format!("sites[{i}].{f}");
        if !ids.insert(s.id) {
            v.add(at("id"), "is used twice");
        }
        if !names.insert(s.name.trim().to_lowercase()) {
            v.add(at("name"), format!("`{}` is used twice", s.name));
        }
        check_text(&s.name, 120, at("name"), v);
        check_text(&s.address, 500, at("address"), v);
        if !is_slug(&s.region, 64) {
            v.add(at("region"), "must be a lower-case word such as `shanghai-pudong`");
        }
        match (s.latitude, s.longitude) {
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    v.add(at("latitude"), "must be between -90 and 90");
                }
                if !(-180.0..=180.0).contains(&lon) {
                    v.add(at("longitude"), "must be between -180 and 180");
                }
            }
            (None, None) => {}
            _ => v.add(at("latitude"), "give both latitude and longitude, or neither"),
        }
        if let Some(contact) = &s.contact {
            check_text(contact, 200, at("contact"), v);
        }
    }
}

pub fn check_branding(b: &Branding, v: &mut Violations) {
    if let Some(name) = &b.display_name {
        check_text(name, 120, "branding.display_name".into(), v);
    }
    if let Some(color) = &b.primary_color {
        let ok =
            color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        v.check(ok, "branding.primary_color", "must be a colour such as #1f6feb");
    }
    if let Some(url) = &b.logo_url {
        v.check(
            url.starts_with("https://") && url.len() <= 500,
            "branding.logo_url",
            "must be an https:// URL",
        );
    }
    if let Some(email) = &b.support_email {
        v.check(is_email(email), "branding.support_email", "is not an email address");
    }
}

pub fn settle_webhooks(hooks: &mut [Webhook], previous: &[Webhook], v: &mut Violations) {
    if hooks.len() > 20 {
        v.add("webhooks", "at most 20 webhooks");
    }
    let mut ids = HashSet::new();
    for (i, hook) in hooks.iter_mut().enumerate() {
        let at = |f: &str| format!("webhooks[{i}].{f}");
        if !ids.insert(hook.id) {
            v.add(at("id"), "is used twice");
        }
        let url_ok = (hook.url.starts_with("https://") || hook.url.starts_with("http://"))
            && hook.url.len() <= 2000
            && !hook.url.contains(char::is_whitespace)
            && hook.url.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
        if !url_ok {
            v.add(at("url"), "must be an absolute http(s) URL");
        }
        if hook.events.is_empty() {
            v.add(at("events"), "subscribe to at least one event");
        }
        for (j, event) in hook.events.iter().enumerate() {
            if !WEBHOOK_EVENTS.contains(&event.as_str()) {
                v.add(
                    format!("webhooks[{i}].events[{j}]"),
                    format!("`{event}` is not one of: {}", WEBHOOK_EVENTS.join(", ")),
                );
            }
        }
        match &hook.secret {
            Some(secret) if secret.chars().count() < 16 || secret.len() > 200 => {
                v.add(at("secret"), "must have 16 to 200 characters");
            }
            Some(_) => {}
            None => match previous.iter().find(|p| p.id == hook.id).and_then(|p| p.secret.clone()) {
                Some(kept) => hook.secret = Some(kept),
                None => {
                    v.add(at("secret"), "a new webhook needs a secret (16+ characters) to sign deliveries")
                }
            },
        }
        hook.secret_hint = hook.secret.as_ref().map(|s| {
            let tail: String = s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("…{tail}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_sla::Priority;
    use uuid::Uuid;

    #[test]
    fn the_default_matrix_is_complete() {
        let m = PriorityMatrix::default();
        let mut v = Violations::new();
        check_matrix(&m, &mut v);
        assert!(v.is_empty());
        assert_eq!(m.priority("high", "high"), Some(Priority::P1));
        assert_eq!(m.priority("low", "low"), Some(Priority::P4));
    }

    #[test]
    fn a_matrix_with_a_hole_names_it() {
        let mut m = PriorityMatrix::default();
        m.matrix.get_mut("medium").map(|row| row.remove("low"));
        let mut v = Violations::new();
        check_matrix(&m, &mut v);
        let err = v.into_result().err().unwrap();
        assert_eq!(err.field_errors()[0].field, "priority_matrix.matrix.medium.low");
    }

    #[test]
    fn webhook_secrets_carry_over_and_are_required_when_new() {
        let old = Webhook {
            id: Uuid::now_v7(),
            url: "https://hooks.example.com/canopy".into(),
            events: vec!["sla.breached".into()],
            active: true,
            secret: Some("0123456789abcdef-old".into()),
            secret_hint: None,
        };
        let mut sent = vec![
            Webhook { secret: None, ..old.clone() },
            Webhook { id: Uuid::now_v7(), secret: None, ..old.clone() },
        ];
        let mut v = Violations::new();
        settle_webhooks(&mut sent, std::slice::from_ref(&old), &mut v);
        assert_eq!(sent[0].secret, old.secret);
        assert_eq!(sent[0].secret_hint.as_deref(), Some("…-old"));
        let err = v.into_result().err().unwrap();
        assert_eq!(err.field_errors().len(), 1);
        assert_eq!(err.field_errors()[0].field, "webhooks[1].secret");
    }
}
