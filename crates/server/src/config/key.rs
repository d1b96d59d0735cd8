//! How code names a configuration property.
//!
//! Every property of the catalog has a constant in [`keys`](super::keys) whose
//! type says how its value reads: `Key<bool>`, `Key<i64>`, `Key<str>` or
//! `Key<[String]>`. The constant holds the property's position in the catalog,
//! so reading a value is an index rather than a search by name, and a misspelt
//! property or a wrong value type is a compile error instead of a panic:
//!
//! ```
//! # fn read(settings: &plenum::config::Settings) {
//! use plenum::config::keys;
//! let cdr: bool = settings.get(keys::OPENVIDU_CDR);
//! let max_recv: i64 = settings.get(keys::OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH);
//! let kms_uris: &[String] = settings.get(keys::KMS_URIS);
//! # }
//! ```
//!
//! ```compile_fail
//! # fn read(settings: &plenum::config::Settings) {
//! let cdr = settings.get(plenum::config::keys::OPENVIDU_CDRR); // no such key
//! # }
//! ```
//!
//! ```compile_fail
//! # fn read(settings: &plenum::config::Settings) {
//! let cdr: i64 = settings.get(plenum::config::keys::OPENVIDU_CDR); // a bool
//! # }
//! ```
//!
//! Code that walks the whole catalog, or names a property from user input (the
//! config file, the body of a restart request), holds the untyped [`Property`]
//! instead; [`Property::named`] is the only lookup by name, and it returns an
//! `Option` because such a name may be wrong.

use std::fmt;
use std::marker::PhantomData;

use super::catalog::{PROPERTIES, PropertySpec};
use super::property_value::{Value, ValueType};

/// A property whose value reads as `T` (see [`PropertyType`]).
pub struct Key<T: ?Sized> {
    index: usize,
    reads_as: PhantomData<fn(&T)>,
}

impl<T: ?Sized> Key<T> {
    /// Only the catalog declaration makes keys, each with its own position, so
    /// every index is in range.
    pub(super) const fn at(index: usize) -> Self {
        Key { index, reads_as: PhantomData }
    }

    pub const fn property(self) -> Property {
        Property { index: self.index }
    }

    pub fn name(self) -> &'static str {
        self.property().name()
    }
}

// By hand: derives would require `T: Clone`, and `T` is only a marker.
impl<T: ?Sized> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Key<T> {}

impl<T: ?Sized> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<T: ?Sized> From<Key<T>> for Property {
    fn from(key: Key<T>) -> Self {
        key.property()
    }
}

/// Any property of the catalog, by position, without a value type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Property {
    index: usize,
}

impl Property {
    /// The property called `name`, if there is one. For names that come from
    /// outside the program; code names properties with [`keys`](super::keys).
    pub fn named(name: &str) -> Option<Property> {
        PROPERTIES.iter().position(|spec| spec.name == name).map(|index| Property { index })
    }

    /// Every property, in catalog order.
    pub fn all() -> impl Iterator<Item = Property> {
        (0..PROPERTIES.len()).map(|index| Property { index })
    }

    pub fn spec(self) -> &'static PropertySpec {
        &PROPERTIES[self.index]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The position in the catalog, and so in every per-property table.
    pub(super) fn index(self) -> usize {
        self.index
    }
}

impl fmt::Debug for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A type a property's value can be read as, with what it reads from a [`Value`].
///
/// Sealed: the four implementations match the four [`ValueType`]s.
pub trait PropertyType: sealed::Sealed {
    const TYPE: ValueType;
    type Read<'a>;

    /// The value as this type. The catalog checks, when compiling, that each
    /// key's type fits its kind, so the fallback of a mismatch is never used.
    fn read(value: &Value) -> Self::Read<'_>;
}

impl PropertyType for bool {
    const TYPE: ValueType = ValueType::Bool;
    type Read<'a> = bool;

    fn read(value: &Value) -> bool {
        value.as_bool()
    }
}

impl PropertyType for i64 {
    const TYPE: ValueType = ValueType::Int;
    type Read<'a> = i64;

    fn read(value: &Value) -> i64 {
        value.as_int()
    }
}

impl PropertyType for str {
    const TYPE: ValueType = ValueType::Text;
    type Read<'a> = &'a str;

    fn read(value: &Value) -> &str {
        value.as_text()
    }
}

impl PropertyType for [String] {
    const TYPE: ValueType = ValueType::List;
    type Read<'a> = &'a [String];

    fn read(value: &Value) -> &[String] {
        value.as_list()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bool {}
    impl Sealed for i64 {}
    impl Sealed for str {}
    impl Sealed for [String] {}
}

#[cfg(test)]
mod tests {
    use super::super::keys;
    use super::*;

    #[test]
    fn keys_name_their_own_catalog_entry() {
        assert_eq!(keys::SERVER_ADDRESS.name(), PROPERTIES[0].name);
        assert_eq!(keys::OPENVIDU_CDR.name(), "OPENVIDU_CDR");
        assert_eq!(Property::named("OPENVIDU_CDR"), Some(keys::OPENVIDU_CDR.property()));
        assert_eq!(format!("{:?}", keys::KMS_URIS), "KMS_URIS");
    }

    #[test]
    fn named_finds_every_property_and_nothing_else() {
        for property in Property::all() {
            assert_eq!(Property::named(property.name()), Some(property));
        }
        assert_eq!(Property::all().count(), PROPERTIES.len());
        assert_eq!(Property::named("OPENVIDU_SECRETT"), None);
        assert_eq!(Property::named(""), None);
    }
}
