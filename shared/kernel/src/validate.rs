//! Small checks that more than one service makes on what clients send.

/// A pragmatic email check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    value.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && value.chars().all(|c| c.is_ascii_graphic() || (!c.is_ascii() && !c.is_whitespace()))
}

/// Emails compare case-insensitively; they are stored in this form.
pub fn normalize_email(value: &str) -> String {
    value.trim().to_lowercase()
}

/// Trimmed, non-empty, at most `max` characters, no control characters.
pub fn clean_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if trimmed.chars().count() > max {
        return Err(format!("must have at most {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// A JSON body parsed into `T`, a bad value named by its path (`targets.P1.onsite_mins`).
pub fn parse<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> crate::ApiResult<T> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        crate::ApiError::invalid(
            if path == "." { "body".to_owned() } else { path },
            e.into_inner().to_string(),
        )
    })
}

/// A stored JSON column read back; a failure here is ours, not the client's.
pub fn stored<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> crate::ApiResult<T> {
    serde_json::from_value(value.clone()).map_err(crate::ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "li.wei+desk@example.com.cn", "ops@xn--fiqs8s.cn"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@.co", "a@b.co.", "a@b..co"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn text() {
        assert_eq!(clean_text("  Acme  ", 10), Ok("Acme".into()));
        assert!(clean_text("   ", 10).is_err());
        assert!(clean_text("abcdefghijk", 10).is_err());
        assert!(clean_text("a\u{7}b", 10).is_err());
    }
}
