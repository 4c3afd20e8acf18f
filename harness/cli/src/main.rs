//! `ikelab`: the command-line front end. Each subcommand maps to one library entry point.
#![warn(clippy::unwrap_used)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench_cmd;
mod connect_cmd;
mod decode;
mod ping;
mod profile_cmd;
mod profile_lower;
mod run_cmd;
mod serve_cmd;

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
    /// Run the reference initiator: establish an IKE SA and its first CHILD_SA.
    Connect(connect_cmd::ConnectArgs),
    /// Run the reference responder.
    Serve(serve_cmd::ServeArgs),
    /// Measure data-plane throughput (`bench esp`).
    Bench(bench_cmd::BenchArgs),
    /// Run scenario files in the simulator and write reports (exit 0 pass, 1 fail, 2 bad input).
    Run(run_cmd::RunArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(args),
        Command::Profile(args) => profile_cmd::run(args),
        Command::Connect(args) => connect_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args),
        Command::Run(args) => run_cmd::run(args),
    }
}
