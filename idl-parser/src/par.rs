//! Work spread over the machine's cores with `std::thread::scope`, results in input order (so
//! whatever is built from them is the same whatever the thread count). Shared with
//! `kit-codegen`, which depends on this crate already.

/// `f` over `items` on all cores, in contiguous chunks of at least `min_chunk` items (fewer
/// items run on the calling thread); the results in the order of `items`. A panic in `f` is
/// resumed on the caller.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    min_chunk: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads_for(items.len(), min_chunk);
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let rest: Vec<_> = items
            .chunks(chunk)
            .skip(1)
            .map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = items[..chunk].iter().map(f).collect();
        for h in rest {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// Drops `items` on all cores, in contiguous chunks of at least `min_chunk` items (fewer on
/// the calling thread): for large trees of small allocations, whose freeing would otherwise
/// be a serial step.
pub fn par_drop<T: Send>(mut items: Vec<T>, min_chunk: usize) {
    let threads = threads_for(items.len(), min_chunk);
    if threads == 1 {
        return;
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        while items.len() > chunk {
            let tail = items.split_off(items.len() - chunk);
            scope.spawn(move || drop(tail));
        }
        drop(items);
    });
}

/// Threads for `len` items in chunks of at least `min_chunk`: at most one per core, at least 1.
fn threads_for(len: usize, min_chunk: usize) -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(len / min_chunk.max(1))
        .max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn par_drop_drops_every_item() {
        for n in [0, 1, 7, 8, 9, 1000] {
            let token = std::sync::Arc::new(());
            let items: Vec<_> = (0..n).map(|_| token.clone()).collect();
            super::par_drop(items, 4);
            assert_eq!(std::sync::Arc::strong_count(&token), 1, "n={n}");
        }
    }

    #[test]
    fn results_come_in_input_order() {
        let items: Vec<u32> = (0..1000).collect();
        let out = super::par_map(&items, 8, |x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::par_map(&items[..3], 8, |x| *x), vec![0, 1, 2]);
        assert!(super::par_map(&[] as &[u32], 8, |x| *x).is_empty());
    }
}
