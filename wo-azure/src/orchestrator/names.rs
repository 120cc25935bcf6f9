//! Names and versions as Workload Orchestration accepts them, derived deterministically from a
//! release so that a rerun finds what an earlier run created.

/// 64-bit FNV-1a: small, stable across platforms and releases of Rust.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The WO name of a schema or solution template for `solution`: `^[a-zA-Z0-9-]{3,24}$`.
///
/// A solution name that already fits is kept; any other is mapped (characters outside the
/// pattern become `-`, cut to 15 characters) and suffixed with 8 hex digits of its hash, so two
/// solutions never share a name by the mapping.
pub fn template_name(solution: &str) -> String {
    let fits = (3..=24).contains(&solution.len())
        && solution
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if fits {
        return solution.to_string();
    }
    let mapped: String = solution
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(15)
        .collect();
    format!("{mapped}-{:08x}", fnv1a(solution.as_bytes()) as u32)
}

/// The WO version (`MAJOR.MINOR.PATCH`) of a release version.
///
/// A release version that is already `MAJOR.MINOR.PATCH` is kept. Any other (wo names releases
/// by their gitops commit) maps to `1.<a>.<b>`, where `a` and `b` are the two halves of its
/// 64-bit FNV-1a hash: the same release always gets the same version, two releases the same
/// one with odds of about 1 in 2^64.
pub fn wo_version(release_version: &str) -> String {
    let parts: Vec<&str> = release_version.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return release_version.to_string();
    }
    let h = fnv1a(release_version.as_bytes());
    format!("1.{}.{}", h >> 32, h & 0xffff_ffff)
}

/// The name of the configuration WO creates for a target: the first 18 characters of its name
/// and `Config`.
pub fn configuration_name(target: &str) -> String {
    let head: String = target.chars().take(18).collect();
    format!("{head}Config")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_pattern_and_are_stable() {
        assert_eq!(template_name("shop"), "shop");
        assert_eq!(template_name("price-detector"), "price-detector");
        let odd = template_name("my_shop.v2");
        assert!(odd.starts_with("my-shop-v2-"), "{odd}");
        assert_eq!(odd, template_name("my_shop.v2"));
        assert_ne!(odd, template_name("my-shop-v2"));
        assert_ne!(template_name("my_shop.v2"), template_name("my.shop_v2"));
        let long = template_name("a-very-long-solution-name-indeed");
        assert!(long.len() <= 24 && long.len() >= 3, "{long}");
        let short = template_name("ab");
        assert!(short.len() >= 3, "{short}");
        for n in [odd, long, short] {
            assert!(
                n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{n}"
            );
        }
    }

    #[test]
    fn versions_are_semver_and_deterministic() {
        assert_eq!(wo_version("1.2.3"), "1.2.3");
        let commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let v = wo_version(commit);
        assert_eq!(v, wo_version(commit));
        assert_ne!(v, wo_version("4b825dc642cb6eb9a060e54bf8d69288fbee4905"));
        let parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], 1);
        assert!(
            v.len() <= 24,
            "fits a dynamic configuration version name: {v}"
        );
        assert_eq!(configuration_name("berlin-1"), "berlin-1Config");
        assert_eq!(
            configuration_name("a-very-long-target-name"),
            "a-very-long-targetConfig"
        );
    }
}
