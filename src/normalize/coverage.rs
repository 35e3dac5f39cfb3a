//! How far back the time-limited sources reach (OP-04): for each rule-suite and
//! audit-log call, the earliest time it could return records for — GitHub's documented
//! retention or the query's own period, counted back from the snapshot time — and the
//! oldest record it actually returned.
//!
//! The snapshot, not each request's own time, is the reference: normalization must give
//! the same evidence for the same responses however long the collection took (a call
//! made earlier in the collection reaches back a little further, never less far).

use std::collections::BTreeMap;

use chrono::{Duration, Months, NaiveDate};

use super::call::{Call, percent_decode};
use crate::locker::RequestRecord;
use crate::model::{Evidence, SourceCoverage, Timestamp};

/// One call (all its pages): (evidence type, source, scope, parameters).
type CallKey = (String, String, String, String);

#[derive(Debug, Default)]
struct Observed {
    responses: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Coverage {
    calls: BTreeMap<CallKey, Observed>,
}

impl Coverage {
    /// A successful page of a time-limited call.
    pub fn observe(
        &mut self,
        evidence_type: &str,
        source: &str,
        scope: &str,
        call: &Call<'_>,
        record: &RequestRecord,
    ) {
        let key = (
            evidence_type.to_string(),
            source.to_string(),
            scope.to_string(),
            call.parameters.clone(),
        );
        let observed = self.calls.entry(key).or_default();
        observed.responses.push(record.response_sha256.clone());
    }

    pub fn finish(self, evidence: &Evidence) -> Vec<SourceCoverage> {
        let mut out = Vec::new();
        let as_of = evidence.snapshot_time;
        for ((evidence_type, source, scope, parameters), observed) in self.calls {
            let query = query_pairs(&parameters);
            let param = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            let (retention_from, retention, oldest_record) = match evidence_type.as_str() {
                "rule_suites" => {
                    let (from, text) = rule_suite_period(param("time_period"), as_of);
                    let ref_name = param("ref");
                    let oldest = evidence
                        .rule_suites
                        .iter()
                        .filter(|s| {
                            s.source == source
                                && s.repo.eq_ignore_ascii_case(&scope)
                                && ref_name.is_none_or(|r| r == s.ref_name)
                        })
                        .map(|s| s.pushed_at)
                        .min();
                    (from, text, oldest)
                }
                "audit_log" => {
                    let phrase = param("phrase").unwrap_or_default();
                    let (from, text) = audit_log_period(phrase, as_of);
                    let categories: Vec<&str> = phrase
                        .split_whitespace()
                        .filter_map(|t| t.strip_prefix("action:"))
                        .collect();
                    let oldest = evidence
                        .audit_events
                        .iter()
                        .filter(|e| {
                            e.source == source
                                && e.org.eq_ignore_ascii_case(&scope)
                                && (categories.is_empty()
                                    || categories.iter().any(|c| {
                                        e.action == *c || e.action.starts_with(&format!("{c}."))
                                    }))
                        })
                        .map(|e| e.at)
                        .min();
                    (from, text, oldest)
                }
                _ => continue,
            };
            out.push(SourceCoverage {
                source,
                evidence_type,
                scope,
                retention_from,
                retention,
                oldest_record,
                as_of,
                responses: observed.responses,
            });
        }
        out
    }
}

fn query_pairs(parameters: &str) -> Vec<(String, String)> {
    parameters
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// The rule-suite API returns the suites of one `time_period` back from the request:
/// `hour`, `day` (the default), `week` or `month`.
fn rule_suite_period(period: Option<&str>, at: Timestamp) -> (Timestamp, String) {
    let period = period.unwrap_or("day");
    let from = match period {
        "hour" => at - Duration::hours(1),
        "week" => at - Duration::weeks(1),
        "month" => at.checked_sub_months(Months::new(1)).unwrap_or(at),
        _ => at - Duration::days(1),
    };
    (
        from,
        format!(
            "time_period={period}: the rule suites of the last {period} before the snapshot (GitHub keeps them for about a month)"
        ),
    )
}

/// The audit log keeps events for 180 days, but a search without a `created:` qualifier
/// returns only the past three months; a `created:>=DATE` qualifier limits it further.
fn audit_log_period(phrase: &str, at: Timestamp) -> (Timestamp, String) {
    let created = phrase
        .split_whitespace()
        .find_map(|t| t.strip_prefix("created:"));
    let Some(created) = created else {
        let from = at.checked_sub_months(Months::new(3)).unwrap_or(at);
        return (
            from,
            "no `created:` qualifier: the audit-log API returns the past three months".into(),
        );
    };
    let retained = at - Duration::days(180);
    let since = created
        .strip_prefix(">=")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let from = since.map_or(retained, |s| s.max(retained));
    (
        from,
        format!(
            "created:{created}: events since that date, within the 180 days GitHub keeps audit-log events"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn rule_suite_periods() {
        let at = t("2026-10-05T08:50:00Z");
        assert_eq!(
            rule_suite_period(Some("month"), at).0,
            t("2026-09-05T08:50:00Z")
        );
        assert_eq!(rule_suite_period(None, at).0, t("2026-10-04T08:50:00Z"));
        assert_eq!(
            rule_suite_period(Some("week"), at).0,
            t("2026-09-28T08:50:00Z")
        );
    }

    #[test]
    fn audit_log_periods() {
        let at = t("2026-10-05T08:50:00Z");
        assert_eq!(
            audit_log_period("action:protected_branch", at).0,
            t("2026-07-05T08:50:00Z")
        );
        assert_eq!(
            audit_log_period("action:protected_branch created:>=2026-06-30", at).0,
            t("2026-06-30T00:00:00Z")
        );
        // A date older than the retention: the retention decides.
        assert_eq!(
            audit_log_period("action:protected_branch created:>=2025-01-01", at).0,
            at - Duration::days(180)
        );
    }
}
