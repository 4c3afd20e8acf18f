//! `ikelab profile check`: semantic checks of Apple `.mobileconfig` VPN profiles (ikelab-profile).
//!
//! Exit status: 0 no errors, 1 errors found, 2 an input could not be read (or bad arguments).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use ikelab_profile::output::{self, Outcome};
use ikelab_profile::{Options, OsTarget, ReadError};

/// Apple configuration profiles.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    #[command(subcommand)]
    command: ProfileCommand,
}

#[derive(Debug, Subcommand)]
enum ProfileCommand {
    /// Check .mobileconfig files (XML, binary or CMS-signed) against Apple's schema and the
    /// IKEv2 constraints; exit 0 = no errors, 1 = errors, 2 = unreadable input.
    Check(CheckArgs),
    /// Lower each IKEv2 VPN payload to the policy the device uses (JSON), or print a swanctl.conf
    /// connection for a strongSwan gateway that accepts it; exit 1 on lowering errors.
    Lower(crate::profile_lower::LowerArgs),
    /// Lower a profile and run the reference client against a gateway (swanctl.conf,
    /// VpnSettings.xml or ikelab policy TOML), simulated or `--live`; exit 0 connected, 1 failed.
    Connect(crate::profile_lower::ConnectArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Profiles to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Target OS and version for availability checks, e.g. `ios:17.4`, `macos:14`, `watchos:10`.
    #[arg(long, value_parser = OsTarget::parse)]
    os: Option<OsTarget>,
    /// Minimum pre-shared key length (characters) before SEC-05 fires.
    #[arg(long, default_value_t = 20)]
    min_psk_len: usize,
}

pub fn run(args: ProfileArgs) -> ExitCode {
    match args.command {
        ProfileCommand::Check(c) => check(c),
        ProfileCommand::Lower(a) => crate::profile_lower::lower(a),
        ProfileCommand::Connect(a) => crate::profile_lower::connect(a),
    }
}

fn check(args: CheckArgs) -> ExitCode {
    let opts = Options {
        os: args.os,
        min_psk_len: args.min_psk_len,
    };
    let mut outcomes = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let result = std::fs::read(path)
            .map_err(|source| ReadError::Io {
                path: name.clone(),
                source,
            })
            .and_then(|bytes| ikelab_profile::check_bytes(&name, &bytes, &opts));
        outcomes.push(match result {
            Ok(report) => Outcome::Checked(report),
            Err(e) => Outcome::Unreadable {
                file: name,
                error: e.to_string(),
            },
        });
    }
    let unreadable = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Unreadable { .. }));
    let errors = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Checked(r) if r.has_errors()));
    let rendered = match args.format {
        Format::Text => {
            // Unreadable files go to stderr; findings to stdout.
            for o in &outcomes {
                if let Outcome::Unreadable { file, error } = o {
                    eprintln!("error: cannot read {file}: {error}");
                }
            }
            let checked: Vec<Outcome> = outcomes
                .into_iter()
                .filter(|o| matches!(o, Outcome::Checked(_)))
                .collect();
            output::text(&checked)
        }
        Format::Json => output::json(&outcomes) + "\n",
        Format::Sarif => output::sarif(&outcomes) + "\n",
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(rendered.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    if unreadable {
        ExitCode::from(2)
    } else if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
