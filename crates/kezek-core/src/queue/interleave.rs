//! Weighted round robin of two tiers at p:g with a phase (`docs/rules.md`): the pattern is p slots
//! of the upper tier then g of the lower; the merged order walks the slots from the phase,
//! taking the next child of the slot's tier, or of the other tier when that one is empty.
//!
//! Two children of different tiers, both still waiting, meet before either tier runs out, so
//! their relative order is decided by the pure pattern. That makes "how many of the other
//! tier stand before the child at rank r" a closed formula: O(1), no walk.

/// Upper-tier slots among the first `y` slots of the pattern counted from slot 0.
fn upper_slots(p: u64, g: u64, y: u64) -> u64 {
    let len = p + g;
    (y / len) * p + (y % len).min(p)
}

/// Lower-tier children ahead of the upper-tier child at rank `r` (0-based inside its tier),
/// when the lower tier holds `n_lower` children and the pattern stands at `phase`.
#[must_use]
pub fn lower_before_upper(p: u32, g: u32, phase: u32, r: usize, n_lower: usize) -> usize {
    let (p, g, phase) = (u64::from(p), u64::from(g), u64::from(phase));
    let t = upper_slots(p, g, phase) + r as u64;
    let slot = (t / p) * (p + g) + t % p;
    let lower_slots = slot - phase - r as u64;
    usize::try_from(lower_slots).map_or(n_lower, |s| s.min(n_lower))
}

/// Upper-tier children ahead of the lower-tier child at rank `r`, when the upper tier holds
/// `n_upper` children and the pattern stands at `phase`.
#[must_use]
pub fn upper_before_lower(p: u32, g: u32, phase: u32, r: usize, n_upper: usize) -> usize {
    let (p, g, phase) = (u64::from(p), u64::from(g), u64::from(phase));
    let t = (phase - upper_slots(p, g, phase)) + r as u64;
    let slot = (t / g) * (p + g) + p + t % g;
    let upper = slot - phase - r as u64;
    usize::try_from(upper).map_or(n_upper, |s| s.min(n_upper))
}

/// Whether the slot at `phase` belongs to the upper tier.
#[must_use]
pub fn slot_is_upper(p: u32, phase: u32) -> bool {
    phase < p
}

/// The phase after a referral to a child of the slot's own tier.
#[must_use]
pub fn advance(p: u32, g: u32, phase: u32) -> u32 {
    (phase + 1) % (p + g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The merged order as `docs/rules.md` defines it, walked slot by slot: `true` = upper.
    fn naive_merge(p: u32, g: u32, mut phase: u32, n_upper: usize, n_lower: usize) -> Vec<bool> {
        let (mut u, mut l) = (0, 0);
        let mut out = Vec::new();
        while u < n_upper || l < n_lower {
            let want_upper = slot_is_upper(p, phase);
            let take_upper = if want_upper {
                u < n_upper
            } else {
                l >= n_lower
            };
            if take_upper {
                u += 1;
            } else {
                l += 1;
            }
            out.push(take_upper);
            phase = advance(p, g, phase);
        }
        out
    }

    proptest! {
        #[test]
        fn formula_matches_the_walk(p in 1u32..5, g in 1u32..6, phase_seed in 0u32..100,
                                    n_upper in 0usize..30, n_lower in 0usize..30) {
            let phase = phase_seed % (p + g);
            let merged = naive_merge(p, g, phase, n_upper, n_lower);
            let (mut u, mut l) = (0, 0);
            for (i, is_upper) in merged.iter().enumerate() {
                if *is_upper {
                    prop_assert_eq!(lower_before_upper(p, g, phase, u, n_lower), i - u);
                    u += 1;
                } else {
                    prop_assert_eq!(upper_before_lower(p, g, phase, l, n_upper), i - l);
                    l += 1;
                }
            }
        }
    }

    #[test]
    fn one_to_three_from_phase_zero() {
        // u0 g0 g1 g2 u1 g3 …
        assert_eq!(lower_before_upper(1, 3, 0, 0, 10), 0);
        assert_eq!(lower_before_upper(1, 3, 0, 1, 10), 3);
        assert_eq!(upper_before_lower(1, 3, 0, 3, 10), 2);
        // From phase 2 (two general slots left): g0 g1 u0 g2 g3 g4 u1 …
        assert_eq!(lower_before_upper(1, 3, 2, 0, 10), 2);
        assert_eq!(lower_before_upper(1, 3, 2, 1, 10), 5);
    }
}
