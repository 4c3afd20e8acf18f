//! The PFS group of a CHILD_SA rekey is reported with the CHILD_SA (RFC 7296 §1.3.1, §2.8).
//! Found by harness/udp/interop/strongswan-matrix.sh (cases pfsours, rekey, ilong): charon
//! lists a rekeyed CHILD_SA as `AES_GCM_16-256/ECP_384`, ikelab printed `aes256gcm16`, so no
//! one could tell from ikelab's side whether the rekey had PFS or with which group.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use ikelab_engine::*;
use ikelab_policy::ChildProposal;
use ikelab_wire::iana::KeMethod;
use pair::harness::*;

fn installed(p: &Node) -> Vec<ChildSaInfo> {
    p.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ChildSaInstalled(c) => Some((**c).clone()),
            _ => None,
        })
        .collect()
}

/// Connects with `esp` on both sides, rekeys the CHILD_SA from the initiator and returns the
/// CHILD_SAs each side installed (IKE_AUTH's, then the rekey's).
fn rekeyed(seed: u64, esp: &str) -> (Vec<ChildSaInfo>, Vec<ChildSaInfo>) {
    let (mut client, mut server) = psk_policies();
    client.children[0].proposals = vec![ChildProposal::parse(esp).unwrap()];
    server.children[0].proposals = vec![ChildProposal::parse(esp).unwrap()];
    let mut p = Pair::new(seed, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let old = p.a.children()[0].clone();
    p.a.ep.rekey_child_sa(p.time, h, old.spi_in).unwrap();
    p.flush();
    p.drive_until(100, |p| {
        installed(&p.a).len() == 2 && installed(&p.b).len() == 2
    });
    (installed(&p.a), installed(&p.b))
}

#[test]
fn rekey_with_pfs_reports_its_group_and_ike_auth_none() {
    let (a, b) = rekeyed(61, "aes256gcm16-ecp384");
    // IKE_AUTH has no KE exchange: no group, whatever the proposal carried.
    assert_eq!((a[0].transforms.ke, b[0].transforms.ke), (None, None));
    assert_eq!(a[0].transforms.to_string(), "aes256gcm16");
    // The rekey ran ECP_384: both sides say so, and the printed form names it.
    assert_eq!(a[1].rekey_of, Some(a[0].spi_in));
    assert_eq!(a[1].transforms.ke, Some(KeMethod::ECP_384));
    assert_eq!(a[1].transforms, b[1].transforms);
    assert_eq!(a[1].transforms.to_string(), "aes256gcm16-ecp384");
}

#[test]
fn rekey_without_pfs_reports_no_group() {
    let (a, b) = rekeyed(62, "aes128-sha256");
    assert_eq!(a[1].rekey_of, Some(a[0].spi_in));
    assert_eq!((a[1].transforms.ke, b[1].transforms.ke), (None, None));
    assert_eq!(b[1].transforms.to_string(), "aes128-sha256");
}
