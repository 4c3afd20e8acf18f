//! IANA IKEv2 registries as open newtypes.
//!
//! Every registry value on the wire is a newtype over its integer (`NotifyType(pub u16)`), not a
//! closed enum: values this crate has no name for still parse, round-trip and can be built by hand
//! (a conformance tool must send what a normal stack would never send). `Debug` and `Display` print
//! the registry name when the value is assigned, the number otherwise.

/// Defines an open newtype with one associated constant per assigned value.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $display:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$vmeta])* pub const $variant: Self = Self($value); )*

            /// Every assigned value of this registry, in numeric order.
            pub const KNOWN: &'static [Self] = &[$(Self($value)),*];

            /// The registry name of this value, `None` when it is not assigned.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($display), )*
                    _ => None,
                }
            }

            /// Looks a value up by its registry name (as [`Self::name`] prints it), ignoring ASCII case.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::KNOWN
                    .iter()
                    .copied()
                    .find(|v| v.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            }
        }

        impl From<$repr> for $name {
            fn from(value: $repr) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, concat!(stringify!($name), "({})"), self.0),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}", self.0),
                }
            }
        }
    };
}

mod generated;
pub use generated::*;

impl NotifyType {
    /// Error types are below 16384 (RFC 7296 §3.10.1); status types from 16384 up.
    pub const fn is_error(self) -> bool {
        self.0 < 16384
    }
}

impl PayloadType {
    /// Whether this crate parses the payload's body (others are kept as raw bytes).
    pub const fn is_understood(self) -> bool {
        matches!(self.0, 33..=48 | 53)
    }
}

impl KeMethod {
    /// Length in octets of the Key Exchange Data this method carries (RFC 7296 §3.4, RFC 5903 §7,
    /// RFC 8031 §2), when the length is fixed by the method.
    pub const fn public_value_len(self) -> Option<usize> {
        Some(match self.0 {
            1 => 96,
            2 => 128,
            5 => 192,
            14 => 256,
            15 => 384,
            16 => 512,
            17 => 768,
            18 => 1024,
            19 => 64,
            20 => 96,
            21 => 132,
            22 => 128,
            23 | 24 => 256,
            25 => 48,
            26 => 56,
            31 => 32,
            32 => 56,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_print_their_names() {
        assert_eq!(
            format!("{:?}", NotifyType::INVALID_KE_PAYLOAD),
            "INVALID_KE_PAYLOAD"
        );
        assert_eq!(format!("{}", ExchangeType::IKE_AUTH), "IKE_AUTH");
        assert_eq!(format!("{:?}", EncrId::AES_GCM_16), "ENCR_AES_GCM_16");
        assert_eq!(format!("{:?}", KeMethod::CURVE25519), "CURVE25519");
        assert_eq!(format!("{}", PayloadType::NONCE), "Nonce");
    }

    #[test]
    fn unknown_values_round_trip_and_print_numbers() {
        let n = NotifyType(40000);
        assert_eq!(n.name(), None);
        assert_eq!(format!("{n:?}"), "NotifyType(40000)");
        assert_eq!(format!("{n}"), "40000");
        assert_eq!(u16::from(n), 40000);
    }

    #[test]
    fn from_name_inverts_name() {
        for v in NotifyType::KNOWN {
            let name = v.name().expect("KNOWN values have names");
            assert_eq!(NotifyType::from_name(name), Some(*v));
        }
        assert_eq!(
            ExchangeType::from_name("ike_sa_init"),
            Some(ExchangeType::IKE_SA_INIT)
        );
    }

    #[test]
    fn registries_have_the_counts_of_their_csv_tables() {
        assert_eq!(NotifyType::KNOWN.len(), 88);
        assert_eq!(PayloadType::KNOWN.len(), 23);
        assert_eq!(KeMethod::KNOWN.len(), 28);
        assert!(NotifyType::NO_PROPOSAL_CHOSEN.is_error());
        assert!(!NotifyType::COOKIE.is_error());
    }
}
