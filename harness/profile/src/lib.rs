//! ikelab-profile: a semantic checker for Apple `.mobileconfig` VPN profiles.
//!
//! Reads XML or binary plists (optionally CMS-signed), walks every payload against Apple's
//! device-management schema (`schema::PAYLOADS`, generated from the YAML in `schema/apple/`),
//! then applies the numbered constraints of `rules/constraints.md`, Apple-internal
//! inconsistencies, Intune disagreements, cross-payload and security rules (`rules::RULES`).
//!
//! ```no_run
//! let bytes = std::fs::read("vpn.mobileconfig").unwrap();
//! let report = ikelab_profile::check_bytes("vpn.mobileconfig", &bytes, &Default::default()).unwrap();
//! print!("{}", ikelab_profile::output::text(&[ikelab_profile::output::Outcome::Checked(report)]));
//! ```
#![warn(clippy::unwrap_used)]

pub mod check;
pub mod diag;
pub mod error;
pub mod fuzzing;
pub mod lower;
pub mod output;
pub mod read;
pub mod rules;
pub mod schema;
pub mod x509;

pub use check::{check_bytes, check_source, Options, OsTarget, Report};
pub use diag::{Diagnostic, Severity};
pub use error::ReadError;
