//! What a scenario run produced: the contract between the runner and the reports
//! (`ikelab-report` reads these types; `summary.json` is their serde form).
//!
//! Everything here is already redacted: no PSK, password or key appears in an outcome. Key
//! tables are separate files written only on request.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A whole run of `ikelab run` (or of the `cargo test` scenario harness).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SuiteOutcome {
    /// `ikelab` version that ran the suite.
    pub tool_version: String,
    /// `sim` or `udp`.
    pub mode: String,
    pub scenarios: Vec<ScenarioOutcome>,
    pub coverage: Coverage,
    /// Wall-clock time of the whole run, milliseconds.
    pub wall_ms: u64,
}

/// One scenario file run with ikelab in one role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioOutcome {
    /// Scenario `name` (unique in a suite); with `role` it names the test: `<name>::<role>`.
    pub name: String,
    /// The scenario file, as given on the command line / relative to the suite root.
    pub file: PathBuf,
    pub description: String,
    /// The role of ikelab under test in this run.
    pub role: Role,
    pub cites: Vec<Citation>,
    pub verdict: Verdict,
    /// Simulated time from the first to the last event, microseconds.
    pub virtual_us: u64,
    /// Wall-clock time the run took, microseconds.
    pub wall_us: u64,
    /// Every datagram on the simulated wire, in order (for ladder diagrams).
    pub trace: Vec<TraceEntry>,
    /// Nodes of the world, in ladder column order.
    pub nodes: Vec<NodeInfo>,
    /// pcap of this run (virtual timestamps), relative to the report directory, if written.
    pub pcap: Option<PathBuf>,
    /// Wireshark `ikev2_decryption_table` / `esp_sa` beside the pcap, if written.
    pub key_tables: Vec<PathBuf>,
}

/// The role of the implementation under test.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Initiator,
    Responder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Initiator => "initiator",
            Role::Responder => "responder",
        }
    }
}

/// A requirement a scenario checks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Citation {
    /// RFC number, e.g. 7296.
    pub rfc: u32,
    /// Section, e.g. "2.6".
    pub section: String,
    /// The requirement's words (quoted from the RFC).
    pub text: String,
    /// Catalogue id (`RFC7296-2.6-03`) when the requirement is in a catalogue.
    pub requirement: Option<String>,
}

/// Pass, fail (expectations not met) or error (the scenario could not run).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail { failures: Vec<Failure> },
    Error { message: String },
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass)
    }
}

/// One unmet expectation: which step, what was expected, what was seen instead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Failure {
    /// `steps[3] (connect)` or `expect.notifies[0]`.
    pub step: String,
    pub expected: String,
    pub observed: String,
}

/// A node of the simulated world.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeInfo {
    /// Name used in the trace (`initiator`, `responder`, `nat`...).
    pub name: String,
    /// `ikelab`, later `strongswan`/`libreswan`.
    pub implementation: String,
    pub addresses: Vec<String>,
    /// Whether this node is the implementation under test in this run.
    pub under_test: bool,
}

/// What crossed the simulated wire.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DatagramKind {
    Ike,
    Esp,
    NatKeepalive,
    Other,
}

/// One datagram in the trace.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TraceEntry {
    /// Virtual time it was sent, microseconds since the start of the scenario.
    pub time_us: u64,
    /// Node names.
    pub from: String,
    pub to: String,
    /// `192.0.2.1:500`.
    pub src: String,
    pub dst: String,
    pub kind: DatagramKind,
    /// IKE: exchange name (`IKE_SA_INIT`), message ID, request/response.
    pub exchange: Option<String>,
    pub message_id: Option<u32>,
    pub response: bool,
    /// IKE: payload type names in order, inner payloads for encrypted messages (`SK{IDi,AUTH}`
    /// is written as `encrypted = true` with `payloads = ["IDi","AUTH",...]`).
    pub payloads: Vec<String>,
    pub notifies: Vec<String>,
    pub encrypted: bool,
    /// ESP: SPI and sequence number.
    pub spi: Option<u32>,
    pub seq: Option<u32>,
    pub len: usize,
    /// The link or a fault dropped it.
    pub dropped: bool,
    /// A fault changed it (the fault's description).
    pub fault: Option<String>,
}

/// Requirement coverage against the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Coverage {
    /// Catalogue file it was computed against.
    pub catalogue: String,
    pub testable: usize,
    /// Testable requirements with at least one passing scenario.
    pub covered: usize,
    /// Per requirement id: passing and failing scenario runs that cite it.
    pub requirements: Vec<RequirementCoverage>,
}

impl Coverage {
    pub fn ratio(&self) -> f64 {
        if self.testable == 0 {
            0.0
        } else {
            self.covered as f64 / self.testable as f64
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequirementCoverage {
    pub id: String,
    pub section: String,
    pub keyword: String,
    pub text: String,
    pub testable: bool,
    /// `<name>::<role>` of passing runs citing it.
    pub passing: Vec<String>,
    pub failing: Vec<String>,
}
