//! [`Pairs`]: a target's hierarchy nodes and labels — a few names to names, kept as compactly
//! as a fleet of tens of thousands of targets needs.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A small map of names to names, sorted by name: a target's `hierarchy` or `labels`.
///
/// A target has a handful of each, and a fleet tens of thousands of targets, so they are kept
/// as one sorted list rather than a `BTreeMap` (whose first node takes ~0.5 KB however few its
/// entries: two maps a target were most of a 50,000-target fleet's memory). Reads look like a
/// map's (`get`, `iter` in key order, `keys`, `pairs["key"]`); it (de)serialises as a map.
///
/// ```
/// use wo_core::format::fleet::Pairs;
///
/// let mut labels: Pairs = [("tier", "edge"), ("ring", "canary")].into_iter().collect();
/// labels.insert("tier".into(), "core".into());
/// assert_eq!(labels.get("tier").map(String::as_str), Some("core"));
/// assert_eq!(labels.keys().collect::<Vec<_>>(), ["ring", "tier"]);
/// assert_eq!(labels["ring"], "canary");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// No pairs.
    pub const fn new() -> Pairs {
        Pairs(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; the value it had before.
    pub fn insert(&mut self, key: String, value: String) -> Option<String> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; the value it had.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &String)> + Clone {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &String> + Clone {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &String> + Clone {
        self.0.iter().map(|(_, v)| v)
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The same pairs as a `BTreeMap`.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

impl fmt::Debug for Pairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Pairs {
    type Output = String;

    /// # Panics
    /// When `key` has no value, as a map's index does.
    fn index(&self, key: &str) -> &String {
        self.get(key)
            .unwrap_or_else(|| panic!("no pair of key `{key}`"))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Pairs {
    /// Later pairs of a key replace earlier ones, as a map's `collect` does.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Pairs {
        let mut pairs: Vec<(String, String)> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // Stable: of equal keys the last one is kept.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Pairs(out)
    }
}

impl From<BTreeMap<String, String>> for Pairs {
    fn from(map: BTreeMap<String, String>) -> Pairs {
        Pairs(map.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Pairs {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Pairs {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Pairs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pairs, D::Error> {
        struct PairsVisitor;

        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings to strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                let mut pairs: Pairs = pairs.into_iter().collect();
                pairs.0.shrink_to_fit();
                Ok(pairs)
            }
        }

        deserializer.deserialize_map(PairsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_map_it_replaces() {
        let map: BTreeMap<String, String> = [("b", "2"), ("a", "1"), ("c", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut pairs = Pairs::from(map.clone());
        assert_eq!(pairs.to_map(), map);
        assert_eq!(
            pairs.iter().collect::<Vec<_>>(),
            map.iter().collect::<Vec<_>>()
        );
        assert_eq!(pairs.insert("b".into(), "two".into()), Some("2".into()));
        assert_eq!(pairs.insert("aa".into(), "x".into()), None);
        assert_eq!(pairs.keys().collect::<Vec<_>>(), ["a", "aa", "b", "c"]);
        assert_eq!(pairs.remove("a"), Some("1".into()));
        assert!(!pairs.contains_key("a") && pairs.contains_key("aa"));
        assert_eq!(pairs.len(), 3);
        assert_eq!(format!("{pairs:?}"), r#"{"aa": "x", "b": "two", "c": "3"}"#);
    }

    #[test]
    fn the_last_of_equal_keys_wins_as_in_a_map() {
        let pairs: Pairs = [("k", "1"), ("j", "0"), ("k", "2")].into_iter().collect();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs["k"], "2");
    }

    #[test]
    fn serialises_as_a_map_in_key_order() {
        let pairs: Pairs = [("z", "1"), ("a", "2")].into_iter().collect();
        assert_eq!(
            serde_json::to_string(&pairs).unwrap(),
            r#"{"a":"2","z":"1"}"#
        );
        let back: Pairs = serde_json::from_str(r#"{"z":"1","a":"2"}"#).unwrap();
        assert_eq!(back, pairs);
        assert!(serde_json::from_str::<Pairs>(r#"{"a":1}"#).is_err());
    }
}
