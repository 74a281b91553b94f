//! An append-only list stored in fixed-size chunks: growing it never moves what it holds.
//!
//! The application table of a city of a million is 150–200 MB. In one `Vec`, the push
//! that outgrows its capacity copies all of it into a new block twice the size while the
//! state lock is held — every write of the district stalls for a few hundred milliseconds,
//! and the copy faults in the new block page by page. Here a push past the end allocates
//! one more chunk; indexing costs one extra load from a chunk list small enough to stay in
//! cache. Written here because it is a dozen lines and the crates that do this (`segvec`,
//! `boxcar`) are built for concurrent appends or are rarely maintained.

/// Items per chunk (a power of two, so an index splits with a shift and a mask).
const CHUNK_BITS: u32 = 14;
const CHUNK: usize = 1 << CHUNK_BITS;

/// The list.
#[derive(Debug, Clone)]
pub struct Table<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Table<T> {
    /// A sequence, pushed item by item: a million records go straight into their chunks,
    /// never through one large `Vec` first.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Items<T> {
            type Value = Table<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Table<T>, A::Error> {
                let mut table = Table::default();
                table.reserve(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    table.push(item);
                }
                Ok(table)
            }
        }
        d.deserialize_seq(Items(std::marker::PhantomData))
    }
}

impl<T> FromIterator<T> for Table<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut table = Self::default();
        for item in items {
            table.push(item);
        }
        table
    }
}

impl<T> Table<T> {
    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends an item; its index is the length before the call.
    pub fn push(&mut self, item: T) {
        if self.len.is_multiple_of(CHUNK) {
            // The first chunk grows as a `Vec` does (a small table stays small; its
            // capacity doubles up to exactly `CHUNK`), the later ones are allocated whole.
            let capacity = if self.chunks.is_empty() { 0 } else { CHUNK };
            self.chunks.push(Vec::with_capacity(capacity));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(item);
        }
        self.len += 1;
    }

    /// The item at `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> CHUNK_BITS)?.get(i & (CHUNK - 1))
    }

    /// The item at `i`, to change it.
    #[must_use]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(i >> CHUNK_BITS)?
            .get_mut(i & (CHUNK - 1))
    }

    /// Every item, in index order.
    #[must_use]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// The items in the table's own chunks, in index order: every chunk but the last
    /// holds [`Self::CHUNK`] items.
    pub fn chunks(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        self.chunks.iter().map(Vec::as_slice)
    }

    /// Items per chunk.
    pub const CHUNK: usize = CHUNK;

    /// The table of these chunks, in order (what [`Self::chunks`] gave, decoded apart);
    /// `None` unless every chunk but the last holds exactly [`Self::CHUNK`] items and the
    /// last one at most that many (a chunk is never grown past its size: indexes count
    /// on it).
    #[must_use]
    pub fn from_chunks(chunks: Vec<Vec<T>>) -> Option<Self> {
        let (last, full) = chunks.split_last()?;
        if full.iter().any(|c| c.len() != CHUNK) || last.is_empty() || last.len() > CHUNK {
            return None;
        }
        let len = full.len() * CHUNK + last.len();
        let mut chunks = chunks;
        if chunks.len() > 1 {
            // As `push` makes them: a later chunk is allocated whole (a lone first one
            // grows as a `Vec` does).
            if let Some(last) = chunks.last_mut() {
                last.reserve_exact(CHUNK - last.len());
            }
        }
        Some(Self { chunks, len })
    }

    /// Makes room in the chunk list for `n` more items (the chunks themselves are
    /// allocated as they fill).
    pub fn reserve(&mut self, n: usize) {
        let chunks = (self.len + n).div_ceil(CHUNK);
        self.chunks
            .reserve(chunks.saturating_sub(self.chunks.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Behaves as a `Vec` that is only pushed to and indexed.
        #[test]
        fn matches_a_vec(items in proptest::collection::vec(any::<u16>(), 0..3 * CHUNK + 7), probes in proptest::collection::vec(any::<usize>(), 0..64)) {
            let mut t = Table::default();
            let mut v = Vec::new();
            for (n, x) in items.iter().enumerate() {
                t.push(*x);
                v.push(*x);
                prop_assert_eq!(t.len(), n + 1);
                prop_assert_eq!(t.get(n), v.last());
            }
            prop_assert_eq!(t.is_empty(), v.is_empty());
            for p in probes {
                let i = p % (v.len() + 2);
                prop_assert_eq!(t.get(i), v.get(i));
                if i < v.len() {
                    let x = t.get_mut(i).unwrap();
                    *x = x.wrapping_add(1);
                    v[i] = v[i].wrapping_add(1);
                    prop_assert_eq!(t.get(i), v.get(i));
                }
            }
            prop_assert!(t.iter().eq(v.iter()));
            prop_assert!(t.iter().rev().eq(v.iter().rev()));

            // Taken apart into its chunks and put together again, it is the same table,
            // and it grows as before.
            let parts: Vec<Vec<u16>> = t.chunks().map(<[u16]>::to_vec).collect();
            match Table::from_chunks(parts) {
                None => prop_assert!(v.is_empty()),
                Some(mut back) => {
                    prop_assert_eq!(back.len(), v.len());
                    prop_assert!(back.iter().eq(v.iter()));
                    back.push(7);
                    v.push(7);
                    prop_assert!(back.iter().eq(v.iter()));
                    prop_assert_eq!(back.get(v.len() - 1), Some(&7));
                }
            }
        }

        /// Chunks of the wrong sizes are refused.
        #[test]
        fn only_whole_chunks_make_a_table(sizes in proptest::collection::vec(0..CHUNK + 2, 1..4)) {
            let chunks: Vec<Vec<u8>> = sizes.iter().map(|n| vec![0; *n]).collect();
            let (last, full) = sizes.split_last().unwrap();
            let fits = full.iter().all(|n| *n == CHUNK) && *last > 0 && *last <= CHUNK;
            prop_assert_eq!(Table::from_chunks(chunks).is_some(), fits);
        }
    }
}
