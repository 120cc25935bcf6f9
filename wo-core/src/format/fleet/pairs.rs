//! [`Pairs`]: a target's hierarchy nodes and labels — a few names to names, kept as compactly
//! as a fleet of tens of thousands of targets needs.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A small map of names to names, sorted by name: a target's `hierarchy` or `labels`.
///
/// A target has a handful of each, and a fleet tens of thousands of targets, so they are kept
/// as compactly as they can be: all keys and values in one string and where each ends — two
/// allocations, however many pairs (a `BTreeMap`'s first node takes ~0.5 KB however few its
/// entries: two maps a target were most of a 50,000-target fleet's memory). Reads look like a
/// map's (`get`, `iter` in key order, `keys`, `pairs["key"]`); it (de)serialises as a map.
///
/// ```
/// use wo_core::format::fleet::Pairs;
///
/// let mut labels: Pairs = [("tier", "edge"), ("ring", "canary")].into_iter().collect();
/// labels.insert("tier", "core");
/// assert_eq!(labels.get("tier"), Some("core"));
/// assert_eq!(labels.keys().collect::<Vec<_>>(), ["ring", "tier"]);
/// assert_eq!(&labels["ring"], "canary");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Pairs {
    /// Key, value, key, value, … in key order, one after the other.
    text: Box<str>,
    /// Where each key and each value of `text` ends.
    ends: Box<[u32]>,
}

impl Pairs {
    /// No pairs.
    pub fn new() -> Pairs {
        Pairs::default()
    }

    /// The `i`-th pair.
    fn pair(&self, i: usize) -> (&str, &str) {
        let at = |j: usize| self.ends[j] as usize;
        let start = if i == 0 { 0 } else { at(2 * i - 1) };
        let (key_end, end) = (at(2 * i), at(2 * i + 1));
        (&self.text[start..key_end], &self.text[key_end..end])
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.pair(mid).0.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Builds from pairs sorted by key, each key once.
    fn from_sorted<'a>(pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)> + Clone) -> Pairs {
        let len: usize = pairs.clone().map(|(k, v)| k.len() + v.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = Vec::with_capacity(2 * pairs.len());
        for (k, v) in pairs {
            text.push_str(k);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
            text.push_str(v);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Pairs {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key).ok().map(|i| self.pair(i).1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; the value it had before.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Option<String> {
        let (key, value) = (key.as_ref(), value.as_ref());
        let mut pairs: Vec<(&str, &str)> = self.iter().collect();
        let before = match self.find(key) {
            Ok(i) => Some(std::mem::replace(&mut pairs[i].1, value).to_owned()),
            Err(i) => {
                pairs.insert(i, (key, value));
                None
            }
        };
        *self = Pairs::from_sorted(pairs.into_iter());
        before
    }

    /// Removes `key`; the value it had.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.find(key).ok()?;
        let mut pairs: Vec<(&str, &str)> = self.iter().collect();
        let (_, value) = pairs.remove(i);
        let value = value.to_owned();
        *self = Pairs::from_sorted(pairs.into_iter());
        Some(value)
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone {
        (0..self.len()).map(|i| self.pair(i))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.iter().map(|(_, v)| v)
    }

    /// How many pairs.
    pub fn len(&self) -> usize {
        self.ends.len() / 2
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The same pairs as a `BTreeMap`.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

impl fmt::Debug for Pairs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Pairs {
    type Output = str;

    /// # Panics
    /// When `key` has no value, as a map's index does.
    fn index(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("no pair of key `{key}`"))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Pairs {
    /// Later pairs of a key replace earlier ones, as a map's `collect` does.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Pairs {
        let mut pairs: Vec<(K, V)> = iter.into_iter().collect();
        // Stable: of equal keys the last one is kept.
        pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut out: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
        for (k, v) in &pairs {
            match out.last_mut() {
                Some(last) if last.0 == k.as_ref() => last.1 = v.as_ref(),
                _ => out.push((k.as_ref(), v.as_ref())),
            }
        }
        Pairs::from_sorted(out.into_iter())
    }
}

impl From<BTreeMap<String, String>> for Pairs {
    fn from(map: BTreeMap<String, String>) -> Pairs {
        Pairs::from_sorted(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
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
                Ok(pairs.into_iter().collect())
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
            map.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>()
        );
        assert_eq!(pairs.get("c"), Some("3"));
        assert_eq!(pairs.get("d"), None);
        assert_eq!(pairs.insert("b", "two"), Some("2".into()));
        assert_eq!(pairs.insert("aa", "x"), None);
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
        assert_eq!(&pairs["k"], "2");
        assert_eq!(Pairs::new().get(""), None);
        let empty_strings: Pairs = [("", ""), ("a", "")].into_iter().collect();
        assert_eq!(empty_strings.get(""), Some(""));
        assert_eq!(empty_strings.get("a"), Some(""));
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
