//! Integration tests, compiled as one binary (`cargo test --test it`).

mod support;

mod collect;
mod fake_github;

mod demo;
mod graphql_schema;
mod locker_errors;
mod normalize;
