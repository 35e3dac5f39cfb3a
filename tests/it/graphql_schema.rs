//! Every GraphQL query changeproof sends is valid against GitHub's published schema
//! (`tests/data/github/schema.graphql`): a misspelt field, a wrong argument or a
//! fragment on the wrong type fails here, not against the live API.

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use changeproof::github::QUERIES;

/// Defects of GitHub's published schema itself, tolerated by exact message: the schema
/// defines these fields twice on `EnterpriseOwnerInfo`. Anything else wrong with the
/// schema file fails the tests, and queries are validated without any leniency.
const KNOWN_SCHEMA_DEFECTS: &[&str] = &[
    "duplicate definitions for the `repositoryDeployKeySetting` field of object type `EnterpriseOwnerInfo`",
    "duplicate definitions for the `repositoryDeployKeySettingOrganizations` field of object type `EnterpriseOwnerInfo`",
];

fn github_schema() -> Valid<Schema> {
    let path = crate::support::data("github/schema.graphql");
    let text = std::fs::read_to_string(&path).expect("GitHub schema");
    match Schema::parse_and_validate(text, &path) {
        Ok(schema) => schema,
        Err(with_errors) => {
            let unexpected: Vec<String> = with_errors
                .errors
                .iter()
                .map(|d| d.error.to_string())
                .filter(|message| !KNOWN_SCHEMA_DEFECTS.contains(&message.as_str()))
                .collect();
            assert!(
                unexpected.is_empty(),
                "{} does not validate:\n{}",
                path.display(),
                with_errors.errors
            );
            // Validation ran over the whole schema and found only the known defects,
            // which no query of ours touches.
            Valid::assume_valid(with_errors.partial)
        }
    }
}

/// Validates `query` strictly: every diagnostic is a failure.
fn validate(schema: &Valid<Schema>, name: &str, query: &str) -> Result<(), String> {
    ExecutableDocument::parse_and_validate(schema, query, format!("{name}.graphql"))
        .map(|_| ())
        .map_err(|with_errors| with_errors.errors.to_string())
}

#[test]
fn every_query_is_valid_against_githubs_schema() {
    let schema = github_schema();
    assert!(!QUERIES.is_empty());
    for (name, query) in QUERIES {
        if let Err(errors) = validate(&schema, name, query) {
            panic!("query {name} is not valid against GitHub's schema:\n{errors}");
        }
        let document =
            ExecutableDocument::parse(&schema, *query, format!("{name}.graphql")).expect("parses");
        assert!(
            document.operations.get(Some(name)).is_ok(),
            "the query's operation is not named {name}"
        );
    }
}

#[test]
fn a_misspelt_field_fails_validation() {
    let schema = github_schema();
    for (name, query) in QUERIES {
        let field = match *name {
            "MergedPullRequests" | "DeployedCommit" => "headRefOid",
            "BranchHistory" => "messageHeadline",
            // The per-PR follow-ups: the connection's count.
            _ => "totalCount",
        };
        assert!(query.contains(field), "{name} lost {field}");
        let broken = query.replacen(field, &format!("{field}s"), 1);
        let errors =
            validate(&schema, name, &broken).expect_err("a misspelt field must fail validation");
        assert!(errors.contains(&format!("{field}s")), "{errors}");
    }
}

#[test]
fn a_fragment_on_the_wrong_type_and_a_wrong_argument_fail_validation() {
    let schema = github_schema();
    let (name, query) = QUERIES
        .iter()
        .find(|(name, _)| *name == "MergedPullRequests")
        .unwrap();
    let wrong_fragment = query.replacen("... on CheckRun {", "... on StatusContext {", 1);
    assert!(validate(&schema, name, &wrong_fragment).is_err());
    let wrong_argument = query.replacen("labels(first: 20)", "labels(frist: 20)", 1);
    assert_ne!(&wrong_argument, query);
    assert!(validate(&schema, name, &wrong_argument).is_err());
}
