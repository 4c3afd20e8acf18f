use std::net::IpAddr;

/// Why an inner packet could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum DataPlaneError {
    /// No installed CHILD_SA's selectors cover the packet's addresses.
    #[error("no CHILD_SA covers {src} -> {dst}")]
    NoRoute { src: IpAddr, dst: IpAddr },
    /// The packet is not an IPv4 or IPv6 packet we can route.
    #[error("inner packet: {reason}")]
    InnerPacket { reason: &'static str },
    /// The negotiated transforms have no ESP implementation (the engine negotiated them, the
    /// data plane cannot run them).
    #[error("CHILD_SA {spi_in:#010x}: {source}")]
    Unsupported {
        spi_in: u32,
        #[source]
        source: ikelab_esp::EspError,
    },
    /// Sealing failed (sequence numbers exhausted, packet too large...).
    #[error(transparent)]
    Esp(#[from] ikelab_esp::EspError),
}
