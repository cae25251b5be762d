//! Bearer-token protection of the exposition.

use crate::ConfigError;

/// A validated bearer token.
#[derive(Clone)]
pub(crate) struct BearerToken(Box<[u8]>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl BearerToken {
    /// Accepts RFC 6750 `b64token` syntax: letters, digits and `-._~+/`, then optional `=`.
    pub(crate) fn new(token: &str) -> Result<Self, ConfigError> {
        let body = token.trim_end_matches('=');
        let valid = !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        if !valid {
            return Err(ConfigError::Token(
                "a bearer token is one or more letters, digits or -._~+/ characters, optionally followed by '='"
                    .into(),
            ));
        }
        Ok(Self(token.as_bytes().into()))
    }

    /// Whether an `Authorization` header value carries this token (scheme case-insensitive).
    /// The comparison takes the same time wherever the first difference is.
    pub(crate) fn admits(&self, authorization: Option<&str>) -> bool {
        let Some((scheme, credentials)) = authorization.and_then(|v| v.trim().split_once(' '))
        else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && constant_time_eq(credentials.trim_start().as_bytes(), &self.0)
    }
}

/// Compares in time that depends only on the longer length, not on the contents.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_validated() {
        assert!(BearerToken::new("s3cr3t-token_~+/==").is_ok());
        for bad in ["", "=", "has space", "new\nline", "ünï", "a=b"] {
            assert!(BearerToken::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_the_exact_token_is_admitted() {
        let token = BearerToken::new("s3cret").unwrap();
        assert!(token.admits(Some("Bearer s3cret")));
        assert!(token.admits(Some("bearer s3cret")));
        assert!(token.admits(Some("  BEARER   s3cret ")));
        for wrong in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer "),
            Some("Bearer s3cre"),
            Some("Bearer s3crets"),
            Some("Bearer S3CRET"),
            Some("Basic s3cret"),
            Some("s3cret"),
        ] {
            assert!(!token.admits(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
