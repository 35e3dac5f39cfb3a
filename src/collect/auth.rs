//! Credentials: a token read from the environment variable the config names. The token
//! lives in a [`Secret`], which never prints itself, and is only ever put into the
//! `Authorization` header of requests to the source's API root.

use std::fmt;

use super::time::BoxFuture;

/// A credential. `Debug` and errors never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret value, for the one place that needs it (the request header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "source `{source_name}`: the environment variable {var} is not set or empty; export a GitHub token in it (see docs/github.md for the scopes)"
    )]
    MissingToken { source_name: String, var: String },
    #[error(
        "source `{source_name}`: no credential configured; set `token_env = \"GITHUB_TOKEN\"` (or `app = {{ … }}`) in its [[source]]"
    )]
    NoCredential { source_name: String },
    #[error("source `{source_name}`: {message}")]
    App {
        source_name: String,
        message: String,
    },
}

/// Gives the credential for the next request (an App's installation token changes).
pub trait TokenSource: Send + Sync {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>>;
    /// GitHub rejected the current credential (401): get a new one next time, if the
    /// source can.
    fn invalidate(&self) {}
}

/// A fixed token (personal access token, or a token minted outside changeproof).
pub struct StaticToken(Secret);

impl StaticToken {
    pub fn new(secret: Secret) -> StaticToken {
        StaticToken(secret)
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret, AuthError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// Reads the token from the variable `var` through `lookup` (the process environment in
/// the CLI; a map in tests, which must not mutate the process environment).
pub fn token_from_env(
    source_name: &str,
    var: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, AuthError> {
    match lookup(var) {
        Some(value) if !value.trim().is_empty() => Ok(Secret::new(value.trim().to_string())),
        _ => Err(AuthError::MissingToken {
            source_name: source_name.to_string(),
            var: var.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("ghp_supersecret".into());
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        let err = token_from_env("github-acme", "GITHUB_TOKEN", &|_| None).unwrap_err();
        assert!(err.to_string().contains("GITHUB_TOKEN"));
        let ok = token_from_env("github-acme", "T", &|_| Some(" tok \n".into())).unwrap();
        assert_eq!(ok.expose(), "tok");
    }
}
