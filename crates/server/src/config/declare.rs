//! The macro that turns the catalog's one list of properties into everything
//! that must agree with it.
//!
//! Each entry reads `restartable|fixed NAME: type, kind, default, doc;` and
//! expands into:
//! - a [`PropertySpec`](super::PropertySpec) row of `PROPERTIES`, named
//!   `"NAME"` (the constant's own spelling, so the two cannot differ);
//! - a constant `keys::NAME: Key<type>` that holds the row's position;
//! - a compile-time check that `type` is what `kind` parses into.
//!
//! `restartable` marks properties that `POST /openvidu/api/restart` may change;
//! `fixed` those it may not.

macro_rules! declare_properties {
    (@restartable restartable) => { true };
    (@restartable fixed) => { false };
    ($($access:ident $name:ident: $type:ty, $kind:expr, $default:expr, $doc:expr;)*) => {
        /// Catalog positions, in declaration order: the discriminants number the rows.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy)]
        enum Position {
            $($name,)*
        }

        pub static PROPERTIES: &[$crate::config::PropertySpec] = &[$(
            $crate::config::PropertySpec {
                name: stringify!($name),
                kind: $kind,
                default: $default,
                restartable: $crate::config::declare::declare_properties!(@restartable $access),
                doc: $doc,
            },
        )*];

        /// One typed key per catalog property, named as the property. Reading
        /// through a key is an index into the settings, and its type is the
        /// type of the value.
        pub mod keys {
            use $crate::config::Key;

            $(
                #[doc = $doc]
                pub const $name: Key<$type> = Key::at(super::Position::$name as usize);
            )*
        }

        $(
            const _: () = assert!(
                <$type as $crate::config::PropertyType>::TYPE.is($kind.value_type()),
                concat!("the key type of ", stringify!($name), " is not what its kind parses into"),
            );
        )*
    };
}

pub(super) use declare_properties;
