//! Deployments of a `kind = "file"` source: the imported export (a raw file in the
//! locker) mapped into the evidence model with the same parser that validated it
//! (`crate::deployment_import`). Each record keeps a reference to its row, element or
//! line of the file; each repository's share is a population query (IPE) whose
//! endpoint names the file.

use std::collections::BTreeMap;

use crate::deployment_import::{self, FORMAT_HEADER, FileFormat};
use crate::locker::{Locker, RequestRecord};
use crate::model::{Actor, ActorKind, Deployment, DeploymentApproval, DeploymentStatus};

use super::NormalizeError;
use super::collected::Collected;
use super::ipe::{QueryKey, Yield};

pub(super) fn process(
    locker: &Locker,
    collected: &mut Collected,
    source: &str,
    record: &RequestRecord,
) -> Result<(), NormalizeError> {
    let call = || format!("{} {}", record.method, record.url);
    let path = record.url.strip_prefix("file:").unwrap_or(&record.url);
    let format = record
        .headers
        .get(FORMAT_HEADER)
        .and_then(|f| match f.as_str() {
            "csv" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "ndjson" => Some(FileFormat::Ndjson),
            _ => None,
        })
        .or_else(|| FileFormat::from_path(path))
        .ok_or_else(|| NormalizeError::Request {
            seq: record.seq,
            call: call(),
            message: format!("the record does not say the file's format (`{FORMAT_HEADER}`)"),
        })?;
    let bytes = locker.raw(&record.response_sha256)?;
    let records =
        deployment_import::parse(path, format, &bytes).map_err(|e| NormalizeError::Request {
            seq: record.seq,
            call: call(),
            message: e.to_string(),
        })?;
    let mut per_repo: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in records {
        let evidence = vec![format!("sha256:{}#{}", record.response_sha256, d.fragment)];
        let login = |login: &str| Actor {
            kind: ActorKind::User,
            login: login.to_string().into(),
        };
        per_repo
            .entry(d.repo.clone())
            .or_default()
            .push(d.id.clone());
        collected.imported_deployments.push(Deployment {
            source: source.to_string().into(),
            repo: d.repo.into(),
            id: d.id.into(),
            environment: d.environment.clone().into(),
            sha: d.sha.into(),
            ref_name: d.ref_name.into(),
            created_at: d.created_at,
            creator: d.deployer.as_deref().map(login),
            statuses: vec![DeploymentStatus {
                state: d.status.into(),
                created_at: d.finished_at,
                creator: None,
                log_url: None,
            }],
            workflow_run_id: None,
            approvals: d
                .approvers
                .iter()
                .map(|a| DeploymentApproval {
                    user: login(a),
                    state: "approved".into(),
                    environments: vec![d.environment.clone().into()],
                    comment: String::new().into(),
                    evidence: crate::model::evidence_refs(evidence.clone()),
                })
                .collect(),
            url: d.url.into(),
            evidence: crate::model::evidence_refs(evidence),
        });
    }
    for (repo, ids) in per_repo {
        collected.queries.add(
            QueryKey {
                source: source.to_string(),
                evidence_type: "deployments".into(),
                repo: Some(repo),
                endpoint: format!("{} {}", record.method, record.url),
                parameters: "every record of the file".into(),
            },
            &record.response_sha256,
            Yield::records(ids),
        );
    }
    Ok(())
}
