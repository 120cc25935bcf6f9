//! The order go-yaml writes map keys in (`sorter.go`): runs of digits compare as numbers
//! (`a9` before `a10`), letters after other characters; v3 differs after a digit.

use super::emit::{Flavor, Node};

/// go-yaml v2's key order (`sorter.go`): letters after other characters, runs of digits compared
/// as numbers. A merge sort, so an odd comparison never panics.
pub(crate) fn sort_keys(pairs: &mut Vec<(String, Node)>, flavor: Flavor) {
    // Without digits the order is plain: character by character, other characters before
    // letters, each group by code point — a total order, so a stable sort gives the merge
    // sort's result without collecting characters.
    if !pairs
        .iter()
        .any(|(k, _)| k.bytes().any(|b| b.is_ascii_digit()))
    {
        let rank = |c: char| (is_letter(c), c);
        pairs.sort_by(|(a, _), (b, _)| a.chars().map(rank).cmp(b.chars().map(rank)));
        return;
    }
    let keyed: Vec<(Vec<char>, (String, Node))> = pairs
        .drain(..)
        .map(|p| (p.0.chars().collect(), p))
        .collect();
    let sorted = merge_sort(keyed, &|a: &Vec<char>, b: &Vec<char>| {
        key_less(a, b, flavor)
    });
    pairs.extend(sorted.into_iter().map(|(_, p)| p));
}

fn merge_sort<K, T>(items: Vec<(K, T)>, less: &dyn Fn(&K, &K) -> bool) -> Vec<(K, T)> {
    if items.len() <= 1 {
        return items;
    }
    let mut left = items;
    let right = left.split_off(left.len() / 2);
    let left = merge_sort(left, less);
    let right = merge_sort(right, less);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut l = left.into_iter().peekable();
    let mut r = right.into_iter().peekable();
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                if less(&b.0, &a.0) {
                    out.push(r.next().expect("peeked"));
                } else {
                    out.push(l.next().expect("peeked"));
                }
            }
            (Some(_), None) => out.push(l.next().expect("peeked")),
            (None, Some(_)) => out.push(r.next().expect("peeked")),
            (None, None) => break,
        }
    }
    out
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic()
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn key_less(a: &[char], b: &[char], flavor: Flavor) -> bool {
    // v3: whether the last equal character was a digit (then digits sort after letters).
    let mut digits = false;
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            digits = is_digit(a[i]);
            continue;
        }
        let al = is_letter(a[i]);
        let bl = is_letter(b[i]);
        if al && bl {
            return a[i] < b[i];
        }
        if al || bl {
            return if flavor == Flavor::V3 && digits {
                al
            } else {
                bl
            };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a[i] == '0' || b[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(a[j - 1]) {
                j -= 1;
                if a[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(a[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(a[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(b[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(b[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str], flavor: Flavor) -> Vec<String> {
        let mut pairs: Vec<(String, Node)> = keys
            .iter()
            .map(|k| (k.to_string(), Node::Plain(String::new())))
            .collect();
        sort_keys(&mut pairs, flavor);
        pairs.into_iter().map(|p| p.0).collect()
    }

    #[test]
    fn digits_compare_as_numbers_and_letters_come_last() {
        assert_eq!(
            sorted(&["a10", "a9", "a1"], Flavor::V2),
            ["a1", "a9", "a10"]
        );
        assert_eq!(sorted(&["b", "_x", "A"], Flavor::V2), ["_x", "A", "b"]);
        // After a digit, v3 puts letters before other characters.
        assert_eq!(sorted(&["1a", "1_"], Flavor::V2), ["1_", "1a"]);
        assert_eq!(sorted(&["1a", "1_"], Flavor::V3), ["1a", "1_"]);
    }
}
