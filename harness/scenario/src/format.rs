//! The scenario file format (`scenarios/**/*.toml`), as serde types. `scenarios/README.md`
//! documents it; `scenarios/scenario.schema.json` is generated from these types.
//!
//! Faults and expectations name nodes by *part*: `sut` (the implementation under test in this
//! run), `peer` (the other side), or explicitly `initiator`/`responder`. A scenario runs once
//! per role in `roles`, so one file written in `sut`/`peer` terms checks a requirement on
//! both sides.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Unique in a suite; with the role it names the test (`<name>::<role>`).
    pub name: String,
    pub description: String,
    /// The requirements this scenario checks.
    #[serde(default)]
    pub cites: Vec<CiteSpec>,
    /// Roles ikelab-under-test plays; the scenario runs once per role.
    #[serde(default = "both_roles")]
    pub roles: Vec<RoleSpec>,
    /// The initiating peer (defaults: a PSK client that agrees with the default responder).
    #[serde(default)]
    pub initiator: PeerSpec,
    /// The responding peer.
    #[serde(default)]
    pub responder: PeerSpec,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// What happens, in order. Empty: `connect`, then run until both sides have a CHILD_SA
    /// or one gives up.
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    #[serde(default)]
    pub expect: ExpectSpec,
    /// Extra expectations when ikelab-under-test is the initiator.
    #[serde(default)]
    pub expect_when_initiator: Option<ExpectSpec>,
    /// Extra expectations when ikelab-under-test is the responder.
    #[serde(default)]
    pub expect_when_responder: Option<ExpectSpec>,
}

fn both_roles() -> Vec<RoleSpec> {
    vec![RoleSpec::Initiator, RoleSpec::Responder]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleSpec {
    Initiator,
    Responder,
}

/// A cited requirement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiteSpec {
    #[serde(default = "rfc7296")]
    pub rfc: u32,
    pub section: String,
    /// The requirement's words.
    pub text: String,
    /// Catalogue id, e.g. `RFC7296-2.6-03`.
    #[serde(default)]
    pub requirement: Option<String>,
}

fn rfc7296() -> u32 {
    7296
}

/// One peer's policy, as changes to the built-in default (PSK, FQDN identities
/// `client.example`/`vpn.example`, ikelab's default proposals, dynamic selectors).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerSpec {
    /// Only `ikelab` runs in simulation.
    #[serde(default)]
    pub implementation: Option<String>,
    /// A whole `ikelab_policy::IkePolicy` TOML file (relative to the scenario file) instead
    /// of the default; the fields below still apply on top.
    #[serde(default)]
    pub policy_file: Option<String>,
    /// IKE proposals in strongSwan syntax, in order of preference.
    #[serde(default)]
    pub ike: Option<Vec<String>>,
    /// ESP proposals of the first CHILD_SA.
    #[serde(default)]
    pub esp: Option<Vec<String>>,
    /// Our identity (strongSwan notation).
    #[serde(default)]
    pub id: Option<String>,
    /// The identity required of the peer (`%any` for any).
    #[serde(default)]
    pub remote_id: Option<String>,
    /// Pre-shared key (text). Redacted in every report.
    #[serde(default)]
    pub psk: Option<String>,
    /// Our traffic selectors (`10.1.0.0/24`, `dynamic`, `10.0.0.1/32[icmp]`).
    #[serde(default)]
    pub local_ts: Option<Vec<String>>,
    #[serde(default)]
    pub remote_ts: Option<Vec<String>>,
    /// Responder: address pool for CP(CFG_REPLY), e.g. `10.99.0.0/24`.
    #[serde(default)]
    pub pool: Option<String>,
    /// Initiator: CP(CFG_REQUEST) attribute names (`INTERNAL_IP4_ADDRESS`, ...).
    #[serde(default)]
    pub config_request: Option<Vec<String>>,
    /// Responder: demand a COOKIE once this many SAs are half-open (0: always).
    #[serde(default)]
    pub cookie_threshold: Option<u32>,
    /// Liveness checks after this long without traffic (`30s`).
    #[serde(default)]
    pub dpd_interval: Option<String>,
    /// Retransmission timeout and count (RFC 7296 §2.4).
    #[serde(default)]
    pub retransmit_timeout: Option<String>,
    #[serde(default)]
    pub retransmits: Option<u32>,
    /// CHILD_SA / IKE SA soft lifetimes (rekey timers).
    #[serde(default)]
    pub child_rekey_after: Option<String>,
    #[serde(default)]
    pub ike_rekey_after: Option<String>,
    /// Announce and use IKE fragmentation (RFC 7383).
    #[serde(default)]
    pub fragmentation: Option<bool>,
    /// Send INITIAL_CONTACT.
    #[serde(default)]
    pub initial_contact: Option<bool>,
    /// Announce MOBIKE (RFC 4555).
    #[serde(default)]
    pub mobike: Option<bool>,
    /// Initiator: send REDIRECT_SUPPORTED and follow redirects (RFC 5685).
    #[serde(default)]
    pub redirect: Option<bool>,
    /// Responder: redirect initiators to this gateway (an address or FQDN, RFC 5685).
    #[serde(default)]
    pub redirect_to: Option<String>,
    /// Responder: when to redirect, `ike_sa_init` (default) or `ike_auth`.
    #[serde(default)]
    pub redirect_during: Option<String>,
}

/// The simulated network between the peers.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency (default `10ms`).
    #[serde(default)]
    pub latency: Option<String>,
    #[serde(default)]
    pub jitter: Option<String>,
    /// Per-mille probabilities.
    #[serde(default)]
    pub loss_permille: Option<u32>,
    #[serde(default)]
    pub duplicate_permille: Option<u32>,
    #[serde(default)]
    pub reorder_permille: Option<u32>,
    /// Largest IP packet; bigger datagrams are dropped.
    #[serde(default)]
    pub mtu: Option<usize>,
    /// A NAT in front of the initiator (RFC 7296 §2.23).
    #[serde(default)]
    pub nat: bool,
    /// Seed for the link and both peers' generators (default 1).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// Who sent (or does) something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Sut,
    Peer,
    Initiator,
    Responder,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Sut => "sut",
            Part::Peer => "peer",
            Part::Initiator => "initiator",
            Part::Responder => "responder",
        }
    }
}

/// Request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Request,
    Response,
}

/// A change to the Nth datagram matching the selector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Whose datagrams (default `peer`).
    #[serde(default = "peer")]
    pub from: Part,
    /// `IKE_SA_INIT`, `IKE_AUTH`, `CREATE_CHILD_SA`, `INFORMATIONAL`, or `ESP`.
    pub exchange: String,
    #[serde(default)]
    pub message: Option<MessageKind>,
    /// Which matching datagram (1 = the first; 0 = every one).
    #[serde(default = "first")]
    pub nth: u32,
    /// `drop`, `duplicate`, `delay`, `replay`, `corrupt`, `mutate`.
    pub action: String,
    /// `delay`/`replay`: how long (`2s`).
    #[serde(default)]
    pub after: Option<String>,
    /// `corrupt`: octet offset (negative: from the end) and XOR mask, after encryption.
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub xor: Option<u8>,
    /// `mutate`: the change, made before encryption.
    #[serde(default)]
    pub mutation: Option<MutationSpec>,
    /// The run may end without this fault applying (e.g. the Nth message may never be
    /// sent). Otherwise a fault that matched nothing, or a mutation that could not apply, is
    /// a failure: the scenario did not test what it says.
    #[serde(default)]
    pub optional: bool,
}

fn peer() -> Part {
    Part::Peer
}

fn first() -> u32 {
    1
}

/// Mutations (one key set).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MutationSpec {
    /// Remove the first payload of this type (`KE`, `N`, `IDi`...).
    #[serde(default)]
    pub omit_payload: Option<String>,
    #[serde(default)]
    pub duplicate_payload: Option<String>,
    /// Swap the payloads at these two positions.
    #[serde(default)]
    pub swap_payloads: Option<[usize; 2]>,
    /// Add a payload of an unassigned type with this critical bit.
    #[serde(default)]
    pub unknown_payload: Option<u8>,
    #[serde(default)]
    pub critical: Option<bool>,
    /// Set the critical bit on the first payload of this type.
    #[serde(default)]
    pub set_critical: Option<String>,
    /// Non-zero RESERVED fields everywhere.
    #[serde(default)]
    pub set_reserved_bits: bool,
    #[serde(default)]
    pub major_version: Option<u8>,
    #[serde(default)]
    pub minor_version: Option<u8>,
    /// Header flags octet.
    #[serde(default)]
    pub flags: Option<u8>,
    #[serde(default)]
    pub initiator_spi: Option<u64>,
    #[serde(default)]
    pub responder_spi: Option<u64>,
    #[serde(default)]
    pub message_id: Option<u32>,
    #[serde(default)]
    pub exchange_type: Option<u8>,
    /// KE payload's DH group number.
    #[serde(default)]
    pub ke_group: Option<u16>,
    /// KE data length in octets.
    #[serde(default)]
    pub ke_data_len: Option<usize>,
    /// IP protocol of every traffic selector.
    #[serde(default)]
    pub ts_protocol: Option<u8>,
    #[serde(default)]
    pub remove_notify: Option<String>,
    /// Add a Notify of this type (name or number) with `notify_data` (hex).
    #[serde(default)]
    pub add_notify: Option<String>,
    #[serde(default)]
    pub notify_data: Option<String>,
    /// Cut the message after the IKE header.
    #[serde(default)]
    pub truncate_after_header: bool,
}

/// One step. `action` is one of `connect`, `run`, `ping`, `rekey_child`, `rekey_ike`,
/// `create_child`, `delete_child`, `delete_ike`, `dpd`, `rebind_nat`, `move_address` (the
/// initiator moves to its second address with MOBIKE).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub action: String,
    /// Who does it (`connect` is always the initiator; default `sut`).
    #[serde(default)]
    pub by: Option<Part>,
    /// `run`: how long; other steps: how long to run afterwards before the next step
    /// (default `until` holds, or 30s).
    #[serde(default, rename = "for")]
    pub duration: Option<String>,
    /// Run until this event happened on `on` (default: the initiator for `connect`...).
    /// Event names: `established`, `child_installed`, `child_failed`, `child_deleted`,
    /// `closed`, `ike_rekeyed`, `violation`, `retransmitted`.
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub on: Option<Part>,
    /// Fail the step unless `until` happened within this long (default 60s).
    #[serde(default)]
    pub within: Option<String>,
    /// `ping`: echo requests and their data length.
    #[serde(default)]
    pub count: Option<u16>,
    #[serde(default)]
    pub size: Option<usize>,
    /// `create_child`: the CHILD_SA policy name.
    #[serde(default)]
    pub child: Option<String>,
    /// `inject`: a hand-made IKE message in hex (whitespace ignored) that `by` (default the
    /// peer) sends from its port 500 to the other node's port 500. `{spi_i}` and `{spi_r}`
    /// stand for the SPIs of the last IKE SA the SUT used.
    #[serde(default)]
    pub datagram: Option<String>,
    /// `inject`: the UDP source port (default 500).
    #[serde(default)]
    pub src_port: Option<u16>,
}

/// What must hold at the end. Lists of names are matched exactly (payload, notify and
/// violation names as ikelab prints them).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// Whether the IKE SA got established on the SUT / the peer.
    #[serde(default)]
    pub sut_established: Option<bool>,
    #[serde(default)]
    pub peer_established: Option<bool>,
    /// CHILD_SAs installed over the run, per side.
    #[serde(default)]
    pub sut_children: Option<usize>,
    #[serde(default)]
    pub peer_children: Option<usize>,
    /// Negotiated transforms, strongSwan syntax as ikelab prints them.
    #[serde(default)]
    pub ike_transforms: Option<String>,
    #[serde(default)]
    pub esp_transforms: Option<String>,
    /// Notify types the SUT / peer put on the wire (all must appear; decrypted).
    #[serde(default)]
    pub sut_sends_notify: Vec<String>,
    #[serde(default)]
    pub peer_sends_notify: Vec<String>,
    /// Notify types that must NOT appear in what the SUT sends.
    #[serde(default)]
    pub sut_never_sends_notify: Vec<String>,
    /// Violation kinds the SUT must have recorded about the peer (e.g.
    /// `UnsupportedCriticalPayload`).
    #[serde(default)]
    pub sut_violations: Vec<String>,
    /// No violation at all on the SUT.
    #[serde(default)]
    pub sut_no_violations: bool,
    /// How the SUT's IKE SA ended: `none` (still up), or a CloseReason as printed, e.g.
    /// `PeerError(NO_PROPOSAL_CHOSEN)`, `Timeout`, `DeletedByPeer` (prefix match).
    #[serde(default)]
    pub sut_closed: Option<String>,
    #[serde(default)]
    pub peer_closed: Option<String>,
    /// Retransmissions by the SUT: at least / at most.
    #[serde(default)]
    pub sut_retransmits_min: Option<usize>,
    #[serde(default)]
    pub sut_retransmits_max: Option<usize>,
    /// Echo replies the pinging side received over the run.
    #[serde(default)]
    pub echo_replies: Option<usize>,
    /// IKE messages the SUT sent after the first fault applied (0: it stayed silent).
    #[serde(default)]
    pub sut_messages_after_fault: Option<usize>,
    /// The SUT sent at least one message of this exchange as a response after the fault.
    #[serde(default)]
    pub sut_responds_after_fault: Option<bool>,
    /// Exchange types (in order) of the IKE messages the SUT sent, e.g.
    /// `["IKE_SA_INIT", "IKE_AUTH"]`. Retransmissions count.
    #[serde(default)]
    pub sut_exchanges: Option<Vec<String>>,
    /// IKE_SA_INIT offered CHILD_SAs still installed on the SUT at the end.
    #[serde(default)]
    pub sut_esp_sas: Option<usize>,
    /// Violation kinds the peer must have recorded about the SUT.
    #[serde(default)]
    pub peer_violations: Vec<String>,
    /// No violation at all on the peer (the SUT behaved).
    #[serde(default)]
    pub peer_no_violations: bool,
    /// Retransmissions by the peer: at least / at most.
    #[serde(default)]
    pub peer_retransmits_min: Option<usize>,
    #[serde(default)]
    pub peer_retransmits_max: Option<usize>,
    /// Exact event counts on the SUT / the peer, by event name (the `until` names plus
    /// `ike_rekey_failed`, `config_assigned`), e.g. `{ child_installed = 2, child_deleted = 1 }`.
    /// Events not named are not checked.
    #[serde(default)]
    pub sut_events: BTreeMap<String, usize>,
    #[serde(default)]
    pub peer_events: BTreeMap<String, usize>,
    /// Notifies on the wire with who sent them and where; see [`NotifyExpect`].
    #[serde(default)]
    pub notifies: Vec<NotifyExpect>,
    /// Whether the SUT's IKE SA detected a NAT (either side behind one, RFC 7296 §2.23).
    #[serde(default)]
    pub sut_nat_detected: Option<bool>,
    /// Whether the SUT's first CHILD_SA uses UDP encapsulation (RFC 3948).
    #[serde(default)]
    pub sut_udp_encapsulation: Option<bool>,
    /// The responder's UDP port in IKE datagrams (either direction), distinct, in order of
    /// first use: `[500]`, or `[500, 4500]` once NAT traversal moved to the NAT-T port.
    #[serde(default)]
    pub ike_ports: Option<Vec<u16>>,
    /// The traffic selectors of the SUT's first CHILD_SA, its own side and the peer's side,
    /// as `10.1.0.0/24` or `10.0.0.1-10.0.0.9[tcp/80]` (order matters).
    #[serde(default)]
    pub sut_child_local_ts: Option<Vec<String>>,
    #[serde(default)]
    pub sut_child_remote_ts: Option<Vec<String>>,
    /// At least this many datagrams lost / duplicated by the link's random model: proves a
    /// seeded network scenario exercised what it claims to.
    #[serde(default)]
    pub min_lost: Option<usize>,
    #[serde(default)]
    pub min_duplicated: Option<usize>,
    /// The payloads of IKE messages on the wire; see [`MessageExpect`].
    #[serde(default)]
    pub messages: Vec<MessageExpect>,
    /// Every request the SUT retransmitted went out at strictly growing intervals (RFC 7296
    /// §2.4: exponential back-off); needs at least two retransmissions of one request.
    #[serde(default)]
    pub sut_backoff_increases: bool,
    /// Sender rules checked on the octets of every IKE message the SUT sent, encrypted ones
    /// opened (`minor_version_zero`, `reserved_zero`, `nonce_size`, ...; the list is in
    /// `scenarios/README.md`). Each check fails when the SUT sent nothing it applies to.
    #[serde(default)]
    pub sut_wire_checks: Vec<String>,
}

/// A Notify that must (or must not) be on the wire: sent by `from`, of type `notify`,
/// optionally only in `exchange` and in a `request`/`response`. Encrypted messages are
/// looked into.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyExpect {
    pub from: Part,
    /// Notify type name (`COOKIE`) or number.
    pub notify: String,
    #[serde(default)]
    pub exchange: Option<String>,
    #[serde(default)]
    pub message: Option<MessageKind>,
    /// How many messages carry it: exactly this many (default: at least one).
    #[serde(default)]
    pub count: Option<usize>,
    /// `false`: no such message may appear.
    #[serde(default = "yes")]
    pub present: bool,
}

/// Checks on the payloads of IKE messages sent by `from`, optionally only in `exchange`, of
/// one `message` kind, only the `nth` matching one. Payload tokens are payload type names
/// (`SA`, `KE`, `IDi`, `CP`, `Notify` or `N` for any Notify) or `N(TYPE)` for a Notify of one
/// type (`N(COOKIE)`). Encrypted messages are checked by their inner payloads.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageExpect {
    pub from: Part,
    #[serde(default)]
    pub exchange: Option<String>,
    #[serde(default)]
    pub message: Option<MessageKind>,
    /// Only the Nth matching message (1 = the first); default: every matching message, and
    /// at least one must exist.
    #[serde(default)]
    pub nth: Option<usize>,
    /// Exactly this many messages match (retransmissions count).
    #[serde(default)]
    pub count: Option<usize>,
    /// The exact payload list, in order.
    #[serde(default)]
    pub payloads: Option<Vec<String>>,
    /// The first payload (the first inner one for encrypted messages).
    #[serde(default)]
    pub first: Option<String>,
    /// Payloads that must all appear.
    #[serde(default)]
    pub has: Vec<String>,
    /// Payloads that must not appear.
    #[serde(default)]
    pub lacks: Vec<String>,
    /// Payloads that must appear in this relative order (others may come in between), e.g.
    /// `["CP", "SA"]`, `["N(COOKIE)", "SA"]`.
    #[serde(default)]
    pub order: Vec<String>,
    /// The message went out at least / at most this long after the run started (`18s`).
    #[serde(default)]
    pub sent_after: Option<String>,
    #[serde(default)]
    pub sent_before: Option<String>,
    /// The KE payload's D-H group number (e.g. 19 for ecp256).
    #[serde(default)]
    pub ke_group: Option<u16>,
    /// The D-H transform IDs in the SA payload, in order of first appearance over all
    /// proposals (e.g. `[19, 31]`).
    #[serde(default)]
    pub sa_groups: Option<Vec<u16>>,
    /// Whether the message is protected (ends with SK/SKF).
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// The header's IKE SPIs as `SPIi/SPIr` in hex (`1111111111111111/2222222222222222`)
    /// and its Message ID.
    #[serde(default)]
    pub spis: Option<String>,
    #[serde(default)]
    pub message_id: Option<u32>,
    /// The UDP destination port of the datagram.
    #[serde(default)]
    pub dst_port: Option<u16>,
    /// The ID Type of its IDi or IDr payload (2 ID_FQDN, 3 ID_RFC822_ADDR, 11 ID_KEY_ID...).
    #[serde(default)]
    pub id_type: Option<u8>,
    /// The Auth Method of its AUTH payload (1 RSA signature, 2 shared key MIC, 9 ECDSA P-256,
    /// 14 digital signature...).
    #[serde(default)]
    pub auth_method: Option<u8>,
}

fn yes() -> bool {
    true
}
