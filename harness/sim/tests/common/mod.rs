//! A two-node world (client initiator, gateway responder) for the tests.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

use ikelab_engine::{Event, EventKind, Timestamp};
use ikelab_node::{DataPlaneConfig, Node};
use ikelab_policy::{Duration, Identity, IdentityMatch, IkePolicy, Secret};
use ikelab_sim::*;
use ikelab_wire::iana::{ExchangeType, NotifyType};

pub const A: &str = "192.0.2.1";
pub const B: &str = "198.51.100.1";
pub const NAT_IP: &str = "203.0.113.7";

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn sock(s: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip(s), port)
}

/// PSK policies for a client and a gateway that agree.
pub fn psk_policies() -> (IkePolicy, IkePolicy) {
    let psk = Secret::new(b"correct horse battery staple".to_vec());
    let client = IkePolicy::psk(
        Identity::fqdn("client.example"),
        IdentityMatch::Exact(Identity::fqdn("vpn.example")),
        psk.clone(),
    );
    let server = IkePolicy::psk(
        Identity::fqdn("vpn.example"),
        IdentityMatch::Exact(Identity::fqdn("client.example")),
        psk,
    );
    (client, server)
}

pub struct Setup {
    pub w: World,
    pub a: NodeId,
    pub b: NodeId,
    pub client: IkePolicy,
}

/// Client `a` at A, gateway `b` at B; nothing sent yet.
pub fn setup(seed: u64) -> Setup {
    let (client, server) = psk_policies();
    let mut w = World::new(WorldConfig {
        seed,
        max_steps: 10_000,
    });
    let a = w
        .add_node(
            "client",
            vec![ip(A)],
            Node::new(node_config(seed * 2 + 1, None), DataPlaneConfig::default()).unwrap(),
        )
        .unwrap();
    let b = w
        .add_node(
            "gateway",
            vec![ip(B)],
            Node::new(
                node_config(seed * 2 + 2, Some(server)),
                DataPlaneConfig::default(),
            )
            .unwrap(),
        )
        .unwrap();
    Setup { w, a, b, client }
}

impl Setup {
    pub fn connect(&mut self) {
        self.w
            .connect(self.a, self.client.clone(), sock(A, 500), sock(B, 500))
            .unwrap();
    }

    /// Runs until both sides have a CHILD_SA (or the deadline); returns whether they do.
    pub fn establish(&mut self, within: Duration) -> bool {
        let (a, b) = (self.a, self.b);
        let deadline = self.w.now() + within;
        let stop = self
            .w
            .run_until(deadline, |w| installed(w, a) && installed(w, b))
            .unwrap();
        stop == Stop::Condition
    }

    pub fn deadline(&self, d: Duration) -> Timestamp {
        self.w.now() + d
    }
}

pub fn installed(w: &World, id: NodeId) -> bool {
    count(w, id, |k| matches!(k, EventKind::ChildSaInstalled(_))) > 0
}

pub fn count(w: &World, id: NodeId, f: impl Fn(&EventKind) -> bool) -> usize {
    w.events(id).iter().filter(|(_, e)| f(&e.kind)).count()
}

pub fn events(w: &World, id: NodeId) -> Vec<&Event> {
    w.events(id).iter().map(|(_, e)| e).collect()
}

/// Summaries of the IKE records `from` sent, dropped ones included.
pub fn sent_by(w: &World, from: NodeId) -> Vec<IkeSummary> {
    w.wire()
        .iter()
        .filter(|r| r.from == from)
        .filter_map(|r| w.describe(r))
        .collect()
}

/// Whether `from` sent a message of `exchange` carrying `notify`.
pub fn sent_notify(w: &World, from: NodeId, exchange: ExchangeType, notify: NotifyType) -> bool {
    sent_by(w, from)
        .iter()
        .any(|s| s.exchange == exchange && s.notifies.contains(&notify))
}
