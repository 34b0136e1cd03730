//! Container helpers that keep generated code short.
//!
//! ```
//! use kit_runtime::thrift::{helpers::*, Binary, Protocol, Reader, TType, Writer};
//! use std::collections::HashMap;
//! let mut w = Binary::writer(Vec::new());
//! write_list(&mut w, TType::I32, &[1, 2, 3], |w, v| w.write_i32(*v));
//! let m: HashMap<i32, bool> = [(1, true)].into_iter().collect();
//! write_map(&mut w, TType::I32, TType::Bool, &m, |w, k| w.write_i32(*k), |w, v| w.write_bool(*v));
//! let mut r = Binary::reader(Binary::into_sink(w).into());
//! let l: Vec<i32> = read_list(&mut r, |r| r.read_i32()).unwrap();
//! assert_eq!(l, [1, 2, 3]);
//! let m2: HashMap<i32, bool> = read_map(&mut r, |r| r.read_i32(), |r| r.read_bool()).unwrap();
//! assert_eq!(m2, m);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use super::{Reader, TType, Writer};
use crate::error::DecodeError;

/// A collection a Thrift `set<T>` (or `list<T>`) can decode into.
pub trait SetLike<T> {
    /// Empty collection with room for `n` elements (n is bounded by input size).
    fn with_capacity(n: usize) -> Self;
    /// Adds an element.
    fn insert_elem(&mut self, v: T);
}

impl<T> SetLike<T> for Vec<T> {
    #[inline]
    fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n)
    }
    #[inline]
    fn insert_elem(&mut self, v: T) {
        self.push(v)
    }
}
impl<T: Eq + Hash, S: BuildHasher + Default> SetLike<T> for HashSet<T, S> {
    #[inline]
    fn with_capacity(n: usize) -> Self {
        HashSet::with_capacity_and_hasher(n, S::default())
    }
    #[inline]
    fn insert_elem(&mut self, v: T) {
        self.insert(v);
    }
}
impl<T: Ord> SetLike<T> for BTreeSet<T> {
    #[inline]
    fn with_capacity(_n: usize) -> Self {
        BTreeSet::new()
    }
    #[inline]
    fn insert_elem(&mut self, v: T) {
        self.insert(v);
    }
}

/// A collection a Thrift `map<K, V>` can decode into.
pub trait MapLike<K, V> {
    /// Empty map with room for `n` entries (n is bounded by input size).
    fn with_capacity(n: usize) -> Self;
    /// Adds an entry (later duplicates win).
    fn insert_entry(&mut self, k: K, v: V);
}
impl<K: Eq + Hash, V, S: BuildHasher + Default> MapLike<K, V> for HashMap<K, V, S> {
    #[inline]
    fn with_capacity(n: usize) -> Self {
        HashMap::with_capacity_and_hasher(n, S::default())
    }
    #[inline]
    fn insert_entry(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}
impl<K: Ord, V> MapLike<K, V> for BTreeMap<K, V> {
    #[inline]
    fn with_capacity(_n: usize) -> Self {
        BTreeMap::new()
    }
    #[inline]
    fn insert_entry(&mut self, k: K, v: V) {
        self.insert(k, v);
    }
}
impl<K, V> MapLike<K, V> for Vec<(K, V)> {
    #[inline]
    fn with_capacity(n: usize) -> Self {
        Vec::with_capacity(n)
    }
    #[inline]
    fn insert_entry(&mut self, k: K, v: V) {
        self.push((k, v))
    }
}

/// Reads a `list<T>` with `elem` reading one element.
#[inline]
pub fn read_list<R, T, C, F>(r: &mut R, mut elem: F) -> Result<C, DecodeError>
where
    R: Reader,
    C: SetLike<T>,
    F: FnMut(&mut R) -> Result<T, DecodeError>,
{
    let l = r.read_list_begin()?;
    let mut out = C::with_capacity(l.len);
    for _ in 0..l.len {
        out.insert_elem(elem(r)?);
    }
    r.read_list_end()?;
    Ok(out)
}

/// Reads a `set<T>` with `elem` reading one element.
#[inline]
pub fn read_set<R, T, C, F>(r: &mut R, mut elem: F) -> Result<C, DecodeError>
where
    R: Reader,
    C: SetLike<T>,
    F: FnMut(&mut R) -> Result<T, DecodeError>,
{
    let l = r.read_set_begin()?;
    let mut out = C::with_capacity(l.len);
    for _ in 0..l.len {
        out.insert_elem(elem(r)?);
    }
    r.read_set_end()?;
    Ok(out)
}

/// Reads a `map<K, V>`.
#[inline]
pub fn read_map<R, K, V, M, FK, FV>(r: &mut R, mut key: FK, mut value: FV) -> Result<M, DecodeError>
where
    R: Reader,
    M: MapLike<K, V>,
    FK: FnMut(&mut R) -> Result<K, DecodeError>,
    FV: FnMut(&mut R) -> Result<V, DecodeError>,
{
    let m = r.read_map_begin()?;
    let mut out = M::with_capacity(m.len);
    for _ in 0..m.len {
        let k = key(r)?;
        let v = value(r)?;
        out.insert_entry(k, v);
    }
    r.read_map_end()?;
    Ok(out)
}

/// Writes a `list<T>` from any exact-size iterable.
#[inline]
pub fn write_list<W, I, F>(w: &mut W, elem_type: TType, items: I, mut elem: F)
where
    W: Writer,
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    F: FnMut(&mut W, I::Item),
{
    let it = items.into_iter();
    w.write_list_begin(elem_type, it.len());
    for v in it {
        elem(w, v);
    }
    w.write_list_end();
}

/// Writes a `set<T>` from any exact-size iterable.
#[inline]
pub fn write_set<W, I, F>(w: &mut W, elem_type: TType, items: I, mut elem: F)
where
    W: Writer,
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator,
    F: FnMut(&mut W, I::Item),
{
    let it = items.into_iter();
    w.write_set_begin(elem_type, it.len());
    for v in it {
        elem(w, v);
    }
    w.write_set_end();
}

/// Writes a `map<K, V>` from any exact-size iterable of `(&K, &V)`.
#[inline]
pub fn write_map<'a, W, K, V, I, FK, FV>(
    w: &mut W,
    key_type: TType,
    value_type: TType,
    entries: I,
    mut key: FK,
    mut value: FV,
) where
    W: Writer,
    K: 'a,
    V: 'a,
    I: IntoIterator<Item = (&'a K, &'a V)>,
    I::IntoIter: ExactSizeIterator,
    FK: FnMut(&mut W, &'a K),
    FV: FnMut(&mut W, &'a V),
{
    let it = entries.into_iter();
    w.write_map_begin(key_type, value_type, it.len());
    for (k, v) in it {
        key(w, k);
        value(w, v);
    }
    w.write_map_end();
}
