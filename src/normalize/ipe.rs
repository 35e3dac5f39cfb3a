//! Information produced by the entity (IPE): how each population was obtained.
//!
//! Every successful response is attributed to one population query — a (source,
//! evidence type, repository, endpoint, parameters) group — with the records it yielded
//! and the API's own total where it states one, so an auditor can check completeness.

use std::collections::{BTreeMap, BTreeSet};

use crate::github::{MergedRange, SEARCH_CAP};
use crate::model::PopulationQuery;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueryKey {
    pub source: String,
    pub evidence_type: String,
    pub repo: Option<String>,
    /// `GET /repos/acme/api/deployments` or `POST /graphql MergedPullRequests`.
    pub endpoint: String,
    /// Query string without `page`, or GraphQL variables without `cursor` as JSON.
    pub parameters: String,
}

/// What one response contributed to its population.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yield {
    /// Natural keys of the records it held (distinct across pages: a record repeated on
    /// a shifted page counts once).
    pub records: Vec<String>,
    /// The API's own count of the population, when the response states one.
    pub total_count: Option<u64>,
}

impl Yield {
    pub fn records(records: Vec<String>) -> Yield {
        Yield {
            records,
            total_count: None,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Group {
    pages: u32,
    records: BTreeSet<String>,
    total_count: Option<u64>,
    responses: Vec<String>,
}

/// The population queries of a locker, built response by response in request order.
#[derive(Debug, Default)]
pub struct Queries {
    groups: BTreeMap<QueryKey, Group>,
}

impl Queries {
    /// Attributes one response (in request order) to its population query.
    pub fn add(&mut self, key: QueryKey, response_sha256: &str, contributed: Yield) {
        let group = self.groups.entry(key).or_default();
        group.pages += 1;
        group.records.extend(contributed.records);
        // Each page repeats the total; the latest page's figure is the one in force.
        if contributed.total_count.is_some() {
            group.total_count = contributed.total_count;
        }
        group.responses.push(response_sha256.to_string());
    }

    /// Drops each merged-PR search that matched more than GitHub's search cap and was
    /// split: both halves of its date range were searched too (see
    /// `github::MergedRange::split`), so its first page is superseded by them. A search
    /// over the cap that was not split stays, showing its shortfall.
    fn drop_split_searches(&mut self) {
        let range_of = |key: &QueryKey| {
            if key.evidence_type != "pull_requests" {
                return None;
            }
            let variables: serde_json::Value = serde_json::from_str(&key.parameters).ok()?;
            MergedRange::of_query(variables.get("q")?.as_str()?)
        };
        let searched: BTreeSet<(String, Option<String>, MergedRange)> = self
            .groups
            .keys()
            .filter_map(|k| Some((k.source.clone(), k.repo.clone(), range_of(k)?)))
            .collect();
        self.groups.retain(|key, group| {
            let over = group.total_count.is_some_and(|t| t > SEARCH_CAP);
            let split = range_of(key).and_then(|r| r.split()).is_some_and(|(a, b)| {
                [a, b]
                    .into_iter()
                    .all(|half| searched.contains(&(key.source.clone(), key.repo.clone(), half)))
            });
            !(over && split)
        });
    }

    pub fn finish(mut self) -> Vec<PopulationQuery> {
        self.drop_split_searches();
        self.groups
            .into_iter()
            .map(|(key, group)| PopulationQuery {
                source: key.source,
                evidence_type: key.evidence_type,
                repo: key.repo,
                endpoint: key.endpoint,
                parameters: key.parameters,
                pages: group.pages,
                records: group.records.len() as u64,
                total_count: group.total_count,
                responses: group.responses,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_over_the_cap_is_superseded_only_by_both_halves() {
        let q = |range: &str| format!("{{\"q\":\"repo:acme/api is:pr is:merged merged:{range}\"}}");
        let over = Yield {
            records: vec!["1".into()],
            total_count: Some(1500),
        };
        let mut queries = Queries::default();
        queries.add(key(&q("2026-06-30..2026-10-01")), "aa", over.clone());
        queries.add(key(&q("2026-06-30..2026-08-15")), "bb", Yield::default());
        // One half alone does not supersede it.
        let kept = Queries {
            groups: queries.groups.clone(),
        }
        .finish();
        assert_eq!(kept.len(), 2);
        queries.add(key(&q("2026-08-16..2026-10-01")), "cc", Yield::default());
        let out = queries.finish();
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|q| q.total_count != Some(1500)));
    }

    fn key(parameters: &str) -> QueryKey {
        QueryKey {
            source: "github-acme".into(),
            evidence_type: "pull_requests".into(),
            repo: Some("acme/api".into()),
            endpoint: "POST /graphql MergedPullRequests".into(),
            parameters: parameters.into(),
        }
    }

    #[test]
    fn pages_merge_and_repeated_records_count_once() {
        let mut q = Queries::default();
        q.add(
            key("{}"),
            "aa",
            Yield {
                records: vec!["1".into(), "2".into()],
                total_count: Some(3),
            },
        );
        q.add(
            key("{}"),
            "bb",
            Yield {
                records: vec!["2".into(), "3".into()],
                total_count: Some(3),
            },
        );
        q.add(key("{\"other\":1}"), "cc", Yield::records(vec![]));
        let out = q.finish();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].parameters, "{\"other\":1}");
        assert_eq!(out[0].records, 0);
        assert_eq!(out[1].pages, 2);
        assert_eq!(out[1].records, 3);
        assert_eq!(out[1].total_count, Some(3));
        assert_eq!(out[1].responses, vec!["aa", "bb"]);
    }
}
