//! Integration tests, compiled as one binary (`cargo test --test it`).

mod support;

mod bundle_formats;
mod collect;
mod demo;
mod fake_github;
mod fake_gitlab;
mod file_import;
mod gitlab_collect;
mod gitlab_example;
mod graphql_schema;
mod locker_errors;
mod mixed_sources;
mod normalize;
mod sampling;
mod verify;
