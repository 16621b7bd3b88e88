//! Work split over the machine's cores: a slice cut into one contiguous
//! chunk per thread, each chunk's results in the slice's order, so that
//! what comes out does not depend on the thread count. The Monte Carlo's
//! phases and the village pages use it.

/// The machine's cores (1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` of each of up to `threads` contiguous chunks of `items`, on its own
/// thread; the chunks' results joined in the items' order. The first
/// chunk's error (in that order) is returned; a thread that panics gives
/// `panicked()`.
pub fn in_chunks<T: Sync, R: Send, E: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&[T]) -> Result<Vec<R>, E> + Sync,
    panicked: impl Fn() -> E,
) -> Result<Vec<R>, E> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let chunk = items.len().div_ceil(threads.max(1));
    let f = &f;
    let parts: Vec<Result<Vec<R>, E>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(panicked())))
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_whatever_the_thread_count() {
        let items: Vec<u32> = (0..103).collect();
        let doubled: Vec<u32> = items.iter().map(|x| 2 * x).collect();
        for threads in [0, 1, 2, 7, 200] {
            let out = in_chunks(
                &items,
                threads,
                |part| Ok::<_, String>(part.iter().map(|x| 2 * x).collect()),
                || "panicked".to_string(),
            );
            assert_eq!(out.as_ref(), Ok(&doubled), "{threads} threads");
        }
        let err = in_chunks(
            &items,
            4,
            |part| {
                if part.contains(&60) {
                    Err(format!("at {}", part[0]))
                } else {
                    Ok(part.to_vec())
                }
            },
            || "panicked".to_string(),
        );
        assert_eq!(err, Err("at 52".to_string()));
    }
}
