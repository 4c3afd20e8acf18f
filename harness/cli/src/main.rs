//! `ikelab`: the command-line front end. Each subcommand maps to one library entry point.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod profile_cmd;

/// IKEv2/ESP conformance, interop and fuzzing harness.
#[derive(Debug, Parser)]
#[command(name = "ikelab", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode IKEv2/ESP datagrams from a pcap/pcapng capture or a raw IKE message.
    Decode(decode::DecodeArgs),
    /// Check Apple .mobileconfig VPN profiles.
    Profile(profile_cmd::ProfileArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(args),
        Command::Profile(args) => profile_cmd::run(args),
    }
}
