//! URLs: percent-encoding of path segments and query values, and following GitHub's
//! `Link` pagination while keeping the URL forms of the contract (`crate::github`).
//!
//! GitHub's `Link` URLs sometimes name the resource differently from the request
//! (`/organizations/123/repos` for `/orgs/acme/repos`). The collector therefore keeps
//! its own URL and takes only the pagination parameters (`page`, `after`, `before`,
//! `cursor`) from the `next` link, so every page of a list carries the documented path
//! and parameters followed by `&page=N`.

/// Parameters that move through a list; everything else identifies the list.
const PAGINATION: &[&str] = &["page", "after", "before", "cursor"];

/// Percent-encodes a path segment or query value: everything but RFC 3986 unreserved
/// characters (`release/2.0` → `release%2F2.0`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL of the `rel="next"` entry of a `Link` header.
pub fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then_some(url)
    })
}

fn split_query(url: &str) -> (&str, Vec<&str>) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs = query.split('&').filter(|p| !p.is_empty()).collect();
    (base, pairs)
}

fn name(pair: &str) -> &str {
    pair.split('=').next().unwrap_or(pair)
}

/// The URL of the next page: `current` without its pagination parameters, followed by
/// those of `next` (`None` when `next` carries none, i.e. cannot be followed safely).
pub fn next_page_url(current: &str, next: &str) -> Option<String> {
    let (base, pairs) = split_query(current);
    let (_, next_pairs) = split_query(next);
    let moving: Vec<&str> = next_pairs
        .into_iter()
        .filter(|p| PAGINATION.contains(&name(p)))
        .collect();
    if moving.is_empty() {
        return None;
    }
    let kept: Vec<&str> = pairs
        .into_iter()
        .filter(|p| !PAGINATION.contains(&name(p)))
        .chain(moving)
        .collect();
    Some(format!("{base}?{}", kept.join("&")))
}

/// `{api_url}{path}` with `query` appended when not empty.
pub fn url(api_url: &str, path: &str, query: &str) -> String {
    if query.is_empty() {
        format!("{api_url}{path}")
    } else {
        format!("{api_url}{path}?{query}")
    }
}

/// The GraphQL endpoint of an API root: `https://api.github.com/graphql`, or for GitHub
/// Enterprise Server `https://host/api/graphql` beside `https://host/api/v3`.
pub fn graphql_url(api_url: &str) -> String {
    match api_url.strip_suffix("/v3") {
        Some(root) if root.ends_with("/api") => format!("{root}/graphql"),
        _ => format!("{api_url}/graphql"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_branch_names_and_refs() {
        assert_eq!(encode("release/2.0"), "release%2F2.0");
        assert_eq!(encode("refs/heads/main"), "refs%2Fheads%2Fmain");
        assert_eq!(encode("feat#1 x"), "feat%231%20x");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn finds_the_next_link_in_githubs_format() {
        let link = "<https://api.github.com/repositories/1300192/issues?page=2>; rel=\"prev\", \
                    <https://api.github.com/repositories/1300192/issues?page=4>; rel=\"next\", \
                    <https://api.github.com/repositories/1300192/issues?page=515>; rel=\"last\", \
                    <https://api.github.com/repositories/1300192/issues?page=1>; rel=\"first\"";
        assert_eq!(
            next_link(link),
            Some("https://api.github.com/repositories/1300192/issues?page=4")
        );
        assert_eq!(next_link("<https://x/?page=1>; rel=\"first\""), None);
    }

    #[test]
    fn next_page_keeps_the_documented_path_and_parameters() {
        let current = "https://api.github.com/orgs/acme/repos?type=all&per_page=100";
        let next = "https://api.github.com/organizations/9/repos?type=all&per_page=100&page=2";
        assert_eq!(
            next_page_url(current, next).unwrap(),
            "https://api.github.com/orgs/acme/repos?type=all&per_page=100&page=2"
        );
        let current2 = "https://api.github.com/orgs/acme/repos?type=all&per_page=100&page=2";
        let next3 = "https://api.github.com/organizations/9/repos?page=3&per_page=100&type=all";
        assert_eq!(
            next_page_url(current2, next3).unwrap(),
            "https://api.github.com/orgs/acme/repos?type=all&per_page=100&page=3"
        );
        let audit = "https://api.github.com/orgs/acme/audit-log?phrase=x&per_page=100";
        let after = "https://api.github.com/orgs/acme/audit-log?phrase=x&per_page=100&after=MTY2%3D&before=";
        assert_eq!(
            next_page_url(audit, after).unwrap(),
            "https://api.github.com/orgs/acme/audit-log?phrase=x&per_page=100&after=MTY2%3D&before="
        );
        assert_eq!(next_page_url(audit, "https://api.github.com/x"), None);
    }

    #[test]
    fn graphql_endpoints() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://ghe.example.com/api/v3"),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(
            graphql_url("http://127.0.0.1:9"),
            "http://127.0.0.1:9/graphql"
        );
    }
}
