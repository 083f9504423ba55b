use canopy_kernel::Violations;
use canopy_kernel::auth::Role;
use canopy_kernel::validate::{clean_text, is_email};

pub use canopy_api::tenants::{MAX_PASSWORD, MIN_PASSWORD};

/// Roles as stored: comma-separated, sorted, unique.
pub fn roles_to_column(roles: &[Role]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

pub fn roles_from_column(column: &str) -> Vec<Role> {
    column.split(',').filter_map(|r| r.parse().ok()).collect()
}

/// Parses role names sent by a client; `tenant_user` says whether the user belongs to a tenant.
pub fn parse_roles(names: &[String], tenant_user: bool, v: &mut Violations) -> Vec<Role> {
    if names.is_empty() {
        v.add("roles", "give at least one role");
    }
    let mut roles = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match name.parse::<Role>() {
            Ok(role) if role.is_provider() == tenant_user => v.add(
                format!("roles[{i}]"),
                if tenant_user {
                    format!("`{role}` is a provider role; tenant users take requester or tenant_admin")
                } else {
                    format!("`{role}` is a tenant role; provider staff take agent, engineer, dispatcher or provider_admin")
                },
            ),
            Ok(role) => roles.push(role),
            Err(message) => v.add(format!("roles[{i}]"), message),
        }
    }
    roles
}

pub fn check_email(email: &str, v: &mut Violations) {
    v.check(is_email(email.trim()), "email", format!("`{email}` is not an email address"));
}

pub fn check_password(password: &str, field: &str, v: &mut Violations) {
    let n = password.chars().count();
    v.check(
        (MIN_PASSWORD..=MAX_PASSWORD).contains(&n),
        field,
        format!("must have {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
    );
}

pub fn check_display_name(name: &str, v: &mut Violations) -> String {
    match clean_text(name, 200) {
        Ok(name) => name,
        Err(message) => {
            v.add("display_name", message);
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_users_cannot_hold_provider_roles() {
        let mut v = Violations::new();
        let roles =
            parse_roles(&["requester".into(), "provider_admin".into(), "wizard".into()], true, &mut v);
        assert_eq!(roles, vec![Role::Requester]);
        let err = v.into_result().err().unwrap();
        assert_eq!(err.field_errors().len(), 2);
        assert!(err.field_errors()[1].message.contains("unknown role `wizard`"));
    }

    #[test]
    fn roles_round_trip_through_the_column() {
        let roles = vec![Role::Engineer, Role::Agent, Role::Engineer];
        assert_eq!(roles_from_column(&roles_to_column(&roles)), vec![Role::Agent, Role::Engineer]);
    }
}
