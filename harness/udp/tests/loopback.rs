//! Two engines over real UDP sockets on loopback (high ports): a PSK handshake end to end.

use std::sync::Arc;

use ikelab_crypto::rng::SeededRandom;
use ikelab_engine::{EndpointConfig, EventKind};
use ikelab_policy::{Identity, IdentityMatch, IkePolicy, Secret};
use ikelab_udp::{Ports, UdpEndpoint};

#[tokio::test]
async fn psk_handshake_over_loopback() {
    let psk = Secret::new(b"loopback".to_vec());
    let client = IkePolicy::psk(
        Identity::fqdn("client"),
        IdentityMatch::Exact(Identity::fqdn("server")),
        psk.clone(),
    );
    let server = IkePolicy::psk(Identity::fqdn("server"), IdentityMatch::Any, psk);
    let mut sc = EndpointConfig::new(&ikelab_crypto::DEFAULT, Arc::new(SeededRandom::from_u64(1)));
    sc.responder = Some(Arc::new(server));
    // Port 0: the kernel picks free ports, so parallel test runs do not collide.
    let ports = Ports {
        ike: 0,
        nat_t: 0,
        peer_nat_t: 4500,
    };
    let mut s = UdpEndpoint::bind(sc, "127.0.0.1".parse().unwrap(), ports)
        .await
        .unwrap();
    let cc = EndpointConfig::new(&ikelab_crypto::DEFAULT, Arc::new(SeededRandom::from_u64(2)));
    let mut c = UdpEndpoint::bind(cc, "127.0.0.1".parse().unwrap(), ports)
        .await
        .unwrap();
    c.connect(Arc::new(client), s.local_addr()).unwrap();

    let server_task = tokio::spawn(async move {
        loop {
            let e = s.next_event().await.unwrap();
            if matches!(e.kind, EventKind::ChildSaInstalled(_)) {
                // Keep answering until the client is done.
                let _ = tokio::time::timeout(std::time::Duration::from_millis(200), s.next_event())
                    .await;
                return;
            }
        }
    });
    let installed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let e = c.next_event().await.unwrap();
            match e.kind {
                EventKind::ChildSaInstalled(info) => return info,
                EventKind::Closed { reason } => panic!("closed: {reason:?}"),
                _ => {}
            }
        }
    })
    .await
    .expect("handshake within 10 s");
    assert_eq!(installed.remote.ip().to_string(), "127.0.0.1");
    server_task.await.unwrap();
}
