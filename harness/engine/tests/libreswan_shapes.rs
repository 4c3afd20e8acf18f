//! Pair tests for peer behaviour seen against libreswan's pluto 4.10
//! (harness/udp/interop/libreswan-matrix.sh), reproduced in virtual time.

mod pair {
    #[allow(dead_code)]
    pub mod harness;
}

use std::cell::RefCell;
use std::rc::Rc;

use ikelab_engine::*;
use ikelab_wire::iana::{ExchangeType, NotifyType};
use pair::harness::*;

const INFO: ExchangeType = ExchangeType::INFORMATIONAL;

/// pluto rekeyed the IKE SA, then (`whack --terminate` right after) deleted the new IKE SA
/// before the old one. RFC 7296 §1.3.2: the old IKE SA lives until its Delete is answered, so
/// its Delete still gets the (encrypted, empty) response, not INVALID_IKE_SPI from an
/// endpoint that forgot it when the new SA closed.
#[test]
fn delete_of_the_old_ike_sa_after_the_new_one_is_answered() {
    let (client, server) = psk_policies();
    let mut p = Pair::new(21, server);
    let h = p.connect(client);
    p.drive_to_established(100);
    let old = p.a.established().unwrap();
    // Hold back a's Delete on the old SA (its first and any retransmission).
    let held: Rc<RefCell<Vec<Captured>>> = Rc::default();
    let keep = held.clone();
    p.interceptor = Some(Box::new(move |c: &mut Captured| {
        let m = c.message().header;
        if m.exchange_type == INFO
            && !m.flags.response()
            && (m.initiator_spi, m.responder_spi) == (old.spi_i, old.spi_r)
        {
            keep.borrow_mut().push(c.clone());
            return Action::Drop;
        }
        Action::Pass
    }));
    p.a.ep.rekey_ike_sa(p.time, h).unwrap();
    p.flush();
    p.drive_until(50, |p| {
        p.b.count(|k| matches!(k, EventKind::IkeSaRekeyed { .. })) == 1 && !held.borrow().is_empty()
    });
    // Now the new IKE SA goes first.
    p.a.ep.delete_ike_sa(p.time, h).unwrap();
    p.flush();
    p.drive_until(50, |p| p.b.closed().is_some());
    assert_eq!(p.b.closed(), Some(CloseReason::DeletedByPeer));
    let mut late = held.borrow()[0].clone();
    late.dropped = false;
    p.inject(late);
    let before = p.exchanges(INFO).len();
    p.drive_until(20, |p| p.exchanges(INFO).len() > before);
    let (_, resp) = p.exchanges(INFO).pop().unwrap();
    let rh = resp.message().header;
    assert!(rh.flags.response());
    assert_eq!((rh.initiator_spi, rh.responder_spi), (old.spi_i, old.spi_r));
    assert!(
        !p.notifies(&resp).contains(&NotifyType::INVALID_IKE_SPI),
        "the old SA's Delete must be answered on that SA"
    );
    assert!(
        !p.b.violations()
            .iter()
            .any(|v| matches!(v, Violation::UnknownSpi { .. })),
        "b forgot the old IKE SA: {:?}",
        p.b.violations()
    );
}
