//! Per-time quantiles that merge deterministically and stay bounded in memory.
//!
//! A [`QuantileSketch`] keeps every value until it holds [`EXACT_LIMIT`] of them, and reports
//! exact quantiles (linear interpolation between order statistics, R's type 7). Past that it
//! switches to a floating-point histogram (as HdrHistogram does): a value's bin is its IEEE-754
//! exponent and the top [`MANTISSA_BITS`] bits of its mantissa, read straight from its bits, so
//! bins are at most 2⁻⁸ = 0.39% wide relative to their lower edge and a reported quantile (the
//! bin's midpoint) is within 0.2% of a value of the sample at that rank. Magnitudes below
//! [`MIN_MAGNITUDE`] count as zero; above [`MAX_MAGNITUDE`], in the last bin. Each sign's bins
//! are allocated on first use. Counts add, so merging is exact and order-independent; the switch
//! point depends only on the merged count, and merges happen in a fixed order, so results are the
//! same on any number of threads.

/// Values kept exactly before switching to the histogram.
pub const EXACT_LIMIT: usize = 20_000;
/// Mantissa bits that pick a bin within each power of two.
pub const MANTISSA_BITS: u32 = 8;
/// Smallest magnitude with its own bins; smaller values count as zero.
pub const MIN_MAGNITUDE: f64 = 1e-12;
/// Largest magnitude with its own bins; larger values go to the last bin.
pub const MAX_MAGNITUDE: f64 = 1e12;

/// Bits below the bin's: the rest of the mantissa.
const SHIFT: u32 = 52 - MANTISSA_BITS;

fn first_bin() -> u64 {
    MIN_MAGNITUDE.to_bits() >> SHIFT
}

fn bins_per_sign() -> usize {
    ((MAX_MAGNITUDE.to_bits() >> SHIFT) - first_bin() + 1) as usize
}

/// The bin of a magnitude ≥ `MIN_MAGNITUDE`.
fn bin_of(magnitude: f64) -> usize {
    ((magnitude.min(MAX_MAGNITUDE).to_bits() >> SHIFT) - first_bin()) as usize
}

/// The midpoint of a bin.
fn midpoint(bin: usize) -> f64 {
    let lo = f64::from_bits((bin as u64 + first_bin()) << SHIFT);
    let hi = f64::from_bits((bin as u64 + first_bin() + 1) << SHIFT);
    0.5 * (lo + hi)
}

/// The quantiles `ps` (each in [0, 1]) of `values` (NaN when there are none), R's type 7:
/// at `h = (n − 1)·p`, `x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌈h⌉₎ − x₍⌊h⌋₎)` over the sorted values. Only the
/// order statistics needed are put in place, by nested selection on integer keys that order as
/// `f64::total_cmp` does (`keys` is scratch space): the numbers of sorting, in about a tenth of
/// the time for five quantiles of 10,000 values.
pub fn exact_quantiles<const N: usize>(
    values: impl Iterator<Item = f64>,
    ps: [f64; N],
    keys: &mut Vec<i64>,
) -> [f64; N] {
    keys.clear();
    keys.extend(values.map(|x| total_order_key(x.to_bits() as i64)));
    if keys.is_empty() {
        return [f64::NAN; N];
    }
    let last = keys.len() - 1;
    let positions = ps.map(|p| last as f64 * p.clamp(0.0, 1.0));
    let mut ranks: Vec<usize> = positions
        .iter()
        .flat_map(|h| [h.floor() as usize, h.ceil() as usize])
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(keys, 0, &ranks);
    let at = |rank: usize| f64::from_bits(total_order_key(keys[rank]) as u64);
    positions.map(|h| {
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        at(lo) + (h - lo as f64) * (at(hi) - at(lo))
    })
}

/// The integer whose order is `f64::total_cmp`'s (the same bit trick: negative numbers' other
/// bits flipped); its own inverse.
fn total_order_key(bits: i64) -> i64 {
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// Puts the order statistics `ranks` (sorted, distinct, counted from the start of the whole
/// slice, of which `keys` begins at `offset`) in their places: the middle rank by selection,
/// then the ranks on each side within each side.
fn select_ranks(keys: &mut [i64], offset: usize, ranks: &[usize]) {
    if ranks.is_empty() || keys.len() < 2 {
        return;
    }
    let mid = ranks.len() / 2;
    let k = ranks[mid] - offset;
    let (left, _, right) = keys.select_nth_unstable(k);
    select_ranks(left, offset, &ranks[..mid]);
    select_ranks(right, offset + k + 1, &ranks[mid + 1..]);
}

/// A mergeable quantile summary of one quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum QuantileSketch {
    /// Every value so far.
    Exact(Vec<f64>),
    /// Counts per log-spaced bin: negative magnitudes, zero, positive magnitudes.
    Histogram {
        /// Counts of negative values by magnitude bin.
        negative: Vec<u64>,
        /// Count of values with magnitude below `MIN_MAGNITUDE`.
        zero: u64,
        /// Counts of positive values by magnitude bin.
        positive: Vec<u64>,
    },
}

impl Default for QuantileSketch {
    fn default() -> Self {
        Self::Exact(Vec::new())
    }
}

impl QuantileSketch {
    /// An empty sketch with room for `n` exact values (at most [`EXACT_LIMIT`]).
    pub fn with_capacity(n: usize) -> Self {
        Self::Exact(Vec::with_capacity(n.min(EXACT_LIMIT + 1)))
    }

    /// The quantiles `ps` (each in [0, 1]); exact ones by [`exact_quantiles`] (selection, not
    /// sorting).
    pub fn quantiles<const N: usize>(&mut self, ps: [f64; N]) -> [f64; N] {
        self.quantiles_with(ps, &mut Vec::new())
    }

    /// [`QuantileSketch::quantiles`] with `keys` as scratch space (reused across calls, it saves
    /// an allocation per call).
    pub fn quantiles_with<const N: usize>(
        &mut self,
        ps: [f64; N],
        keys: &mut Vec<i64>,
    ) -> [f64; N] {
        match self {
            Self::Exact(values) => exact_quantiles(values.iter().copied(), ps, keys),
            Self::Histogram { .. } => ps.map(|p| self.quantile(p)),
        }
    }

    /// Number of values summarised.
    pub fn count(&self) -> u64 {
        match self {
            Self::Exact(v) => v.len() as u64,
            Self::Histogram {
                negative,
                zero,
                positive,
            } => negative.iter().sum::<u64>() + zero + positive.iter().sum::<u64>(),
        }
    }

    /// Adds one value (NaN is ignored).
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        match self {
            Self::Exact(v) => {
                v.push(x);
                if v.len() > EXACT_LIMIT {
                    self.switch_to_histogram();
                }
            }
            Self::Histogram {
                negative,
                zero,
                positive,
            } => {
                let magnitude = x.abs();
                if magnitude < MIN_MAGNITUDE {
                    *zero += 1;
                } else {
                    let bins = if x < 0.0 { negative } else { positive };
                    if bins.is_empty() {
                        bins.resize(bins_per_sign(), 0);
                    }
                    bins[bin_of(magnitude)] += 1;
                }
            }
        }
    }

    /// Adds `xs` in order (NaN is ignored), as many [`QuantileSketch::push`] calls would.
    pub fn extend_from_slice(&mut self, xs: &[f64]) {
        match self {
            Self::Exact(v) if v.len() + xs.len() <= EXACT_LIMIT => {
                v.extend(xs.iter().copied().filter(|x| !x.is_nan()));
            }
            _ => xs.iter().for_each(|&x| self.push(x)),
        }
    }

    fn switch_to_histogram(&mut self) {
        if let Self::Exact(values) = self {
            let values = std::mem::take(values);
            *self = Self::Histogram {
                negative: Vec::new(),
                zero: 0,
                positive: Vec::new(),
            };
            for x in values {
                self.push(x);
            }
        }
    }

    /// Adds everything `other` summarised.
    pub fn merge(&mut self, other: &QuantileSketch) {
        match other {
            Self::Exact(values) => {
                for &x in values {
                    self.push(x);
                }
            }
            Self::Histogram {
                negative: on,
                zero: oz,
                positive: op,
            } => {
                self.switch_to_histogram();
                if let Self::Histogram {
                    negative,
                    zero,
                    positive,
                } = self
                {
                    for (mine, theirs) in [(negative, on), (positive, op)] {
                        if mine.is_empty() && !theirs.is_empty() {
                            mine.resize(theirs.len(), 0);
                        }
                        mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
                    }
                    *zero += oz;
                }
            }
        }
    }

    /// The `p` quantile (0 ≤ p ≤ 1); NaN when empty.
    pub fn quantile(&mut self, p: f64) -> f64 {
        match self {
            Self::Exact(values) => {
                if values.is_empty() {
                    return f64::NAN;
                }
                values.sort_unstable_by(f64::total_cmp);
                // R type 7: h = (n − 1)·p, interpolate between order statistics ⌊h⌋ and ⌈h⌉.
                let h = (values.len() - 1) as f64 * p;
                let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
                values[lo] + (h - lo as f64) * (values[hi] - values[lo])
            }
            Self::Histogram {
                negative,
                zero,
                positive,
            } => {
                let total = negative.iter().sum::<u64>() + *zero + positive.iter().sum::<u64>();
                if total == 0 {
                    return f64::NAN;
                }
                let rank = ((total - 1) as f64 * p).round() as u64;
                let mut seen = 0;
                for (bin, &c) in negative.iter().enumerate().rev() {
                    seen += c;
                    if seen > rank {
                        return -midpoint(bin);
                    }
                }
                seen += *zero;
                if seen > rank {
                    return 0.0;
                }
                for (bin, &c) in positive.iter().enumerate() {
                    seen += c;
                    if seen > rank {
                        return midpoint(bin);
                    }
                }
                f64::NAN
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R: quantile(1:10, c(0.05, 0.5, 0.95)) = 1.45, 5.5, 9.55 (type 7).
    #[test]
    fn exact_quantiles_match_r_type_7() {
        let mut s = QuantileSketch::default();
        for i in (1..=10).rev() {
            s.push(f64::from(i));
        }
        assert!((s.quantile(0.05) - 1.45).abs() < 1e-12);
        assert!((s.quantile(0.5) - 5.5).abs() < 1e-12);
        assert!((s.quantile(0.95) - 9.55).abs() < 1e-12);
    }

    /// Nested selection gives the same bits as sorting, for the engine's five quantiles and for
    /// extremes, on values with ties and negative numbers.
    #[test]
    fn selected_quantiles_equal_sorted_ones() {
        let ps = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];
        for n in [1_usize, 2, 3, 7, 100, 10_001] {
            let values: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 100.0)
                .collect();
            let mut selected = QuantileSketch::Exact(values.clone());
            let mut sorted = QuantileSketch::Exact(values);
            let fast = selected.quantiles(ps);
            for (q, p) in fast.iter().zip(ps) {
                assert_eq!(
                    q.to_bits(),
                    sorted.quantile(p).to_bits(),
                    "n = {n}, p = {p}"
                );
            }
        }
        assert!(QuantileSketch::default().quantiles([0.5])[0].is_nan());
    }

    #[test]
    fn histogram_quantiles_are_within_the_bin_width() {
        let mut s = QuantileSketch::default();
        let n = 100_000;
        for i in 1..=n {
            s.push(f64::from(i) * 0.01);
        }
        assert!(matches!(s, QuantileSketch::Histogram { .. }));
        for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
            let exact = (f64::from(n) - 1.0) * p * 0.01 + 0.01;
            let q = s.quantile(p);
            // Half a bin of 2⁻⁸ relative width, plus the rank's rounding (0.01 in ≥ 50).
            assert!(
                (q / exact - 1.0).abs() < 0.5f64.powi(9) + 2e-4,
                "p={p}: {q} vs {exact}"
            );
        }
    }

    #[test]
    fn merging_in_pieces_equals_pushing_all() {
        let values: Vec<f64> = (0..50_000)
            .map(|i| ((i * 7919) % 10_007) as f64 - 3000.0)
            .collect();
        let mut whole = QuantileSketch::default();
        values.iter().for_each(|&x| whole.push(x));
        let mut merged = QuantileSketch::default();
        for chunk in values.chunks(1000) {
            let mut part = QuantileSketch::default();
            chunk.iter().for_each(|&x| part.push(x));
            merged.merge(&part);
        }
        for p in [0.05, 0.5, 0.95] {
            assert_eq!(whole.quantile(p).to_bits(), merged.quantile(p).to_bits());
        }
    }
}
