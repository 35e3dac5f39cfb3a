//! changeproof: SOC 2 Type II evidence from a software organisation's delivery records.
//!
//! The pipeline is collect → locker → normalize → evaluate → bundle; see
//! docs/ARCHITECTURE.md for the map of modules and the invariants they keep.

pub mod allocator;
pub mod analytics;
pub mod bundle;
pub mod catalog;
pub mod catalog_text;
pub mod collect;
pub mod config;
pub mod deployment_import;
pub mod evaluate;
pub mod example;
pub mod findings;
pub mod github;
pub mod gitlab;
pub mod inputs;
pub mod locker;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod reconcile;
pub mod roster;
pub mod sampling;
pub mod sha_map;
pub mod signing;
pub mod util;
pub mod verify;
pub mod waivers;

/// The tool version written into lockers and bundles.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
