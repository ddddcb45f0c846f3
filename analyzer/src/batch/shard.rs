//! `--shard K/N`: a stable, disjoint share of the inputs. A bundle belongs to shard
//! `(fnv1a64(bundle.path) * N) >> 64`, so N workers given the same inputs cover every bundle
//! exactly once, on any machine and in any run (no per-process hash keys).

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The whole input: shard 0 of 1.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// A checked shard: `count >= 1` and `index < count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is not below the shard count {count} (K is 0-based)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// True when the bundle shown as `path` belongs to this shard.
    pub fn owns(&self, path: &str) -> bool {
        self.count <= 1 || share(path, self.count) == self.index
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not K/N (for example 0/4)"))?;
        let k: u32 = k
            .trim()
            .parse()
            .map_err(|_| format!("'{s}': K is not a number"))?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("'{s}': N is not a number"))?;
        Shard::new(k, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard a path belongs to among `count`: `(fnv1a64(path) * count) >> 64`. The high
/// bits of FNV-1a are well mixed; its low bits are not (the lowest is the parity of the
/// bytes), so the usual `hash % count` would split badly for counts like 2 or 4.
pub fn share(path: &str, count: u32) -> u32 {
    ((u128::from(fnv1a64(path.as_bytes())) * u128::from(count)) >> 64) as u32
}

/// 64-bit FNV-1a. Fixed by the docs (docs/batch.md) so other tools can compute shares.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn parse_and_check() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("x/2".parse::<Shard>().is_err());
        assert!("3".parse::<Shard>().is_err());
        assert_eq!(Shard::new(2, 3).unwrap().to_string(), "2/3");
    }

    #[test]
    fn shards_are_disjoint_cover_everything_and_are_balanced() {
        let paths: Vec<String> = (0..3000)
            .map(|i| format!("t{i:05}/aksbundle-{i}.tar.gz"))
            .collect();
        for n in [1u32, 2, 3, 7] {
            let mut sizes = vec![0usize; n as usize];
            for p in &paths {
                let owners: Vec<u32> = (0..n)
                    .filter(|k| Shard::new(*k, n).unwrap().owns(p))
                    .collect();
                assert_eq!(owners.len(), 1, "{p} in shards {owners:?} of {n}");
                sizes[owners[0] as usize] += 1;
            }
            let even = paths.len() / n as usize;
            for s in sizes {
                assert!(
                    s > even * 8 / 10 && s < even * 12 / 10,
                    "unbalanced: {s} vs {even}"
                );
            }
        }
    }
}
